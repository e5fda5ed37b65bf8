import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type Classifier,
  createClassifier,
  createFaceDetector,
  createFacePipeline,
  createLivenessChecker,
  cropFace,
  decodeImage,
  type FaceDetector,
  packageModelsDir,
  PRESET_CARD_FILES,
  type RgbImage,
  scoreFaces,
  scoreFacesWithMembers,
  validateCard,
} from '../src/index.js';
import { loadClassifier } from '../src/runtime/web-models.js';
import { createLivenessChecker as createWebLivenessChecker } from '../src/web-check.js';
import { samplePhoto } from './helpers/images.js';
import { makeMiniDataset, type MiniDataset } from './helpers/mini-dataset.js';
import { TINY_SIZE, writeTinyModel } from './helpers/tiny-model.js';

// The browser loader's session comes from onnxruntime-web's wasm bundle, which runs only in a page; here the same
// loader (card fetching, members, cycles) runs over onnxruntime-web's Node build, as test/web-runtime.test.ts does.
vi.mock('../src/runtime/web-session.js', async () => {
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  return {
    ort,
    configureRuntime: () => ({
      backend: 'wasm',
      threads: 1,
      crossOriginIsolated: false,
      wasmPaths: null,
      proxy: false,
    }),
    pageUrl: () => 'file:///',
    createWebSession: async (url: URL) =>
      ort.InferenceSession.create(new Uint8Array(await (await fetch(url)).arrayBuffer()), {
        executionProviders: ['wasm'],
      }),
  };
});

const run = promisify(execFile);
const CLI = join(import.meta.dirname, '..', 'bin', 'antispoof.js');

// Two members that see the face differently: the tiny model (live = red) with the product's reflect crop, and the same
// network fed BGR (so live = blue) through Silent-Face's shifted 2.7x window. Their P(live) differ on real photos.
const reflectMember = writeTinyModel();
const shiftMember = writeTinyModel({
  cardOverrides: {
    input: {
      name: 'input',
      size: TINY_SIZE,
      layout: 'NCHW',
      channelOrder: 'BGR',
      scale: 1 / 255,
      mean: [0, 0, 0],
      std: [1, 1, 1],
    },
    crop: { scale: 2.7, mode: 'shift' },
  },
});
const dir = mkdtempSync(join(tmpdir(), 'antispoof-ensemble-'));

function writeCard(name: string, card: Record<string, unknown>): string {
  const file = join(dir, name);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(card, null, 2));
  return file;
}

function writeEnsemble(name: string, members: string[], extra: Record<string, unknown> = {}): string {
  return writeCard(name, {
    name: `ensemble ${name}`,
    version: '0',
    ensemble: { members },
    threshold: { live: 0.42, stream: { live: 0.37 } },
    ...extra,
  });
}

const memberPaths = [reflectMember.cardFile, shiftMember.modelFile].map((file) => relative(dir, file));
const meanCard = writeEnsemble('mean.json', memberPaths);
const weightedCard = writeEnsemble('weighted.json', memberPaths, {
  ensemble: { members: memberPaths, weights: [3, 1] },
});

let detector: FaceDetector;
let photo: RgbImage;
let ensemble: Classifier;
let members: Classifier[];
beforeAll(async () => {
  detector = await createFaceDetector();
  photo = await decodeImage(samplePhoto(1));
  ensemble = await createClassifier({ model: meanCard });
  members = [
    await createClassifier({ model: reflectMember.cardFile }),
    await createClassifier({ model: shiftMember.modelFile }),
  ];
}, 60_000);
afterAll(async () => {
  await Promise.all([detector.close(), ensemble.close(), ...members.map((member) => member.close())]);
});

const boxesOf = async (image: RgbImage) => (await detector.detect(image)).map((face) => face.box);

