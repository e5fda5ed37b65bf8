import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import sharp from 'sharp';
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClassifier, createFaceDetector, scoreFaces } from '../src/index.js';
import type { Box, RgbImage } from '../src/types.js';
import type { AntispoofStats } from '../web/src/stats.js';
import { webConfig } from '../web/vite.config.js';
import { samplePhoto } from './helpers/images.js';
import { writeTinyModel } from './helpers/tiny-model.js';

const CHROMIUM = '/usr/bin/chromium';
const HAS_CHROMIUM = existsSync(CHROMIUM);
const OUTPUT_DIR = fileURLToPath(new URL('../test-output/', import.meta.url));
const SHIPPED_CARD = fileURLToPath(new URL('../models/antispoof-v2.json', import.meta.url));
const WIDTH = 640;
const HEIGHT = 480;

/** BT.601 limited-range ("studio swing") 4:2:0, the YUV a camera hands Chromium: Y 16-235, Cb/Cr 16-240. */
function rgbToI420(image: RgbImage): Buffer {
  const { width, height, data } = image;
  const out = Buffer.alloc((width * height * 3) / 2);
  const chromaWidth = width / 2;
  const uBase = width * height;
  const vBase = uBase + (width * height) / 4;
  for (let p = 0; p < width * height; p++) {
    const r = data[p * 3]!;
    const g = data[p * 3 + 1]!;
    const b = data[p * 3 + 2]!;
    out[p] = Math.round(16 + 0.256788 * r + 0.504129 * g + 0.097906 * b);
  }
  for (let y = 0; y < height; y += 2)
    for (let x = 0; x < width; x += 2) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (const [dx, dy] of [
        [0, 0],
        [1, 0],
        [0, 1],
        [1, 1],
      ] as const) {
        const p = ((y + dy) * width + x + dx) * 3;
        r += data[p]! / 4;
        g += data[p + 1]! / 4;
        b += data[p + 2]! / 4;
      }
      const c = (y / 2) * chromaWidth + x / 2;
      out[uBase + c] = Math.round(128 - 0.148223 * r - 0.290993 * g + 0.439216 * b);
      out[vBase + c] = Math.round(128 + 0.439216 * r - 0.367788 * g - 0.071427 * b);
    }
  return out;
}

/** A Y4M file Chromium's fake camera loops (--use-file-for-fake-video-capture). */
function y4m(frames: readonly RgbImage[], fps: number): Buffer {
  const { width, height } = frames[0]!;
  const parts: Buffer[] = [Buffer.from(`YUV4MPEG2 W${width} H${height} F${fps}:1 Ip A1:1 C420jpeg\n`)];
  for (const frame of frames) parts.push(Buffer.from('FRAME\n'), rgbToI420(frame));
  return Buffer.concat(parts);
}

/**
 * Frames of a real face: sample2.jpg cut to 4:3 around its largest detected face (~200 px wide at 640x480), moving
 * and zooming a little from frame to frame like a hand-held camera, so every frame gives a slightly different score.
 */
const MOTION = [
  { dx: 0, dy: 0, zoom: 1 },
  { dx: 4, dy: 3, zoom: 1.01 },
  { dx: 9, dy: -2, zoom: 1.025 },
  { dx: 5, dy: 5, zoom: 1.015 },
  { dx: -3, dy: 1, zoom: 0.995 },
  { dx: -8, dy: -4, zoom: 0.985 },
];

async function faceFrames(): Promise<RgbImage[]> {
  const file = samplePhoto(2);
  const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const photo: RgbImage = { data: new Uint8Array(data.buffer, data.byteOffset, data.length), ...info };
  const detector = await createFaceDetector();
  const [face] = (await detector.detect(photo)).sort((a, b) => b.box.width - a.box.width);
  await detector.close();
  expect(face, 'a face in sample2.jpg').toBeDefined();
  const box: Box = face!.box;
  const frames: RgbImage[] = [];
  for (const { dx, dy, zoom } of MOTION) {
    const regionWidth = Math.min(photo.width, Math.round(box.width * 3.2 * zoom));
    const regionHeight = Math.min(photo.height, Math.round((regionWidth * 3) / 4));
    const centreX = box.x + box.width / 2 + dx;
    const centreY = box.y + box.height / 2 + dy;
    const left = Math.max(0, Math.min(photo.width - regionWidth, Math.round(centreX - regionWidth / 2)));
    const top = Math.max(0, Math.min(photo.height - regionHeight, Math.round(centreY - regionHeight / 2)));
    const raw = await sharp(file)
      .extract({ left, top, width: regionWidth, height: regionHeight })
      .resize(WIDTH, HEIGHT)
      .removeAlpha()
      .raw()
      .toBuffer();
    frames.push({ data: new Uint8Array(raw.buffer, raw.byteOffset, raw.length), width: WIDTH, height: HEIGHT });
  }
  return frames;
}

