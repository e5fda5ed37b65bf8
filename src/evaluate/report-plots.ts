import { detCurve, probit, rocCurve } from './curves.js';
import type { ScoredSample } from './types.js';

/** HTML/XML text and attribute escaping. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf'];
export const colorOf = (i: number): string => PALETTE[i % PALETTE.length]!;

export interface PlotSeries {
  name: string;
  rows: readonly ScoredSample[];
  /** The model's operating point, marked on the curve. */
  apcer: number | null;
  bpcer: number | null;
}

const W = 440;
const H = 360;
const M = { left: 58, right: 16, top: 16, bottom: 46 };
const PW = W - M.left - M.right;
const PH = H - M.top - M.bottom;

const fx = (v: number): string => (Math.round(v * 10) / 10).toString();

/** Polyline path in pixel space with consecutive duplicates (at 0.1 px) dropped: 20k points shrink to the visible. */
function pathOf(points: Array<[number, number]>): string {
  let d = '';
  let prev = '';
  for (const [x, y] of points) {
    const xy = `${fx(x)},${fx(y)}`;
    if (xy === prev) continue;
    d += (d === '' ? 'M' : 'L') + xy;
    prev = xy;
  }
  return d;
}

interface Axis {
  /** Data value -> [0,1] position along the axis. */
  pos: (v: number) => number;
  ticks: Array<{ at: number; label: string }>;
  title: string;
}

function frame(x: Axis, y: Axis, body: string, ariaLabel: string, legend: string): string {
  const px = (v: number): number => M.left + x.pos(v) * PW;
  const py = (v: number): number => M.top + (1 - y.pos(v)) * PH;
  let grid = '';
  for (const t of x.ticks) {
    const X = fx(px(t.at));
    grid += `<line x1="${X}" y1="${M.top}" x2="${X}" y2="${M.top + PH}" stroke="#e2e2e2"/>`;
    grid += `<text x="${X}" y="${M.top + PH + 16}" text-anchor="middle">${escapeHtml(t.label)}</text>`;
  }
  for (const t of y.ticks) {
    const Y = fx(py(t.at));
    grid += `<line x1="${M.left}" y1="${Y}" x2="${M.left + PW}" y2="${Y}" stroke="#e2e2e2"/>`;
    grid += `<text x="${M.left - 6}" y="${Y}" text-anchor="end" dominant-baseline="middle">${escapeHtml(t.label)}</text>`;
  }
  return (
    `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif" font-size="11" role="img" aria-label="${escapeHtml(ariaLabel)}">` +
    `<rect x="${M.left}" y="${M.top}" width="${PW}" height="${PH}" fill="#fafafa" stroke="#999"/>${grid}${body}` +
    `<text x="${M.left + PW / 2}" y="${H - 8}" text-anchor="middle" font-size="12">${escapeHtml(x.title)}</text>` +
    `<text transform="translate(14 ${M.top + PH / 2}) rotate(-90)" text-anchor="middle" font-size="12">` +
    `${escapeHtml(y.title)}</text>${legend}</svg>`
  );
}

function legendOf(entries: Array<{ name: string; color: string }>, x0: number, y0: number): string {
  return entries
    .map((e, i) => {
      const y = y0 + i * 16;
      return (
        `<line x1="${x0}" y1="${y}" x2="${x0 + 18}" y2="${y}" stroke="${e.color}" stroke-width="3"/>` +
        `<text x="${x0 + 24}" y="${y}" dominant-baseline="middle">${escapeHtml(e.name)}</text>`
      );
    })
    .join('');
}

const pct = (p: number): string => `${+(p * 100).toFixed(2)}%`;
const linearTicks = [0, 0.2, 0.4, 0.6, 0.8, 1].map((at) => ({
  at,
  label: pct(at),
}));

/** ROC: APCER on x, bona fide acceptance rate (1 - BPCER) on y, one curve per model, operating point marked. */
export function rocSvg(series: readonly PlotSeries[]): string {
  const x: Axis = {
    pos: (v) => v,
    ticks: linearTicks,
    title: 'APCER (attacks accepted)',
  };
  const y: Axis = {
    pos: (v) => v,
    ticks: linearTicks,
    title: '1 − BPCER (bona fide accepted)',
  };
  let body = `<line x1="${M.left}" y1="${M.top + PH}" x2="${M.left + PW}" y2="${M.top}" stroke="#bbb" stroke-dasharray="4 4"/>`;
  series.forEach((s, i) => {
    const pts = rocCurve(s.rows).map((p): [number, number] => [M.left + p.apcer * PW, M.top + p.bpcer * PH]);
    body += `<path d="${pathOf(pts)}" fill="none" stroke="${colorOf(i)}" stroke-width="2"/>`;
    if (s.apcer !== null && s.bpcer !== null) {
      body += `<circle cx="${fx(M.left + s.apcer * PW)}" cy="${fx(M.top + s.bpcer * PH)}" r="4" fill="${colorOf(i)}"/>`;
    }
  });
  const legend = legendOf(
    series.map((s, i) => ({ name: s.name, color: colorOf(i) })),
    M.left + PW * 0.45,
    M.top + PH - 12 - 16 * (series.length - 1),
  );
  return frame(x, y, body, 'ROC curve', legend);
}

