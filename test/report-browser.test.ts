import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'csv-parse/sync';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { bootstrapCi, computeMetrics, metricsByGroup, renderReport, type ScoredSample } from '../src/evaluate/index.js';

const CHROMIUM = '/usr/bin/chromium';
const FIXTURE = join(import.meta.dirname, 'fixtures', 'scores.csv');

function fixtureRows(): Array<ScoredSample & { path: string }> {
  const records = parse(readFileSync(FIXTURE, 'utf8'), { columns: true }) as Record<string, string>[];
  return records.map((r, i) => ({
    path: `sample-${i}.jpg`,
    score: Number(r.score),
    label: r.label as 'live' | 'spoof',
    attack: r.attack,
    source: r.source,
    subject: r.subject,
  }));
}

describe.skipIf(!existsSync(CHROMIUM))(`HTML report in a real browser (${CHROMIUM})`, () => {
  it('renders the tables and the ROC/DET/histogram plots, loading nothing from the network', async () => {
    const rows = fixtureRows();
    const threshold = 0.5;
    const html = renderReport({
      title: 'fixture report',
      generatedAt: new Date().toISOString(),
      models: [
        {
          name: 'fixture model',
          file: 'fixture.onnx',
          threshold,
          overall: computeMetrics(rows, threshold),
          ci: bootstrapCi(rows, threshold, { iterations: 100, seed: 1, cluster: 'subject' }),
          bySource: metricsByGroup(rows, threshold, 'source'),
          byAttack: metricsByGroup(rows, threshold, 'attack'),
          failures: [{ path: 'broken.jpg', error: 'no face detected' }],
          rows,
        },
      ],
    });
    const dir = mkdtempSync(join(tmpdir(), 'antispoof-report-'));
    const file = join(dir, 'report.html');
    writeFileSync(file, html);
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      const requests: string[] = [];
      page.on('request', (request) => requests.push(request.url()));
      await page.goto(pathToFileURL(file).href);
      const svgSizes = await page.$$eval('svg', (svgs) =>
        svgs.map((svg) => {
          const box = svg.getBoundingClientRect();
          return box.width * box.height;
        }),
      );
      expect(svgSizes.length).toBeGreaterThanOrEqual(3); // ROC, DET, histogram
      expect(Math.min(...svgSizes)).toBeGreaterThan(10_000);
      expect(await page.locator('table').count()).toBeGreaterThanOrEqual(3);
      expect(await page.textContent('body')).toContain('broken.jpg');
      expect(requests.filter((url) => !url.startsWith('file:') && !url.startsWith('data:'))).toEqual([]);
      mkdirSync('test-output', { recursive: true });
      await page.screenshot({ path: join('test-output', 'report.png'), fullPage: true });
    } finally {
      await browser.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
