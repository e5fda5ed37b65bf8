import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLivenessChecker, LivenessSession, checkStream, type LivenessChecker } from '../src/index.js';
import { ScoreFusion, logit, sigmoid } from '../src/decide/fusion.js';
import { FaceTracker } from '../src/decide/tracking.js';
import { patternImage } from './helpers/images.js';
import { writeTinyModel } from './helpers/tiny-model.js';

describe('ScoreFusion', () => {
  it('averages log-odds over the window and waits for minFrames', () => {
    const fusion = new ScoreFusion({ minFrames: 3, window: 3 });
    expect(fusion.score).toBeNull();
    fusion.add(0.9);
    fusion.add(0.9);
    expect(fusion.ready).toBe(false);
    fusion.add(0.1);
    expect(fusion.ready).toBe(true);
    // logit(0.9) = ln 9; mean = (ln 9 + ln 9 - ln 9) / 3 = ln(9) / 3
    expect(fusion.score).toBeCloseTo(sigmoid(Math.log(9) / 3), 10);
    fusion.add(0.1); // window 3: the first 0.9 leaves -> (ln 9 - 2 ln 9) / 3
    expect(fusion.score).toBeCloseTo(sigmoid(-Math.log(9) / 3), 10);
  });
  it('clamps certainties so one frame cannot dominate', () => {
    expect(Number.isFinite(logit(0))).toBe(true);
    expect(Number.isFinite(logit(1))).toBe(true);
  });
});

describe('FaceTracker', () => {
  it('keeps the id of a face that moves a little and gives a new id to a new face or after a gap', () => {
    const tracker = new FaceTracker(() => ({}), 0.3, 500);
    const [a] = tracker.update([{ x: 100, y: 100, width: 100, height: 100 }], 0);
    const [a2, b] = tracker.update(
      [
        { x: 110, y: 105, width: 100, height: 100 },
        { x: 400, y: 100, width: 100, height: 100 },
      ],
      100,
    );
    expect(a2!.id).toBe(a!.id);
    expect(b!.id).not.toBe(a!.id);
    const [later] = tracker.update([{ x: 110, y: 105, width: 100, height: 100 }], 2000);
    expect(later!.id).not.toBe(a!.id);
  });
});

describe('LivenessSession', () => {
  let checker: LivenessChecker;
  beforeAll(async () => {
    checker = await createLivenessChecker({ model: writeTinyModel().modelFile });
  });
  afterAll(async () => checker?.close());

  const live = patternImage(120, 120, (x, y, c) => (c === 0 ? 220 : 40 + ((x * 37 + y * 91) % 64)));
  const dark = patternImage(120, 120, (x, y) => (x * 7 + y * 3) % 20);

  it('answers retry until enough good frames, then the fused decision; poor frames add no evidence', async () => {
    const session = new LivenessSession(checker, { minFrames: 3 });
    const decisions: string[] = [];
    const frames = [live, dark, live, dark, live, live];
    for (const [i, frame] of frames.entries())
      decisions.push((await session.push(frame, i * 100, { wholeImage: true })).decision);
    expect(decisions).toEqual(['retry', 'retry', 'retry', 'retry', 'live', 'live']);
  });

  it('refuses timestamps that go back in time', async () => {
    const session = new LivenessSession(checker);
    await session.push(live, 1000, { wholeImage: true });
    await expect(session.push(live, 10, { wholeImage: true })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('checkStream yields one update per frame', async () => {
    const blank = patternImage(200, 200, () => 128);
    const updates = [];
    for await (const update of checkStream(
      checker,
      [0, 1, 2].map((i) => ({ image: blank, timestampMs: i * 40 })),
    ))
      updates.push(update);
    expect(updates).toHaveLength(3);
    expect(updates.every((update) => update.decision === 'retry' && update.faces.length === 0)).toBe(true);
  });
});
