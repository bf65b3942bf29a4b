// What the endpoint needs from storage, per resource: the Cacher (absent when the watch cache is
// off for it), the delegate that reads and writes storage directly (the etcd3 store in etcd mode;
// a kube-mode delegate offers the same interface), the cache state the router decides on, and a
// Source for watches the router sends to storage.
import type { KubeObject, StoredObject } from '../object.js';
import type { Source } from '../source.js';
import type { CacheListOptions, CacheListResult, CacheWatchOptions, CacheWatcherHandle, CacherView, Selector } from '../cacher/types.js';
import type { CacheState } from '../routing/decide.js';
import type { ResourceInfo } from '../resources.js';

/** The Cacher surface the endpoint drives (main/storage/cacher/cacher.ts implements it). */
export interface CacherLike extends CacherView {
  list(opts: CacheListOptions): Promise<CacheListResult>;
  watch(opts: CacheWatchOptions): CacheWatcherHandle;
  /** GET from the cache after waiting for minRV (0 = no wait); a missing object has no item. */
  get(namespace: string | undefined, name: string, minRV: number, opts?: { requestProgress?: boolean }): Promise<{ item?: StoredObject; resourceVersion: number; waitedMs: number }>;
  /** Resolves when the cache is Ready (used where upstream blocks on readiness, ≤1.30). */
  waitReady(): Promise<void>;
}

export interface DelegateListOptions {
  /** undefined or '' = every namespace. */
  namespace?: string;
  /** Single-key read (field selector pinned metadata.name). */
  name?: string;
  labelSelector: Selector;
  fieldSelector: Selector;
  /** As sent: '' (quorum), '0', or n. */
  resourceVersion: string;
  /** '', 'Exact' or 'NotOlderThan'. */
  resourceVersionMatch: string;
  /** 0 = no limit. */
  limit: number;
  /** The client's continue token ('' = none). */
  continue: string;
}

export interface DelegateListResult {
  items: StoredObject[];
  resourceVersion: number;
  /** Upstream-format continue token for the next page. */
  continue?: string;
  remainingItemCount?: number;
}

export interface Preconditions {
  uid?: string;
  resourceVersion?: string;
}

/**
 * Direct storage access (upstream's etcd3 store). Errors are StatusErrors with kube's Status
 * (NotFound, AlreadyExists, Conflict, Expired, Timeout...).
 */
export interface StorageDelegate {
  getList(opts: DelegateListOptions): Promise<DelegateListResult>;
  /** resourceVersion: '' quorum, '0' any, n not older than n. Throws NotFound. */
  get(namespace: string | undefined, name: string, opts: { resourceVersion: string }): Promise<StoredObject>;
  /** Fails with AlreadyExists when the key exists. */
  create(namespace: string | undefined, name: string, obj: KubeObject): Promise<StoredObject>;
  /**
   * Writes `obj` if the key's current mod revision is `expectedResourceVersion` (Conflict
   * otherwise); without it, an unconditional update of an existing key (NotFound if absent).
   */
  update(namespace: string | undefined, name: string, obj: KubeObject, expectedResourceVersion?: number): Promise<StoredObject>;
  /**
   * Deletes and returns the object as it was; checks preconditions against etcd's copy. With
   * `expectedResourceVersion`: only if the key is still at that mod revision (Conflict otherwise).
   */
  delete(namespace: string | undefined, name: string, preconditions?: Preconditions, expectedResourceVersion?: number): Promise<StoredObject>;
  /**
   * True when the delegate is itself a kube-apiserver (kube mode): its registry applies graceful
   * deletion and finalizers, so the endpoint forwards writes instead of applying those rules.
   */
  readonly appliesRegistryRules?: boolean;
  /**
   * What really answers delegated reads when it is not etcd (kube mode: "the cluster's
   * kube-apiserver"); decisions name it instead of etcd.
   */
  readonly servedByName?: string;
  /** etcd's current revision (consistent reads fetch it first). */
  currentRevision(): Promise<number>;
}

export interface ResourceBackend {
  info: ResourceInfo;
  /** Absent when the watch cache is off for this resource (events by default). */
  cacher?: CacherLike;
  store: StorageDelegate;
  /** Source for watches served from storage; its key space is `collectionKey`. */
  source: Source;
  collectionKey: string;
  cacheState(): CacheState;
}

export interface StorageBackend {
  /** The backend serving one resource, or undefined if this server does not serve it. */
  resource(group: string, resource: string): ResourceBackend | undefined;
  /** Every resource served (drives discovery). */
  resources(): ResourceInfo[];
}
