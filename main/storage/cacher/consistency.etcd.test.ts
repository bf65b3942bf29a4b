// The consistency checker on real parts: the etcd-mode backend (Cachers fed by an etcd watch, the
// etcd3 store as the delegate) over a real etcd. A clean cache matches; a cached object corrupted
// through the test hook, and a write the cache never saw while its resourceVersion moved on, are
// each reported with the right object, and under 1.34 the routing then says snapshots are off.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEtcd, type EtcdProcess } from '../etcd/process.js';
import { EtcdSource } from '../etcd/source.js';
import { EtcdStore } from '../etcd/store.js';
import { BUILTIN_RESOURCES, collectionKey } from '../resources.js';
import { etcdStoreDelegate } from '../apiserver/etcd-delegate.js';
import { createCacherBackend, type CacherBackend } from '../apiserver/cacher-backend.js';
import { ForwardingSource } from '../forwarding-source.js';
import type { Source, SourceWatch, SourceWatchHandlers } from '../source.js';
import { decide } from '../routing/decide.js';
import { profile1_33, profile1_34, type Profile } from '../routing/profiles.js';
import { corruptCachedObject } from './testing.js';

const configmaps = BUILTIN_RESOURCES.find((r) => r.resource === 'configmaps')!;
const key = collectionKey(configmaps);

/** Loses every event for one key, as a cache that missed an event would, and passes the rest. */
class LosingSource extends ForwardingSource {
  lose: string | undefined;
  watch(prefix: string, afterRevision: number, handlers: SourceWatchHandlers): SourceWatch {
    return this.inner.watch(prefix, afterRevision, {
      ...handlers,
      onEvents: (events) => handlers.onEvents(events.filter((e) => e.key !== this.lose)),
    });
  }
}

let etcd: EtcdProcess;
let source: EtcdSource;
let store: EtcdStore;

beforeAll(async () => {
  etcd = await startEtcd({ progressNotifyInterval: '1s' });
  source = await EtcdSource.connect({ endpoints: [etcd.endpoint] });
  store = new EtcdStore(source, { group: '', resource: 'configmaps', collectionKey: key });
}, 60_000);

afterAll(async () => {
  await source?.close();
  await etcd?.stop();
});

const cm = (ns: string, name: string, v: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns }, data: { v } });