describe('an ensemble card', () => {
  it('fuses the members P(live) by their mean on real photos, each member cropping the face its own way', async () => {
    const boxes = await boxesOf(photo);
    expect(boxes.length).toBeGreaterThan(1);
    const fused = await scoreFaces(ensemble, photo, boxes);
    const [reflect, shift] = [await scoreFaces(members[0]!, photo, boxes), await scoreFaces(members[1]!, photo, boxes)];
    fused.forEach((score, i) => expect(score).toBeCloseTo((reflect[i]! + shift[i]!) / 2, 12));
    expect(reflect.some((score, i) => Math.abs(score - shift[i]!) > 0.01)).toBe(true);
    // The second member's own crop: Silent-Face's shifted 2.7x window at its input size.
    const crops = boxes.map((box) => cropFace(photo, box, { cropScale: 2.7, size: TINY_SIZE, mode: 'shift' }));
    expect(await members[1]!.classify(crops)).toEqual(shift);
    const withMembers = await scoreFacesWithMembers(ensemble, photo, boxes);
    expect(withMembers.members.map((member) => member.scores)).toEqual([reflect, shift]);
    expect(withMembers.members.map((member) => member.modelFile)).toEqual([
      reflectMember.modelFile,
      shiftMember.modelFile,
    ]);
  });

  it('fuses by normalised weights when the card gives them', async () => {
    const weighted = await createClassifier({ model: weightedCard });
    try {
      const boxes = await boxesOf(photo);
      const [reflect, shift] = [
        await scoreFaces(members[0]!, photo, boxes),
        await scoreFaces(members[1]!, photo, boxes),
      ];
      const fused = await scoreFaces(weighted, photo, boxes);
      fused.forEach((score, i) => expect(score).toBeCloseTo(0.75 * reflect[i]! + 0.25 * shift[i]!, 12));
    } finally {
      await weighted.close();
    }
  });

  it('detects each face once, whatever the number of members', async () => {
    let detections = 0;
    const counting: FaceDetector = { ...detector, detect: (image) => (detections++, detector.detect(image)) };
    const result = await createFacePipeline(counting, ensemble).checkImage(photo);
    expect(detections).toBe(1);
    expect(result.faces.map((face) => face.score)).toEqual(
      await scoreFaces(
        ensemble,
        photo,
        result.faces.map((face) => face.box),
      ),
    );
  });

  it('decides at its own thresholds, in the checker and in a worker pool alike', async () => {
    const inThread = await createLivenessChecker({ model: meanCard });
    const pooled = await createLivenessChecker({ model: meanCard, workers: 1 });
    try {
      expect([inThread.threshold, inThread.streamThreshold]).toEqual([0.42, 0.37]);
      expect([pooled.threshold, pooled.streamThreshold]).toEqual([0.42, 0.37]);
      const local = await inThread.check(samplePhoto(1));
      const remote = await pooled.check(samplePhoto(1));
      expect(remote.faces.map((face) => [face.box, face.score, face.verdict])).toEqual(
        local.faces.map((face) => [face.box, face.score, face.verdict]),
      );
      const boxes = local.faces.map((face) => face.box);
      expect(local.faces.map((face) => face.score)).toEqual(await scoreFaces(ensemble, photo, boxes));
    } finally {
      await Promise.all([inThread.close(), pooled.close()]);
    }
  }, 60_000);

  it('scores faces, not ready-made crops: classify() says why', async () => {
    await expect(ensemble.classify([photo])).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(/ensemble: each member crops the face its own way/),
    });
  });
});

describe('an ensemble card in the browser loader (onnxruntime-web, cards fetched by URL)', () => {
  // fetch() over file: URLs, as a page's server would answer.
  const fileFetch = async (url: URL | string) => {
    try {
      return new Response(await readFile(fileURLToPath(url)));
    } catch {
      return new Response('missing', { status: 404 });
    }
  };

  it('loads the members relative to the card and fuses as Node does', async () => {
    vi.stubGlobal('fetch', fileFetch);
    try {
      const web = await loadClassifier(pathToFileURL(meanCard));
      const boxes = await boxesOf(photo);
      const [node, browser] = [await scoreFaces(ensemble, photo, boxes), await scoreFaces(web, photo, boxes)];
      browser.forEach((score, i) => expect(Math.abs(score - node[i]!)).toBeLessThan(1e-5));
      expect(web.members).toHaveLength(2);
      await web.close();
      // The preset by name, from a models folder that ships it (with the detector), as a page would serve it.
      const models = join(dir, 'served-models');
      mkdirSync(models, { recursive: true });
      copyFileSync(
        join(packageModelsDir(), 'face_detection_short_range.onnx'),
        join(models, 'face_detection_short_range.onnx'),
      );
      writeFileSync(
        join(models, PRESET_CARD_FILES.accurate!),
        JSON.stringify({
          name: 'served',
          version: '0',
          ensemble: { members: memberPaths.map((m) => join('..', m)) },
          threshold: { live: 0.42 },
        }),
      );
      const checker = await createWebLivenessChecker({ models: pathToFileURL(models + '/'), model: 'accurate' });
      expect(checker.classifier.members).toHaveLength(2);
      expect(checker.threshold).toBe(0.42);
      const faces = (await checker.checkImage(photo)).faces;
      expect(faces.map((face) => face.score)).toEqual(
        await scoreFaces(
          checker.classifier,
          photo,
          faces.map((face) => face.box),
        ),
      );
      await checker.close();
      await expect(createWebLivenessChecker({ models: pathToFileURL(models + '/'), model: 'fastest' })).rejects.toThrow(
        /model must be a preset \(accurate\)/,
      );
      await expect(loadClassifier(pathToFileURL(writeEnsemble('web-cycle.json', ['web-cycle.json'])))).rejects.toThrow(
        /"ensemble\.members\[0\]" names .*web-cycle\.json, which forms a cycle/,
      );
      await expect(
        loadClassifier(pathToFileURL(writeEnsemble('web-missing.json', [memberPaths[0]!, 'nowhere.json']))),
      ).rejects.toMatchObject({
        code: 'MODEL_NOT_FOUND',
        message: expect.stringMatching(/"ensemble\.members\[1\]" names .*nowhere\.json, which cannot be loaded/),
      });
    } finally {
      vi.unstubAllGlobals();
    }
  });
});

