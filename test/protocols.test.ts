import { describe, expect, it } from 'vitest';
import { parseManifest } from '../src/data/manifest.js';
import { celebaSpoofReport, protocolEntries } from '../src/evaluate/protocols.js';
import type { ScoredSample } from '../src/evaluate/types.js';

describe('celeba-spoof-intra protocol', () => {
  it('keeps the official test split and refuses a manifest without one', () => {
    const withSplit = parseManifest(
      'path,label,split\na.jpg,live,train\nb.jpg,spoof,test\nc.jpg,live,test\n',
      'with-split.csv',
    );
    expect(protocolEntries('celeba-spoof-intra', withSplit, 'with-split.csv').map((e) => e.path)).toEqual([
      'b.jpg',
      'c.jpg',
    ]);
    const without = parseManifest('path,label\na.jpg,live\n', 'no-split.csv');
    expect(() => protocolEntries('celeba-spoof-intra', without, 'no-split.csv')).toThrow(/no "split" column/);
  });

  it('reports TPR at FPR 1%, 0.5%, 0.1% with spoof as the positive class', () => {
    // 100 live scores 0.50 ... 0.99; spoofs 0.2, 0.3, 0.505, 0.6.
    const live: ScoredSample[] = Array.from({ length: 100 }, (_, i) => ({ score: 0.5 + i / 100, label: 'live' }));
    const spoof: ScoredSample[] = [0.2, 0.3, 0.505, 0.6].map((score) => ({ score, label: 'spoof', attack: 'print' }));
    // FPR 1%: at most 1 live rejected -> threshold 0.51 (0.50 rejected) -> only 0.6 accepted -> TPR 3/4.
    // FPR 0.5% and 0.1%: no live rejected -> threshold 0.50 -> 0.505 and 0.6 accepted -> TPR 2/4.
    expect(celebaSpoofReport([...live, ...spoof])).toEqual({ tprAtFpr1: 0.75, tprAtFpr05: 0.5, tprAtFpr01: 0.5 });
    expect(celebaSpoofReport(live)).toEqual({ tprAtFpr1: null, tprAtFpr05: null, tprAtFpr01: null });
  });
});
