// The yardstick's Markdown report (bench/yardstick.ts): one labelled section per part (per-source EER/AUC with every
// model, the mean per source, candidates against the shipped model, decisions at each card threshold), then the web
// photos' BPCER and the box-scale sensitivity.
import {
  type Comparison,
  type HeldOutPart,
  lowestEer,
  type PerSourceMeans,
  PRESET_RULE,
  presetPasses,
  SHIP_RULE,
  sourceDescription,
  type SourceMetrics,
  type YardstickModel,
  type YardstickSplitFile,
} from '../src/evaluate/index.js';

export type Role = 'shipped' | 'candidate' | 'reference';

export interface PartReport {
  part: HeldOutPart;
  images: number;
  sources: SourceMetrics[];
  means: PerSourceMeans[];
  /** Each candidate against the shipped model. */
  comparisons: Comparison[];
  /** The shipped model and each candidate against the upstream (information: the goal, not the gate). */
  versusUpstream: Comparison[];
}

export interface BoxScaleEntry {
  model: string;
  scales: Array<{ factor: number; n: number; median: number | null; p95: number | null }>;
}

export interface YardstickReportInput {
  title: string;
  split: YardstickSplitFile;
  models: YardstickModel[];
  /** Column label per model. */
  names: string[];
  roles: Role[];
  /** Per model: whether its card is an ensemble (the preset rule is printed for ensemble candidates). */
  ensembles: boolean[];
  parts: PartReport[];
  web: SourceMetrics[];
  boxScale: BoxScaleEntry[];
  failures: number;
  wallSeconds: number;
}

const PART_TITLE: Record<HeldOutPart, string> = {
  selection: 'Selection part (every choice is made here: epoch, views, threshold, recipe, seed, crop)',
  test: 'TEST part (frozen: each final candidate is scored here once; the ship rule is decided here)',
};

const pct = (value: number | null | undefined) =>
  value === null || value === undefined ? '—' : (value * 100).toFixed(2);
const auc = (value: number | null | undefined) => (value === null || value === undefined ? '—' : value.toFixed(4));
const row = (cells: readonly (string | number)[]) => `| ${cells.join(' | ')} |`;
const header = (cells: readonly string[]) => [row(cells), row(cells.map(() => '---'))];

function comparisonLine(c: Comparison, names: readonly string[], verdict: string): string {
  return (
    `- **${names[c.candidate]}** vs ${names[c.baseline]}: lower EER on ${c.wins}, ties ${c.ties}, higher ${c.losses} ` +
    `of ${c.sources} sources (needs >= ${c.winsNeeded}); mean EER ${pct(c.candidateMeanEer)}% vs ` +
    `${pct(c.baselineMeanEer)}%${verdict}`
  );
}

function partSection(input: YardstickReportInput, report: PartReport): string[] {
  const { names, models, split } = input;
  const winner = (result: SourceMetrics) => {
    const best = lowestEer(result);
    return best.length === 0 ? '—' : best.length > 1 ? 'tie' : names[best[0]!]!;
  };
  const comparable = report.sources.filter((r) => r.nLive > 0 && r.nSpoof > 0).length;
  const decisive = report.part === 'test';
  return [
    `## ${PART_TITLE[report.part]}`,
    '',
    `${report.images} images.`,
    '',
    ...header([
      'source',
      'live/spoof',
      'no face',
      'attack',
      ...names.flatMap((name) => [`${name} EER%`, `${name} AUC`]),
      'lowest EER',
    ]),
    ...report.sources.map((result) =>
      row([
        result.source,
        `${result.nLive}/${result.nSpoof}`,
        result.failures,
        sourceDescription(split, result.source) ?? '',
        ...result.models.flatMap((model) => [pct(model.eer), auc(model.auc)]),
        winner(result),
      ]),
    ),
    row([
      `**mean per-source (${report.part})**`,
      `${comparable} sources`,
      '',
      '',
      ...report.means.flatMap((mean) => [`**${pct(mean.eer)}**`, `**${auc(mean.auc)}**`]),
      '',
    ]),
    '',
    ...(report.comparisons.length > 0
      ? [
          decisive
            ? `Ship rule: ${SHIP_RULE}.`
            : 'Candidates against the shipped model on the selection part (an indication only: the ship rule is ' +
              'decided on the test part):',
          '',
          ...report.comparisons.map((c) =>
            comparisonLine(
              c,
              names,
              decisive ? ` -> **${c.pass ? 'REPLACES THE SHIPPED MODEL' : 'does not replace it'}**` : '',
            ),
          ),
          '',
        ]
      : []),
    ...(decisive && report.comparisons.some((c) => input.ensembles[c.candidate])
      ? [
          `Preset rule: ${PRESET_RULE}.`,
          '',
          ...report.comparisons
            .filter((c) => input.ensembles[c.candidate])
            .map(
              (c) =>
                `- **${names[c.candidate]}**: mean EER ${pct(c.candidateMeanEer)}% vs shipped ${pct(c.baselineMeanEer)}% ` +
                `-> **${presetPasses(c) ? 'ships as the accurate preset' : 'does not ship'}**`,
            ),
          '',
        ]
      : []),
    ...(report.versusUpstream.length > 0
      ? [
          'Against the upstream (the goal, not the gate):',
          '',
          ...report.versusUpstream.map((c) => comparisonLine(c, names, '')),
          '',
        ]
      : []),
    `### ${report.part}: decisions at each model card threshold (APCER: attacks accepted; BPCER: live rejected)`,
    '',
    ...header([
      'source',
      ...names.flatMap((name, m) => [
        `${name} APCER% @ ${models[m]!.threshold.toFixed(3)}`,
        `${name} BPCER% @ ${models[m]!.threshold.toFixed(3)}`,
      ]),
    ]),
    ...report.sources.map((result) =>
      row([result.source, ...result.models.flatMap((model) => [pct(model.apcer), pct(model.bpcer)])]),
    ),
    '',
  ];
}

export function renderYardstick(input: YardstickReportInput): string {
  const { names, models, roles } = input;
  const lines: string[] = [
    `# Yardstick: ${input.title}`,
    '',
    ...models.map((model, m) => `- ${roles[m]} **${names[m]}**: ${model.file}, threshold ${model.threshold}`),
    '',
    ...input.parts.flatMap((report) => partSection(input, report)),
    ...(input.web.length > 0
      ? [
          '## Held-out web photos (live only; held out with the selection part, never used to select): BPCER',
          '',
          ...header([
            'source',
            'live',
            'no face',
            ...names.map((name, m) => `${name} BPCER% @ ${models[m]!.threshold.toFixed(3)}`),
          ]),
          ...input.web.map((result) =>
            row([result.source, result.nLive, result.failures, ...result.models.map((model) => pct(model.bpcer))]),
          ),
          '',
        ]
      : []),
    `## Box-scale sensitivity: |P(live) at scaled box - P(live) at detector box|, ` +
      `${input.parts.map((p) => p.part).join(' + ')} images`,
    '',
    ...header(['model', 'box scale', 'n', 'median', 'p95']),
    ...input.boxScale.flatMap((entry, m) =>
      entry.scales.map((s) => row([names[m]!, `${s.factor}x`, s.n, auc(s.median), auc(s.p95)])),
    ),
    '',
    `${input.failures} images without a scored face (listed in --json); wall time ${input.wallSeconds.toFixed(0)} s`,
  ];
  return lines.join('\n') + '\n';
}
