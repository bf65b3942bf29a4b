// The router: one pure function from (request, cache state, profile) to a decision — served by
// the watch cache, delegated to etcd, or rejected — and why, per the release the profile stands
// for. It never throws and never performs I/O; the Cacher and the endpoint act on its answer
// (wait targets, snapshot, progress requests, timeout behaviour).
//
// Upstream shape: ≤1.32 Cacher.GetList / Get / Watch route inline (shouldDelegateList in
// cacher.go); 1.33+ CacheDelegator (cacher/delegator.go) calls delegator.ShouldDelegateList
// (cacher/delegator/interface.go) and the Cacher's ShouldDelegateExactRV / ShouldDelegateContinue
// / ShouldDelegateConsistentRead.
import { areInitialEventsRequired } from '../initial-events.js';
import { StatusError, newBadRequest, newInvalid, newTooManyRequests } from '../errors.js';
import type { DecodedContinue } from '../continue.js';
import type { Profile } from './profiles.js';
import type { ReasonCode } from './reasons.js';
import { parseListOptions, type ListOptions } from './options.js';
import { defaultedQuery, setListOptionsDefaults } from './defaults.js';
import {
  newUnknownServerError,
  parseResourceVersion,
  validateListOptions,
  validateStorageListOptions,
} from './validation.js';

export type { ReasonCode } from './reasons.js';
export { reasonText, reasonCodes } from './reasons.js';

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
  /** Last ListAndWatch error, appended to the 429 message from 1.33. */
  lastError?: string;
  /** The Cacher was stopped (ready state Stopped): 1.33+ say so in the 429. */
  stopped?: boolean;
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

const WRITE_VERBS = new Set<RoutingVerb>(['create', 'update', 'patch', 'delete']);

interface Ctx {
  req: RoutingRequest;
  cache: CacheState;
  profile: Profile;
  effectiveQuery: Record<string, string>;
}

function base(ctx: Ctx): Omit<RoutingDecision, 'servedBy' | 'reason' | 'detail' | 'rule'> {
  return {
    effectiveQuery: ctx.effectiveQuery,
    consistentRead: false,
    waitUntilFresh: false,
    requestProgress: false,
    fallbackToEtcdOnTimeout: false,
  };
}

function reject(ctx: Ctx, error: StatusError, rule: string, detail: string, reason: ReasonCode = 'invalidRequest'): RoutingDecision {
  return { ...base(ctx), servedBy: 'rejected', reason, detail, rule, error, errorDelivery: 'http' };
}

/**
 * An error storage itself answers (the Cacher's, or the etcd3 store's when the cache is off):
 * not a refusal before storage, so it is recorded as served by that storage.
 */
function storageError(ctx: Ctx, error: StatusError, rule: string, detail: string, reason: ReasonCode, delivery: 'http' | 'watchEvent' = 'http', by: 'cache' | 'etcd' = ctx.cache.enabled ? 'cache' : 'etcd'): RoutingDecision {
  return { ...base(ctx), servedBy: by, reason, detail, rule, error, errorDelivery: delivery };
}

/** ConsistentReadSupported(): the gate, and from 1.31 an etcd that answers progress requests. */
function consistentReadSupported(profile: Profile, cache: CacheState): boolean {
  if (!profile.gates.ConsistentListFromCache) return false;
  return profile.rules.consistentReadNeedsEtcdProgress ? cache.etcdSupportsRequestWatchProgress : true;
}

function resilientInit(profile: Profile): boolean {
  return profile.gates.ResilientWatchCacheInitialization;
}

function snapshotting(profile: Profile, cache: CacheState): boolean {
  return profile.gates.ListFromCacheSnapshot && cache.snapshottingEnabled !== false;
}

function canServeExactRV(cache: CacheState, rv: number): boolean {
  if (cache.snapshotAvailableFor) return cache.snapshotAvailableFor(rv);
  return cache.oldestResourceVersion === undefined || rv >= cache.oldestResourceVersion;
}

/** calculateRetryAfterForUnreadyCache (1.33+ cacher/util.go), 1s before. */
export function retryAfterForUnreadyCache(profile: Profile, unreadyForMs: number | undefined): number {
  if (profile.rules.retryAfter === 'fixed1') return 1;
  const s = Math.max(0, unreadyForMs ?? 0) / 1000;
  return Math.trunc(Math.min(30, Math.max(1, Math.exp(0.06 * s))));
}

