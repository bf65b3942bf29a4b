// The Cacher against real etcd: a watch-guarantee checker compares every cacheWatcher's stream
// with the history the writers produced in etcd (ordered, unique, reliable for its filter,
// atomic per txn, resumable, bookmarkable), under concurrent writers, through a kill -9 + restart
// of etcd, a compaction that forces a relist, and a write storm that must close a slow watcher.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEtcd, type EtcdProcess } from '../etcd/process.js';
import { EtcdSource } from '../etcd/source.js';
import { encodeJSON } from '../etcd/codec.js';
import { Cacher } from './cacher.js';
import { SkewedClock } from './clock.js';
import { parseLabelSelector } from '../selectors/label_selector.js';
import { parseFieldSelector } from '../selectors/field_selector.js';
import { objectFields } from '../selectors/object_fields.js';
import type { CacheWatchOptions, CacheWatcherHandle, Selector, WatchEvent } from './types.js';
import type { KubeObject } from '../object.js';
import { StatusError } from '../errors.js';

type Op = { type: 'put'; key: string; obj: KubeObject } | { type: 'delete'; key: string };
interface TxnRecord { rev: number; ops: Op[] }
interface Received { type: string; key: string; rv: number; annotations?: Record<string, string> }
interface Spec { namespace?: string; label: Selector; field: Selector }
interface Tracked { name: string; h: CacheWatcherHandle; spec: Spec; fromRV: number; initial: boolean; got: Received[]; done: Promise<void> }

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, ms = 15_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const podKey = (ns: string, name: string) => `/registry/pods/${ns}/${name}`;
const mkPod = (ns: string, name: string, app: string, node: string, gen: number): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns, labels: { app, gen: String(gen) } },
  spec: { nodeName: node },
});

