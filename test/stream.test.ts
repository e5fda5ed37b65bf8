import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLivenessChecker,
  LivenessSession,
  checkStream,
  type CheckResult,
  type LivenessChecker,
} from '../src/index.js';
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

/** A checker that answers one face of a fixed P(live) on every frame: no model, exact scores. */
function fakeChecker(score: number, thresholds: { threshold: number; streamThreshold: number }): LivenessChecker {
  const result: CheckResult = {
    width: 200,
    height: 200,
    faces: [
      {
        box: { x: 50, y: 50, width: 100, height: 100 },
        detectionScore: 0.9,
        keypoints: [],
        score,
        verdict: score >= thresholds.threshold ? 'live' : 'spoof',
        reasons: [],
        quality: { faceSize: 100, brightness: 120, sharpness: 50, outsideFraction: 0 },
      },
    ],
    timings: { detectMs: 0, classifyMs: 0 },
  };
  return {
    ...thresholds,
    classifier: undefined as never,
    lastTimings: result.timings,
    pool: null,
    check: async () => result,
    checkImage: async () => result,
    close: async () => {},
  };
}

async function finalDecision(session: LivenessSession<Buffer>, frames = 3): Promise<string> {
  let decision = 'retry';
  for (let i = 0; i < frames; i++) decision = (await session.push(Buffer.alloc(0), i * 100)).decision;
  return decision;
}

describe('stream threshold', () => {
  it("decides on the checker's stream threshold, not its frame threshold", async () => {
    // Every frame scores 0.7: live for the frame threshold 0.5, spoof for the stream threshold 0.8.
    const checker = fakeChecker(0.7, { threshold: 0.5, streamThreshold: 0.8 });
    const session = new LivenessSession(checker, { minFrames: 3 });
    expect(session.threshold).toBe(0.8);
    const update = await session.push(Buffer.alloc(0), 0);
    expect(update.faces[0]!.verdict).toBe('live');
    expect(await finalDecision(session)).toBe('spoof');
    expect(
      await finalDecision(
        new LivenessSession(fakeChecker(0.7, { threshold: 0.9, streamThreshold: 0.6 }), { minFrames: 3 }),
      ),
    ).toBe('live');
  });

  it("takes an explicit StreamOptions threshold over the checker's", async () => {
    const checker = fakeChecker(0.7, { threshold: 0.5, streamThreshold: 0.8 });
    const session = new LivenessSession(checker, { minFrames: 3, threshold: 0.65 });
    expect(session.threshold).toBe(0.65);
    expect(await finalDecision(session)).toBe('live');
  });

  it('refuses a stream threshold outside [0, 1]', () => {
    const checker = fakeChecker(0.7, { threshold: 0.5, streamThreshold: 0.8 });
    for (const threshold of [-0.1, 1.5, Number.NaN])
      expect(() => new LivenessSession(checker, { threshold })).toThrow(/stream threshold must be in \[0, 1\]/);
  });

  describe('createLivenessChecker', () => {
    const withStream = () =>
      writeTinyModel({
        cardOverrides: { threshold: { live: 0.5, stream: { live: 0.75, measured: { rule: 'test' } } } },
      });

    it('reads threshold.stream from the card; without one, streams use the frame threshold', async () => {
      const carded = await createLivenessChecker({ model: withStream().modelFile });
      const plain = await createLivenessChecker({ model: writeTinyModel({ threshold: 0.4 }).modelFile });
      try {
        expect(carded.threshold).toBe(0.5);
        expect(carded.streamThreshold).toBe(0.75);
        expect(new LivenessSession(carded).threshold).toBe(0.75);
        expect(plain.streamThreshold).toBe(0.4);
      } finally {
        await Promise.all([carded.close(), plain.close()]);
      }
    });

    it('lets an explicit threshold override both card thresholds, and streamThreshold override the stream one', async () => {
      const { modelFile } = withStream();
      const one = await createLivenessChecker({ model: modelFile, threshold: 0.6 });
      const both = await createLivenessChecker({ model: modelFile, threshold: 0.6, streamThreshold: 0.3 });
      const streamOnly = await createLivenessChecker({ model: modelFile, streamThreshold: 0.9 });
      try {
        expect([one.threshold, one.streamThreshold]).toEqual([0.6, 0.6]);
        expect([both.threshold, both.streamThreshold]).toEqual([0.6, 0.3]);
        expect([streamOnly.threshold, streamOnly.streamThreshold]).toEqual([0.5, 0.9]);
      } finally {
        await Promise.all([one.close(), both.close(), streamOnly.close()]);
      }
      await expect(createLivenessChecker({ model: modelFile, streamThreshold: 2 })).rejects.toMatchObject({
        code: 'INVALID_INPUT',
        message: expect.stringContaining('stream threshold must be in [0, 1]'),
      });
    });

    it("decides a real frame sequence at the card's stream threshold", async () => {
      const live = patternImage(120, 120, (x, y, c) => (c === 0 ? 220 : 40 + ((x * 37 + y * 91) % 64)));
      const strict = await createLivenessChecker({
        model: writeTinyModel({ cardOverrides: { threshold: { live: 0.5, stream: { live: 0.9999 } } } }).modelFile,
      });
      try {
        const session = new LivenessSession(strict, { minFrames: 2 });
        const first = await session.push(live, 0, { wholeImage: true });
        const second = await session.push(live, 100, { wholeImage: true });
        expect(first.faces[0]!.verdict).toBe('live');
        expect(second.faces[0]!.fusedScore).toBeLessThan(0.9999);
        expect(second.decision).toBe('spoof');
      } finally {
        await strict.close();
      }
    });
  });
});