function notReadyError(profile: Profile, cache: CacheState): StatusError {
  // 1.33+ ready.check words each state (readGenerationLocked): a stopped Cacher says so.
  let msg = 'storage is (re)initializing';
  if (profile.rules.notReadyMessageHasError && cache.stopped) msg = 'apiserver cacher is stopped';
  else if (profile.rules.notReadyMessageHasError && cache.lastError) msg += `: ${cache.lastError}`;
  return newTooManyRequests(msg, retryAfterForUnreadyCache(profile, cache.unreadyForMs));
}

const isTrue = (v: string | undefined) => v !== undefined && !(v === '0' || v.toLowerCase() === 'false');

export function decide(req: RoutingRequest, cache: CacheState, profile: Profile): RoutingDecision {
  try {
    return decideInner(req, cache, profile);
  } catch (e) {
    // The router must answer every request; an internal bug still yields a well-formed decision.
    const ctx: Ctx = { req, cache, profile, effectiveQuery: { ...req.query } };
    return reject(ctx, new StatusError(500, 'InternalError', `Internal error occurred: ${String(e)}`), 'router', 'The router failed on this request.');
  }
}

function decideInner(req: RoutingRequest, cache: CacheState, profile: Profile): RoutingDecision {
  const verb: RoutingVerb = req.verb === 'list' && isTrue(req.query.watch) ? 'watch' : req.verb;
  if (WRITE_VERBS.has(verb)) return decideWrite({ req, cache, profile, effectiveQuery: { ...req.query } }, verb);

  const parsed = parseListOptions(req.query, verb === 'watch');
  if (verb === 'get') return decideGet({ req, cache, profile, effectiveQuery: { ...req.query } }, parsed.options);

  const watchList = profile.gates.WatchList;
  const defaulted = setListOptionsDefaults(parsed.options, watchList);
  const ctx: Ctx = { req, cache, profile, effectiveQuery: defaultedQuery(req.query, defaulted) };
  if (parsed.decodeError) {
    return reject(ctx, newBadRequest(parsed.decodeError), 'handler: query parameter conversion', 'A query parameter could not be decoded.');
  }
  const invalid = validateListOptions(defaulted.options, watchList);
  if (invalid) {
    return reject(ctx, invalid, 'handler: ValidateListOptions (apimachinery internalversion/validation)', `Rejected by the handler's validation: ${invalid.message}`);
  }
  return verb === 'watch' ? decideWatch(ctx, defaulted.options, defaulted.defaulted) : decideList(ctx, defaulted.options);
}

// --- writes --------------------------------------------------------------------------------

function decideWrite(ctx: Ctx, verb: RoutingVerb): RoutingDecision {
  const optimistic = verb !== 'create' && ctx.cache.enabled;
  return {
    ...base(ctx),
    servedBy: 'etcd',
    reason: 'writeToStorage',
    detail: optimistic
      ? `${verb} goes to etcd; the cache's copy of the object is passed as the optimistic starting state and etcd is re-read if the compare-and-swap fails.`
      : `${verb} goes to etcd.`,
    rule: `WRITE (§2.6): ${verb === 'create' ? 'Create' : verb === 'delete' ? 'Delete' : 'GuaranteedUpdate'} → etcd3 store`,
  };
}

// --- GET -----------------------------------------------------------------------------------

