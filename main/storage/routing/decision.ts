// What the router answers, and the pieces every decision family shares: the request and cache
// state it reads, the decision it returns, and the upstream predicates (ConsistentReadSupported,
// the unready cache's 429) that the list, get and watch rules all consult.
import { StatusError, newTooManyRequests } from '../errors.js';
import type { Profile } from './profiles.js';
import type { ReasonCode } from './reasons.js';

export type RoutingVerb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete';

export interface RoutingRequest {
  verb: RoutingVerb;
  group: string;
  resource: string;
  namespace?: string;
  name?: string;
  /** false for a GET, or when the field selector pins metadata.name (single-key list/watch). */
  recursive: boolean;
  /**
   * Raw query parameters: resourceVersion, resourceVersionMatch, limit, continue, labelSelector,
   * fieldSelector, sendInitialEvents, allowWatchBookmarks, timeoutSeconds, watch. A 'list' with
   * watch=true is decided as a watch.
   */
  query: Record<string, string>;
}

export interface CacheState {
  /** Watch cache on for this resource. */
  enabled: boolean;
  ready: boolean;
  /** Cache RV. */
  resourceVersion: number;
  /** How long the cache has been unready (drives the 1.33+ Retry-After). */
  unreadyForMs?: number;
  /** Upstream's etcd feature check (every endpoint ≥3.4.31 / ≥3.5.13). */
  etcdSupportsRequestWatchProgress: boolean;
  /** Whether the cache still holds a snapshot ≤ rv within its window (CanServeExactRV). */
  snapshotAvailableFor?: (rv: number) => boolean;
  /** Oldest RV of the history window; used when snapshotAvailableFor is absent. */
  oldestResourceVersion?: number;
  /**
   * False after a failed consistency check (MarkConsistent(false) purges snapshots, 1.34+).
   * Default: snapshots follow the ListFromCacheSnapshot gate.
   */
  snapshottingEnabled?: boolean;
  /** Compactions as the Cacher knows them (etcd mode only). */
  compaction?: CompactionState;
  /** Last ListAndWatch error, appended to the 429 message from 1.33. */
  lastError?: string;
  /** The Cacher was stopped (ready state Stopped): 1.33+ say so in the 429. */
  stopped?: boolean;
}

export interface CompactionState {
  /** What the cacher's compactor applied from compact_rev_key (read every 15 s); 0 = none. */
  cacherRevision: number;
  /** The newest revision recorded in compact_rev_key. */
  keyRevision: number;
  /** etcd's own compaction revision (reads below it fail), which upstream never reads. */
  etcdRevision: number;
  /** Whether a snapshot ≤ rv survives the compactor's pruning at cacherRevision. */
  snapshotAvailableFor(rv: number): boolean;
}

export type OnTimeout = '504' | 'fallback' | '429';

export interface RoutingDecision {
  servedBy: 'cache' | 'etcd' | 'rejected';
  reason: ReasonCode;
  /** One sentence a person understands. */
  detail: string;
  /** Which upstream table row and function decided, e.g. 'LIST L2 (1.31–1.32): Cacher.GetList → shouldDelegateList (cacher.go)'. */
  rule: string;
  /** The query after handler defaulting. */
  effectiveQuery: Record<string, string>;
  /** For rejected requests (and the watch-list ERROR): the Status to send. */
  error?: StatusError;
  /** 'http': answer with this status; 'watchEvent': 200, then one ERROR event carrying it. */
  errorDelivery?: 'http' | 'watchEvent';
  /** Fetch etcd's current revision first (consistent read / RV "" watch-list). */
  consistentRead: boolean;
  /** The cache blocks (≤ blockTimeout) until its RV reaches the target before answering. */
  waitUntilFresh: boolean;
  /** Wait target for RV n / NotOlderThan / exact future revisions (consistent reads: fetched at run time). */
  minResourceVersion?: number;
  /** Serve from the cache's snapshot at this revision (exact / continue with ListFromCacheSnapshot). */
  snapshotResourceVersion?: number;
  /** Ask etcd for progress notifications while waiting. */
  requestProgress: boolean;
  /** A consistent read that times out is retried against etcd (1.31+). */
  fallbackToEtcdOnTimeout: boolean;
  /** What a freshness wait that exceeds blockTimeout turns into. */
  onTimeout?: OnTimeout;
  /** What was done about an unready cache: wait for it, refuse (429), or use etcd. */
  notReadyBehaviour?: 'block' | '429' | 'delegate';
  /** Page size the cache applies (computeListLimit: 0 = all; RV "0" ignores limit). */
  limit?: number;
  /** Decoded continue token (recursive lists). */
  continueToken?: { rv: number; start: string };
  /** Watch: the stream starts with the current state as ADDED events. */
  initialEvents?: boolean;
  /** Watch: a BOOKMARK annotated k8s.io/initial-events-end follows the initial events. */
  initialEventsEndBookmark?: boolean;
  /**
   * Watch-list with RV "" on 1.27–1.29: stream the cache's state at once and hold the end
   * bookmark until the cache reaches etcd's current revision (fetched first).
   */
  endBookmarkAtEtcdRevision?: boolean;
}

