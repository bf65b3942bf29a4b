// The side-by-side bench at smoke scale: every figure is produced for both servers by one run,
// and no open watch missed an event. It checks the harness, not the speed (the machine that runs it
// is shared): the full run is `npm run bench -- side-by-side`.
import { describe, expect, it } from 'vitest';
import { runSideBySide, SERVERS, SMOKE } from './side-by-side.js';

describe('side-by-side bench against kube-apiserver v1.36 (smoke scale)', () => {
  it('measures every figure on both servers, with nothing lost on an open watch', async () => {
    const r = await runSideBySide({ ...SMOKE, log: () => undefined });
    const ids = r.figures.map((f) => f.id);
    const loads = SMOKE.fanout.map((_, i) => [`fanout-${i}-p50`, `fanout-${i}-p99`, `fanout-${i}-cpu`, `fanout-${i}-rss`]).flat();
    expect(ids).toEqual([...loads, 'list-rv0-p50', 'list-rv0-p95', 'list-consistent-p50', 'list-consistent-p95', 'initial', 'ingest-cpu']);
    for (const f of r.figures) {
      for (const s of SERVERS) {
        expect(f.samples[s], `${f.name} on ${s}`).toHaveLength(SMOKE.runs);
        for (const x of f.samples[s]) {
          expect(Number.isFinite(x) && x > 0, `${f.name} on ${s}: ${x}`).toBe(true);
        }
      }
    }
    // A server may close a watcher it finds too slow (upstream does, and says so by ending the
    // stream); an event missing on a watch that stays open would be lost.
    expect(r.shortOnOpenWatch).toEqual({ 'kube-apiserver': 0, watchscope: 0 });
    for (const s of SERVERS) if (r.undelivered[s] > 0) expect(r.closedByServer[s], `${s} lost events without closing a watch`).toBeGreaterThan(0);
  }, 600_000);
});
