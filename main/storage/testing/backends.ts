// The StoreUnderTest adapters for store_tests.ts: each turns the suite's client-level requests
// (resourceVersion text, resourceVersionMatch, limit, continue token, selector text) into calls
// on one storage path, the way upstream's Cacher and etcd3 store read ListOptions. Both run on a
// real etcd; writes always go through the etcd3 store.
import type { KubeObject } from '../object.js';
import { isStatusError } from '../errors.js';
import { startEtcd, type EtcdProcess } from '../etcd/process.js';
import { EtcdSource } from '../etcd/source.js';
import { EtcdStore } from '../etcd/store.js';
import { BUILTIN_RESOURCES, collectionKey } from '../resources.js';
import { parseFieldSelector } from '../selectors/field_selector.js';
import { parseLabelSelector } from '../selectors/label_selector.js';
import { prepareContinueToken } from '../continue.js';
import { areInitialEventsRequired, initialEventsAnnotationKey } from '../initial-events.js';
import { Cacher } from '../cacher/cacher.js';
import type { CacheListOptions, CacheWatchOptions, WatchEvent } from '../cacher/types.js';
import { continueKeyFromToken, etcdStoreDelegate, scopePrefix } from '../apiserver/etcd-delegate.js';
import { StorageWatch } from '../apiserver/storage-watch.js';
import { StorageWatcherRegistry } from '../apiserver/storage-watchers.js';
import type { StorageDelegate } from '../apiserver/backend.js';
import type { Source } from '../source.js';
import { KubeSource } from '../kube/source.js';
import { KubeStore } from '../kube/store.js';
import { kubeDelegate } from '../kube/delegate.js';
import { findKubeApiserver136, KUBE_136_MISSING_MESSAGE, startKube136, type RealApiserver } from '../kube/testing/kube-1.36.js';
import type { ListPage, PodSpec, SeenEvent, StoreUnderTest, WatchQuery, WatchUnderTest } from './store_tests.js';

const pods = BUILTIN_RESOURCES.find((r) => r.resource === 'pods')!;
const collection = collectionKey(pods);

function podObject(p: PodSpec): KubeObject {
  const o: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: p.name, namespace: p.namespace, ...(p.labels ? { labels: p.labels } : {}) } };
  if (p.nodeName) o.spec = { nodeName: p.nodeName };
  return o;
}

const keyOf = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

function seen(e: WatchEvent): SeenEvent {
  if (e.type === 'ERROR') return { type: 'ERROR', key: '', rv: Number((e.object as { code?: number }).code ?? 0) };
  const o = e.object as KubeObject;
  const rv = Number(o.metadata.resourceVersion);
  if (e.type === 'BOOKMARK') return { type: 'BOOKMARK', key: '', rv, initialEventsEnd: o.metadata.annotations?.[initialEventsAnnotationKey] === 'true' };
  return { type: e.type, key: keyOf(o), rv };
}

/** The Status code a client would get, for a rejected read. */
async function asFailure<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    if (isStatusError(e)) throw { code: e.code, message: e.message };
    throw e;
  }
}