describe('bad cards fail with the field named', () => {
  it('an unknown member file', async () => {
    const card = writeEnsemble('missing.json', [memberPaths[0]!, 'absent/model.json']);
    await expect(createClassifier({ model: card })).rejects.toMatchObject({
      code: 'MODEL_NOT_FOUND',
      message: expect.stringMatching(
        /missing\.json: "ensemble\.members\[1\]" names .*absent\/model\.json, which does not/,
      ),
    });
  });

  it('a cycle of members, directly or through another ensemble', async () => {
    const self = writeEnsemble('self.json', ['self.json']);
    await expect(createClassifier({ model: self })).rejects.toThrow(/"ensemble\.members\[0\]".*cycle of members/);
    writeEnsemble('loop/a.json', ['b.json', relative(join(dir, 'loop'), reflectMember.cardFile)]);
    const b = writeEnsemble('loop/b.json', [relative(join(dir, 'loop'), reflectMember.cardFile), 'a.json']);
    await expect(createClassifier({ model: b })).rejects.toMatchObject({
      code: 'MODEL_CARD_INVALID',
      message: expect.stringMatching(/cycle of members: .*b\.json -> .*a\.json -> .*b\.json/),
    });
    // A member used twice is not a cycle, nor is an ensemble of ensembles.
    const nested = writeEnsemble('nested.json', ['mean.json', 'weighted.json', memberPaths[0]!]);
    const classifier = await createClassifier({ model: nested });
    await classifier.close();
  });

  it('a live index out of range: the card lists more labels than the model has logits', async () => {
    const { modelFile } = writeTinyModel({
      cardOverrides: { output: { name: 'logits', labels: ['spoof', 'print', 'live'] } },
    });
    await expect(createClassifier({ model: modelFile })).rejects.toMatchObject({
      code: 'MODEL_CARD_INVALID',
      message: expect.stringMatching(/"output\.labels" lists 3 labels \(live at index 2\).* 2 logits.*out of range/),
    });
  });

  it('a crop mode the runtime lacks, in a member card', async () => {
    const { cardFile } = writeTinyModel({ cardOverrides: { crop: { scale: 1.5, mode: 'warp' } } });
    const card = writeEnsemble('warp.json', [memberPaths[0]!, relative(dir, cardFile)]);
    await expect(createClassifier({ model: card })).rejects.toMatchObject({
      code: 'MODEL_CARD_INVALID',
      message: expect.stringMatching(/"crop\.mode" must be one of reflect, shift .*got "warp"/),
    });
  });

  it.each([
    [{ ensemble: { members: [] } }, /"ensemble\.members" must list 1 to 8/],
    [
      { ensemble: { members: ['a.txt'] } },
      /"ensemble\.members\[0\]" must be a path to a card \.json or a model \.onnx/,
    ],
    [{ ensemble: { members: ['a.json', 'b.json'], weights: [1] } }, /"ensemble\.weights" must be 2 non-negative/],
    [{ ensemble: { members: ['a.json'], weights: [0] } }, /"ensemble\.weights"/],
    [{ ensemble: ['a.json'] }, /"ensemble" must be an object/],
    [{ ensemble: { members: ['a.json'] }, file: 'x.onnx' }, /an ensemble card has no "file"/],
    [{ ensemble: { members: ['a.json'] }, threshold: { live: 2 } }, /"threshold\.live" must be a number in \[0, 1\]/],
  ])('%j', (fields, message) => {
    const card = { name: 'e', version: '0', threshold: { live: 0.5 }, ...fields };
    expect(() => validateCard(card, 'e.json')).toThrow(message);
  });

  it('"live" exactly once in a single card\'s labels', () => {
    const card = JSON.parse(readFileSync(reflectMember.cardFile, 'utf8'));
    for (const labels of [['live', 'live'], ['spoof', 'print'], ['live']])
      expect(() => validateCard({ ...card, output: { name: 'logits', labels } }, 'c.json')).toThrow(
        /"output\.labels" must list one label per logit \(at least 2\), "live" exactly once/,
      );
  });
});

