// The side-by-side bench at smoke scale: every figure is produced for both servers by one run,
// from a run that counts (no watch closed, every event delivered), and no open watch missed an
// event. It checks the harness, not the speed (the machine that runs it is shared): the full run
// is `npm run bench -- side-by-side`.
import { describe, expect, it } from 'vitest';
import { invalidRun, runSideBySide, SERVERS, SMOKE, sideBySideTable, type Figure, type SideBySideResult } from './side-by-side.js';

describe('side-by-side bench against kube-apiserver v1.36 (smoke scale)', () => {
  it('measures every figure on both servers, with nothing lost on an open watch', async () => {
    // Two watch-client processes, so the smoke also proves the watchers' results are merged.
    const r = await runSideBySide({ ...SMOKE, clients: 2, log: () => undefined });
    const ids = r.figures.map((f) => f.id);
    const loads = SMOKE.fanout.map((_, i) => [`fanout-${i}-p50`, `fanout-${i}-p99`, `fanout-${i}-cpu`, `fanout-${i}-rss`]).flat();
    expect(ids).toEqual([...loads, 'list-rv0-p50', 'list-rv0-p95', 'list-consistent-p50', 'list-consistent-p95', 'initial', 'ingest-cpu']);
    for (const f of r.figures) {
      // At smoke scale neither server has a reason to close a watch: a run left out is a figure missing.
      expect(f.discarded, f.name).toEqual([]);
      for (const s of SERVERS) {
        expect(f.samples[s], `${f.name} on ${s}`).toHaveLength(SMOKE.runs);
        for (const x of f.samples[s]) {
          expect(Number.isFinite(x) && x > 0, `${f.name} on ${s}: ${x}`).toBe(true);
        }
        // Every figure read through a client reports that client's CPU.
        if (f.id !== 'ingest-cpu') {
          expect(f.clientCpu[s], `${f.name} on ${s}: client CPU`).toHaveLength(SMOKE.runs);
          for (const x of f.clientCpu[s]) expect(Number.isFinite(x) && x > 0, `${f.name} on ${s}: client CPU ${x}`).toBe(true);
        }
      }
    }
    expect(r.loadAverages).toHaveLength(SMOKE.runs);
    expect(r.undelivered).toEqual({ 'kube-apiserver': 0, watchscope: 0 });
    expect(r.closedByServer).toEqual({ 'kube-apiserver': 0, watchscope: 0 });
    expect(r.shortOnOpenWatch).toEqual({ 'kube-apiserver': 0, watchscope: 0 });
    // Every row of the table shows a number for both servers and a ratio.
    for (const row of sideBySideTable(r).slice(1)) {
      expect(row[1], row[0]).toBe(`${SMOKE.runs} of ${SMOKE.runs}`);
      expect(row.slice(2).join(' '), row[0]).not.toMatch(/no valid run|—|NaN/);
    }
  }, 600_000);
});

describe('side-by-side table', () => {
  const figure = (id: string, counted: number[][], discarded: string[]): Figure => ({
    id,
    name: id,
    unit: 'ms',
    samples: { 'kube-apiserver': counted.map((r) => r[0]!), watchscope: counted.map((r) => r[1]!) },
    clientCpu: { 'kube-apiserver': counted.map(() => 40), watchscope: counted.map(() => 60) },
    measured: { 'kube-apiserver': [...counted.map((r) => r[0]!), ...discarded.map(() => 1)], watchscope: [...counted.map((r) => r[1]!), ...discarded.map(() => 1)] },
    discarded,
  });
  const result = (figures: Figure[]): SideBySideResult => ({ figures, undelivered: { 'kube-apiserver': 0, watchscope: 0 }, closedByServer: { 'kube-apiserver': 0, watchscope: 0 }, shortOnOpenWatch: { 'kube-apiserver': 0, watchscope: 0 }, loadAverages: [3, 3, 3], options: { ...SMOKE, runs: 3 } });

  it('shows no number for a figure whose runs were all left out, and counts the runs kept', () => {
    const rows = sideBySideTable(result([figure('none', [], ['run 1: kube-apiserver closed 99 watches', 'run 2: x', 'run 3: y']), figure('two', [[10, 5], [20, 30]], ['run 2: watchscope closed 1 watches'])]));
    expect(rows[1]).toEqual(['none', '0 of 3', 'no valid run', 'no valid run', '—']);
    expect(rows[2]).toEqual(['two', '2 of 3', '15 ms [10..20] (client 40%)', '17.5 ms [5..30] (client 60%)', '1 [0.5..1.5]']);
  });

  it('leaves a run out when a server closed watches, lost events or left a watch short', () => {
    expect(invalidRun({ undelivered: 0, closedByServer: 0, shortOnOpenWatch: 0 })).toBeUndefined();
    expect(invalidRun({ undelivered: 1200, closedByServer: 3, shortOnOpenWatch: 0 })).toBe('closed 3 watches, 1,200 events not delivered');
    expect(invalidRun({ undelivered: 0, closedByServer: 0, shortOnOpenWatch: 2 })).toBe('2 open watches short of events');
  });
});