function decideGet(ctx: Ctx, opts: ListOptions): RoutingDecision {
  const { cache, profile } = ctx;
  const rvText = opts.resourceVersion;
  const fn = profile.rules.router === 'delegator' ? 'CacheDelegator.Get (delegator.go)' : 'Cacher.Get (cacher.go)';
  const row = rvText === '' ? 'GET RV ""' : rvText === '0' ? 'GET RV "0"' : 'GET RV n';
  const rule = `${row} (${profile.label}): ${fn}`;
  const parsed = parseResourceVersion(rvText);
  if (!cache.enabled) {
    if (!parsed.ok) return storageError(ctx, newUnknownServerError(parsed.error), `${row}: etcd3 store Get`, 'The resourceVersion is not a number: the etcd3 store\'s parse error reaches the client as a 500.', 'invalidResourceVersion');
    return { ...base(ctx), servedBy: 'etcd', reason: 'cacheDisabled', detail: 'The watch cache is off for this resource, so GET reads etcd.', rule: `${row}: etcd3 store Get (no cache)` };
  }
  if (rvText === '') {
    return { ...base(ctx), servedBy: 'etcd', reason: 'getQuorumRead', detail: 'GET without resourceVersion is a quorum read from etcd.', rule };
  }
  if (!parsed.ok) {
    return storageError(ctx, newUnknownServerError(parsed.error), rule, "The resourceVersion is not a number: the Cacher's own parse error reaches the client as a 500.", 'invalidResourceVersion');
  }
  if (parsed.rv === 0) {
    if (!cache.ready) {
      return { ...base(ctx), servedBy: 'etcd', reason: 'cacheNotReadyDelegate', notReadyBehaviour: 'delegate', detail: 'GET RV "0" while the cache is (re)initializing is read from etcd.', rule };
    }
    return { ...base(ctx), servedBy: 'cache', reason: 'servedFromCache', detail: 'GET RV "0" is answered from the cache as it is, without waiting.', rule };
  }
  const n = parsed.rv;
  const progress =
    profile.rules.getWaitProgress === 'never'
      ? false
      : profile.rules.getWaitProgress === 'gate'
        ? profile.gates.ConsistentListFromCache
        : consistentReadSupported(profile, cache);
  const served: RoutingDecision = {
    ...base(ctx),
    servedBy: 'cache',
    reason: 'servedFromCache',
    detail: `GET at RV ${n} is answered from the cache once it has reached ${n} (waits up to ${profile.rules.blockTimeoutMs / 1000}s, then 504).`,
    rule,
    waitUntilFresh: true,
    minResourceVersion: n,
    requestProgress: progress,
    onTimeout: '504',
  };
  if (!cache.ready) {
    if (resilientInit(profile)) {
      return { ...base(ctx), servedBy: 'etcd', reason: 'cacheNotReadyDelegate', notReadyBehaviour: 'delegate', detail: `GET at RV ${n} while the cache is (re)initializing is read from etcd (ResilientWatchCacheInitialization).`, rule };
    }
    return { ...served, reason: 'cacheNotReady', notReadyBehaviour: 'block', detail: `GET at RV ${n} waits until the cache is ready, then is served from it (503 if the request ends first).` };
  }
  return served;
}

// --- LIST ----------------------------------------------------------------------------------

/** The §2.3 table row a list falls in. */
export function listRow(opts: ListOptions): string {
  const m = opts.resourceVersionMatch;
  if (m !== '' && m !== 'Exact' && m !== 'NotOlderThan') return 'L10';
  if (opts.continue !== '') return 'L3';
  if (opts.resourceVersion === '') return opts.limit > 0 ? 'L2' : 'L1';
  if (opts.resourceVersion === '0') return 'L4';
  if (m === 'Exact') return 'L9';
  if (m === 'NotOlderThan') return opts.limit > 0 ? 'L8' : 'L7';
  return opts.limit > 0 ? 'L6' : 'L5';
}

interface ListRoute {
  delegate: boolean;
  reason: ReasonCode;
  detail: string;
  consistentRead: boolean;
  /** Exact read served from a snapshot at this revision. */
  snapshotRV?: number;
  /** Wait target for an exact future revision. */
  waitRV?: number;
}

const del = (reason: ReasonCode, detail: string, consistentRead = false): ListRoute => ({ delegate: true, reason, detail, consistentRead });
const fromCache = (reason: ReasonCode, detail: string, consistentRead = false): ListRoute => ({ delegate: false, reason, detail, consistentRead });

