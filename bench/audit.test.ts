// The audit bench at smoke scale: a generated log read by watchscope's reader and by jq in one
// run, every count equal to what the generator wrote and, on the whole file, to the JSON.parse
// reference under every profile. It checks the harness and the reader's correctness, not the speed
// (the machine that runs it is shared): the full run is `npm run bench -- audit`.
import { describe, expect, it } from 'vitest';
import { auditRows, runAudit, SMOKE } from './audit.js';

describe('audit log bench (smoke scale)', () => {
  it('measures watchscope and jq on the same log, with every count equal to the reference', async () => {
    const r = await runAudit({ ...SMOKE, log: () => undefined });
    expect(r.mismatches).toEqual([]);
    expect(r.generated.bytes).toBeGreaterThanOrEqual(SMOKE.bytes);
    // The log has what the reader must cope with: several stages per request, reordered fields.
    expect(r.generated.lines).toBeGreaterThan(2 * r.generated.requests);
    expect(r.generated.reordered).toBeGreaterThan(0);
    expect(r.tally.routed).toBe(r.generated.routable);
    expect(r.sample.bytes).toBeGreaterThan(r.generated.bytes * 0.99);
    expect(r.sample.fast.byProfile).toEqual(r.sample.reference.byProfile);
    expect(Object.keys(r.sample.reference.byProfile).length).toBeGreaterThan(5);
    const split = r.tally.byProfile[r.tally.profile]!;
    expect(split.cache).toBeGreaterThan(0);
    expect(split.etcd).toBeGreaterThan(0);
    for (const m of [...r.watchscope, ...r.jq]) {
      for (const x of [m.ms, m.cpuMs, m.maxRssMB]) expect(Number.isFinite(x) && x > 0, JSON.stringify(m)).toBe(true);
    }
    expect(r.jq[0]!.count).toBe(r.generated.responseComplete);
    const row = auditRows(r)[0]!;
    expect(row.details['watchscope events/s']).toMatch(/^[\d,.]+ \[/);
  }, 120_000);
});
