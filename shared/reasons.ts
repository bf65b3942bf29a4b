// Every reason code a decision can carry, with one explanation each and the upstream rule it
// names. The router and the endpoint may only record codes from this list (the type says so), and
// the UI shows these texts; reasons.test.ts fails when a code lacks text or when a listed code is
// never produced.

export interface ReasonText {
  /** What it means, in words. */
  meaning: string;
  /** The upstream condition (file / function / variable) that triggers it. */
  condition: string;
}

export const REASONS = {
  // --- reads served by the watch cache ------------------------------------------------------
  servedFromCache: {
    meaning: 'Served from the watch cache, at a resourceVersion not older than the one asked for (RV "0": whatever the cache has, no wait).',
    condition: 'shouldDelegateList / ShouldDelegateList returned false for RV "0", RV n or RVM=NotOlderThan; GET/WATCH with RV "0" or n.',
  },
  consistentReadFromCache: {
    meaning: "A consistent read served by the cache: etcd's current revision is fetched first and the cache waits (≤3s, with progress requests) until it has caught up.",
    condition: 'RV "" with ConsistentReadSupported() (ConsistentListFromCache and, from 1.31, etcd ≥3.4.31/3.5.13); 1.28–1.29 also RV "0" (listRV == 0). Watch-list with RV "".',
  },
  exactRVFromSnapshot: {
    meaning: "An exact-revision read served from the cache's snapshot at (or just below) that revision.",
    condition: 'ShouldDelegateExactRV: snapshotting enabled and CanServeExactRV(rv) (ListFromCacheSnapshot, 1.33 alpha, 1.34+ beta).',
  },
  continueFromSnapshot: {
    meaning: "A continue page served from the cache's snapshot at the token's revision.",
    condition: 'ShouldDelegateContinue: token rv > 0 and the snapshot is still held (ListFromCacheSnapshot).',
  },
  snapshotOfCompactedRevision: {
    meaning:
      "Served from the cache's snapshot although etcd has compacted that revision (etcd itself would answer 410). kube-apiserver learns compactions only from compact_rev_key, which its own compactor writes: a compaction made directly on etcd never reaches the cache, the cacher's compactor reads the key only every 15 s, and 1.33 has no such compactor at all.",
    condition: 'ShouldDelegateExactRV / ShouldDelegateContinue: snapshots.GetLessOrEqual(rv) still finds one; etcd3 store CompactRevision() (compact_rev_key) has not passed rv, or compactor.go has not polled it yet (1.34+).',
  },
  // --- reads delegated to etcd ---------------------------------------------------------------
  consistentReadFromStorage: {
    meaning: 'A consistent read (no resourceVersion) sent to etcd as a quorum read, because the cache cannot prove it is fresh enough.',
    condition: 'consistentReadFromStorage: RV "" and not ConsistentReadSupported() (gate off, or etcd lacks RequestWatchProgress).',
  },
  getQuorumRead: {
    meaning: 'GET without resourceVersion is a quorum read from etcd.',
    condition: 'Cacher.Get / CacheDelegator.Get: opts.ResourceVersion == "".',
  },
  hasContinuation: {
    meaning: "A continue token: the next page is read from etcd at the token's revision.",
    condition: 'hasContinuation (≤1.32); 1.33+ ShouldDelegateContinue when the cache has no snapshots (ListFromCacheSnapshot off).',
  },
  hasLimit: {
    meaning: 'A paginated list (limit set, RV not "0") goes to etcd: the cache could not paginate before 1.31.',
    condition: 'hasLimit = limit > 0 && RV != "0" (≤1.30 shouldDelegateList).',
  },
  legacyExactMatch: {
    meaning: 'limit with RV n and no resourceVersionMatch means "exactly at n" (legacy semantics); the cache cannot serve that without snapshots.',
    condition: 'limit > 0 && RV not ""/"0" && RVM unset (1.31+ shouldDelegateList; 1.33+ ShouldDelegateExactRV with snapshots off).',
  },
  snapshotCompacted: {
    meaning:
      "kube-apiserver's compactor recorded a compaction in compact_rev_key and the cacher's compactor dropped the snapshots below it, so this exact or continue read goes to etcd, which answers 410 Expired (a continue token gets the inconsistent-continue token with resourceVersion -1).",
    condition: 'compactor.go compactIfNeeded (every 15 s, 1.34+ with ListFromCacheSnapshot) → watchCache.Compact(rev) → snapshots.RemoveLess(rev); then ShouldDelegateExactRV: !GetLessOrEqual(rv).',
  },
  snapshotUnavailable: {
    meaning: 'The cache no longer holds a snapshot at or below that revision: snapshots go with the history window (none is kept below the oldest buffered event once the buffer is full, not even at its RV − 1 where a watch may still resume), so etcd serves it.',
    condition: 'ShouldDelegateExactRV: !snapshots.GetLessOrEqual(rv) after RemoveLess(oldest event RV) in processEvent (a 410 from the cache later also falls back to etcd).',
  },
  futureRVFromStorage: {
    meaning: 'An exact read at a revision the cache has not reached, and the cache cannot wait for it safely (no progress notifications), so etcd answers.',
    condition: 'shouldDelegateExactRV: notFresh(rv) && !ConsistentReadSupported().',
  },
  unsupportedMatch: {
    meaning: 'The cache cannot serve this resourceVersionMatch (Exact before snapshots, or an unknown value).',
    condition: 'unsupportedMatch = RVM != "" && RVM != NotOlderThan (≤1.30); RVM=Exact (1.31–1.32, and 1.33+ with snapshots off); default branch.',
  },
  singleKeyExactFromStorage: {
    meaning: 'A single-object list (field selector metadata.name=… with a namespace) at an exact revision or continue goes to etcd.',
    condition: 'ShouldDelegateExactRV / ShouldDelegateContinue with !recursive (1.33+); the key is single only when the registry can build it (NamespaceKeyFunc).',
  },
  cacheDisabled: {
    meaning: 'The watch cache is off for this resource (--watch-cache=false or size 0, e.g. events): every request goes to etcd.',
    condition: 'Storage decorator built the raw etcd3 store instead of the Cacher.',
  },
  watchFromStorage: {
    meaning: 'A watch without resourceVersion is served by etcd so it starts from the true latest state.',
    condition: 'RV "" && sendInitialEvents == nil: always in 1.27.0–.12/1.28.0–.8/1.29.0–.3; else when WatchFromStorageWithoutResourceVersion is on.',
  },
  // --- an unready cache ------------------------------------------------------------------------
  cacheNotReady: {
    meaning: 'The watch cache is (re)initializing: the request waits for it (≤1.30) or is refused with 429 and a Retry-After (1.31+).',
    condition: 'ready.check() failed; ResilientWatchCacheInitialization decides 429 vs blocking.',
  },
  cacheNotReadyDelegate: {
    meaning: 'The watch cache is (re)initializing and this request can be answered by etcd instead.',
    condition: '≤1.30: listRV == 0 / GET RV "0"; 1.31+: shouldDelegateListOnNotReadyCache (limit > 0, no selectors) and any GET.',
  },
  // --- answered with an error by storage --------------------------------------------------------
  etcdLacksProgress: {
    meaning: "A watch-list stream needs etcd's RequestWatchProgress, which this etcd does not support reliably: the watch answers one ERROR event and client-go falls back to LIST.",
    condition: 'Cacher.Watch: isListWatchRequest(opts) && !Supports(RequestWatchProgress) (1.31+).',
  },
  invalidResourceVersion: {
    meaning: "The resourceVersion is not a number and storage itself says so: the Cacher's (or, with the cache off, the etcd3 store's) parse error reaches the client as a 500 without a reason. kube-apiserver counts it as a request its storage served, not one its handler refused.",
    condition: 'Cacher.Get / Cacher.Watch (≤1.32 also GetList): versioner.ParseResourceVersion failed → storage.NewInvalidError → 500.',
  },
  watchListNotSupported: {
    meaning: 'sendInitialEvents cannot be served: the etcd3 store alone does not implement it before 1.29.',
    condition: 'etcd3 store Watch with SendInitialEvents set (1.27–1.28, cache disabled).',
  },
  // --- writes ----------------------------------------------------------------------------------
  writeToStorage: {
    meaning: "Writes always go to etcd. A create is a transaction that only succeeds if the key does not exist; update, patch and delete start from the watch cache's copy and re-read etcd only when the compare on the mod revision fails (the recorded decision says which happened).",
    condition: 'Cacher/CacheDelegator Create (mod_revision == 0 compare), GuaranteedUpdate and Delete (cachedExistingObject from watchCache.GetByKey).',
  },
  writeFromCachedObject: {
    meaning: "An update, patch or delete started from the watch cache's copy of the object, which turned out current: etcd's compare on the mod revision succeeded at the first try.",
    condition: 'CacheDelegator.GuaranteedUpdate / Delete pass watchCache.GetByKey(key) as cachedExistingObject; etcd3 store uses it as origState.',
  },
  writeRetriedFromStorage: {
    meaning: "The watch cache's copy was stale: etcd's compare on the mod revision failed (or a check against it did), so the object was re-read from etcd and the write retried.",
    condition: 'etcd3 store GuaranteedUpdate / conditionalDelete: !txnResp.Succeeded (or a failed precondition on a cached origState) → getCurrentState(), origStateIsCurrent = true, retry.',
  },
  // --- refused before storage ---------------------------------------------------------------------
  invalidRequest: {
    meaning: 'Rejected by validation before reaching storage routing.',
    condition: 'ValidateListOptions (422), storage.ValidateListOptions (400), request body and name checks in the REST handlers.',
  },
  unauthorized: {
    meaning: 'No valid bearer token: authentication failed before routing.',
    condition: 'WithAuthentication filter: 401 Unauthorized.',
  },
  notFound: {
    meaning: 'No such resource (or a namespaced path for a cluster-scoped one): the request never reached storage.',
    condition: 'API discovery / request info: 404 NotFound from the handler chain.',
  },
  methodNotAllowed: {
    meaning: 'This verb is not supported on this path.',
    condition: 'REST handler installation: 405 MethodNotAllowed.',
  },
  internalError: {
    meaning: 'The request ended without an answer from storage being recorded.',
    condition: 'The handler failed before deciding (a bug or a dropped connection).',
  },
} as const satisfies Record<string, ReasonText>;

export type ReasonCode = keyof typeof REASONS;

export const REASON_CODES = Object.keys(REASONS) as ReasonCode[];

/** The explanation of a code; undefined for a code that is not in the list (e.g. an older build's). */
export function reasonText(code: string): ReasonText | undefined {
  return Object.prototype.hasOwnProperty.call(REASONS, code) ? REASONS[code as ReasonCode] : undefined;
}