const DET_MIN = 0.0005;
const DET_MAX = 0.99;
const DET_TICKS = [0.001, 0.01, 0.05, 0.2, 0.5, 0.8, 0.95];

/** DET: APCER vs BPCER on normal-deviate (probit) axes, as ISO/IEC 30107-3 recommends for PAD error trade-offs. */
export function detSvg(series: readonly PlotSeries[]): string {
  const lo = probit(DET_MIN);
  const hi = probit(DET_MAX);
  const pos = (p: number): number => (probit(Math.min(DET_MAX, Math.max(DET_MIN, p))) - lo) / (hi - lo);
  const ticks = DET_TICKS.map((at) => ({ at, label: pct(at) }));
  const x: Axis = { pos, ticks, title: 'APCER (probit scale)' };
  const y: Axis = { pos, ticks, title: 'BPCER (probit scale)' };
  let body = '';
  series.forEach((s, i) => {
    const pts = detCurve(s.rows, { clip: DET_MIN }).map((p): [number, number] => [
      M.left + pos(p.apcer) * PW,
      M.top + (1 - pos(p.bpcer)) * PH,
    ]);
    body += `<path d="${pathOf(pts)}" fill="none" stroke="${colorOf(i)}" stroke-width="2"/>`;
    if (s.apcer !== null && s.bpcer !== null) {
      const cx = fx(M.left + pos(s.apcer) * PW);
      body += `<circle cx="${cx}" cy="${fx(M.top + (1 - pos(s.bpcer)) * PH)}" r="4" fill="${colorOf(i)}"/>`;
    }
  });
  const legend = legendOf(
    series.map((s, i) => ({ name: s.name, color: colorOf(i) })),
    M.left + PW * 0.55,
    M.top + 14,
  );
  return frame(x, y, body, 'DET curve', legend);
}

const LIVE_COLOR = '#2ca02c';
const SPOOF_COLOR = '#d62728';

/** Score histograms, live vs spoof, each normalised to its own class size; the threshold as a dashed line. */
export function histogramSvg(rows: readonly ScoredSample[], threshold: number, bins = 25): string {
  const live = new Array<number>(bins).fill(0);
  const spoof = new Array<number>(bins).fill(0);
  let nLive = 0;
  let nSpoof = 0;
  for (const r of rows) {
    const b = Math.min(bins - 1, Math.max(0, Math.floor(r.score * bins)));
    if (r.label === 'live') {
      live[b]!++;
      nLive++;
    } else {
      spoof[b]!++;
      nSpoof++;
    }
  }
  const frac = (c: number, n: number): number => (n > 0 ? c / n : 0);
  const peak = Math.max(0.05, ...live.map((c) => frac(c, nLive)), ...spoof.map((c) => frac(c, nSpoof)));
  const top = Math.ceil(peak * 10) / 10;
  const yTicks = [0, top / 2, top].map((at) => ({ at, label: pct(at) }));
  const x: Axis = {
    pos: (v) => v,
    ticks: [0, 0.25, 0.5, 0.75, 1].map((at) => ({ at, label: String(at) })),
    title: 'score (P live)',
  };
  const y: Axis = {
    pos: (v) => v / top,
    ticks: yTicks,
    title: 'fraction of class',
  };
  const bw = PW / bins;
  let body = '';
  const bars = (counts: number[], n: number, color: string): void => {
    counts.forEach((c, b) => {
      const h = (frac(c, n) / top) * PH;
      if (h > 0) {
        body += `<rect x="${fx(M.left + b * bw)}" y="${fx(M.top + PH - h)}" width="${fx(bw)}" height="${fx(h)}" fill="${color}" fill-opacity="0.45"/>`;
      }
    });
  };
  bars(spoof, nSpoof, SPOOF_COLOR);
  bars(live, nLive, LIVE_COLOR);
  if (threshold >= 0 && threshold <= 1) {
    const tx = fx(M.left + threshold * PW);
    body += `<line x1="${tx}" y1="${M.top}" x2="${tx}" y2="${M.top + PH}" stroke="#333" stroke-dasharray="5 3"/>`;
  }
  const legend = legendOf(
    [
      { name: `live (n=${nLive})`, color: LIVE_COLOR },
      { name: `spoof (n=${nSpoof})`, color: SPOOF_COLOR },
    ],
    M.left + PW * 0.38,
    M.top + 14,
  );
  return frame(x, y, body, 'score histogram', legend);
}