function pull(h: { next(): Promise<WatchEvent | null>; stop(reason: 'clientGone'): void }): WatchUnderTest {
  let pending: Promise<WatchEvent | null> | undefined;
  return {
    async next(ms = 10_000) {
      pending ??= h.next();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no watch event within ${ms}ms`)), ms)));
      try {
        const e = await Promise.race([pending, timeout]);
        pending = undefined;
        return e ? seen(e) : null;
      } finally {
        clearTimeout(timer);
      }
    },
    stop: () => h.stop('clientGone'),
  };
}

/** A watch that failed to start: one ERROR event with the Status code, then the end. */
function failedWatch(code: number): WatchUnderTest {
  const events: (SeenEvent | null)[] = [{ type: 'ERROR', key: '', rv: code }, null];
  return { next: async () => events.shift() ?? null, stop: () => undefined };
}

interface EtcdHarness {
  etcd: EtcdProcess;
  source: EtcdSource;
  store: EtcdStore;
  writes: Pick<StoreUnderTest, 'create' | 'update' | 'delete' | 'compact'>;
  close(): Promise<void>;
}

async function openEtcd(): Promise<EtcdHarness> {
  const etcd = await startEtcd({ progressNotifyInterval: '1s' });
  const source = await EtcdSource.connect({ endpoints: [etcd.endpoint] });
  const store = new EtcdStore(source, { group: '', resource: 'pods', collectionKey: collection });
  // A few revisions before anyone reads, so revision 2 is older than any cache's first list.
  for (let i = 0; i < 3; i++) await store.create('suite-0', `seed-${i}`, podObject({ namespace: 'suite-0', name: `seed-${i}` }));
  return {
    etcd,
    source,
    store,
    writes: {
      create: async (p) => (await store.create(p.namespace, p.name, podObject(p))).resourceVersion,
      update: async (p) => (await store.update(p.namespace, p.name, podObject(p))).resourceVersion,
      // The deleted object comes back stamped with the delete's revision.
      delete: async (ns, name) => (await store.delete(ns, name)).resourceVersion,
      compact: async () => store.compact(await store.currentRevision()),
    },
    async close() {
      await source.close();
      await etcd.stop();
    },
  };
}

/**
 * Reads through a StorageDelegate and watches straight from a Source with StorageWatch: what the
 * endpoint does for a request the router sends to storage.
 */
function delegateReads(delegate: StorageDelegate, watchSource: Source): Pick<StoreUnderTest, 'list' | 'get' | 'watch'> {
  const registry = new StorageWatcherRegistry();
  return {
    list: (q) =>
      asFailure(
        delegate
          .getList({
            ...(q.namespace ? { namespace: q.namespace } : {}),
            labelSelector: parseLabelSelector(q.labelSelector ?? ''),
            fieldSelector: parseFieldSelector(q.fieldSelector ?? '', 'pods'),
            resourceVersion: q.resourceVersion,
            resourceVersionMatch: q.resourceVersionMatch ?? '',
            limit: q.limit ?? 0,
            continue: q.continue ?? '',
          })
          .then((r) => {
            const page: ListPage = { items: r.items.map((s) => [keyOf(s.object), s.resourceVersion]), resourceVersion: r.resourceVersion };
            if (r.continue) page.continue = r.continue;
            if (r.remainingItemCount !== undefined) page.remainingItemCount = r.remainingItemCount;
            return page;
          }),
      ),
    get: (ns, name, resourceVersion) => asFailure(delegate.get(ns, name, { resourceVersion }).then((s) => [keyOf(s.object), s.resourceVersion] as [string, number])),
    async watch(q: WatchQuery) {
      const rv = q.resourceVersion === '' ? 0 : Number(q.resourceVersion);
      const sw = new StorageWatch({
        res: pods,
        source: watchSource,
        collectionKey: collection,
        ...(q.namespace ? { namespace: q.namespace } : {}),
        labelSelector: parseLabelSelector(q.labelSelector ?? ''),
        fieldSelector: parseFieldSelector('', 'pods'),
        resourceVersion: rv,
        resourceVersionText: q.resourceVersion,
        initialEvents: areInitialEventsRequired(rv, q.sendInitialEvents),
        initialEventsEndBookmark: q.sendInitialEvents === true && q.allowWatchBookmarks === true,
        allowWatchBookmarks: q.allowWatchBookmarks === true,
        userAgent: 'store-suite',
        registry,
      });
      await sw.start();
      return pull(sw);
    },
  };
}

/** The etcd delegate: etcd3-store reads (etcd-delegate.ts) and watches straight from etcd (storage-watch.ts). */
export async function openEtcdDelegateStore(): Promise<StoreUnderTest> {
  const h = await openEtcd();
  return {
    ...h.writes,
    ...delegateReads(etcdStoreDelegate(h.store, pods), h.source),
    settle: async () => undefined,
    close: () => h.close(),
  };
}

/** Why the kube delegate cannot run here, or undefined when it can. */
export function kubeDelegateMissing(): string | undefined {
  return findKubeApiserver136() ? undefined : KUBE_136_MISSING_MESSAGE;
}

/**
 * The kube delegate (kube mode's storage): reads forwarded to a real kube-apiserver v1.36 that
 * stores in the suite's etcd, watches from it through KubeSource. Writes still go to etcd, which
 * the apiserver reads like its own (JSON values are decoded as kube-apiserver decodes them).
 */
export async function openKubeDelegateStore(): Promise<StoreUnderTest> {
  const h = await openEtcd();
  let api: RealApiserver | undefined;
  let source: KubeSource | undefined;
  try {
    api = await startKube136(h.etcd.endpoint);
    source = await KubeSource.connect({ kubeconfig: api.kubeconfig });
    const served = (await source.discoverResources()).find((r) => r.group === '' && r.resource === 'pods');
    if (!served) throw new Error('the apiserver does not serve pods');
    source.register(served, collection);
    const delegate = kubeDelegate(new KubeStore(source.client, served), source, pods, collection);
    const src = source;
    const apiserver = api;
    return {
      ...h.writes,
      ...delegateReads(delegate, src),
      // Its RV "0" reads come from its own watch cache: wait until that has the revision.
      settle: async (rv) => {
        const end = Date.now() + 15_000;
        while ((await delegate.getList({ labelSelector: parseLabelSelector(''), fieldSelector: parseFieldSelector('', 'pods'), resourceVersion: '0', resourceVersionMatch: '', limit: 1, continue: '' })).resourceVersion < rv) {
          if (Date.now() > end) throw new Error(`kube-apiserver's cache did not reach revision ${rv}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      },
      async close() {
        await src.close();
        await apiserver.stop();
        await h.close();
      },
    };
  } catch (e) {
    await source?.close().catch(() => undefined);
    await api?.stop();
    await h.close();
    throw e;
  }
}

