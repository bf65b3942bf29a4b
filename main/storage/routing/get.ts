// GET of one object: RV "" is a quorum read from etcd, RV "0" is the cache as it is, RV n waits
// for the cache to reach n (Cacher.Get, or CacheDelegator.Get from 1.33).
import type { ListOptions } from './options.js';
import { newUnknownServerError, parseResourceVersion } from './validation.js';
import { base, consistentReadSupported, resilientInit, storageError, waitFor, type CacheWaitDecision, type Ctx, type RoutingDecision } from './decision.js';

export function decideGet(ctx: Ctx, opts: ListOptions): RoutingDecision {
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
  const served: CacheWaitDecision = {
    ...base(ctx),
    servedBy: 'cache',
    reason: 'servedFromCache',
    detail: `GET at RV ${n} is answered from the cache once it has reached ${n} (waits up to ${profile.rules.blockTimeoutMs / 1000}s, then 504).`,
    rule,
    ...waitFor(n, progress),
  };
  if (!cache.ready) {
    if (resilientInit(profile)) {
      return { ...base(ctx), servedBy: 'etcd', reason: 'cacheNotReadyDelegate', notReadyBehaviour: 'delegate', detail: `GET at RV ${n} while the cache is (re)initializing is read from etcd (ResilientWatchCacheInitialization).`, rule };
    }
    return { ...served, reason: 'cacheNotReady', notReadyBehaviour: 'block', detail: `GET at RV ${n} waits until the cache is ready, then is served from it (503 if the request ends first).` };
  }
  return served;
}
