import { colorOf, detSvg, escapeHtml, histogramSvg, rocSvg } from './report-plots.js';
import type { BootstrapCi, Interval, ModelMetrics, PadMetrics, ScoredSample } from './types.js';

export interface ReportModel extends ModelMetrics {
  failures: Array<{ path: string; error: string }>;
  rows: Array<ScoredSample & { path?: string }>;
  worstErrors?: Array<{
    path: string;
    label: string;
    score: number;
    thumbnailDataUri?: string;
  }>;
}

export interface ReportInput {
  title: string;
  generatedAt: string;
  models: ReportModel[];
}

const MAX_FAILURES_SHOWN = 100;

const pct = (v: number | null | undefined): string =>
  v === null || v === undefined ? '—' : `${(v * 100).toFixed(2)}%`;
const num = (v: number | null | undefined, digits = 4): string =>
  v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(digits);

function withCi(value: string, ci: Interval | null | undefined, fmt: (v: number) => string): string {
  if (!ci) return value;
  return `${value}<br><span class="ci">[${fmt(ci.lo)} – ${fmt(ci.hi)}]</span>`;
}

// Only inline raster images: anything else (remote URL, script URI) is dropped, keeping the page self-contained.
const DATA_URI = /^data:image\/(png|jpeg|jpg|gif|webp|bmp);base64,[A-Za-z0-9+/=\s]*$/i;

const STYLE = `
body{font:14px/1.4 system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px;color:#222;max-width:1400px}
h1{font-size:22px;margin-bottom:4px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd}h3{font-size:15px}
.meta{color:#666}table{border-collapse:collapse;margin:8px 0 16px}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:right;vertical-align:top}
th{background:#f4f4f4}td.name,th.name{text-align:left}.ci{color:#777;font-size:11px}
.swatch{display:inline-block;width:10px;height:10px;margin-right:6px;border-radius:2px}
.plots{display:flex;flex-wrap:wrap;gap:16px}svg{background:#fff}
.errors{display:flex;flex-wrap:wrap;gap:12px}.errors figure{margin:0;width:160px;font-size:11px;word-break:break-all}
.errors img{width:160px;height:160px;object-fit:cover;background:#eee;display:block}
`;