/** ≤1.30 shouldDelegateList: consistentReadFromStorage || hasContinuation || hasLimit || unsupportedMatch. */
function routeHasLimit(opts: ListOptions, profile: Profile): ListRoute {
  const clfc = profile.gates.ConsistentListFromCache;
  const rv = opts.resourceVersion;
  // All true conditions delegate alike; a continue page is named after the token (it is read at
  // the token's revision, not as a quorum read), so hasContinuation is checked first.
  if (opts.continue !== '') return del('hasContinuation', 'A continue token: the watch cache cannot paginate, so etcd serves the page at the token\'s revision.');
  if (rv === '' && !clfc) {
    return del('consistentReadFromStorage', 'No resourceVersion means "most recent": read from etcd with a quorum read' + (profile.gateSpecs.ConsistentListFromCache.stage === 'absent' ? '.' : ' (ConsistentListFromCache is off).'), true);
  }
  if (opts.limit > 0 && rv !== '0') return del('hasLimit', `limit=${opts.limit} with resourceVersion ${JSON.stringify(rv)}: the cache cannot paginate before 1.31, so etcd serves it.`);
  const m = opts.resourceVersionMatch;
  if (m !== '' && m !== 'NotOlderThan') return del('unsupportedMatch', `resourceVersionMatch=${m}: the watch cache only serves NotOlderThan.`);
  const listRVZero = rv === '' || rv === '0';
  const consistent = clfc && (profile.rules.consistentReadCheck === 'listRV==0' ? listRVZero : rv === '');
  if (consistent) {
    return fromCache(
      'consistentReadFromCache',
      rv === '0'
        ? 'ConsistentListFromCache (alpha) treats any listRV == 0 as a consistent read, so even RV "0" fetches etcd\'s revision and waits for the cache (1.28–1.29 quirk).'
        : "ConsistentListFromCache is on: etcd's current revision is fetched and the cache answers once it has caught up (no etcd version check before 1.31; 504 on timeout).",
      true,
    );
  }
  return fromCache('servedFromCache', servedDetail(opts));
}

/** 1.31–1.32 shouldDelegateList (cache paginates; legacy exact rule). */
function routeLegacyExact(opts: ListOptions, profile: Profile, cache: CacheState): ListRoute {
  const rv = opts.resourceVersion;
  switch (opts.resourceVersionMatch) {
    case 'Exact':
      return del('unsupportedMatch', 'resourceVersionMatch=Exact: this cache keeps no snapshots, so etcd serves the exact revision.');
    case 'NotOlderThan':
      return fromCache('servedFromCache', servedDetail(opts));
    case '':
      if (opts.limit > 0 && rv !== '' && rv !== '0') {
        return del('legacyExactMatch', `limit with resourceVersion ${rv} means "exactly at ${rv}" (legacy semantics); without snapshots etcd serves it.`);
      }
      if (opts.continue !== '') return del('hasContinuation', 'A continue token: etcd serves the page at the token\'s revision.');
      if (rv === '') return consistentRoute(profile, cache);
      return fromCache('servedFromCache', servedDetail(opts));
    default:
      return del('unsupportedMatch', `resourceVersionMatch=${opts.resourceVersionMatch} is not one the cache serves.`);
  }
}

function consistentRoute(profile: Profile, cache: CacheState): ListRoute {
  if (consistentReadSupported(profile, cache)) {
    return fromCache('consistentReadFromCache', "Consistent read from the cache: etcd's current revision is fetched, then the cache answers once it has caught up (progress requested while waiting).", true);
  }
  const why = !profile.gates.ConsistentListFromCache
    ? 'ConsistentListFromCache is off'
    : "etcd does not support RequestWatchProgress reliably (needs ≥3.4.31 or ≥3.5.13), so the cache cannot prove it is fresh";
  return del('consistentReadFromStorage', `No resourceVersion means "most recent": ${why}, so etcd serves it with a quorum read.`, true);
}

/** 1.33+ delegator.ShouldDelegateList with the Cacher's helpers. */
function routeDelegator(opts: ListOptions, profile: Profile, cache: CacheState, recursive: boolean, token: DecodedContinue | undefined): ListRoute {
  const rv = opts.resourceVersion;
  switch (opts.resourceVersionMatch) {
    case 'Exact':
      return exactRV(Number(rv), 'exact', profile, cache, recursive);
    case 'NotOlderThan':
      return fromCache('servedFromCache', servedDetail(opts));
    case '':
      if (opts.continue !== '') {
        if (!recursive) return del('singleKeyExactFromStorage', 'A continue token on a single-object list goes to etcd (the cache serves exact reads only for collections).');
        if (!snapshotting(profile, cache)) return del('hasContinuation', `A continue token: ${noSnapshotWhy(profile, cache)}, so etcd serves the page at the token's revision.`);
        if (token && token.rv > 0) return exactRV(token.rv, 'continue', profile, cache, recursive);
        // rv < 0: "continue at latest" after a compaction is a consistent read.
        return consistentRoute(profile, cache);
      }
      if (opts.limit > 0 && rv !== '' && rv !== '0') return exactRV(Number(rv), 'legacy', profile, cache, recursive);
      if (rv === '') return consistentRoute(profile, cache);
      return fromCache('servedFromCache', servedDetail(opts));
    default:
      return del('unsupportedMatch', `resourceVersionMatch=${opts.resourceVersionMatch} is not one the cache serves.`);
  }
}

