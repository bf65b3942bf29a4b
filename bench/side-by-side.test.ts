// The side-by-side bench at smoke scale: every figure is produced for both servers by one run,
// from a run that counts (no watch closed, every event delivered), and no open watch missed an
// event. It checks the harness, not the speed (the machine that runs it is shared): the full run
// is `npm run bench -- side-by-side`.
import { describe, expect, it } from 'vitest';
import { runSideBySide, SERVERS, SMOKE, sideBySideTable } from './side-by-side.js';

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
