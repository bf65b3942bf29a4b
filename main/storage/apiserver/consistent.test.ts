// Routing paths that need a particular setup: consistent reads from the cache (the router told
// etcd supports RequestWatchProgress), their 3s fallback to etcd when the cache lags, watch-list
// streams, a 1.27 RV="" watch served by etcd, and a slow client whose cacheWatcher fills up.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import type { IncomingMessage, ClientRequest } from 'node:http';
import { readWatchLines, startTestApiServer, type TestApiServer } from './testing.js';

let h: TestApiServer;

beforeAll(async () => {
  // A fixed 100-event history window so the slow-client writes push old revisions out of it.
  h = await startTestApiServer({ etcdSupportsRequestWatchProgress: true, cacherConfig: { lowerBoundCapacity: 100, upperBoundCapacity: 100 } });
  await h.request('POST', '/api/v1/namespaces', { body: { metadata: { name: 'default' } } });
  for (let i = 0; i < 3; i++) await h.request('POST', '/api/v1/namespaces/default/configmaps', { body: { metadata: { name: `c${i}` } } });
});
afterAll(async () => {
  await h?.close();
});

function openWatch(path: string): Promise<{ req: ClientRequest; res: IncomingMessage }> {
  const opts: RequestOptions = { headers: { Authorization: `Bearer ${h.server.token}` }, ca: h.server.caPem };
  return new Promise((resolve, reject) => {
    const req = httpsRequest(new URL(path, h.server.url), opts, (res) => resolve({ req, res }));
    req.on('error', reject);
    req.end();
  });
}


describe('consistent reads from the cache (KEP-2340)', () => {
  it('serves RV="" from the cache after etcd\'s revision, and falls back to etcd after 3s of lag', async () => {
    const before = h.decisions.lastId;
    const a = await h.request('GET', '/api/v1/namespaces/default/configmaps');
    expect(a.json.items).toHaveLength(3);
    expect(h.decisionsSince(before)[0]).toMatchObject({ servedBy: 'cache', reason: 'consistentReadFromCache', status: 200 });
    expect(h.decisionsSince(before)[0]!.detail).toMatch(/etcd was at revision \d+/);

    h.holdable.hold();
    try {
      await h.request('POST', '/api/v1/namespaces/default/configmaps', { body: { metadata: { name: 'late' } } });
      const t0 = Date.now();
      const b = await h.request('GET', '/api/v1/namespaces/default/configmaps');
      expect(Date.now() - t0).toBeGreaterThanOrEqual(2900);
      expect(b.status).toBe(200);
      expect(b.json.items.map((o: any) => o.metadata.name)).toContain('late');
      const d = h.decisionsSince(before).at(-1)!;
      expect(d).toMatchObject({ servedBy: 'etcd', reason: 'consistentReadFromCache' });
      expect(d.detail).toContain('fell back to etcd');
    } finally {
      h.holdable.release();
    }
  });

  it('master with ConsistentListFromCacheSkipTimeoutFallback: the lagging consistent read is a 429 carrying the 504\'s text, not a fallback', async () => {
    const { profile1_37, withGates } = await import('../routing/profiles.js');
    const prev = h.profile();
    h.setProfile(withGates(profile1_37, { ConsistentListFromCacheSkipTimeoutFallback: true }));
    h.holdable.hold();
    try {
      await h.request('POST', '/api/v1/namespaces/default/configmaps', { body: { metadata: { name: 'later' } } });
      const r = await h.request('GET', '/api/v1/namespaces/default/configmaps');
      expect(r.status).toBe(429);
      expect(r.json).toMatchObject({ reason: 'TooManyRequests', code: 429, details: { retryAfterSeconds: 1 } });
      expect(r.json.message).toMatch(/^Timeout: Too large resource version: \d+, current: \d+$/);
      expect(r.headers['retry-after']).toBe('1');
    } finally {
      h.holdable.release();
      h.setProfile(prev);
      // Leave the collection as the later tests expect it.
      await h.request('DELETE', '/api/v1/namespaces/default/configmaps/later');
      await h.request('GET', `/api/v1/namespaces/default/configmaps?resourceVersion=${await h.store('configmaps').currentRevision()}`);
    }
  });

  it('streams a watch-list: initial ADDED events, the initial-events-end bookmark, then live events', async () => {
    const { req, res } = await openWatch('/api/v1/namespaces/default/configmaps?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true');
    const p = readWatchLines(res, 6);
    // The end bookmark goes out on the next bookmark tick (≈1s) once the cache RV reached the
    // requested one; write the live event after it.
    await new Promise((r) => setTimeout(r, 1600));
    await h.request('POST', '/api/v1/namespaces/default/configmaps', { body: { metadata: { name: 'live' } } });
    const lines = await p;
    req.destroy();
    expect(lines.map((l) => `${l.type}:${l.object.metadata.name ?? ''}`)).toEqual(['ADDED:c0', 'ADDED:c1', 'ADDED:c2', 'ADDED:late', 'BOOKMARK:', 'ADDED:live']);
    expect(lines[4].object.metadata.annotations).toEqual({ 'k8s.io/initial-events-end': 'true' });
    const d = h.decisions.since(0).filter((x) => x.verb === 'watch').at(-1)!;
    expect(d).toMatchObject({ servedBy: 'cache', reason: 'consistentReadFromCache' });
  });
});

