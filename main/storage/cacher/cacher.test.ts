// Pure-logic tests of the Cacher over an in-memory Source and a fake clock. The same behaviours
// are proven against real etcd in cacher.etcd.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import { Cacher } from './cacher.js';
import { FakeClock } from './clock.js';
import { FakeSource } from './fake_source.js';
import { parseLabelSelector } from '../selectors/label_selector.js';
import { parseFieldSelector } from '../selectors/field_selector.js';
import type { CacheWatchOptions, CacheWatcherHandle, WatchEvent } from './types.js';
import { StatusError } from '../errors.js';
import type { KubeObject } from '../object.js';

const flush = () => new Promise<void>((r) => setImmediate(r));
const pod = (ns: string, name: string, labels: Record<string, string> = {}, nodeName = ''): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns, labels },
  spec: { nodeName },
});
const key = (ns: string, name: string) => `/registry/pods/${ns}/${name}`;

let cachers: Cacher[] = [];
afterEach(async () => {
  for (const c of cachers) await c.stop();
  cachers = [];
});

async function setup(opts: { window?: number; storeCompactRevision?: () => number } = {}) {
  const clock = new FakeClock();
  const src = new FakeSource();
  const c = new Cacher({ group: '', resource: 'pods', kind: 'Pod', apiVersion: 'v1', collectionKey: '/registry/pods/', namespaced: true, indexTrigger: 'spec.nodeName', source: src, clock, revisionPollMs: 0, random: () => 0, eventsHistoryWindowMs: opts.window, log: () => {}, ...(opts.storeCompactRevision ? { storeCompactRevision: opts.storeCompactRevision } : {}) });
  cachers.push(c);
  return { clock, src, c };
}

const wopts = (o: Partial<CacheWatchOptions> = {}): CacheWatchOptions => ({
  labelSelector: parseLabelSelector(''),
  fieldSelector: parseFieldSelector(''),
  resourceVersion: 0,
  resourceVersionText: '0',
  allowWatchBookmarks: false,
  deadline: 0,
  userAgent: 'test',
  ...o,
});

async function drain(h: CacheWatcherHandle, n: number): Promise<WatchEvent[]> {
  const out: WatchEvent[] = [];
  // Only call next() when something is buffered (or the watcher closed): an abandoned next()
  // would swallow the following event.
  while (out.length < n) {
    await flush();
    const i = h.info();
    if (i.resultLen === 0 && i.state !== 'closed') break;
    const e = await h.next();
    if (e === null) break;
    out.push(e);
  }
  return out;
}
const rvOf = (e: WatchEvent) => Number((e.object as KubeObject).metadata.resourceVersion);
const nameOf = (e: WatchEvent) => (e.object as KubeObject).metadata.name;

