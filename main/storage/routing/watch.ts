// WATCH: from the cache (its history, or its state as initial events first) or from etcd, and
// the watch-list stream (KEP-3157) with its initial-events-end bookmark, per release.
import { areInitialEventsRequired } from '../initial-events.js';
import { StatusError, newInvalid } from '../errors.js';
import type { ListOptions } from './options.js';
import { newUnknownServerError, parseResourceVersion } from './validation.js';
import { base, consistentReadSupported, notReadyError, reject, resilientInit, storageError, waitFor, type CacheDecision, type Ctx, type RoutingDecision } from './decision.js';

export function decideWatch(ctx: Ctx, opts: ListOptions, defaulted: boolean): RoutingDecision {
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

  const wlp = profile.rules.watchListWaitProgress;
  const progress =
    wlp === 'never' ? false : wlp === 'gate' ? profile.gates.ConsistentListFromCache : wlp === 'etcd' ? cache.etcdSupportsRequestWatchProgress : consistentReadSupported(profile, cache);
  const head = {
    ...base(ctx),
    servedBy: 'cache' as const,
    reason: 'servedFromCache' as const,
    rule,
    initialEvents: areInitialEventsRequired(parsed.rv, sie),
    initialEventsEndBookmark: sie === true && opts.allowWatchBookmarks,
  };
  let d: CacheDecision;
  if (sie === true) {
    const end = !opts.allowWatchBookmarks
      ? ''
      : profile.rules.initialEventsEndBookmark === 'afterInitialEvents'
        ? ', then at once the k8s.io/initial-events-end bookmark at the cache\'s RV'
        : ', then the k8s.io/initial-events-end bookmark with the next bookmark tick (up to a second later, after any live events due by then)';
    if (rvText === '' && profile.rules.watchListRVEmpty === 'holdBookmark') {
      d = {
        ...head,
        reason: 'consistentReadFromCache',
        consistentRead: true,
        initialEvents: true,
        endBookmarkAtEtcdRevision: true,
        detail: `Watch-list without resourceVersion (1.27–1.29): etcd's current revision is fetched, the cache's state streams at once as ADDED events, and the k8s.io/initial-events-end bookmark is held until the cache has reached that revision — no wait and no 504${defaultNote}.`,
      };
    } else if (rvText === '') {
      d = {
        ...head,
        reason: 'consistentReadFromCache',
        consistentRead: true,
        waitUntilFresh: true,
        requestProgress: progress,
        onTimeout: '504',
        errorDelivery: 'watchEvent',
        detail: `Watch-list: etcd's current revision is fetched, the cache waits for it (≤3s, else one ERROR 504 event), streams every object as ADDED${end}, then live events${defaultNote}.`,
      };
    } else if (parsed.rv === 0) {
      d = { ...head, detail: `Watch-list at RV "0": the cache's current state as ADDED events without waiting${end}, then live events${defaultNote}.` };
    } else {
      d = {
        ...head,
        ...waitFor(parsed.rv, progress),
        errorDelivery: 'watchEvent',
        detail: `Watch-list at RV ${parsed.rv}: the cache waits until it has reached it, streams its state as ADDED${end}, then live events.`,
      };
    }
  } else if (sie === false) {
    if (rvText === '') {
      d = { ...head, consistentRead: true, detail: "sendInitialEvents=false without resourceVersion: etcd's current revision is fetched and the watch starts from there, without initial events." };
    } else if (parsed.rv === 0) {
      d = { ...head, detail: "sendInitialEvents=false at RV \"0\": the watch starts from the cache's current revision, without initial events." };
    } else {
      d = { ...head, detail: `Events after RV ${parsed.rv} from the cache's history (410 Expired if ${parsed.rv} has left the window).` };
    }
  } else if (parsed.rv === 0) {
    d = {
      ...head,
      detail:
        rvText === ''
          ? 'A watch without resourceVersion is served by the cache like RV "0": its current state (which may lag etcd) as ADDED events, then live events.'
          : 'RV "0": the cache\'s current state as synthetic ADDED events, then live events.',
    };
  } else {
    d = { ...head, detail: `Events after RV ${parsed.rv} from the cache's history (410 Expired if ${parsed.rv} has left the window; a future RV waits silently for events).` };
  }
  if (!cache.ready) {
    return { ...d, reason: 'cacheNotReady', notReadyBehaviour: 'block', detail: `The cache is (re)initializing: the watch waits until it is ready (503 if the request ends first). ${d.detail}` };
  }
  return d;
}
