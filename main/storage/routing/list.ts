// LIST: the handler's storage validation, the release's shouldDelegateList, then what the cache
// does with a list it keeps: wait for a revision, read a snapshot, or fetch etcd's revision first
// (consistent read, KEP-2340), and what happens while it is not ready (KEP-4568).
import type { ListOptions } from './options.js';
import { newUnknownServerError, parseResourceVersion, validateStorageListOptions } from './validation.js';
import { routeDelegator, routeHasLimit, routeLegacyExact } from './should-delegate-list.js';
import { base, consistentReadSupported, notReadyError, reject, resilientInit, storageError, waitFor, type Ctx, type OnTimeout, type RoutingDecision } from './decision.js';

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

export function decideList(ctx: Ctx, opts: ListOptions): RoutingDecision {
  const { req, cache, profile } = ctx;
  const row = listRow(opts);
  const fn =
    profile.rules.router === 'delegator'
      ? 'CacheDelegator.GetList → delegator.ShouldDelegateList (cacher/delegator.go, delegator/interface.go)'
      : 'Cacher.GetList → shouldDelegateList (cacher.go)';
  const rule = `LIST ${row} (${profile.label}): ${fn}`;

  const sv = validateStorageListOptions(opts, req.recursive);
  if (sv.error && opts.continue !== '' && req.recursive) return reject(ctx, sv.error, `LIST ${row}: storage.ValidateListOptions`, `Rejected: ${sv.error.message}`);

  if (!cache.enabled) {
    if (sv.error) return storageError(ctx, sv.error, `LIST ${row}: etcd3 store GetList`, `The etcd3 store refuses it: ${sv.error.message}`, 'invalidResourceVersion', 'http', 'etcd');
    return { ...base(ctx), servedBy: 'etcd', reason: 'cacheDisabled', detail: 'The watch cache is off for this resource, so LIST reads etcd.', rule: `LIST ${row}: etcd3 store GetList (no cache)` };
  }
  if (sv.error && profile.rules.listInvalidRV === 'storage400') {
    return reject(ctx, sv.error, `LIST ${row}: storage.ValidateListOptions`, `Rejected: ${sv.error.message}`);
  }

  const route =
    profile.rules.router === 'delegator'
      ? routeDelegator(opts, profile, cache, req.recursive, sv.continueToken)
      : profile.rules.limitRule === 'hasLimit'
        ? routeHasLimit(opts, profile)
        : routeLegacyExact(opts, profile, cache);

  if (sv.error) {
    // ≤1.32: etcd3 answers 400, the Cacher's own ParseResourceVersion error becomes a 500.
    if (route.delegate) return storageError(ctx, sv.error, `${rule} → etcd3 store GetList`, `The etcd3 store refuses it: ${sv.error.message}`, 'invalidResourceVersion', 'http', 'etcd');
    const parsed = parseResourceVersion(opts.resourceVersion);
    const msg = parsed.ok ? 'invalid resource version' : parsed.error;
    return storageError(ctx, newUnknownServerError(msg), rule, "The resourceVersion is not a number: the Cacher's parse error reaches the client as a 500.", 'invalidResourceVersion');
  }

  const continueToken = sv.continueToken ? { rv: sv.continueToken.rv, start: sv.continueToken.start } : undefined;
  const common = { ...base(ctx), rule, ...(continueToken ? { continueToken } : {}) };

  if (route.delegate) {
    return { ...common, servedBy: 'etcd', reason: route.reason, detail: route.detail, consistentRead: route.consistentRead };
  }

  const listRV = sv.resourceVersion;
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
  const d = {
    ...common,
    servedBy: 'cache' as const,
    limit: opts.resourceVersion === '0' || opts.limit <= 0 ? 0 : opts.limit,
    // ≤1.30 (or ResilientWatchCacheInitialization off): a specific RV waits for readiness.
    ...(cache.ready
      ? { reason: route.reason, detail: route.detail }
      : { reason: 'cacheNotReady' as const, notReadyBehaviour: 'block' as const, detail: `The cache is (re)initializing: the list waits until it is ready (503 if the request ends first), then: ${route.detail}` }),
  };
  if (route.consistentRead) {
    const onTimeout: OnTimeout =
      profile.rules.consistentReadTimeout === '504' ? '504' : profile.gates.ConsistentListFromCacheSkipTimeoutFallback ? '429' : 'fallback';
    return { ...d, consistentRead: true, waitUntilFresh: true, requestProgress: progressAllowed, onTimeout };
  }
  if (route.snapshotRV !== undefined) {
    const snapshot = { ...d, snapshotResourceVersion: route.snapshotRV };
    return route.waitRV !== undefined ? { ...snapshot, ...waitFor(route.waitRV, progressAllowed) } : snapshot;
  }
  return listRV > 0 ? { ...d, ...waitFor(listRV, progressAllowed) } : d;
}
