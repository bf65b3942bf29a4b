// Blocking on an unready cache (≤1.30, or ResilientWatchCacheInitialization off) lasts as long
// as the request's context: for a watch, its whole timeout — not a fixed minute.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApiServer, type TestApiServer } from '../testing.js';

let h: TestApiServer;
beforeAll(async () => {
  h = await startTestApiServer({ profile: '1.28' });
});
afterAll(async () => {
  await h?.close();
});

describe('a watch waiting for an unready cache (1.28: block)', () => {
  it('gives up with 503 when its own timeout ends', async () => {
    const cacher = h.backend.cachers.get('configmaps')!;
    // As a relist does (ready.set(false)): the cache is Pending until the next successful list.
    cacher.ready.set(false);
    try {
      const t0 = Date.now();
      const r = await h.request('GET', '/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=0&timeoutSeconds=2');
      const took = Date.now() - t0;
      expect(r.status).toBe(503);
      expect(took).toBeGreaterThanOrEqual(1900);
      expect(took).toBeLessThan(15_000);
      const d = h.decisionsSince(0).filter((x) => x.verb === 'watch').at(-1)!;
      expect(d).toMatchObject({ reason: 'cacheNotReady', status: 503 });
    } finally {
      cacher.ready.set(true);
    }
  }, 60_000);
});