describe('Cacher over a fake source', () => {
  it('initializes, lists in key order with limit/continue/remainingItemCount, uses the nodeName index', async () => {
    const { src, c } = await setup();
    for (const n of ['c', 'a', 'b', 'd']) src.put(key('ns1', n), pod('ns1', n, { app: n === 'b' ? 'x' : 'y' }, n === 'a' || n === 'd' ? 'node-1' : 'node-2'));
    src.put(key('ns2', 'z'), pod('ns2', 'z'));
    c.start();
    await c.waitReady();
    expect(c.ready.state).toBe('Ready');
    expect(c.resourceVersion).toBe(src.revision);
    const empty = { labelSelector: parseLabelSelector(''), fieldSelector: parseFieldSelector(''), minResourceVersion: 0 };
    const all = await c.list(empty);
    expect(all.items.map((i) => i.key)).toEqual([key('ns1', 'a'), key('ns1', 'b'), key('ns1', 'c'), key('ns1', 'd'), key('ns2', 'z')]);
    const p1 = await c.list({ ...empty, namespace: 'ns1', limit: 2 });
    expect(p1.items.map((i) => i.object.metadata.name)).toEqual(['a', 'b']);
    expect(p1.continueKey).toBe('ns1/b');
    expect(p1.remainingItemCount).toBe(2);
    const p2 = await c.list({ ...empty, namespace: 'ns1', limit: 2, continueKey: p1.continueKey });
    expect(p2.items.map((i) => i.object.metadata.name)).toEqual(['c', 'd']);
    expect(p2.continueKey).toBeUndefined();
    const sel = await c.list({ ...empty, labelSelector: parseLabelSelector('app=y'), limit: 1 });
    expect(sel.continueKey).toBe('ns1/a');
    expect(sel.remainingItemCount).toBeUndefined();
    // Unscanned items remain after 'd' (ns2/z), so a token is issued although no other item
    // matches: the next page is empty and ends the list (hasMoreListItems).
    const sel2 = await c.list({ ...empty, labelSelector: parseLabelSelector('app=y'), limit: 1, continueKey: 'ns1/c' });
    expect(sel2.items.map((i) => i.object.metadata.name)).toEqual(['d']);
    expect(sel2.continueKey).toBe('ns1/d');
    const sel3 = await c.list({ ...empty, labelSelector: parseLabelSelector('app=x'), limit: 1, continueKey: sel2.continueKey });
    expect(sel3.items).toEqual([]);
    expect(sel3.continueKey).toBeUndefined();
    const idx = await c.list({ ...empty, fieldSelector: parseFieldSelector('spec.nodeName=node-1') });
    expect(idx.index).toBe('f:spec.nodeName');
    expect(idx.items.map((i) => i.object.metadata.name)).toEqual(['a', 'd']);
    expect(c.indexedLists).toBe(1);
    expect(all.items[0]!.object.metadata.resourceVersion).toBe(String(all.items[0]!.resourceVersion));
  });

  it('serves snapshots at past RVs within the window and 410s outside it', async () => {
    const { src, c } = await setup();
    src.put(key('n', 'a'), pod('n', 'a'));
    c.start();
    await c.waitReady();
    const listRV = c.resourceVersion;
    const r1 = src.put(key('n', 'b'), pod('n', 'b'));
    const r2 = src.delete(key('n', 'a'));
    src.put(key('n', 'b'), pod('n', 'b', { v: '2' }));
    await flush();
    const empty = { labelSelector: parseLabelSelector(''), fieldSelector: parseFieldSelector(''), minResourceVersion: 0 };
    const at = async (rv: number) => (await c.list({ ...empty, snapshotResourceVersion: rv })).items.map((i) => `${i.object.metadata.name}@${i.resourceVersion}`);
    expect(await at(listRV)).toEqual([`a@${listRV}`]);
    expect(await at(r1)).toEqual([`a@${listRV}`, `b@${r1}`]);
    expect(await at(r2)).toEqual([`b@${r1}`]);
    expect(await at(src.revision)).toEqual([`b@${src.revision}`]);
    await expect(c.list({ ...empty, snapshotResourceVersion: listRV - 1 })).rejects.toMatchObject({ code: 410, reason: 'Expired' });
  });

  it('holds no snapshot below the oldest buffered event once the buffer is full (not even at oldest − 1, where a watch may resume)', async () => {
    const { src, clock, c } = await setup();
    src.put(key('n', 'a'), pod('n', 'a'));
    c.start();
    await c.waitReady();
    const listRV = c.resourceVersion;
    const empty = { labelSelector: parseLabelSelector(''), fieldSelector: parseFieldSelector(''), minResourceVersion: 0 };
    const at = (rv: number) => c.list({ ...empty, snapshotResourceVersion: rv });
    for (let i = 0; i < 99; i++) {
      src.put(key('n', `p${i}`), pod('n', `p${i}`));
      await flush();
    }
    expect((await at(listRV)).items).toHaveLength(1); // 99 events: not full, the list RV's snapshot stays
    // The 100th event fills the buffer: snapshots older than its oldest event (listRV + 1) go,
    // the list RV's with them, although nothing was evicted and a watch can still start there.
    src.put(key('n', 'p99'), pod('n', 'p99'));
    await flush();
    expect(c.info().historyLen).toBe(100);
    await expect(at(listRV)).rejects.toMatchObject({ code: 410, reason: 'Expired', message: `too old resource version: ${listRV}` });
    expect(() => c.watch(wopts({ resourceVersion: listRV, resourceVersionText: String(listRV) }))).not.toThrow();
    expect((await at(listRV + 1)).items).toHaveLength(2);
    // Events older than the window: the next one evicts instead of growing.
    clock.advance(80_000);
    src.put(key('n', 'q'), pod('n', 'q'));
    await flush();
    const oldest = c.info().oldestResourceVersion;
    expect(oldest).toBe(listRV + 2);
    expect(() => c.watch(wopts({ resourceVersion: oldest - 1, resourceVersionText: String(oldest - 1) }))).not.toThrow();
    expect(c.watchCache.snapshotAvailable(oldest - 1)).toBe(false);
    await expect(at(oldest - 1)).rejects.toMatchObject({ code: 410 });
    expect((await at(oldest)).items.map((i) => i.object.metadata.name)).toEqual(['a', 'p0', 'p1']);
  });

  it("applies compact_rev_key's revision every 15 s (compactor.go), kept apart from the window's own pruning", async () => {
    let keyRev = 0;
    const { src, clock, c } = await setup({ storeCompactRevision: () => keyRev });
    c.start();
    await c.waitReady();
    const revs: number[] = [];
    let between = 0;
    for (let i = 0; i < 5; i++) {
      revs.push(src.put(key('n', `p${i}`), pod('n', `p${i}`)));
      if (i === 2) between = src.bump(); // a revision of another resource
    }
    await flush();
    keyRev = revs[2]!;
    clock.advance(14_999);
    expect(c.compactor!.revision).toBe(0);
    expect(c.watchCache.snapshotAvailable(revs[1]!, true)).toBe(true);
    clock.advance(1);
    expect(c.compactor!.revision).toBe(revs[2]);
    // RemoveLess(rev): the snapshot at rev itself stays (etcd can still read it), older ones go.
    expect(c.watchCache.snapshotAvailable(revs[2]!, true)).toBe(true);
    expect(c.watchCache.snapshotAvailable(revs[2]! - 1, true)).toBe(false);
    expect(c.watchCache.oldestSnapshotResourceVersion(true)).toBe(revs[2]);
    // Only the release's router applies the compactor's pruning; the window alone still holds it.
    expect(c.watchCache.snapshotAvailable(revs[1]!)).toBe(true);
    // Compacted at a revision of another resource: no snapshot of this cache is ≤ it any more
    // (GetLessOrEqual), although etcd can still read it.
    keyRev = between;
    clock.advance(15_000);
    expect(c.compactor!.revision).toBe(between);
    expect(c.watchCache.snapshotAvailable(between, true)).toBe(false);
    expect(c.watchCache.snapshotAvailable(revs[3]!, true)).toBe(true);
    keyRev = 1; // never goes back
    clock.advance(15_000);
    expect(c.compactor!.revision).toBe(between);
    await c.stop();
    expect(clock.pendingTimers).toBe(0);
  });

  it('refuses an events history window below 75 s, as NewCacherFromConfig does', () => {
    const mk = (ms: number) => new Cacher({ group: '', resource: 'pods', kind: 'Pod', apiVersion: 'v1', collectionKey: '/registry/pods/', namespaced: true, source: new FakeSource(), clock: new FakeClock(), eventsHistoryWindowMs: ms, log: () => {} });
    expect(() => mk(74_999)).toThrow('config.EventsHistoryWindow (1m14.999s) must not be below 1m15s');
    expect(() => mk(1500)).toThrow('config.EventsHistoryWindow (1.5s) must not be below 1m15s');
    expect(mk(75_000).watchCache.windowMs).toBe(75_000);
    // A longer window raises the history's upper bound (capacityUpperBound).
    expect(mk(150_000).watchCache.history.upperBound).toBe(204_800);
  });

  it('watch RV 0: initial ADDED in key order, then live events with selector transitions', async () => {
    const { src, c } = await setup();
    src.put(key('n', 'b'), pod('n', 'b', { app: 'web' }));
    src.put(key('n', 'a'), pod('n', 'a', { app: 'web' }));
    src.put(key('n', 'c'), pod('n', 'c', { app: 'db' }));
    c.start();
    await c.waitReady();
    const h = c.watch(wopts({ labelSelector: parseLabelSelector('app=web') }));
    const init = await drain(h, 10);
    expect(init.map((e) => `${e.type} ${nameOf(e)}`)).toEqual(['ADDED a', 'ADDED b']);
    src.put(key('n', 'c'), pod('n', 'c', { app: 'web' })); // enters the selector → ADDED
    src.put(key('n', 'a'), pod('n', 'a', { app: 'web', x: '1' })); // stays → MODIFIED
    const rvLeave = src.put(key('n', 'b'), pod('n', 'b', { app: 'db' })); // leaves → DELETED(prev, event RV)
    src.put(key('n', 'b'), pod('n', 'b', { app: 'db', y: '1' })); // neither → nothing
    const rvDel = src.delete(key('n', 'c')); // real delete → DELETED
    await flush();
    const live = await drain(h, 10);
    expect(live.map((e) => `${e.type} ${nameOf(e)}`)).toEqual(['ADDED c', 'MODIFIED a', 'DELETED b', 'DELETED c']);
    const delB = live[2]!.object as KubeObject;
    expect(delB.metadata.labels).toEqual({ app: 'web' }); // the previous object...
    expect(rvOf(live[2]!)).toBe(rvLeave); // ...stamped with the event's RV
    expect(rvOf(live[3]!)).toBe(rvDel);
    expect(h.info().state).toBe('live');
    expect(c.info().counters.initEvents).toBe(3);
  });

  it('ready() wakes a burst reader once per wake: at once while events wait, on the next event, and at the end', async () => {
    const { src, c } = await setup();
    src.put(key('n', 'a'), pod('n', 'a'));
    c.start();
    await c.waitReady();
    const h = c.watch(wopts());
    await flush();
    let woke = false;
    await h.ready().then(() => (woke = true));
    expect(woke).toBe(true);
    expect(nameOf(h.tryNext() as WatchEvent)).toBe('a');
    expect(h.tryNext()).toBeUndefined();
    // Nothing buffered: ready() waits for the next event, which then lies ready for tryNext.
    let ready = false;
    void h.ready().then(() => (ready = true));
    await flush();
    expect(ready).toBe(false);
    src.put(key('n', 'b'), pod('n', 'b'));
    src.put(key('n', 'c'), pod('n', 'c'));
    await flush();
    expect(ready).toBe(true);
    expect([h.tryNext(), h.tryNext()].map((e) => nameOf(e as WatchEvent))).toEqual(['b', 'c']);
    expect(h.tryNext()).toBeUndefined();
    // A close wakes a waiting reader, and tryNext then says the stream ended.
    let ended = false;
    void h.ready().then(() => (ended = true));
    h.stop('clientGone');
    await flush();
    expect(ended).toBe(true);
    expect(h.tryNext()).toBeNull();
    await expect(h.ready()).resolves.toBeUndefined();
  });

  it('watch RV n replays history; too old RV is 410 with upstream text; future RV waits', async () => {
    const { src, c } = await setup();
    src.put(key('n', 'first'), pod('n', 'first'));
    c.start();
    await c.waitReady();
    const listRV = c.resourceVersion;
    const revs: number[] = [];
    for (let i = 0; i < 5; i++) revs.push(src.put(key('n', `p${i}`), pod('n', `p${i}`)));
    await flush();
    const h = c.watch(wopts({ resourceVersion: revs[1]!, resourceVersionText: String(revs[1]) }));
    expect((await drain(h, 10)).map(rvOf)).toEqual(revs.slice(2));
    // Nothing evicted since the relist: oldest deliverable is listRV+1, so listRV itself is fine.
    expect(() => c.watch(wopts({ resourceVersion: listRV, resourceVersionText: String(listRV) }))).not.toThrow();
    let err: unknown;
    try {
      c.watch(wopts({ resourceVersion: listRV - 1, resourceVersionText: String(listRV - 1) }));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StatusError);
    expect((err as StatusError).toStatus()).toMatchObject({ code: 410, reason: 'Expired', message: `too old resource version: ${listRV - 1} (${listRV})` });
    const future = src.revision + 2;
    const f = c.watch(wopts({ resourceVersion: future, resourceVersionText: String(future) }));
    src.put(key('n', 'x'), pod('n', 'x'));
    src.put(key('n', 'y'), pod('n', 'y'));
    src.put(key('n', 'z'), pod('n', 'z'));
    await flush();
    expect((await drain(f, 10)).map(nameOf)).toEqual(['z']);
  });

  it('410 after evictions uses the oldest buffered event; lists wait and 504 after 3s', async () => {
    const { src, clock, c } = await setup();
    c.start();
    await c.waitReady();
    // All events old relative to the window: the buffer evicts instead of growing.
    for (let i = 0; i < 130; i++) {
      src.put(key('n', `p${i % 7}`), pod('n', `p${i % 7}`));
      await flush();
      clock.advance(1000);
    }
    const info = c.info();
    expect(info.historyCapacity).toBe(100);
    expect(info.historyLen).toBe(100);
    const oldest = info.oldestResourceVersion;
    expect(oldest).toBe(src.revision - 99);
    expect(() => c.watch(wopts({ resourceVersion: oldest - 1, resourceVersionText: '' }))).not.toThrow();
    expect(() => c.watch(wopts({ resourceVersion: oldest - 2, resourceVersionText: '' }))).toThrow(`too old resource version: ${oldest - 2} (${oldest - 1})`);
    const empty = { labelSelector: parseLabelSelector(''), fieldSelector: parseFieldSelector(''), minResourceVersion: src.revision + 5 };
    const p = c.list(empty);
    let settled: unknown;
    p.catch((e) => (settled = e));
    clock.advance(2999);
    await flush();
    expect(settled).toBeUndefined();
    clock.advance(1);
    await flush();
    expect(settled).toBeInstanceOf(StatusError);
    expect((settled as StatusError).toStatus()).toMatchObject({
      code: 504,
      reason: 'Timeout',
      message: `Timeout: Too large resource version: ${src.revision + 5}, current: ${src.revision}`,
      details: { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 },
    });
    expect(c.info().counters.readWaits).toBe(1);
  });

  it('waitUntilFresh with requestProgress asks for progress at once, then every 100ms, and is woken by the notify', async () => {
    const { src, clock, c } = await setup();
    c.start();
    await c.waitReady();
    const target = src.bump(); // a write under another prefix: only progress can tell the cache
    let waited: number | undefined;
    void c.waitUntilFresh(target, { requestProgress: true }).then((w) => (waited = w));
    await flush();
    // The requester's timer stands at zero while nobody waits: the first request goes out at once.
    expect(src.progressRequests).toBe(1);
    expect(waited).toBe(0);
    expect(c.resourceVersion).toBe(target);
    expect(c.info().counters).toMatchObject({ progressRequests: 1, progressNotifies: 1 });
    // A new waiter within the running period waits for its end...
    const t2 = src.bump();
    void c.waitUntilFresh(t2, { requestProgress: true });
    await flush();
    expect(src.progressRequests).toBe(1);
    clock.advance(100);
    await flush();
    expect(src.progressRequests).toBe(2);
    expect(c.resourceVersion).toBe(t2);
    clock.advance(1000);
    await flush();
    expect(src.progressRequests).toBe(2); // stops once nobody waits
    // ...and after an idle period the next waiter is served at once again.
    const t3 = src.bump();
    void c.waitUntilFresh(t3, { requestProgress: true });
    await flush();
    expect(src.progressRequests).toBe(3);
  });

  it('watch-list: initial events, then the k8s.io/initial-events-end bookmark, then periodic bookmarks', async () => {
    const { src, clock, c } = await setup();
    src.put(key('n', 'a'), pod('n', 'a'));
    c.start();
    await c.waitReady();
    const deadline = clock.now() + 30_500;
    const h = c.watch(wopts({ sendInitialEvents: true, allowWatchBookmarks: true, resourceVersionText: '', deadline }));
    const plain = c.watch(wopts({ resourceVersion: c.resourceVersion, resourceVersionText: String(c.resourceVersion), allowWatchBookmarks: true, deadline }));
    expect((await drain(h, 10)).map((e) => e.type)).toEqual(['ADDED']);
    clock.advance(1000);
    await flush();
    const bm = await drain(h, 10);
    expect(bm).toHaveLength(1);
    expect(bm[0]!.type).toBe('BOOKMARK');
    expect(bm[0]!.object).toEqual({ kind: 'Pod', apiVersion: 'v1', metadata: { resourceVersion: String(c.resourceVersion), annotations: { 'k8s.io/initial-events-end': 'true' } } });
    // The plain watcher's first bookmark is due one minute out, capped at deadline−2s = 28.5s (due at the 29s tick).
    expect(await drain(plain, 10)).toHaveLength(0);
    src.put(key('n', 'b'), pod('n', 'b'));
    await flush();
    clock.advance(28_000);
    await flush();
    const pe = await drain(plain, 10);
    expect(pe.map((e) => e.type)).toEqual(['ADDED', 'BOOKMARK']);
    expect((pe[1]!.object as KubeObject).metadata).toEqual({ resourceVersion: String(c.resourceVersion) });
    // Past deadline−2s: no more bookmarks.
    clock.advance(60_000);
    await flush();
    expect(await drain(plain, 10)).toHaveLength(0);
    // Without allowWatchBookmarks, a watch-list gets no end bookmark.
    const nb = c.watch(wopts({ sendInitialEvents: true }));
    clock.advance(2000);
    await flush();
    expect((await drain(nb, 10)).map((e) => e.type)).toEqual(['ADDED', 'ADDED']);
  });

  it('watch-list (1.32+): the end bookmark follows the initial events at once, at the RV of registration, before live events; 1.27–1.31 wait for the tick', async () => {
    const { src, clock, c } = await setup();
    src.put(key('n', 'a'), pod('n', 'a'));
    c.start();
    await c.waitReady();
    const atRegistration = c.resourceVersion;
    const now = c.watch(wopts({ sendInitialEvents: true, allowWatchBookmarks: true, resourceVersionText: '', initialEventsEndBookmarkAfterInterval: true }));
    const ticker = c.watch(wopts({ sendInitialEvents: true, allowWatchBookmarks: true, resourceVersionText: '' }));
    src.put(key('n', 'b'), pod('n', 'b'));
    await flush();
    const first = await drain(now, 10);
    expect(first.map((e) => e.type)).toEqual(['ADDED', 'BOOKMARK', 'ADDED']);
    expect((first[1]!.object as KubeObject).metadata).toEqual({ resourceVersion: String(atRegistration), annotations: { 'k8s.io/initial-events-end': 'true' } });
    // No clock tick yet: the ticker-style watch-list has its live event but no bookmark.
    expect((await drain(ticker, 10)).map((e) => e.type)).toEqual(['ADDED', 'ADDED']);
    clock.advance(1000);
    await flush();
    const late = await drain(ticker, 10);
    expect(late.map((e) => e.type)).toEqual(['BOOKMARK']);
    expect((late[0]!.object as KubeObject).metadata.resourceVersion).toBe(String(c.resourceVersion));
    // The immediate one owes nothing more: no second end bookmark on the tick.
    expect(await drain(now, 10)).toHaveLength(0);
  });

  it('force-closing a watch-list whose end bookmark waits in input drains it first (graceful), so the client still gets the bookmark', async () => {
    const { src, clock, c } = await setup();
    src.put(key('n', 'a'), pod('n', 'a'));
    c.start();
    await c.waitReady();
    const target = c.resourceVersion + 12;
    const wl = c.watch(wopts({ sendInitialEvents: true, allowWatchBookmarks: true, resourceVersion: c.resourceVersion, resourceVersionText: String(c.resourceVersion) }));
    expect(wl.info().capacity).toBe(10);
    // The client reads nothing: 1 initial + 9 live events fill result, 2 more wait in input.
    for (let i = 0; i < 11; i++) src.put(key('n', `p${i}`), pod('n', `p${i}`));
    await flush();
    expect(c.resourceVersion).toBe(target - 1);
    clock.advance(1000); // the tick puts the owed bookmark (at the cache RV) into input
    await flush();
    for (let i = 11; i < 30; i++) src.put(key('n', `p${i}`), pod('n', `p${i}`));
    await flush();
    clock.advance(500); // the dispatcher's time budget for the blocked watcher runs out
    await flush();
    await flush();
    const closed = c.closedWatchers();
    expect(closed).toHaveLength(1);
    expect(closed[0]!.closeMessage).toMatch(/graceful = true$/);
    const got = await drain(wl, 100);
    const bm = got.findIndex((e) => e.type === 'BOOKMARK');
    expect(bm).toBeGreaterThan(0);
    expect((got[bm]!.object as KubeObject).metadata.annotations).toEqual({ 'k8s.io/initial-events-end': 'true' });
    // Everything before the bookmark, in order; the stream then ends.
    expect(got.slice(0, bm).map(nameOf)).toEqual(['a', ...Array.from({ length: 11 }, (_, i) => `p${i}`)]);
    expect(await wl.next()).toBeNull();
  });

  it('sizes buffers by rule and force-closes a slow watcher with upstream text while fast ones lose nothing', async () => {
    const { src, clock, c } = await setup();
    c.start();
    await c.waitReady();
    const slow = c.watch(wopts({ fieldSelector: parseFieldSelector('spec.nodeName=node-1'), resourceVersion: c.resourceVersion, resourceVersionText: 'x' }));
    const fast = c.watch(wopts({ resourceVersion: c.resourceVersion, resourceVersionText: 'x' }));
    expect(slow.info()).toMatchObject({ capacity: 10, capacityRule: 'indexWithTrigger' });
    expect(fast.info()).toMatchObject({ capacity: 10, capacityRule: 'indexWithoutTrigger' });
    const got: WatchEvent[] = [];
    const reader = (async () => {
      for (;;) {
        const e = await fast.next();
        if (!e) return;
        got.push(e);
      }
    })();
    const revs: number[] = [];
    for (let i = 0; i < 25; i++) revs.push(src.put(key('n', `p${i}`), pod('n', `p${i}`, {}, 'node-1')));
    await flush();
    clock.advance(0); // the (empty) budget timer fires
    await flush();
    await flush();
    const closed = c.closedWatchers();
    expect(closed).toHaveLength(1);
    expect(closed[0]).toMatchObject({ id: slow.id, closeReason: 'bufferFull', inputLen: 10, resultLen: 10 });
    expect(closed[0]!.closeMessage).toBe('Forcing pods watcher close due to unresponsiveness: key: "/pods", labels: "", fields: "spec.nodeName=node-1". len(c.input) = 10, len(c.result) = 10, graceful = false');
    expect(c.info().counters.terminatedWatchers).toBe(1);
    // The slow client still reads what its result buffer held, then the stream ends.
    expect((await drain(slow, 100)).length).toBe(10);
    expect(await slow.next()).toBeNull();
    await flush();
    expect(got.map(rvOf)).toEqual(revs);
    fast.stop('clientGone');
    await reader;
  });

  it('relists after a compacted watch: watchers closed with cacheReinitializing, 429 while pending, new generation', async () => {
    const { src, clock, c } = await setup();
    src.put(key('n', 'a'), pod('n', 'a'));
    c.start();
    await c.waitReady();
    expect(c.generation).toBe(1);
    const h = c.watch(wopts({ resourceVersion: c.resourceVersion, resourceVersionText: 'x' }));
    src.put(key('n', 'b'), pod('n', 'b'));
    src.compact(src.revision);
    src.cancelWatches('compacted');
    await flush();
    expect(c.ready.state).toBe('Pending');
    const info = h.info();
    expect(info.state).toBe('closed');
    expect(info.closeReason).toBe('cacheReinitializing');
    expect(info.closeMessage).toMatch(/compacted/);
    expect(() => c.watch(wopts())).toThrow('storage is (re)initializing');
    try {
      c.watch(wopts());
    } catch (e) {
      expect((e as StatusError).code).toBe(429);
      expect((e as StatusError).retryAfterSeconds).toBe(1);
    }
    // The buffered event is still readable, then the stream ends.
    expect((await drain(h, 10)).map(nameOf)).toEqual(['b']);
    expect(await h.next()).toBeNull();
    clock.advance(1000);
    await flush();
    expect(c.ready.state).toBe('Ready');
    expect(c.generation).toBe(2);
    expect(c.info().counters.initializations).toBe(2);
    expect(c.info().objects).toBe(2);
    expect(c.info().lastError).toBeUndefined();
  });

  it('keeps a multi-key transaction together for watchers and bookmarks', async () => {
    const { src, clock, c } = await setup();
    c.start();
    await c.waitReady();
    const h = c.watch(wopts({ resourceVersion: c.resourceVersion, resourceVersionText: 'x', allowWatchBookmarks: true }));
    const rev = src.txn([
      { type: 'put', key: key('n', 'a'), object: pod('n', 'a') },
      { type: 'put', key: key('n', 'b'), object: pod('n', 'b') },
      { type: 'put', key: key('n', 'c'), object: pod('n', 'c') },
    ]);
    await flush();
    const evs = await drain(h, 10);
    expect(evs.map(rvOf)).toEqual([rev, rev, rev]);
    // A watcher resuming from the txn's revision sees nothing of it; from rev-1, all of it.
    expect(await drain(c.watch(wopts({ resourceVersion: rev, resourceVersionText: 'x' })), 10)).toHaveLength(0);
    expect(await drain(c.watch(wopts({ resourceVersion: rev - 1, resourceVersionText: 'x' })), 10)).toHaveLength(3);
    clock.advance(61_000);
    await flush();
    const b = await drain(h, 10);
    expect(b.map((e) => e.type)).toEqual(['BOOKMARK']);
    expect(rvOf(b[0]!)).toBe(rev);
  });

  it('watch-list at a future RV waits for the cache, or ends with one ERROR 504 event after 3s', async () => {
    const { src, clock, c } = await setup();
    src.put(key('n', 'a'), pod('n', 'a'));
    c.start();
    await c.waitReady();
    const target = c.resourceVersion + 1;
    const ok = c.watch(wopts({ sendInitialEvents: true, resourceVersion: target, resourceVersionText: String(target) }));
    expect(ok.info().state).toBe('initializing');
    src.put(key('n', 'b'), pod('n', 'b'));
    await flush();
    expect((await drain(ok, 10)).map((e) => `${e.type} ${nameOf(e)}`)).toEqual(['ADDED a', 'ADDED b']);
    const far = c.resourceVersion + 50;
    const bad = c.watch(wopts({ sendInitialEvents: true, resourceVersion: far, resourceVersionText: String(far) }));
    clock.advance(3000);
    await flush();
    const evs = await drain(bad, 10);
    expect(evs).toHaveLength(1);
    expect(evs[0]!.type).toBe('ERROR');
    expect(evs[0]!.object).toMatchObject({ kind: 'Status', code: 504, message: `Timeout: Too large resource version: ${far}, current: ${c.resourceVersion}` });
    expect(await bad.next()).toBeNull();
    expect(c.closedWatchers().at(-1)).toMatchObject({ id: bad.id, closeReason: 'tooLargeResourceVersion' });
  });
});