function noSnapshotWhy(profile: Profile, cache: CacheState): string {
  if (!profile.gates.ListFromCacheSnapshot) return 'ListFromCacheSnapshot is off, so the cache keeps no snapshots';
  if (cache.snapshottingEnabled === false) return 'snapshots are disabled after a failed consistency check';
  return 'the cache keeps no snapshots';
}

/** Cacher.ShouldDelegateExactRV / shouldDelegateExactRV (1.33+). */
function exactRV(rv: number, kind: 'exact' | 'legacy' | 'continue', profile: Profile, cache: CacheState, recursive: boolean): ListRoute {
  const what = kind === 'continue' ? `the continue token's revision ${rv}` : `exactly revision ${rv}`;
  if (!recursive) return del('singleKeyExactFromStorage', `A single-object list at ${what} goes to etcd (exact reads from the cache are for collections only).`);
  if (!snapshotting(profile, cache)) {
    const reason: ReasonCode = kind === 'exact' ? 'unsupportedMatch' : kind === 'legacy' ? 'legacyExactMatch' : 'hasContinuation';
    return del(reason, `A read at ${what}: ${noSnapshotWhy(profile, cache)}, so etcd serves it.`);
  }
  const reasonOk: ReasonCode = kind === 'continue' ? 'continueFromSnapshot' : 'exactRVFromSnapshot';
  if (rv > cache.resourceVersion) {
    if (!consistentReadSupported(profile, cache)) {
      return del('futureRVFromStorage', `Revision ${rv} is ahead of the cache (${cache.resourceVersion}) and the cache cannot wait for it safely without etcd progress notifications, so etcd serves it.`);
    }
    return { delegate: false, reason: reasonOk, detail: `Revision ${rv} is ahead of the cache (${cache.resourceVersion}): the cache waits for it, then serves ${what} from its snapshot.`, consistentRead: false, snapshotRV: rv, waitRV: rv };
  }
  if (!canServeExactRV(cache, rv)) {
    return del('snapshotUnavailable', `The cache no longer holds a snapshot at revision ${rv} (outside its window), so etcd serves it.`);
  }
  return { delegate: false, reason: reasonOk, detail: `Served from the cache's snapshot at ${what}.`, consistentRead: false, snapshotRV: rv };
}

function servedDetail(opts: ListOptions): string {
  const rv = opts.resourceVersion;
  if (rv === '0' || rv === '') return `Served from the cache as it is, without waiting${opts.limit > 0 ? '; limit is ignored for RV "0" (whole list, no continue token)' : ''}.`;
  return `Served from the cache once it has reached RV ${rv} (waits up to 3s, then 504)${opts.limit > 0 ? `, first ${opts.limit} items with a continue token` : ''}.`;
}