describe('profiles', () => {
  it('1.27 serves a RV="" watch from etcd (watchFromStorage), visible as a storage watcher', async () => {
    h.setProfile('1.27');
    try {
      const { req, res } = await openWatch('/api/v1/namespaces/default/configmaps?watch=1');
      const p = readWatchLines(res, 5);
      await new Promise((r) => setTimeout(r, 200));
      expect(h.server.storageWatchers.liveWatchers().map((w) => w.resource)).toContain('configmaps');
      const lines = await p;
      req.destroy();
      // etcd3 watcher with RV 0 lists the current state first.
      expect(lines.map((l) => l.type)).toEqual(['ADDED', 'ADDED', 'ADDED', 'ADDED', 'ADDED']);
      const d = h.decisions.since(0).filter((x) => x.verb === 'watch').at(-1)!;
      expect(d).toMatchObject({ servedBy: 'etcd', reason: 'watchFromStorage', profile: '1.27' });
    } finally {
      h.setProfile('1.34');
    }
  });
});

describe('slow clients', () => {
  it('a client that stops reading fills its cacheWatcher, which the cacher then closes (bufferFull)', async () => {
    const cacher = h.backend.cachers.get('configmaps')!;
    await Promise.all(Array.from({ length: 40 }, (_, i) => h.request('POST', '/api/v1/namespaces/default/configmaps', { body: { metadata: { name: `big${i}` } } })));
    const rv = (await h.request('GET', '/api/v1/namespaces/default/configmaps?resourceVersion=0')).json.metadata.resourceVersion;
    const { req, res } = await openWatch(`/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${rv}`);
    res.pause(); // never read: the socket fills, the endpoint stops pulling from the watcher
    const big = 'x'.repeat(64 * 1024);
    try {
      for (let round = 0; round < 8; round++) {
        await Promise.all(Array.from({ length: 40 }, (_, i) => h.request('PUT', `/api/v1/namespaces/default/configmaps/big${i}`, { body: { metadata: { name: `big${i}` }, data: { v: `${round}${big}` } } })));
        if (cacher.closedWatchers().some((w) => w.closeReason === 'bufferFull')) break;
      }
      for (let i = 0; i < 50 && !cacher.closedWatchers().some((w) => w.closeReason === 'bufferFull'); i++) await new Promise((r) => setTimeout(r, 100));
      const closed = cacher.closedWatchers().find((w) => w.closeReason === 'bufferFull');
      expect(closed).toBeDefined();
      expect(closed!.resultLen + closed!.inputLen).toBeGreaterThan(0);
    } finally {
      req.destroy();
    }
  });
});

describe('watch from a revision older than the window', () => {
  it('answers 200 then one ERROR event 410 Expired "too old resource version" from the cache', async () => {
    const info = h.backend.cachers.get('configmaps')!.info();
    expect(info.oldestResourceVersion).toBeGreaterThan(3);
    const { req, res } = await openWatch('/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=2');
    const lines = await readWatchLines(res, 1);
    req.destroy();
    expect(res.statusCode).toBe(200);
    expect(lines[0]).toMatchObject({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired', message: expect.stringMatching(/^too old resource version: 2 \(\d+\)$/) } });
    expect(h.decisions.since(0).at(-1)).toMatchObject({ verb: 'watch', servedBy: 'cache', status: 200 });
  });
});
