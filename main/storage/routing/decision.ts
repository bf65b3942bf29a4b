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

/** What every decision says: the rule that decided, why, and the query it decided on. */
interface DecisionCommon {
  reason: ReasonCode;
  /** One sentence a person understands. */
  detail: string;
  /** Which upstream table row and function decided, e.g. 'LIST L2 (1.31–1.32): Cacher.GetList → shouldDelegateList (cacher.go)'. */
  rule: string;
  /** The query after handler defaulting. */
  effectiveQuery: Record<string, string>;
  /** Fetch etcd's current revision first (quorum read, consistent read, RV "" watch-list). */
  consistentRead: boolean;
  /** The cache blocks (≤ blockTimeout) until its RV reaches the target before answering. */
  waitUntilFresh: boolean;
  /** Ask etcd for progress notifications while waiting. */
  requestProgress: boolean;
  /** Decoded continue token (recursive lists). */
  continueToken?: { rv: number; start: string };
}

/**
 * Fields a kind of decision cannot carry. Declared absent rather than left out, so that any
 * decision can be read field by field without first asking which kind it is.
 */
type Absent<K extends string> = { [P in K]?: undefined };

/** The cache-only fields: what an etcd read or an error never has. */
type CacheFields =
  | 'minResourceVersion'
  | 'snapshotResourceVersion'
  | 'onTimeout'
  | 'limit'
  | 'initialEvents'
  | 'initialEventsEndBookmark'
  | 'endBookmarkAtEtcdRevision';

/** Refused before storage (the handler's validation, an unready cache's 429, a router failure). */
export interface RejectedDecision extends DecisionCommon, Absent<CacheFields> {
  servedBy: 'rejected';
  /** The Status to send. */
  error: StatusError;
  errorDelivery: 'http';
  consistentRead: false;
  waitUntilFresh: false;
  requestProgress: false;
  notReadyBehaviour?: '429';
}

/**
 * An error storage itself answers (the Cacher's parse error, the etcd3 store's refusal, the
 * watch-list ERROR event): not a refusal before storage, so it is recorded as served by it.
 */
export interface StorageErrorDecision extends DecisionCommon, Absent<CacheFields | 'notReadyBehaviour'> {
  servedBy: 'cache' | 'etcd';
  error: StatusError;
  /** 'http': answer with this status; 'watchEvent': 200, then one ERROR event carrying it. */
  errorDelivery: 'http' | 'watchEvent';
  consistentRead: false;
  waitUntilFresh: false;
  requestProgress: false;
}

/** Delegated to etcd (in kube mode, to the cluster's apiserver). */
export interface EtcdDecision extends DecisionCommon, Absent<CacheFields | 'error' | 'errorDelivery'> {
  servedBy: 'etcd';
  waitUntilFresh: false;
  requestProgress: false;
  /** An unready cache's read that etcd serves instead (ResilientWatchCacheInitialization, RV "0"). */
  notReadyBehaviour?: 'delegate';
}

interface CacheCommon extends DecisionCommon, Absent<'error'> {
  servedBy: 'cache';
  /** The cache is not ready: the request waits for it (≤1.30, or KEP-4568 off), then is served. */
  notReadyBehaviour?: 'block';
  /** Serve from the cache's snapshot at this revision (exact / continue with ListFromCacheSnapshot). */
  snapshotResourceVersion?: number;
  /** Page size the cache applies (computeListLimit: 0 = all; RV "0" ignores limit). */
  limit?: number;
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

/** Answered from the cache as it is, without waiting. */
export interface CacheNowDecision extends CacheCommon, Absent<'minResourceVersion' | 'onTimeout' | 'errorDelivery'> {
  waitUntilFresh: false;
  requestProgress: false;
}

/**
 * The cache waits until it has reached a revision, then answers. A consistent read waits for
 * etcd's current revision, fetched when the request runs, and only it may fall back to etcd or
 * answer 429 on timeout (KEP-2340, ConsistentListFromCacheSkipTimeoutFallback); a wait for a
 * revision the client named ends in 504.
 */
export type CacheWaitDecision = CacheCommon & {
  waitUntilFresh: true;
  requestProgress: boolean;
  /** A watch's timeout is 200, then one ERROR event; otherwise the HTTP status. */
  errorDelivery?: 'watchEvent';
} & ({ consistentRead: true; minResourceVersion?: undefined; onTimeout: OnTimeout } | { consistentRead: false; minResourceVersion: number; onTimeout: '504' });

export type CacheDecision = CacheNowDecision | CacheWaitDecision;

/** The router's answer: who serves the request, or the error that answers it, and why. */
export type RoutingDecision = RejectedDecision | StorageErrorDecision | EtcdDecision | CacheDecision;

/** The freshness wait of a cache decision, for a request that names its revision (504 on timeout). */
export function waitFor(minResourceVersion: number, requestProgress: boolean): { waitUntilFresh: true; consistentRead: false; minResourceVersion: number; requestProgress: boolean; onTimeout: '504' } {
  return { waitUntilFresh: true, consistentRead: false, minResourceVersion, requestProgress, onTimeout: '504' };
}

export interface Ctx {
  req: RoutingRequest;
  cache: CacheState;
  profile: Profile;
  effectiveQuery: Record<string, string>;
}

/** What a decision that neither waits nor reads consistently starts from. */
export function base(ctx: Ctx): { effectiveQuery: Record<string, string>; consistentRead: false; waitUntilFresh: false; requestProgress: false } {
  return { effectiveQuery: ctx.effectiveQuery, consistentRead: false, waitUntilFresh: false, requestProgress: false };
}

export function reject(ctx: Ctx, error: StatusError, rule: string, detail: string, reason: ReasonCode = 'invalidRequest'): RejectedDecision {
  return { ...base(ctx), servedBy: 'rejected', reason, detail, rule, error, errorDelivery: 'http' };
}

/** An error storage itself answers: by the Cacher, or by the etcd3 store when the cache is off. */
export function storageError(ctx: Ctx, error: StatusError, rule: string, detail: string, reason: ReasonCode, delivery: 'http' | 'watchEvent' = 'http', by: 'cache' | 'etcd' = ctx.cache.enabled ? 'cache' : 'etcd'): StorageErrorDecision {
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