describe('the accurate preset', () => {
  const shipped = existsSync(join(packageModelsDir(), PRESET_CARD_FILES.accurate!));
  it.skipIf(shipped)('says it is not installed when the package does not ship it', async () => {
    await expect(createClassifier({ model: 'accurate' })).rejects.toMatchObject({
      code: 'MODEL_NOT_FOUND',
      message: expect.stringMatching(/the "accurate" preset is not installed/),
    });
  });
  it.skipIf(!shipped)('loads as an ensemble from models/ when the package ships it', async () => {
    const classifier = await createClassifier({ model: 'accurate' });
    expect(classifier.members!.length).toBeGreaterThan(1);
    // Fused P(live) of a real face is the mean of its members' (each on its own crop).
    const image = await decodeImage(samplePhoto(2));
    const [face] = await detector.detect(image);
    const { scores, members } = await scoreFacesWithMembers(classifier, image, [face!.box]);
    expect(members.length).toBe(classifier.members!.length);
    expect(scores[0]).toBeCloseTo(members.reduce((sum, m) => sum + m.scores[0]!, 0) / members.length, 6);
    await classifier.close();
  });
});

describe('antispoof eval --scores and calibrate with an ensemble card', () => {
  let dataset: MiniDataset;
  beforeAll(async () => {
    const faces = [];
    for (const n of [1, 3] as const) {
      const found = await detector.detect(await decodeImage(samplePhoto(n)));
      for (const face of found.slice(0, 2)) faces.push({ photo: n, box: face.box });
    }
    dataset = await makeMiniDataset(faces);
  }, 60_000);

  it('writes one row per image: path, source, label, P(live) per model and member, box, error', async () => {
    const out = join(dataset.root, 'scores.csv');
    await run(process.execPath, [
      CLI,
      'eval',
      dataset.manifest,
      '--model',
      meanCard,
      '--model',
      reflectMember.modelFile,
      '--bootstrap',
      '0',
      '--scores',
      out,
    ]);
    const rows = parse(readFileSync(out, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(dataset.rows);
    const columns = ['p_live[mean.json]', 'p_live[mean.json/tiny.onnx]', 'p_live[mean.json/tiny.onnx]#2'];
    expect(Object.keys(rows[0]!)).toEqual([
      'path',
      'source',
      'label',
      'attack',
      'subject',
      ...columns,
      'p_live[tiny.onnx]',
      'box_x',
      'box_y',
      'box_width',
      'box_height',
      'error',
    ]);
    const faceless = rows.find((row) => row.path === 'empty/wall.png')!;
    expect(faceless).toMatchObject({ error: 'no face detected', 'p_live[mean.json]': '', box_x: '' });
    const scored = rows.filter((row) => row.error === '');
    expect(scored.length).toBeGreaterThanOrEqual(dataset.rows - 3);
    for (const row of scored) {
      const [fused, reflect, shift] = columns.map((column) => Number(row[column]));
      expect(fused).toBeCloseTo((reflect! + shift!) / 2, 12);
      // The same network with the same crop, alone and as a member: the same number.
      expect(Number(row['p_live[tiny.onnx]'])).toBe(reflect);
      expect(Number(row.box_width)).toBeGreaterThan(0);
      expect(['live', 'spoof']).toContain(row.label);
    }
  }, 60_000);

  it('calibrate fits the ensemble its own threshold and writes a card whose members resolve from its new folder', async () => {
    const out = join(dataset.root, 'calibrated', 'deeper', 'ensemble.json');
    mkdirSync(dirname(out), { recursive: true });
    await run(process.execPath, [
      CLI,
      'calibrate',
      dataset.manifest,
      '--model',
      meanCard,
      '--target-apcer',
      '0.05',
      '--out',
      out,
    ]);
    const card = JSON.parse(readFileSync(out, 'utf8'));
    expect(card.file).toBeUndefined();
    expect(card.threshold.measured.apcer).toBeLessThanOrEqual(0.05);
    expect(card.threshold.measured.previousThreshold.live).toBe(0.42);
    const calibrated = await createClassifier({ model: out });
    try {
      expect(calibrated.members!.map((member) => member.modelFile)).toEqual([
        reflectMember.modelFile,
        shiftMember.modelFile,
      ]);
      expect(calibrated.card.threshold.live).toBe(card.threshold.live);
    } finally {
      await calibrated.close();
    }
  }, 60_000);
});
