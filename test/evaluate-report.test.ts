import { describe, expect, it } from 'vitest';
import {
  bootstrapCi,
  computeMetrics,
  metricsByGroup,
  mulberry32,
  renderReport,
  type ReportModel,
  type ScoredSample,
} from '../src/evaluate/index.js';

const VOID = new Set(['br', 'img', 'meta', 'hr', 'input', 'link']);

/**
 * Minimal well-formedness check: every non-void element closes in order (self-closing SVG tags allowed), and no
 * raw '<' appears outside a tag.
 */
function checkWellFormed(html: string): string[] {
  const problems: string[] = [];
  const stack: string[] = [];
  const body = html.replace(/^<!DOCTYPE html>/, '').replace(/<style>[\s\S]*?<\/style>/g, '');
  const tag = /<(\/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^\s<>"'=/]+(?:="[^"<>]*")?)*)\s*(\/?)>/y;
  for (let i = 0; i < body.length;) {
    const lt = body.indexOf('<', i);
    if (lt < 0) break;
    tag.lastIndex = lt;
    const m = tag.exec(body);
    if (!m) {
      problems.push(`stray '<' at ${lt}: ${body.slice(lt, lt + 40)}`);
      i = lt + 1;
      continue;
    }
    const [, closing, rawName, , selfClosing] = m;
    const name = rawName!.toLowerCase();
    if (closing) {
      const open = stack.pop();
      if (open !== name) problems.push(`</${name}> closes <${open}>`);
    } else if (!selfClosing && !VOID.has(name)) stack.push(name);
    i = tag.lastIndex;
  }
  if (stack.length) problems.push(`unclosed: ${stack.join(' ')}`);
  return problems;
}

function model(name: string, seed: number, separation: number): ReportModel {
  const random = mulberry32(seed);
  const rows: Array<ScoredSample & { path?: string }> = Array.from({ length: 200 }, (_, i) => {
    const isLive = i % 2 === 0;
    const score = Math.min(1, Math.max(0, (isLive ? 0.5 + separation : 0.5 - separation) + (random() - 0.5) * 0.6));
    return isLive
      ? { score, label: 'live', attack: 'none', source: i % 4 === 0 ? 'camA' : 'camB', path: `live/${i}.jpg` }
      : {
          score,
          label: 'spoof',
          attack: i % 3 === 0 ? 'print' : 'replay',
          source: i % 4 === 1 ? 'camA' : 'camB',
          path: `spoof/${i}.jpg`,
        };
  });
  rows.push({
    score: 0.99,
    label: 'spoof',
    attack: 'print',
    source: 'camA',
    path: 'evil/<script>alert(1)</script>.jpg',
  });
  const threshold = 0.5;
  return {
    name,
    file: `models/${name}.onnx`,
    threshold,
    overall: computeMetrics(rows, threshold),
    ci: bootstrapCi(rows, threshold, { iterations: 50, seed: 1 }),
    bySource: metricsByGroup(rows, threshold, 'source'),
    byAttack: metricsByGroup(rows, threshold, 'attack'),
    failures: [{ path: 'broken/<b>x</b>.png', error: 'DECODE_FAILED: "bad" & worse' }],
    rows,
    worstErrors: [
      {
        path: 'evil/<script>alert(1)</script>.jpg',
        label: 'spoof',
        score: 0.99,
        thumbnailDataUri: 'data:image/png;base64,iVBORw0KGgo=',
      },
      { path: 'remote.jpg', label: 'live', score: 0.01, thumbnailDataUri: 'https://example.com/x.png' },
    ],
  };
}

describe('renderReport', () => {
  const html = renderReport({
    title: 'PAD report <v1>',
    generatedAt: '2025-01-01T00:00:00Z',
    models: [model('baseline', 1, 0.15), model('candidate', 2, 0.25)],
  });

  it('is one well-formed HTML page', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    expect(checkWellFormed(html)).toEqual([]);
    expect(html).toContain('<title>PAD report &#60;v1&#62;</title>');
  });

  it('contains summary, per-source and per-attack tables, and the plots', () => {
    expect(html).toContain('class="summary"');
    expect(html).toContain('By source');
    expect(html).toContain('By attack');
    for (const name of ['baseline', 'candidate', 'camA', 'camB', 'print', 'replay']) expect(html).toContain(name);
    expect(html).toContain('<svg');
    expect(html.match(/<svg/g)!.length).toBe(4); // ROC, DET, one histogram per model
    expect(html).toContain('aria-label="ROC curve"');
    expect(html).toContain('aria-label="DET curve"');
    expect(html).toMatch(/\d+\.\d\d%/);
    expect(html).toContain('class="ci"');
  });

  it('escapes text and keeps only inline data-URI images', () => {
    expect(html).not.toContain('<script');
    expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
    expect(html).not.toContain('<b>x</b>');
    expect(html).toContain('&#34;bad&#34; &#38; worse');
    expect(html).toContain('src="data:image/png;base64,iVBORw0KGgo="');
    expect(html.match(/<img /g)!.length).toBe(2); // the https thumbnail is dropped in both models
  });

  it('is self-contained: no http(s) URLs, no scripts', () => {
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<script|<link|@import/);
  });

  it('renders null metrics as a dash and survives empty input', () => {
    const onlyLive: ScoredSample[] = [{ score: 0.7, label: 'live' }];
    const page = renderReport({
      title: 't',
      generatedAt: 'now',
      models: [
        {
          name: 'm',
          file: 'm.onnx',
          threshold: 0.5,
          overall: computeMetrics(onlyLive, 0.5),
          bySource: {},
          byAttack: {},
          failures: [],
          rows: onlyLive,
        },
      ],
    });
    expect(page).toContain('—');
    expect(page).not.toContain('NaN');
    expect(checkWellFormed(page)).toEqual([]);
    expect(checkWellFormed(renderReport({ title: 'empty', generatedAt: 'now', models: [] }))).toEqual([]);
  });
});