function summaryTable(models: readonly ReportModel[]): string {
  const head = [
    'Model',
    'File',
    'Threshold',
    'N (live / spoof)',
    'APCER worst',
    'APCER pooled',
    'BPCER',
    'ACER',
    'HTER',
    'Accuracy',
    'EER',
    'EER threshold',
    'AUC',
    'BPCER100',
    'BPCER20',
    'Failures',
  ];
  const rows = models.map((m, i) => {
    const o = m.overall;
    const ci = m.ci;
    const cells = [
      `<td class="name"><span class="swatch" style="background:${colorOf(i)}"></span>${escapeHtml(m.name)}</td>`,
      `<td class="name">${escapeHtml(m.file)}</td>`,
      `<td>${num(m.threshold)}</td>`,
      `<td>${o.n} (${o.nLive} / ${o.nSpoof})</td>`,
      `<td>${withCi(pct(o.apcerWorst), ci?.apcerWorst, pct)}</td>`,
      `<td>${withCi(pct(o.apcer), ci?.apcer, pct)}</td>`,
      `<td>${withCi(pct(o.bpcer), ci?.bpcer, pct)}</td>`,
      `<td>${withCi(pct(o.acer), ci?.acer, pct)}</td>`,
      `<td>${pct(o.hter)}</td>`,
      `<td>${pct(o.accuracy)}</td>`,
      `<td>${withCi(pct(o.eer), ci?.eer, pct)}</td>`,
      `<td>${num(o.eerThreshold)}</td>`,
      `<td>${withCi(num(o.auc), ci?.auc, (v) => num(v))}</td>`,
      `<td>${pct(o.bpcer100)}</td>`,
      `<td>${pct(o.bpcer20)}</td>`,
      `<td>${m.failures.length}</td>`,
    ];
    return `<tr>${cells.join('')}</tr>`;
  });
  const ciNote = models.some((m) => m.ci)
    ? `<p class="meta">Brackets: ${escapeHtml(ciLabel(models.find((m) => m.ci)!.ci!))}.</p>`
    : '';
  return `<table class="summary"><thead><tr>${head.map((h, i) => `<th${i < 2 ? ' class="name"' : ''}>${h}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>${ciNote}`;
}

function ciLabel(ci: BootstrapCi): string {
  const by = ci.cluster ? `resampling whole ${ci.cluster}s` : 'resampling samples';
  return `${Math.round(ci.level * 100)}% percentile bootstrap interval, ${ci.iterations} resamples ${by}, seed ${ci.seed}`;
}

function groupTable(groups: Record<string, PadMetrics>, keyTitle: string): string {
  const names = Object.keys(groups);
  if (names.length === 0) return '<p class="meta">No groups.</p>';
  const head = [
    keyTitle,
    'N',
    'Live',
    'Spoof',
    'APCER worst',
    'APCER pooled',
    'BPCER',
    'ACER',
    'EER',
    'AUC',
    'BPCER100',
  ];
  const body = names.map((name) => {
    const g = groups[name]!;
    const cells = [
      `<td class="name">${escapeHtml(name)}</td>`,
      `<td>${g.n}</td>`,
      `<td>${g.nLive}</td>`,
      `<td>${g.nSpoof}</td>`,
      `<td>${pct(g.apcerWorst)}</td>`,
      `<td>${pct(g.apcer)}</td>`,
      `<td>${pct(g.bpcer)}</td>`,
      `<td>${pct(g.acer)}</td>`,
      `<td>${pct(g.eer)}</td>`,
      `<td>${num(g.auc)}</td>`,
      `<td>${pct(g.bpcer100)}</td>`,
    ];
    return `<tr>${cells.join('')}</tr>`;
  });
  return `<table><thead><tr>${head.map((h, i) => `<th${i === 0 ? ' class="name"' : ''}>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${body.join('')}</tbody></table>`;
}

function worstErrorsBlock(errors: ReportModel['worstErrors']): string {
  if (!errors || errors.length === 0) return '';
  const figures = errors.map((e) => {
    const uri = e.thumbnailDataUri?.trim();
    const img = uri && DATA_URI.test(uri) ? `<img src="${escapeHtml(uri)}" alt="${escapeHtml(e.path)}">` : '';
    return `<figure>${img}<figcaption><b>${escapeHtml(e.label)}</b> score ${num(e.score)}<br>${escapeHtml(e.path)}</figcaption></figure>`;
  });
  return `<h3>Worst errors</h3><div class="errors">${figures.join('')}</div>`;
}

function failuresBlock(failures: ReportModel['failures']): string {
  if (failures.length === 0) return '';
  const shown = failures.slice(0, MAX_FAILURES_SHOWN);
  const rows = shown.map(
    (f) => `<tr><td class="name">${escapeHtml(f.path)}</td><td class="name">${escapeHtml(f.error)}</td></tr>`,
  );
  const more =
    failures.length > shown.length ? `<p class="meta">… and ${failures.length - shown.length} more.</p>` : '';
  return `<h3>Failures (${failures.length})</h3><table><thead><tr><th class="name">Path</th><th class="name">Error</th></tr></thead><tbody>${rows.join('')}</tbody></table>${more}`;
}

function modelSection(m: ReportModel, i: number): string {
  return [
    `<section><h2><span class="swatch" style="background:${colorOf(i)}"></span>${escapeHtml(m.name)}</h2>`,
    `<p class="meta">${escapeHtml(m.file)} · threshold ${num(m.threshold)} · ${m.overall.n} samples scored</p>`,
    `<h3>By attack (each attack's samples with all bona fide samples)</h3>${groupTable(m.byAttack, 'Attack')}`,
    `<h3>By source</h3>${groupTable(m.bySource, 'Source')}`,
    `<h3>Score distribution</h3>${histogramSvg(m.rows, m.threshold)}`,
    worstErrorsBlock(m.worstErrors),
    failuresBlock(m.failures),
    '</section>',
  ].join('\n');
}

/**
 * One self-contained HTML page (inline CSS and SVG, no scripts, no external URLs) comparing PAD models:
 * summary with bootstrap CIs, per-attack and per-source tables, ROC and DET curves, score histograms, worst errors.
 */
export function renderReport(input: ReportInput): string {
  const series = input.models.map((m) => ({
    name: m.name,
    rows: m.rows,
    apcer: m.overall.apcer,
    bpcer: m.overall.bpcer,
  }));
  const plots =
    input.models.length > 0
      ? `<h2>Error trade-off</h2><div class="plots">${rocSvg(series)}${detSvg(series)}</div>` +
        '<p class="meta">Dots: each model at its threshold (pooled APCER).</p>'
      : '';
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${escapeHtml(input.title)}</title>`,
    `<style>${STYLE}</style></head><body>`,
    `<h1>${escapeHtml(input.title)}</h1>`,
    `<p class="meta">Generated ${escapeHtml(input.generatedAt)}. A sample is accepted as bona fide when score ≥ threshold. ` +
      'Metrics per ISO/IEC 30107-3: APCER worst = highest APCER over attack types (used for ACER); ' +
      'APCER pooled = over all attacks (used for HTER and EER); BPCER100/BPCER20 = lowest BPCER with pooled APCER ≤ 1% / 5%.</p>',
    `<h2>Summary</h2>${summaryTable(input.models)}`,
    plots,
    ...input.models.map(modelSection),
    '</body></html>',
    '',
  ].join('\n');
}
