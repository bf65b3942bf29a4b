// shouldDelegateList per release: whether a list the cache could serve goes to etcd instead, and
// why. ≤1.30 delegates any limit (the cache could not paginate); 1.31–1.32 keep the legacy
// "limit with RV n means exactly n" rule; 1.33+ (delegator.ShouldDelegateList) serve exact and
// continue reads from the cache's snapshots when ListFromCacheSnapshot is on.
import type { DecodedContinue } from '../continue.js';
import type { Profile } from './profiles.js';
import type { ReasonCode } from './reasons.js';
import type { ListOptions } from './options.js';
import { canServeExactRV, consistentReadSupported, snapshotting, type CacheState, type CompactionState } from './decision.js';

export interface ListRoute {
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
export function routeHasLimit(opts: ListOptions, profile: Profile): ListRoute {
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
export function routeLegacyExact(opts: ListOptions, profile: Profile, cache: CacheState): ListRoute {
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
export function routeDelegator(opts: ListOptions, profile: Profile, cache: CacheState, recursive: boolean, token: DecodedContinue | undefined): ListRoute {
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
    return del('snapshotUnavailable', `The cache no longer holds a snapshot at or below revision ${rv} (outside its window), so etcd serves it.`);
  }
  const c = cache.compaction;
  if (c && profile.rules.snapshotCompactor && !c.snapshotAvailableFor(rv)) {
    const etcdToo = c.etcdRevision > rv ? `; etcd compacted it too (at ${c.etcdRevision}) and answers 410` : '';
    return del('snapshotCompacted', `kube-apiserver's compactor recorded compaction at revision ${c.cacherRevision} (compact_rev_key) and the cacher's compactor dropped the snapshots below it, so etcd serves ${what}${etcdToo}.`);
  }
  if (c && c.etcdRevision > rv) {
    return { delegate: false, reason: 'snapshotOfCompactedRevision', detail: `Served from the cache's snapshot at ${what}, although etcd compacted it (at ${c.etcdRevision}): ${compactionUnseen(c, profile)}`, consistentRead: false, snapshotRV: rv };
  }
  return { delegate: false, reason: reasonOk, detail: `Served from the cache's snapshot at ${what}.`, consistentRead: false, snapshotRV: rv };
}

/** Why the cache still serves a revision etcd has compacted. */
function compactionUnseen(c: CompactionState, profile: Profile): string {
  if (!profile.rules.snapshotCompactor) return `${profile.label} has no cacher compactor, so snapshots leave only with the history window.`;
  if (c.keyRevision > c.cacherRevision) return `compact_rev_key says ${c.keyRevision}; the cacher's compactor reads it every 15 s and has not yet.`;
  return `the compaction was not made by kube-apiserver's compactor (compact_rev_key ${c.keyRevision ? `says ${c.keyRevision}` : 'was never written'}), so kube-apiserver does not know of it.`;
}

function servedDetail(opts: ListOptions): string {
  const rv = opts.resourceVersion;
  if (rv === '0' || rv === '') return `Served from the cache as it is, without waiting${opts.limit > 0 ? '; limit is ignored for RV "0" (whole list, no continue token)' : ''}.`;
  return `Served from the cache once it has reached RV ${rv} (waits up to 3s, then 504)${opts.limit > 0 ? `, first ${opts.limit} items with a continue token` : ''}.`;
}