describe('relist backoff', () => {
  it('waits relistDelayMs(n) after the n-th consecutive failure (kube mode backs off; default is upstream 1s)', async () => {
    const clock = new FakeClock();
    let lists = 0;
    const failing = {
      info: () => ({ kind: 'kube' as const, version: 'v1.30.0', supportsRequestWatchProgress: false, endpoints: [] }),
      list: async () => {
        lists++;
        throw new Error('Unauthorized: run your login command');
      },
      watch: () => {
        throw new Error('not reached');
      },
      currentRevision: async () => 1,
      close: async () => undefined,
    };
    const delays: number[] = [];
    const c = new Cacher({
      group: '', resource: 'pods', kind: 'Pod', apiVersion: 'v1', collectionKey: '/registry/pods/', namespaced: true, source: failing, clock,
      revisionPollMs: 0, log: () => {},
      relistDelayMs: (n) => {
        const d = Math.min(30_000, 1000 * 2 ** (n - 1));
        delays.push(d);
        return d;
      },
    });
    c.start();
    const settle = () => new Promise((r) => setTimeout(r, 5));
    await settle();
    expect(lists).toBe(1);
    clock.advance(999);
    await settle();
    expect(lists).toBe(1);
    clock.advance(1);
    await settle();
    expect(lists).toBe(2);
    clock.advance(1999);
    await settle();
    expect(lists).toBe(2); // second pause is 2s
    clock.advance(1);
    await settle();
    expect(lists).toBe(3);
    expect(delays.slice(0, 2)).toEqual([1000, 2000]);
    expect(c.info().lastError).toContain('Unauthorized');
    await c.stop();
  });
});