function decideList(ctx: Ctx, opts: ListOptions): RoutingDecision {
  const { req, cache, profile } = ctx;
  const row = listRow(opts);
  const fn =
    profile.rules.router === 'delegator'
      ? 'CacheDelegator.GetList → delegator.ShouldDelegateList (cacher/delegator.go, delegator/interface.go)'
      : 'Cacher.GetList → shouldDelegateList (cacher.go)';
  const rule = `LIST ${row} (${profile.label}): ${fn}`;

  const sv = validateStorageListOptions(opts, req.recursive);
  const continueErr = sv.error && opts.continue !== '' && req.recursive;
  if (continueErr) return reject(ctx, sv.error!, `LIST ${row}: storage.ValidateListOptions`, `Rejected: ${sv.error!.message}`);
  const rvInvalid = sv.error !== undefined;

  if (!cache.enabled) {
    if (rvInvalid) return storageError(ctx, sv.error!, `LIST ${row}: etcd3 store GetList`, `The etcd3 store refuses it: ${sv.error!.message}`, 'invalidResourceVersion', 'http', 'etcd');
    return { ...base(ctx), servedBy: 'etcd', reason: 'cacheDisabled', detail: 'The watch cache is off for this resource, so LIST reads etcd.', rule: `LIST ${row}: etcd3 store GetList (no cache)` };
  }
  if (rvInvalid && profile.rules.listInvalidRV === 'storage400') {
    return reject(ctx, sv.error!, `LIST ${row}: storage.ValidateListOptions`, `Rejected: ${sv.error!.message}`);
  }

  const route =
    profile.rules.router === 'delegator'
      ? routeDelegator(opts, profile, cache, req.recursive, sv.continueToken)
      : profile.rules.limitRule === 'hasLimit'
        ? routeHasLimit(opts, profile)
        : routeLegacyExact(opts, profile, cache);

  if (rvInvalid) {
    // ≤1.32: etcd3 answers 400, the Cacher's own ParseResourceVersion error becomes a 500.
    if (route.delegate) return storageError(ctx, sv.error!, `${rule} → etcd3 store GetList`, `The etcd3 store refuses it: ${sv.error!.message}`, 'invalidResourceVersion', 'http', 'etcd');
    const parsed = parseResourceVersion(opts.resourceVersion);
    const msg = parsed.ok ? 'invalid resource version' : parsed.error;
    return storageError(ctx, newUnknownServerError(msg), rule, "The resourceVersion is not a number: the Cacher's parse error reaches the client as a 500.", 'invalidResourceVersion');
  }

  const continueToken = sv.continueToken ? { rv: sv.continueToken.rv, start: sv.continueToken.start } : undefined;
  const common = { ...base(ctx), rule, ...(continueToken ? { continueToken } : {}) };

  if (route.delegate) {
    return { ...common, servedBy: 'etcd', reason: route.reason, detail: route.detail, consistentRead: route.consistentRead };
  }

  const listRV = sv.resourceVersion ?? 0;
  if (!cache.ready) {
    if (resilientInit(profile)) {
      const noSelectors = opts.labelSelector === '' && opts.fieldSelector === '';
      if (opts.limit > 0 && noSelectors) {
        return { ...common, servedBy: 'etcd', reason: 'cacheNotReadyDelegate', notReadyBehaviour: 'delegate', detail: 'The cache is (re)initializing; a paginated list without selectors is cheap enough for etcd (shouldDelegateListOnNotReadyCache).' };
      }
      const err = notReadyError(profile, cache);
      return { ...common, servedBy: 'rejected', reason: 'cacheNotReady', notReadyBehaviour: '429', error: err, errorDelivery: 'http', detail: `The cache is (re)initializing: 429 with Retry-After ${err.retryAfterSeconds}s (KEP-4568).` };
    }
    if (listRV === 0) {
      return { ...common, servedBy: 'etcd', reason: 'cacheNotReadyDelegate', notReadyBehaviour: 'delegate', detail: 'The cache is (re)initializing and no specific resourceVersion is required, so etcd serves the list.' };
    }
  }

  const clfc = profile.gates.ConsistentListFromCache;
  const progressAllowed = profile.rules.listWaitProgress === 'gate' ? clfc : consistentReadSupported(profile, cache);
  const d: RoutingDecision = { ...common, servedBy: 'cache', reason: route.reason, detail: route.detail };
  d.limit = opts.resourceVersion === '0' || opts.limit <= 0 ? 0 : opts.limit;
  if (route.consistentRead) {
    d.consistentRead = true;
    d.waitUntilFresh = true;
    d.requestProgress = progressAllowed;
    if (profile.rules.consistentReadTimeout === '504') d.onTimeout = '504';
    else d.onTimeout = profile.gates.ConsistentListFromCacheSkipTimeoutFallback ? '429' : 'fallback';
    d.fallbackToEtcdOnTimeout = d.onTimeout === 'fallback';
  } else if (route.snapshotRV !== undefined) {
    d.snapshotResourceVersion = route.snapshotRV;
    if (route.waitRV !== undefined) {
      d.minResourceVersion = route.waitRV;
      d.waitUntilFresh = true;
      d.requestProgress = progressAllowed;
      d.onTimeout = '504';
    }
  } else if (listRV > 0) {
    d.minResourceVersion = listRV;
    d.waitUntilFresh = true;
    d.requestProgress = progressAllowed;
    d.onTimeout = '504';
  }
  if (!cache.ready) {
    // ≤1.30 (or ResilientWatchCacheInitialization off): a specific RV waits for readiness.
    d.reason = 'cacheNotReady';
    d.notReadyBehaviour = 'block';
    d.detail = `The cache is (re)initializing: the list waits until it is ready (503 if the request ends first), then: ${route.detail}`;
  }
  return d;
}