/**
 * The Cacher, fed by the same etcd. Reads map onto it as upstream's Cacher.GetList does on 1.34+:
 * RV "" is a consistent read (etcd's revision, then wait for the cache), "0" any state, n with
 * NotOlderThan a wait for n, Exact and continue a snapshot at that revision.
 */
export async function openCacherStore(): Promise<StoreUnderTest> {
  const h = await openEtcd();
  const cacher = new Cacher({ group: '', resource: 'pods', kind: 'Pod', apiVersion: 'v1', collectionKey: collection, namespaced: true, indexTrigger: 'spec.nodeName', source: h.source, log: () => undefined });
  cacher.start();
  await cacher.waitReady();
  return {
    ...h.writes,
    settle: async (rv) => {
      await cacher.waitUntilFresh(rv);
    },
    list: (q) =>
      asFailure(
        (async () => {
          const opts: CacheListOptions = {
            labelSelector: parseLabelSelector(q.labelSelector ?? ''),
            fieldSelector: parseFieldSelector(q.fieldSelector ?? '', 'pods'),
            minResourceVersion: 0,
            ...(q.namespace ? { namespace: q.namespace } : {}),
            ...(q.limit ? { limit: q.limit } : {}),
          };
          const n = q.resourceVersion === '' ? 0 : Number(q.resourceVersion);
          if (q.continue) {
            const t = continueKeyFromToken(q.continue, collection, q.namespace);
            opts.continueKey = t.continueKey;
            opts.snapshotResourceVersion = t.rv;
          } else if (q.resourceVersion === '') {
            opts.minResourceVersion = await h.store.currentRevision();
          } else if (q.resourceVersionMatch === 'Exact') {
            opts.snapshotResourceVersion = n;
          } else {
            opts.minResourceVersion = n;
          }
          const r = await cacher.list(opts);
          const page: ListPage = { items: r.items.map((s) => [keyOf(s.object), s.resourceVersion]), resourceVersion: r.resourceVersion };
          if (r.continueKey !== undefined) page.continue = prepareContinueToken(collection + r.continueKey, scopePrefix(collection, q.namespace), r.resourceVersion);
          if (r.remainingItemCount !== undefined) page.remainingItemCount = r.remainingItemCount;
          return page;
        })(),
      ),
    get: (ns, name, resourceVersion) =>
      asFailure(
        (async () => {
          const min = resourceVersion === '' ? await h.store.currentRevision() : Number(resourceVersion);
          const r = await cacher.get(ns, name, min);
          if (!r.item) throw { code: 404 };
          return [keyOf(r.item.object), r.item.resourceVersion] as [string, number];
        })(),
      ),
    async watch(q: WatchQuery) {
      const opts: CacheWatchOptions = {
        ...(q.namespace ? { namespace: q.namespace } : {}),
        labelSelector: parseLabelSelector(q.labelSelector ?? ''),
        fieldSelector: parseFieldSelector('', 'pods'),
        resourceVersion: q.resourceVersion === '' ? 0 : Number(q.resourceVersion),
        resourceVersionText: q.resourceVersion,
        ...(q.sendInitialEvents !== undefined ? { sendInitialEvents: q.sendInitialEvents } : {}),
        allowWatchBookmarks: q.allowWatchBookmarks === true,
        deadline: Date.now() + 60_000,
        userAgent: 'store-suite',
      };
      try {
        return pull(cacher.watch(opts));
      } catch (e) {
        if (isStatusError(e)) return failedWatch(e.code);
        throw e;
      }
    },
    async close() {
      await cacher.stop();
      await h.close();
    },
  };
}