describe('Cacher against real etcd', () => {
  let etcd: EtcdProcess;
  let writerSrc: EtcdSource;
  let cacheSrc: EtcdSource;
  let cacher: Cacher;
  const truth: TxnRecord[] = [];
  const tracked: Tracked[] = [];

  async function txn(ops: Op[]): Promise<number> {
    for (let attempt = 0; ; attempt++) {
      try {
        const r = await writerSrc.client.txn({
          compare: [],
          success: ops.map((op) => (op.type === 'put' ? { request_put: { key: Buffer.from(op.key), value: encodeJSON(op.obj) } } : { request_delete_range: { key: Buffer.from(op.key) } })),
          failure: [],
        });
        const rev = Number(r.header.revision);
        truth.push({ rev, ops });
        return rev;
      } catch (e) {
        if (attempt > 100) throw e;
        await sleep(100);
      }
    }
  }

  /** A writer owning its keys (so it knows which exist): puts, deletes, and 3-key txns. */
  async function writer(id: number, n: number, nodes = ['node-0', 'node-1', 'node-2']): Promise<void> {
    const exists = new Set<string>();
    const ns = `ns-${id % 2}`;
    let gen = 0;
    const pick = () => `w${id}-k${Math.floor(Math.random() * 8)}`;
    const put = (name: string): Op => ({ type: 'put', key: podKey(ns, name), obj: mkPod(ns, name, Math.random() < 0.5 ? 'a' : 'b', nodes[Math.floor(Math.random() * nodes.length)]!, ++gen) });
    for (let i = 0; i < n; i++) {
      if (i % 10 === 9) {
        const names = new Set<string>();
        while (names.size < 3) names.add(pick());
        const ops = [...names].map((nm) => (exists.has(nm) && Math.random() < 0.3 ? ({ type: 'delete', key: podKey(ns, nm) } as Op) : put(nm)));
        await txn(ops);
        for (const [j, nm] of [...names].entries()) (ops[j]!.type === 'put' ? exists.add(nm) : exists.delete(nm));
        continue;
      }
      const nm = pick();
      if (exists.has(nm) && Math.random() < 0.25) {
        await txn([{ type: 'delete', key: podKey(ns, nm) }]);
        exists.delete(nm);
      } else {
        await txn([put(nm)]);
        exists.add(nm);
      }
    }
  }

  const lastRev = () => truth.reduce((m, t) => Math.max(m, t.rev), 0);

  function matches(spec: Spec, obj: KubeObject | undefined): boolean {
    if (!obj) return false;
    if (spec.namespace && obj.metadata.namespace !== spec.namespace) return false;
    return spec.label.matches(obj.metadata.labels ?? {}) && spec.field.matches(objectFields('pods', obj));
  }

  /** What etcd's history says a watcher with `spec` must see for revisions in (from, to]. */
  function expected(spec: Spec, from: number, to: number): Received[] {
    const state = new Map<string, KubeObject>();
    const out: Received[] = [];
    for (const t of [...truth].sort((a, b) => a.rev - b.rev)) {
      for (const op of t.ops) {
        const prev = state.get(op.key);
        const cur = op.type === 'put' ? op.obj : undefined;
        if (cur) state.set(op.key, cur);
        else state.delete(op.key);
        if (t.rev <= from || t.rev > to) continue;
        const c = matches(spec, cur);
        const p = matches(spec, prev);
        const type = c && !p ? 'ADDED' : c && p ? 'MODIFIED' : !c && p ? 'DELETED' : undefined;
        if (type) out.push({ type, key: op.key.slice('/registry/pods/'.length), rv: t.rev });
      }
    }
    return out;
  }

  function stateAt(spec: Spec, rv: number): string[] {
    const state = new Map<string, KubeObject>();
    for (const t of [...truth].sort((a, b) => a.rev - b.rev)) {
      if (t.rev > rv) break;
      for (const op of t.ops) (op.type === 'put' ? state.set(op.key, op.obj) : state.delete(op.key));
    }
    return [...state.entries()].filter(([, o]) => matches(spec, o)).map(([k]) => k.slice('/registry/pods/'.length)).sort();
  }

  function track(name: string, o: Partial<CacheWatchOptions> & { resourceVersion: number }, spec: Omit<Spec, 'label' | 'field'> & { label?: string; field?: string } = {}): Tracked {
    const s: Spec = { namespace: spec.namespace, label: parseLabelSelector(spec.label ?? ''), field: parseFieldSelector(spec.field ?? '', 'pods') };
    const opts: CacheWatchOptions = {
      namespace: spec.namespace,
      labelSelector: s.label,
      fieldSelector: s.field,
      resourceVersionText: String(o.resourceVersion),
      allowWatchBookmarks: true,
      deadline: Date.now() + 600_000,
      userAgent: `checker/${name}`,
      ...o,
    };
    const initial = opts.resourceVersion === 0;
    const fromRV = initial ? cacher.resourceVersion : opts.resourceVersion;
    const h = cacher.watch(opts);
    const t: Tracked = { name, h, spec: s, fromRV, initial, got: [], done: Promise.resolve() };
    t.done = (async () => {
      for (;;) {
        const e: WatchEvent | null = await h.next();
        if (!e) return;
        const m = (e.object as KubeObject).metadata;
        t.got.push({ type: e.type, key: m.name ? `${m.namespace}/${m.name}` : '', rv: Number(m.resourceVersion), annotations: m.annotations });
      }
    })();
    tracked.push(t);
    return t;
  }

  /** The guarantee checker for one watcher. `to` = the revision it must have reached if live. */
  function check(t: Tracked, to: number): void {
    let evs = t.got;
    if (t.initial) {
      const n = stateAt(t.spec, t.fromRV).length;
      const init = evs.slice(0, n);
      expect(init.every((e) => e.type === 'ADDED'), `${t.name}: initial events are ADDED`).toBe(true);
      expect(init.map((e) => e.key), `${t.name}: initial state in key order`).toEqual(stateAt(t.spec, t.fromRV));
      evs = evs.slice(n);
    }
    const data = evs.filter((e) => e.type !== 'BOOKMARK');
    // Ordered.
    for (let i = 1; i < data.length; i++) expect(data[i]!.rv >= data[i - 1]!.rv, `${t.name}: ordered`).toBe(true);
    // Unique.
    expect(new Set(data.map((e) => `${e.rv}|${e.key}`)).size, `${t.name}: unique`).toBe(data.length);
    // Bookmarkable: nothing at or below a bookmark's RV after it.
    let bm = 0;
    for (const e of evs) {
      if (e.type === 'BOOKMARK') bm = Math.max(bm, e.rv);
      else expect(e.rv > bm, `${t.name}: event ${e.rv} after bookmark ${bm}`).toBe(true);
    }
    const live = t.h.info().state !== 'closed';
    // Reliable + atomic: exactly etcd's events for this filter, whole revisions only.
    const until = live ? to : data.length ? data[data.length - 1]!.rv : t.fromRV;
    const want = expected(t.spec, t.fromRV, until).map(({ type, key, rv }) => `${type} ${key} ${rv}`);
    expect(data.map(({ type, key, rv }) => `${type} ${key} ${rv}`), `${t.name}: stream equals etcd history`).toEqual(want);
  }

  async function caughtUp(to: number): Promise<void> {
    await until(() => cacher.resourceVersion >= to, 15_000, `cache RV ≥ ${to}`);
    for (const t of tracked) {
      if (t.h.info().state === 'closed') continue;
      const n = expected(t.spec, t.fromRV, to).length + (t.initial ? stateAt(t.spec, t.fromRV).length : 0);
      await until(() => t.got.filter((e) => e.type !== 'BOOKMARK').length >= n, 15_000, `${t.name} to receive ${n} events`);
    }
  }

  beforeAll(async () => {
    etcd = await startEtcd({ progressNotifyInterval: '1s' });
    writerSrc = await EtcdSource.connect({ endpoints: [etcd.endpoint] });
    // A slow reconnect leaves room to compact etcd while the cacher's watch is away.
    cacheSrc = await EtcdSource.connect({ endpoints: [etcd.endpoint], watch: { initialBackoffMs: 2500, maxBackoffMs: 2500 } });
    cacher = new Cacher({ group: '', resource: 'pods', kind: 'Pod', apiVersion: 'v1', collectionKey: '/registry/pods/', namespaced: true, indexTrigger: 'spec.nodeName', source: cacheSrc, revisionPollMs: 200, log: () => {} });
    await writer(9, 20);
    cacher.start();
    await cacher.waitReady();
  });
  afterAll(async () => {
    await cacher?.stop();
    await cacheSrc?.close();
    await writerSrc?.close();
    await etcd?.stop();
  });

  it('keeps every watch guarantee under concurrent writers, with selectors, and sizes buffers per case', async () => {
    const rv0 = cacher.resourceVersion;
    expect(rv0).toBe(lastRev());
    const all = track('all', { resourceVersion: rv0 });
    track('ns0-app-a', { resourceVersion: rv0 }, { namespace: 'ns-0', label: 'app=a' });
    const node1 = track('node-1', { resourceVersion: rv0 }, { field: 'spec.nodeName=node-1' });
    track('not-app-b', { resourceVersion: rv0 }, { label: 'app!=b' });
    track('legacy-rv0', { resourceVersion: 0, resourceVersionText: '0', allowWatchBookmarks: false });
    const wl = track('watch-list', { resourceVersion: 0, resourceVersionText: '', sendInitialEvents: true }, { label: 'app=a' });
    expect(node1.h.info()).toMatchObject({ capacity: 10, capacityRule: 'indexWithTrigger' });
    expect(all.h.info().capacityRule).toBe('indexWithoutTrigger');
    expect(all.h.info().capacity).toBe(Math.min(1000, Math.max(10, Math.ceil(cacher.info().historyCapacity / 75))));

    const mid: number[] = [];
    await Promise.all([writer(0, 150), writer(1, 150), writer(2, 150), (async () => {
      // Watches started while writes are in flight, from RVs inside the window.
      for (let i = 0; i < 3; i++) {
        await sleep(40);
        const r = cacher.resourceVersion;
        mid.push(r);
        track(`mid-${i}`, { resourceVersion: r }, i === 1 ? { field: 'spec.nodeName=node-2' } : {});
      }
    })()]);
    const to = lastRev();
    await caughtUp(to);
    for (const t of tracked) check(t, to);
    // Resumable: fresh watches from arbitrary past RVs in the window replay exactly.
    const revs = [...new Set(truth.map((t) => t.rev))].filter((r) => r >= rv0).sort((a, b) => a - b);
    for (const r of [revs[0]!, revs[Math.floor(revs.length / 3)]!, revs[revs.length - 2]!]) track(`resume-${r}`, { resourceVersion: r });
    await caughtUp(to);
    for (const t of tracked) check(t, to);
    // The watch-list's end bookmark arrives after its initial events, annotated.
    await until(() => wl.got.some((e) => e.type === 'BOOKMARK'), 5000, 'initial-events-end bookmark');
    const firstBm = wl.got.find((e) => e.type === 'BOOKMARK')!;
    expect(firstBm.annotations).toEqual({ 'k8s.io/initial-events-end': 'true' });
    expect(wl.got.indexOf(firstBm)).toBeGreaterThanOrEqual(stateAt(wl.spec, wl.fromRV).length);
    expect(cacher.closedWatchers()).toHaveLength(0);
    expect(cacher.info().counters.initializations).toBe(1);
  });

  it('rides through kill -9 + restart of etcd without relisting or losing events', async () => {
    await etcd.kill9();
    await sleep(300);
    await etcd.restart();
    await Promise.all([writer(3, 60), writer(4, 60)]);
    const to = lastRev();
    await caughtUp(to);
    for (const t of tracked) check(t, to);
    expect(cacher.info().counters.initializations).toBe(1);
    expect(cacher.closedWatchers()).toHaveLength(0);
    expect(cacher.info().lagRevisions).toBe(0);
  });

  it('relists after etcd compacted past its watch: watchers closed with a reason, streams still correct', async () => {
    await etcd.kill9();
    await sleep(200);
    await etcd.restart();
    // While the cacher's watch waits to reconnect, move on and compact past it.
    await writer(5, 10);
    await writerSrc.client.compact(lastRev());
    await until(() => cacher.info().counters.initializations === 2 && cacher.ready.state === 'Ready', 15_000, 'relist');
    const closed = cacher.closedWatchers();
    expect(closed.length).toBe(tracked.length);
    for (const c of closed) {
      expect(c.closeReason).toBe('cacheReinitializing');
      expect(c.closeMessage).toMatch(/compacted/);
    }
    await Promise.all(tracked.map((t) => t.done));
    for (const t of tracked) check(t, lastRev());
    // New watchers after the relist; the window starts at the new list RV.
    const listRV = cacher.watchCache.listResourceVersion;
    expect(listRV).toBe(lastRev());
    expect(() => cacher.watch({ labelSelector: parseLabelSelector(''), fieldSelector: parseFieldSelector(''), resourceVersion: listRV - 1, resourceVersionText: '', sendInitialEvents: false, allowWatchBookmarks: false, deadline: 0, userAgent: 't' })).toThrow(`too old resource version: ${listRV - 1} (${listRV})`);
    tracked.length = 0;
    track('after-relist', { resourceVersion: listRV });
    track('after-relist-rv0', { resourceVersion: 0 }, { namespace: 'ns-1' });
    await Promise.all([writer(6, 60), writer(7, 60)]);
    const to = lastRev();
    await caughtUp(to);
    for (const t of tracked) check(t, to);
  });

  it('force-closes a slow watcher under a write storm while fast watchers lose nothing', async () => {
    const rv = cacher.resourceVersion;
    const slowOpts: CacheWatchOptions = { labelSelector: parseLabelSelector(''), fieldSelector: parseFieldSelector('spec.nodeName=node-1', 'pods'), resourceVersion: rv, resourceVersionText: String(rv), sendInitialEvents: false, allowWatchBookmarks: false, deadline: 0, userAgent: 'slow-kubelet' };
    const slow = cacher.watch(slowOpts); // never read
    const before = cacher.info().counters.terminatedWatchers;
    tracked.length = 0;
    track('fast-all', { resourceVersion: rv });
    track('fast-node-1', { resourceVersion: rv }, { field: 'spec.nodeName=node-1' });
    await Promise.all([0, 1, 2, 3].map((i) => writer(10 + i, 80, ['node-1'])));
    const to = lastRev();
    await caughtUp(to);
    for (const t of tracked) check(t, to);
    const info = slow.info();
    expect(info.state).toBe('closed');
    expect(info.closeReason).toBe('bufferFull');
    expect(info.closeMessage).toBe('Forcing pods watcher close due to unresponsiveness: key: "/pods", labels: "", fields: "spec.nodeName=node-1". len(c.input) = 10, len(c.result) = 10, graceful = false');
    expect(cacher.info().counters.terminatedWatchers).toBe(before + 1);
    for (const t of tracked) expect(t.h.info().state).toBe('live');
  });

  it('504s a read for a future RV after 3s; progress requests bring the cache to a revision made elsewhere', async () => {
    const cur = cacher.resourceVersion;
    const empty = { labelSelector: parseLabelSelector(''), fieldSelector: parseFieldSelector(''), minResourceVersion: cur + 1000 };
    const t0 = Date.now();
    const err = await cacher.list(empty).catch((e: unknown) => e);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2900);
    expect(err).toBeInstanceOf(StatusError);
    expect((err as StatusError).toStatus()).toMatchObject({ code: 504, message: `Timeout: Too large resource version: ${cur + 1000}, current: ${cacher.resourceVersion}`, details: { retryAfterSeconds: 1 } });
    const other = await writerSrc.client.put('/registry/configmaps/x/y', encodeJSON({ metadata: { name: 'y', namespace: 'x' } }));
    const waited = await cacher.waitUntilFresh(other, { requestProgress: true });
    expect(cacher.resourceVersion).toBeGreaterThanOrEqual(other);
    expect(waited).toBeLessThan(3000);
  });

  it('grows and shrinks the history window by the upstream rule on real events, then 410s', async () => {
    // The window is upstream's 75 s (nothing shorter is accepted); the clock is moved past it.
    const clock = new SkewedClock();
    const cm = new Cacher({ group: '', resource: 'configmaps', kind: 'ConfigMap', apiVersion: 'v1', collectionKey: '/registry/configmaps/', namespaced: true, source: cacheSrc, clock, revisionPollMs: 0, log: () => {} });
    try {
      cm.start();
      await cm.waitReady();
      const put = (i: number) => writerSrc.client.put(`/registry/configmaps/w/c${i % 20}`, encodeJSON({ metadata: { name: `c${i % 20}`, namespace: 'w' }, data: { i: String(i) } }));
      for (let i = 0; i < 150; i += 50) await Promise.all(Array.from({ length: 50 }, (_, j) => put(i + j)));
      let last = await put(150);
      await until(() => cm.resourceVersion >= last, 10_000, 'configmaps cache');
      expect(cm.info().historyCapacity).toBe(200); // full at 100 with young events: doubled
      expect(cm.info().counters.capacityIncreases).toBe(1);
      const w = cm.watch({ labelSelector: parseLabelSelector(''), fieldSelector: parseFieldSelector(''), resourceVersion: cm.resourceVersion, resourceVersionText: 'x', sendInitialEvents: false, allowWatchBookmarks: false, deadline: 0, userAgent: 't' });
      expect(w.info()).toMatchObject({ capacity: 10, capacityRule: 'noIndex' }); // ceil(200 / 75s) = 3, raised to the minimum 10
      for (let i = 151; i < 200; i++) last = await put(i);
      await until(() => cm.resourceVersion >= last, 10_000, 'configmaps cache');
      clock.skip(76_000);
      last = await put(200);
      await until(() => cm.resourceVersion >= last, 10_000, 'configmaps cache');
      expect(cm.info().historyCapacity).toBe(100); // the quarter-probe is older than the window: halved
      expect(cm.info().counters.capacityDecreases).toBe(1);
      const oldest = cm.info().oldestResourceVersion;
      expect(() => cm.watch({ labelSelector: parseLabelSelector(''), fieldSelector: parseFieldSelector(''), resourceVersion: oldest - 2, resourceVersionText: 'x', sendInitialEvents: false, allowWatchBookmarks: false, deadline: 0, userAgent: 't' })).toThrow(`too old resource version: ${oldest - 2} (${oldest - 1})`);
      // Snapshots outside the window are gone too: the caller falls back to etcd. Unlike a watch,
      // which may resume at oldest − 1, no snapshot is held there (RemoveLess(oldest) on a full buffer).
      expect(() => cm.watch({ labelSelector: parseLabelSelector(''), fieldSelector: parseFieldSelector(''), resourceVersion: oldest - 1, resourceVersionText: 'x', sendInitialEvents: false, allowWatchBookmarks: false, deadline: 0, userAgent: 't' })).not.toThrow();
      await expect(cm.list({ labelSelector: parseLabelSelector(''), fieldSelector: parseFieldSelector(''), minResourceVersion: 0, snapshotResourceVersion: oldest - 2 })).rejects.toMatchObject({ code: 410 });
      await expect(cm.list({ labelSelector: parseLabelSelector(''), fieldSelector: parseFieldSelector(''), minResourceVersion: 0, snapshotResourceVersion: oldest - 1 })).rejects.toMatchObject({ code: 410, message: `too old resource version: ${oldest - 1}` });
      const snap = await cm.list({ labelSelector: parseLabelSelector(''), fieldSelector: parseFieldSelector(''), minResourceVersion: 0, snapshotResourceVersion: oldest });
      expect(snap.resourceVersion).toBe(oldest);
      const real = await writerSrc.client.range({ key: Buffer.from('/registry/configmaps/'), range_end: Buffer.from('/registry/configmaps0'), revision: oldest });
      expect(snap.items.map((i) => `${i.key}@${i.resourceVersion}`)).toEqual(real.kvs.map((kv) => `${kv.key.toString()}@${Number(kv.mod_revision)}`));
    } finally {
      await cm.stop();
    }
  });
});