// --- WATCH ---------------------------------------------------------------------------------

function decideWatch(ctx: Ctx, opts: ListOptions, defaulted: boolean): RoutingDecision {
  const { cache, profile } = ctx;
  const rvText = opts.resourceVersion;
  const rowRV = rvText === '' ? 'RV ""' : rvText === '0' ? 'RV "0"' : 'RV n';
  const row = `WATCH ${rowRV}${opts.sendInitialEvents === undefined ? '' : ` sendInitialEvents=${opts.sendInitialEvents}`}`;
  const rule = `${row} (${profile.label}): Cacher.Watch (cacher.go)${defaulted ? ' after SetListOptionsDefaults' : ''}`;
  const parsed = parseResourceVersion(rvText);
  if (!parsed.ok) {
    return storageError(ctx, newUnknownServerError(parsed.error), cache.enabled ? rule : `${row}: etcd3 store Watch (no cache)`, `The resourceVersion is not a number: the ${cache.enabled ? "Cacher's" : "etcd3 store's"} parse error reaches the client as a 500.`, 'invalidResourceVersion');
  }
  const defaultNote = defaulted ? ' (the handler turned this plain watch into a watch-list request because WatchList is on)' : '';

  if (!cache.enabled) {
    // Before 1.29 the etcd3 store refuses sendInitialEvents (422, field error on the resource);
    // 1.28 lets through what an old server would have served anyway: no bookmarks, RV ""/"0".
    const compatible = profile.rules.etcdWatchListCompatibleExemption && !opts.allowWatchBookmarks && (rvText === '' || rvText === '0');
    if (opts.sendInitialEvents !== undefined && !profile.rules.etcdWatchList && !compatible) {
      return reject(
        ctx,
        newInvalid(ctx.req.resource, '', [{ field: 'sendInitialEvents', message: 'Forbidden: for watch is unsupported by an etcd cluster', type: 'FieldValueForbidden' }], ctx.req.group || undefined),
        `${row}: etcd3 store Watch (no cache)`,
        `The watch cache is off and the etcd3 store cannot send initial events before 1.29${profile.rules.etcdWatchListCompatibleExemption ? ' (1.28 only lets allowWatchBookmarks=false with RV ""/"0" through)' : ''}.`,
        'watchListNotSupported',
      );
    }
    return { ...base(ctx), servedBy: 'etcd', reason: 'cacheDisabled', detail: 'The watch cache is off for this resource, so the watch is an etcd watch.', rule: `${row}: etcd3 store Watch (no cache)` };
  }

  // Upstream resets sendInitialEvents when WatchList is off ("super-safe"); validation already refused it.
  const sie = profile.gates.WatchList ? opts.sendInitialEvents : undefined;

  if (sie === undefined && rvText === '') {
    const w = profile.rules.watchRVEmpty;
    if (w === 'storage' || (w === 'gate' && profile.gates.WatchFromStorageWithoutResourceVersion)) {
      return {
        ...base(ctx),
        servedBy: 'etcd',
        reason: 'watchFromStorage',
        detail:
          w === 'storage'
            ? 'A watch without resourceVersion is served by etcd so it starts from the latest state (1.27.0–.12 rule).'
            : 'WatchFromStorageWithoutResourceVersion is on: a watch without resourceVersion is served by etcd.',
        rule,
      };
    }
  }

  if (!cache.ready && resilientInit(profile)) {
    const err = notReadyError(profile, cache);
    return { ...base(ctx), servedBy: 'rejected', reason: 'cacheNotReady', notReadyBehaviour: '429', error: err, errorDelivery: 'http', detail: `The cache is (re)initializing: 429 with Retry-After ${err.retryAfterSeconds}s (KEP-4568).`, rule };
  }

  const isListWatch = sie === true && opts.allowWatchBookmarks;
  if (profile.rules.watchListRequiresEtcdProgress && isListWatch && !cache.etcdSupportsRequestWatchProgress) {
    return storageError(
      ctx,
      new StatusError(500, 'InternalError', 'a watch stream was requested by the client but the required storage feature RequestWatchProgress is disabled'),
      rule,
      `A watch-list stream needs etcd progress notifications this etcd cannot give reliably: the Cacher answers 200 then one ERROR event, and client-go falls back to LIST${defaultNote}.`,
      'etcdLacksProgress',
      'watchEvent',
    );
  }

  const d: RoutingDecision = { ...base(ctx), servedBy: 'cache', reason: 'servedFromCache', detail: '', rule };
  const wlp = profile.rules.watchListWaitProgress;
  const progress =
    wlp === 'never' ? false : wlp === 'gate' ? profile.gates.ConsistentListFromCache : wlp === 'etcd' ? cache.etcdSupportsRequestWatchProgress : consistentReadSupported(profile, cache);
  d.initialEvents = areInitialEventsRequired(parsed.rv, sie);
  if (sie === true) {
    d.initialEventsEndBookmark = opts.allowWatchBookmarks;
    const end = !opts.allowWatchBookmarks
      ? ''
      : profile.rules.initialEventsEndBookmark === 'afterInitialEvents'
        ? ', then at once the k8s.io/initial-events-end bookmark at the cache\'s RV'
        : ', then the k8s.io/initial-events-end bookmark with the next bookmark tick (up to a second later, after any live events due by then)';
    if (rvText === '' && profile.rules.watchListRVEmpty === 'holdBookmark') {
      d.reason = 'consistentReadFromCache';
      d.consistentRead = true;
      d.initialEvents = true;
      d.endBookmarkAtEtcdRevision = true;
      d.detail = `Watch-list without resourceVersion (1.27–1.29): etcd's current revision is fetched, the cache's state streams at once as ADDED events, and the k8s.io/initial-events-end bookmark is held until the cache has reached that revision — no wait and no 504${defaultNote}.`;
    } else if (rvText === '') {
      d.reason = 'consistentReadFromCache';
      d.consistentRead = true;
      d.waitUntilFresh = true;
      d.requestProgress = progress;
      d.onTimeout = '504';
      d.errorDelivery = 'watchEvent';
      d.detail = `Watch-list: etcd's current revision is fetched, the cache waits for it (≤3s, else one ERROR 504 event), streams every object as ADDED${end}, then live events${defaultNote}.`;
    } else if (parsed.rv === 0) {
      d.detail = `Watch-list at RV "0": the cache's current state as ADDED events without waiting${end}, then live events${defaultNote}.`;
    } else {
      d.minResourceVersion = parsed.rv;
      d.waitUntilFresh = true;
      d.requestProgress = progress;
      d.onTimeout = '504';
      d.errorDelivery = 'watchEvent';
      d.detail = `Watch-list at RV ${parsed.rv}: the cache waits until it has reached it, streams its state as ADDED${end}, then live events.`;
    }
  } else if (sie === false) {
    d.initialEventsEndBookmark = false;
    if (rvText === '') {
      d.consistentRead = true;
      d.detail = "sendInitialEvents=false without resourceVersion: etcd's current revision is fetched and the watch starts from there, without initial events.";
    } else if (parsed.rv === 0) {
      d.detail = "sendInitialEvents=false at RV \"0\": the watch starts from the cache's current revision, without initial events.";
    } else {
      d.detail = `Events after RV ${parsed.rv} from the cache's history (410 Expired if ${parsed.rv} has left the window).`;
    }
  } else {
    d.initialEventsEndBookmark = false;
    if (parsed.rv === 0) {
      d.detail =
        rvText === ''
          ? 'A watch without resourceVersion is served by the cache like RV "0": its current state (which may lag etcd) as ADDED events, then live events.'
          : 'RV "0": the cache\'s current state as synthetic ADDED events, then live events.';
    } else {
      d.detail = `Events after RV ${parsed.rv} from the cache's history (410 Expired if ${parsed.rv} has left the window; a future RV waits silently for events).`;
    }
  }
  if (!cache.ready) {
    d.reason = 'cacheNotReady';
    d.notReadyBehaviour = 'block';
    d.detail = `The cache is (re)initializing: the watch waits until it is ready (503 if the request ends first). ${d.detail}`;
  }
  return d;
}