/** P(live) the Node pipeline (onnxruntime-node) gives the largest face of each frame, for comparison with the page. */
async function nodeLiveProbabilities(frames: readonly RgbImage[], modelFile: string): Promise<number[]> {
  const detector = await createFaceDetector();
  const classifier = await createClassifier({ model: modelFile });
  try {
    const scores: number[] = [];
    for (const frame of frames) {
      const [face] = (await detector.detect(frame)).sort((a, b) => b.box.width - a.box.width);
      // The pipeline's own scoring: the card's crop mode and test-time views (model 2.0 averages two crops).
      scores.push(...(await scoreFaces(classifier, frame, [face!.box])));
    }
    return scores;
  } finally {
    await Promise.all([detector.close(), classifier.close()]);
  }
}

describe.skipIf(!HAS_CHROMIUM)(
  HAS_CHROMIUM
    ? 'browser demo (web/) on a fake camera in headless Chromium'
    : `browser demo: SKIPPED, ${CHROMIUM} is missing (install it: apt-get install -y chromium)`,
  () => {
    let server: ViteDevServer;
    let context: BrowserContext;
    let workDir: string;
    let baseUrl: string;
    let nodeScores: number[];
    const consoleLines: string[] = [];

    beforeAll(async () => {
      workDir = mkdtempSync(join(tmpdir(), 'antispoof-browser-'));
      const tiny = writeTinyModel();
      const frames = await faceFrames();
      nodeScores = await nodeLiveProbabilities(frames, tiny.modelFile);
      const video = join(workDir, 'face.y4m');
      writeFileSync(video, y4m(frames, 15));

      const config = webConfig({ extraDirectories: { '/test-models/': tiny.dir } });
      server = await createServer({
        ...config,
        configFile: false,
        logLevel: 'warn',
        server: { ...config.server, host: '127.0.0.1', port: 0, strictPort: false, hmr: false, watch: null },
      });
      await server.listen();
      const { port } = server.httpServer!.address() as AddressInfo;
      baseUrl = `http://127.0.0.1:${port}`;

      context = await chromium.launchPersistentContext(join(workDir, 'profile'), {
        executablePath: CHROMIUM,
        headless: true,
        viewport: { width: 1000, height: 860 },
        args: [
          '--headless=new',
          '--no-sandbox',
          '--disable-gpu',
          '--use-fake-ui-for-media-stream',
          '--use-fake-device-for-media-stream',
          `--use-file-for-fake-video-capture=${video}`,
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          '--no-first-run',
        ],
      });
    }, 45_000);

    afterAll(async () => {
      await context?.close();
      await server?.close();
      if (workDir) rmSync(workDir, { recursive: true, force: true });
    });

    /** Opens the page, waits for a fused decision on >= 24 frames, takes a screenshot; fails with the page's state. */
    async function runPage(
      query: string,
      screenshot: string,
    ): Promise<{ stats: AntispoofStats; context: string; workers: number }> {
      const page = context.pages()[0] ?? (await context.newPage());
      consoleLines.length = 0;
      page.removeAllListeners('console');
      page.removeAllListeners('pageerror');
      page.on('console', (message) => consoleLines.push(`${message.type()}: ${message.text()}`));
      page.on('pageerror', (error) => consoleLines.push(`pageerror: ${error.message}`));
      await page.goto(`${baseUrl}/${query}`);
      const done = await page
        .waitForFunction(
          () => {
            const s = (window as unknown as { antispoofStats?: AntispoofStats }).antispoofStats;
            return (
              s !== undefined &&
              (s.error !== null || ((s.lastDecision === 'live' || s.lastDecision === 'spoof') && s.frames >= 24))
            );
          },
          null,
          { timeout: 35_000, polling: 200 },
        )
        .catch((error: Error) => error);
      const stats = await page.evaluate(() => (window as unknown as { antispoofStats: AntispoofStats }).antispoofStats);
      mkdirSync(OUTPUT_DIR, { recursive: true });
      await page.screenshot({ path: join(OUTPUT_DIR, screenshot) });
      const state = `stats: ${JSON.stringify(stats)}\nconsole:\n${consoleLines.join('\n')}`;
      expect(done instanceof Error ? done.message : null, state).toBeNull();
      expect(stats.error, state).toBeNull();
      expect(stats.runtime).toMatchObject({ backend: 'wasm', crossOriginIsolated: true });
      expect(stats.classifiedFrames).toBeGreaterThanOrEqual(5);
      expect(stats.medianMs).toBeGreaterThan(0);
      expect(stats.medianMs).toBeLessThan(2000);
      return { stats, context: state, workers: page.workers().length };
    }

    /** The page's largest face scored as Node scores the video's frames, and fused within their range. */
    function expectNodeAgreement(stats: AntispoofStats, scores: readonly number[], state: string) {
      const [face] = stats.lastFaces;
      expect(face, state).toBeDefined();
      expect(face!.goodFrames).toBeGreaterThanOrEqual(5);
      expect(face!.fusedScore).not.toBeNull();
      const nearest = Math.min(...scores.map((score) => Math.abs(score - face!.score)));
      expect(nearest, `${state}\nnode: ${scores.join(', ')}`).toBeLessThan(0.01);
      expect(face!.fusedScore!).toBeGreaterThan(Math.min(...scores) - 0.01);
      expect(face!.fusedScore!).toBeLessThan(Math.max(...scores) + 0.01);
      return face!;
    }

    function report(label: string, stats: AntispoofStats, scores: readonly number[]) {
      const face = stats.lastFaces[0]!;
      console.log(
        `browser demo, ${label}: ${stats.frames} frames, median detect+classify ${stats.medianMs!.toFixed(1)} ms ` +
          `(detect ${stats.medianDetectMs?.toFixed(1)} ms, classify ${stats.medianClassifyMs?.toFixed(1)} ms), ` +
          `${stats.runtime?.threads} wasm thread(s); P(live) page ${face.score.toFixed(4)}, node ${scores.map((v) => v.toFixed(4)).join('/')}, ` +
          `fused ${face.fusedScore!.toFixed(4)} -> ${stats.lastDecision}; ` +
          `inference ${stats.runtime?.proxy ? 'in a Web Worker' : 'on the page thread'}, page stalled <= ${stats.longestStallMs.toFixed(0)} ms`,
      );
    }

    it('opens the camera, detects and classifies the face in the page, and reaches a fused verdict', async () => {
      const { stats, context: state, workers } = await runPage('?card=/test-models/tiny.json', 'browser.png');
      expect(stats.model?.name).toBe('tiny-test-model');
      // Inference runs in onnxruntime-web's proxy Web Worker by default, so the page thread stays free for the UI.
      expect(stats.runtime?.proxy).toBe(true);
      expect(workers).toBeGreaterThanOrEqual(1);
      // The page ran the same detector, crop and classifier code on the camera's frames (YUV round-tripped), so its
      // scores are those of the Node pipeline on the frames the video was made of.
      const face = expectNodeAgreement(stats, nodeScores, state);
      expect(stats.lastDecision).toBe(face.fusedScore! >= 0.5 ? 'live' : 'spoof');
      report('tiny test model', stats, nodeScores);
    });

    it('runs the shipped model by default (FP32 card first) and decides at its stream threshold', async () => {
      const card = JSON.parse(readFileSync(SHIPPED_CARD, 'utf8')) as { threshold: { stream?: { live: number } } };
      const shippedScores = await nodeLiveProbabilities(await faceFrames(), SHIPPED_CARD.replace(/\.json$/, '.onnx'));
      const { stats, context: state } = await runPage('', 'browser-shipped.png');
      expect(stats.model?.url).toMatch(/\/models\/antispoof-v2\.json$/);
      const face = expectNodeAgreement(stats, shippedScores, state);
      expect(card.threshold.stream).toBeDefined();
      expect(stats.lastDecision).toBe(face.fusedScore! >= card.threshold.stream!.live ? 'live' : 'spoof');
      report('shipped FP32 model', stats, shippedScores);
    });

    it('gives the same scores with inference on the page thread (?proxy=0), for comparison of page stalls', async () => {
      const { stats, context: state } = await runPage('?card=/test-models/tiny.json&proxy=0', 'browser-no-proxy.png');
      expect(stats.runtime?.proxy).toBe(false);
      expectNodeAgreement(stats, nodeScores, state);
      report('tiny test model, no proxy', stats, nodeScores);
    });
  },
);