export interface Ctx {
  req: RoutingRequest;
  cache: CacheState;
  profile: Profile;
  effectiveQuery: Record<string, string>;
}

export function base(ctx: Ctx): Omit<RoutingDecision, 'servedBy' | 'reason' | 'detail' | 'rule'> {
  return {
    effectiveQuery: ctx.effectiveQuery,
    consistentRead: false,
    waitUntilFresh: false,
    requestProgress: false,
    fallbackToEtcdOnTimeout: false,
  };
}

export function reject(ctx: Ctx, error: StatusError, rule: string, detail: string, reason: ReasonCode = 'invalidRequest'): RoutingDecision {
  return { ...base(ctx), servedBy: 'rejected', reason, detail, rule, error, errorDelivery: 'http' };
}

/**
 * An error storage itself answers (the Cacher's, or the etcd3 store's when the cache is off):
 * not a refusal before storage, so it is recorded as served by that storage.
 */
export function storageError(ctx: Ctx, error: StatusError, rule: string, detail: string, reason: ReasonCode, delivery: 'http' | 'watchEvent' = 'http', by: 'cache' | 'etcd' = ctx.cache.enabled ? 'cache' : 'etcd'): RoutingDecision {
  return { ...base(ctx), servedBy: by, reason, detail, rule, error, errorDelivery: delivery };
}

/** ConsistentReadSupported(): the gate, and from 1.31 an etcd that answers progress requests. */
export function consistentReadSupported(profile: Profile, cache: CacheState): boolean {
  if (!profile.gates.ConsistentListFromCache) return false;
  return profile.rules.consistentReadNeedsEtcdProgress ? cache.etcdSupportsRequestWatchProgress : true;
}

export function resilientInit(profile: Profile): boolean {
  return profile.gates.ResilientWatchCacheInitialization;
}

export function snapshotting(profile: Profile, cache: CacheState): boolean {
  return profile.gates.ListFromCacheSnapshot && cache.snapshottingEnabled !== false;
}

export function canServeExactRV(cache: CacheState, rv: number): boolean {
  if (cache.snapshotAvailableFor) return cache.snapshotAvailableFor(rv);
  return cache.oldestResourceVersion === undefined || rv >= cache.oldestResourceVersion;
}

/** calculateRetryAfterForUnreadyCache (1.33+ cacher/util.go), 1s before. */
export function retryAfterForUnreadyCache(profile: Profile, unreadyForMs: number | undefined): number {
  if (profile.rules.retryAfter === 'fixed1') return 1;
  const s = Math.max(0, unreadyForMs ?? 0) / 1000;
  return Math.trunc(Math.min(30, Math.max(1, Math.exp(0.06 * s))));
}

export function notReadyError(profile: Profile, cache: CacheState): StatusError {
  // 1.33+ ready.check words each state (readGenerationLocked): a stopped Cacher says so.
  let msg = 'storage is (re)initializing';
  if (profile.rules.notReadyMessageHasError && cache.stopped) msg = 'apiserver cacher is stopped';
  else if (profile.rules.notReadyMessageHasError && cache.lastError) msg += `: ${cache.lastError}`;
  return newTooManyRequests(msg, retryAfterForUnreadyCache(profile, cache.unreadyForMs));
}

