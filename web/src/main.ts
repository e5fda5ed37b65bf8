import {
  createLivenessChecker,
  DEFAULT_CARD_FILES,
  findDefaultCard,
  LivenessSession,
  type StreamUpdate,
} from 'antispoof/web';
import { drawOverlay, percent, VERDICT_COLOURS } from './draw.js';
import { nextVideoFrame } from './frame.js';
import { emptyStats, Samples, summarizeFaces, type AntispoofStats } from './stats.js';

declare global {
  interface Window {
    antispoofStats: AntispoofStats;
  }
}

const stats = emptyStats();
window.antispoofStats = stats;

const video = document.querySelector<HTMLVideoElement>('#video')!;
const overlay = document.querySelector<HTMLCanvasElement>('#overlay')!;
const statusLine = document.querySelector<HTMLElement>('#status')!;
const facesBody = document.querySelector<HTMLTableSectionElement>('#faces tbody')!;
const statsLine = document.querySelector<HTMLElement>('#stats')!;

function setStatus(text: string, isError = false): void {
  statusLine.textContent = text;
  statusLine.classList.toggle('error', isError);
}

function cell(text: string, colour?: string): HTMLTableCellElement {
  const td = document.createElement('td');
  td.textContent = text;
  if (colour) td.style.color = colour;
  return td;
}

function renderText(update: StreamUpdate): void {
  const rows = update.faces.map((face) => {
    const tr = document.createElement('tr');
    tr.append(
      cell(`#${face.trackId}`),
      cell(face.decision, VERDICT_COLOURS[face.decision]),
      cell(face.verdict, VERDICT_COLOURS[face.verdict]),
      cell(percent(face.score)),
      cell(percent(face.fusedScore)),
      cell(String(face.goodFrames)),
      cell(face.reasons.join(', ') || '–'),
    );
    return tr;
  });
  if (rows.length === 0) {
    const tr = document.createElement('tr');
    const td = cell('no face in view');
    td.colSpan = 7;
    tr.append(td);
    rows.push(tr);
  }
  facesBody.replaceChildren(...rows);
  const ms = (v: number | null) => (v === null ? '–' : `${v.toFixed(1)} ms`);
  statsLine.textContent =
    `frames ${stats.frames} · median detect+classify ${ms(stats.medianMs)} ` +
    `(detect ${ms(stats.medianDetectMs)}, crop+classify ${ms(stats.medianClassifyMs)}) · ` +
    `onnxruntime-web wasm, ${stats.runtime?.threads ?? 1} thread(s)` +
    (stats.runtime?.crossOriginIsolated ? ', cross-origin isolated' : ', not isolated (1 thread)');
}

/** Heartbeat on the page's thread: how late each beat fires is how long the UI was frozen. */
function watchStalls(intervalMs: number): void {
  let last = performance.now();
  setInterval(() => {
    const now = performance.now();
    stats.longestStallMs = Math.max(stats.longestStallMs, now - last - intervalMs);
    last = now;
  }, intervalMs);
}

async function start(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const threadsParam = Number(params.get('threads'));
  setStatus('loading models…');
  const cardParam = params.get('card');
  const proxy = params.get('proxy');
  const cardUrl = cardParam
    ? new URL(cardParam, location.href)
    : await findDefaultCard(new URL('models/', document.baseURI));
  if (!cardUrl)
    throw new Error(
      `no classifier installed (looked for ${DEFAULT_CARD_FILES.join(', ')} in models/); pass one with ?card=<url of a model card>`,
    );
  const checker = await createLivenessChecker({
    card: cardUrl,
    runtime: {
      ...(threadsParam > 0 ? { threads: threadsParam } : {}),
      ...(proxy !== null ? { proxy: proxy !== '0' } : {}),
    },
  });
  const { classifier } = checker;
  stats.runtime = checker.runtime;
  stats.model = {
    name: classifier.card.name,
    version: classifier.card.version,
    url: cardUrl.href,
    threshold: checker.threshold,
  };
  const session = new LivenessSession(checker);

  setStatus('opening the camera…');
  const stream = await navigator.mediaDevices.getUserMedia({
    video: { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: 'user' },
    audio: false,
  });
  video.srcObject = stream;
  await video.play();
  setStatus(
    `${classifier.card.name} ${classifier.card.version} · threshold ${checker.threshold.toFixed(4)} ` +
      `(stream ${checker.streamThreshold.toFixed(4)}) · ` +
      `everything runs in this page, nothing is uploaded`,
  );

  const total = new Samples();
  const detect = new Samples();
  const classify = new Samples();
  let lastTime = -1;
  watchStalls(10);
  for (;;) {
    lastTime = await nextVideoFrame(video, lastTime);
    if (video.videoWidth === 0) continue;
    const begin = performance.now();
    const update = await session.push(video, begin);
    total.add(performance.now() - begin);
    detect.add(checker.lastTimings.detectMs);
    if (update.faces.length > 0) classify.add(checker.lastTimings.classifyMs);

    stats.frames++;
    if (update.faces.length > 0) stats.classifiedFrames++;
    stats.medianMs = total.median;
    stats.medianDetectMs = detect.median;
    stats.medianClassifyMs = classify.median;
    stats.lastDecision = update.decision;
    stats.lastFaces = summarizeFaces(update);
    drawOverlay(overlay, update);
    renderText(update);
  }
}

start().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  stats.error = message;
  setStatus(message, true);
  console.error(error);
});
