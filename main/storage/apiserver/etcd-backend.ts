// Assembles the StorageBackend for etcd mode: one Cacher per resource whose watch cache is on
// (kube-apiserver's defaults: every built-in resource but events), the etcd delegate for direct
// reads and writes, and the CacheState the router decides on, read live from each Cacher.
import { Cacher, type CacherConfig } from '../cacher/cacher.js';
import type { CacheState } from '../routing/decide.js';
import type { Source } from '../source.js';
import { BUILTIN_RESOURCES, DEFAULT_ETCD_PREFIX, collectionKey, groupVersion, type ResourceInfo } from '../resources.js';
import type { ResourceBackend, StorageBackend, StorageDelegate } from './backend.js';

/** What is known of etcd compactions (etcd/compact.ts EtcdCompactions). */
export interface CompactionsView {
  /** The newest revision recorded in compact_rev_key (the etcd3 store's CompactRevision()). */
  readonly keyRevision: number;
  /** etcd's own compaction revision. */
  readonly etcdRevision: number;
  start(): void;
  stop(): void;
}

export interface EtcdBackendOptions {
  /** What the Cachers list and watch. */
  source: Source;
  /** What watches served from storage use (default: `source`). */
  storageSource?: Source;
  /** The direct-storage delegate of one resource (the etcd3 store). */
  delegate: (res: ResourceInfo, collectionKey: string) => StorageDelegate;
  resources?: readonly ResourceInfo[];
  etcdPrefix?: string;
  /** Per resource ("pods", "deployments.apps"): force the watch cache on or off. */
  watchCache?: Record<string, boolean>;
  /** Extra Cacher settings (history window, replica name, log...). */
  cacherConfig?: Partial<Omit<CacherConfig, 'group' | 'resource' | 'kind' | 'apiVersion' | 'collectionKey' | 'namespaced' | 'indexTrigger' | 'source'>>;
  /**
   * Override what the router is told about etcd's RequestWatchProgress support (default: the
   * source's own verdict, which follows upstream's version check).
   */
  etcdSupportsRequestWatchProgress?: boolean;
  /**
   * Follows compact_rev_key and etcd's compaction revision (started and stopped with the
   * backend): the Cachers' compactors prune snapshots by it, decisions explain compactions.
   */
  compactions?: CompactionsView;
}

export interface EtcdBackend extends StorageBackend {
  cachers: Map<string, Cacher>;
  /** Starts every Cacher's ListAndWatch loop. */
  start(): void;
  /** Resolves once every Cacher is Ready. */
  waitReady(): Promise<void>;
  stop(): Promise<void>;
}

const nameOf = (r: ResourceInfo) => (r.group ? `${r.resource}.${r.group}` : r.resource);

export function cacheStateOf(cacher: Cacher | undefined, source: Source, progressOverride?: boolean, compactions?: CompactionsView): CacheState {
  const etcdSupportsRequestWatchProgress = progressOverride ?? source.info().supportsRequestWatchProgress;
  if (!cacher) return { enabled: false, ready: false, resourceVersion: 0, etcdSupportsRequestWatchProgress };
  const info = cacher.info();
  const since = cacher.ready.unreadySince;
  const s: CacheState = {
    enabled: true,
    ready: cacher.ready.state === 'Ready',
    resourceVersion: info.resourceVersion,
    etcdSupportsRequestWatchProgress,
    oldestResourceVersion: info.oldestResourceVersion,
    snapshotAvailableFor: (rv) => info.ready === 'Ready' && cacher.watchCache.snapshotAvailable(rv),
  };
  if (compactions && cacher.compactor) {
    const compactor = cacher.compactor;
    s.compaction = {
      cacherRevision: compactor.revision,
      keyRevision: compactions.keyRevision,
      etcdRevision: compactions.etcdRevision,
      snapshotAvailableFor: (rv) => cacher.watchCache.snapshotAvailable(rv, true),
    };
  }
  if (since !== undefined) s.unreadyForMs = Date.now() - since;
  if (cacher.ready.state === 'Stopped') s.stopped = true;
  if (info.lastError) s.lastError = info.lastError;
  return s;
}

export function createEtcdBackend(opts: EtcdBackendOptions): EtcdBackend {
  const resources = opts.resources ?? BUILTIN_RESOURCES;
  const prefix = opts.etcdPrefix ?? DEFAULT_ETCD_PREFIX;
  const cachers = new Map<string, Cacher>();
  const backends = new Map<string, ResourceBackend>();
  for (const r of resources) {
    const key = collectionKey(r, prefix);
    const enabled = opts.watchCache?.[nameOf(r)] ?? r.watchCacheEnabled;
    let cacher: Cacher | undefined;
    if (enabled) {
      cacher = new Cacher({
        ...opts.cacherConfig,
        group: r.group,
        resource: r.resource,
        kind: r.kind,
        apiVersion: groupVersion(r),
        collectionKey: key,
        namespaced: r.namespaced,
        ...(r.indexTrigger ? { indexTrigger: r.indexTrigger } : {}),
        ...(opts.compactions ? { storeCompactRevision: () => opts.compactions!.keyRevision } : {}),
        source: opts.source,
      });
      cachers.set(nameOf(r), cacher);
    }
    const b: ResourceBackend = {
      info: r,
      store: opts.delegate(r, key),
      source: opts.storageSource ?? opts.source,
      collectionKey: key,
      cacheState: () => cacheStateOf(cacher, opts.source, opts.etcdSupportsRequestWatchProgress, opts.compactions),
    };
    if (cacher) b.cacher = cacher;
    backends.set(`${r.group}/${r.resource}`, b);
  }
  return {
    cachers,
    resource: (group, resource) => backends.get(`${group}/${resource}`),
    resources: () => [...resources],
    start() {
      opts.compactions?.start();
      for (const c of cachers.values()) c.start();
    },
    async waitReady() {
      await Promise.all([...cachers.values()].map((c) => c.waitReady()));
    },
    async stop() {
      opts.compactions?.stop();
      await Promise.all([...cachers.values()].map((c) => c.stop()));
    },
  };
}
