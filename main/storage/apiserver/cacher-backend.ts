// Assembles the StorageBackend both modes serve from, as upstream's StorageWithCacher decorates
// each resource's storage: one Cacher per resource whose watch cache is on (kube-apiserver's
// defaults: every built-in resource but events) in front of that resource's delegate for direct
// reads and writes (the etcd3 store in etcd mode, the cluster's API in kube mode), and the
// CacheState the router decides on, read live from each Cacher.
import { Cacher, type CacherConfig } from '../cacher/cacher.js';
import type { CacheState } from '../routing/decide.js';
import type { Source } from '../source.js';
import { BUILTIN_RESOURCES, DEFAULT_ETCD_PREFIX, collectionKey, groupVersion, type ResourceInfo } from '../resources.js';
import type { ResourceBackend, StorageBackend, StorageDelegate } from './backend.js';
import { ConsistencyChecker, type ConsistencyResult, type EtcdLister } from '../cacher/consistency.js';
import { everythingFields } from '../selectors/field_selector.js';
import { everythingLabels } from '../selectors/label_selector.js';
import type { Profile } from '../routing/profiles.js';

/** The checker's view of etcd: the delegate's LIST at exactly a revision, then by continue token. */
function exactLister(store: StorageDelegate): EtcdLister {
  return (rv, token, limit) =>
    store.getList({
      labelSelector: everythingLabels(),
      fieldSelector: everythingFields(),
      resourceVersion: token ? '' : String(rv),
      resourceVersionMatch: token ? '' : 'Exact',
      limit,
      continue: token,
    });
}

/** What is known of etcd compactions (etcd/compact.ts EtcdCompactions). */
export interface CompactionsView {
  /** The newest revision recorded in compact_rev_key (the etcd3 store's CompactRevision()). */
  readonly keyRevision: number;
  /** etcd's own compaction revision. */
  readonly etcdRevision: number;
  start(): void;
  stop(): void;
}

export interface CacherBackendOptions {
  /** What the Cachers list and watch. */
  source: Source;
  /** What watches served from storage use (default: `source`). */
  storageSource?: Source;
  /** The direct-storage delegate of one resource (the etcd3 store, or the cluster in kube mode). */
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
  /**
   * Cache-vs-etcd consistency checks beside each Cacher (upstream's CacheDelegator runs them):
   * periodic when `periodMs` > 0, and on demand through checkConsistency().
   */
  consistency?: { profile: () => Profile; periodMs?: number };
}

export interface ConsistencyOutcome {
  /** "pods", "deployments.apps". */
  resource: string;
  replica?: string;
  check: ConsistencyResult;
}

export interface CacherBackend extends StorageBackend {
  cachers: Map<string, Cacher>;
  /** Starts every Cacher's ListAndWatch loop. */
  start(): void;
  /** Resolves once every Cacher is Ready. */
  waitReady(): Promise<void>;
  stop(): Promise<void>;
  /** Runs the consistency check of one cache ("pods", "deployments.apps") or of all of them. */
  checkConsistency(resource?: string): Promise<ConsistencyOutcome[]>;
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
  if (info.snapshottingEnabled === false) s.snapshottingEnabled = false;
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

export function createCacherBackend(opts: CacherBackendOptions): CacherBackend {
  const resources = opts.resources ?? BUILTIN_RESOURCES;
  const prefix = opts.etcdPrefix ?? DEFAULT_ETCD_PREFIX;
  const cachers = new Map<string, Cacher>();
  const backends = new Map<string, ResourceBackend>();
  const checkers = new Map<string, ConsistencyChecker>();
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
    if (cacher && opts.consistency) {
      const { profile, periodMs } = opts.consistency;
      const c = cacher;
      checkers.set(
        nameOf(r),
        new ConsistencyChecker(c, exactLister(b.store), key, {
          detectsInconsistency: () => profile().gates.DetectCacheInconsistency,
          keepsSnapshots: () => profile().gates.ListFromCacheSnapshot,
          periodMs: periodMs ?? 0,
          onResult: (result) => (c.consistency = result),
        }),
      );
    }
    backends.set(`${r.group}/${r.resource}`, b);
  }
  return {
    cachers,
    resource: (group, resource) => backends.get(`${group}/${resource}`),
    resources: () => [...resources],
    start() {
      opts.compactions?.start();
      for (const c of cachers.values()) c.start();
      for (const c of checkers.values()) c.start();
    },
    async waitReady() {
      await Promise.all([...cachers.values()].map((c) => c.waitReady()));
    },
    async stop() {
      opts.compactions?.stop();
      for (const c of checkers.values()) c.stop();
      await Promise.all([...cachers.values()].map((c) => c.stop()));
    },
    async checkConsistency(resource) {
      const names = resource === undefined ? [...checkers.keys()] : [resource];
      const out: ConsistencyOutcome[] = [];
      for (const name of names) {
        const checker = checkers.get(name);
        if (!checker) throw new Error(cachers.has(name) ? `consistency checks are off for ${name}` : `no watch cache for ${name}`);
        const replica = cachers.get(name)!.config.replica;
        out.push({ resource: name, ...(replica ? { replica } : {}), check: await checker.check() });
      }
      return out;
    },
  };
}