describe('consistency checker on a real etcd', () => {
  let backend: CacherBackend | undefined;
  let profile: Profile = profile1_34;
  afterEach(async () => {
    await backend?.stop();
    backend = undefined;
  });

  async function open(ns: string, cacheSource: Source = source): Promise<CacherBackend> {
    for (let i = 0; i < 5; i++) await store.create(ns, `cm-${i}`, cm(ns, `cm-${i}`, String(i)));
    backend = createCacherBackend({
      source: cacheSource,
      storageSource: source,
      resources: [configmaps],
      delegate: (r) => etcdStoreDelegate(store, r),
      consistency: { profile: () => profile, periodMs: 0 },
    });
    backend.start();
    await backend.waitReady();
    return backend;
  }

  const untilCacheAt = async (b: CacherBackend, rv: number) => {
    const c = b.cachers.get('configmaps')!;
    for (let i = 0; i < 200 && c.resourceVersion < rv; i++) await new Promise((r) => setTimeout(r, 25));
    expect(c.resourceVersion).toBeGreaterThanOrEqual(rv);
  };

  it('a clean cache matches etcd at its resourceVersion', async () => {
    profile = profile1_34;
    const b = await open('clean');
    const rv = (await store.update('clean', 'cm-1', cm('clean', 'cm-1', 'changed'))).resourceVersion;
    await untilCacheAt(b, rv);
    const [r] = await b.checkConsistency('configmaps');
    expect(r!.check).toMatchObject({ state: 'match', differencesTotal: 0, consequence: 'snapshotsEnabled' });
    expect(r!.check.resourceVersion).toBeGreaterThanOrEqual(rv);
    expect(r!.check.objects).toBeGreaterThanOrEqual(5);
    expect(b.cachers.get('configmaps')!.info().consistency?.state).toBe('match');
  }, 60_000);

  it('a corrupted cached object is reported by name; under 1.34 snapshots go off until a check passes', async () => {
    profile = profile1_34;
    const b = await open('corrupt');
    const cacher = b.cachers.get('configmaps')!;
    const rv = cacher.resourceVersion;
    const exact = { verb: 'list' as const, group: '', resource: 'configmaps', query: { resourceVersion: String(rv), resourceVersionMatch: 'Exact' }, recursive: true };
    expect(decide(exact, b.resource('', 'configmaps')!.cacheState(), profile)).toMatchObject({ servedBy: 'cache', reason: 'exactRVFromSnapshot' });

    corruptCachedObject(cacher, `${key}corrupt/cm-3`, (o) => ((o.data as Record<string, string>).v = 'not what etcd holds'));
    const [r] = await b.checkConsistency('configmaps');
    expect(r!.check.state).toBe('mismatch');
    expect(r!.check.differences).toEqual([{ object: 'corrupt/cm-3', kind: 'value', cacheResourceVersion: expect.any(Number), etcdResourceVersion: expect.any(Number) }]);
    expect(r!.check.consequence).toBe('snapshotsDisabled');
    expect(cacher.info().snapshottingEnabled).toBe(false);
    // The router now sends the exact read to etcd and says why.
    const d = decide(exact, b.resource('', 'configmaps')!.cacheState(), profile);
    expect(d.servedBy).toBe('etcd');
    expect(d.detail).toContain('snapshots are disabled after a failed consistency check');

    // Undo the corruption: the next check passes and snapshots come back, from the next event on.
    corruptCachedObject(cacher, `${key}corrupt/cm-3`, (o) => ((o.data as Record<string, string>).v = '3'));
    const [again] = await b.checkConsistency('configmaps');
    expect(again!.check).toMatchObject({ state: 'match', consequence: 'snapshotsEnabled' });
    expect(cacher.info().snapshottingEnabled).toBeUndefined();
    expect(cacher.watchCache.snapshotAvailable(cacher.resourceVersion)).toBe(false);
    const next = (await store.update('corrupt', 'cm-0', cm('corrupt', 'cm-0', 'x'))).resourceVersion;
    await untilCacheAt(b, next);
    expect(cacher.watchCache.snapshotAvailable(next)).toBe(true);
  }, 60_000);

  it('a write the cache never saw, while its resourceVersion moved on, is reported with that object', async () => {
    profile = profile1_34;
    const losing = new LosingSource(source);
    const b = await open('lost', losing);
    losing.lose = `${key}lost/cm-2`;
    const lostRv = (await store.update('lost', 'cm-2', cm('lost', 'cm-2', 'unseen'))).resourceVersion;
    const created = (await store.create('lost', 'cm-new', cm('lost', 'cm-new', 'seen'))).resourceVersion;
    await untilCacheAt(b, created);
    const [r] = await b.checkConsistency('configmaps');
    expect(r!.check.state).toBe('mismatch');
    expect(r!.check.differencesTotal).toBe(1);
    expect(r!.check.differences[0]).toMatchObject({ object: 'lost/cm-2', kind: 'resourceVersion', etcdResourceVersion: lostRv });
    expect(r!.check.differences[0]!.cacheResourceVersion).toBeLessThan(lostRv);
  }, 60_000);

  it('under 1.33 (no DetectCacheInconsistency) the mismatch is reported and the cache is left alone', async () => {
    profile = profile1_33;
    const b = await open('old');
    const cacher = b.cachers.get('configmaps')!;
    corruptCachedObject(cacher, `${key}old/cm-0`, (o) => ((o.data as Record<string, string>).v = 'bad'));
    const [r] = await b.checkConsistency('configmaps');
    expect(r!.check).toMatchObject({ state: 'mismatch', consequence: 'none' });
    expect(cacher.info().snapshottingEnabled).toBeUndefined();
  }, 60_000);

  it('a resource without a checker, or unknown, is a clear error', async () => {
    profile = profile1_34;
    const b = await open('errors');
    await expect(b.checkConsistency('events')).rejects.toThrow('no watch cache for events');
  }, 60_000);
});
