// Routing reason codes in words, with the upstream rule behind each. Codes come from the router
// (main/storage/routing); unknown codes fall back to the decision's own detail sentence.

export interface ReasonText {
  words: string;
  rule: string;
}

const REASONS: Record<string, ReasonText> = {
  servedFromCache: {
    words: 'The watch cache can answer this request.',
    rule: 'Cacher serves requests whose resourceVersion semantics it can honour (shouldDelegateList returned false).',
  },
  consistentReadFromStorage: {
    words: 'A consistent read (resourceVersion unset) went to etcd for a quorum read.',
    rule: 'Before ConsistentListFromCache (KEP-2340, beta on in 1.31), or when etcd lacks RequestWatchProgress (< 3.4.31 / 3.5.13), RV="" lists are delegated.',
  },
  consistentReadFromCache: {
    words: 'A consistent read was served by the cache after it caught up with etcd’s current revision.',
    rule: 'KEP-2340: the cacher fetches the etcd revision, waits (≤3 s) until its RV reaches it, then serves from memory.',
  },
  consistentReadFallback: {
    words: 'The cache did not catch up within 3 s, so the consistent read fell back to etcd.',
    rule: 'ConsistentListFromCache: on the freshness wait timing out, 1.31+ delegates the list to storage.',
  },
  hasContinuation: {
    words: 'Continue tokens are served by etcd in this version.',
    rule: 'shouldDelegateList: a continue token delegates unless ListFromCacheSnapshot (1.33 alpha, 1.34 beta) can serve the snapshot.',
  },
  hasLimit: {
    words: 'A limit with a non-zero resourceVersion is served by etcd in this version.',
    rule: '≤1.30: hasLimit = limit > 0 && RV != "0" delegates; 1.31 narrowed it to the legacy exact rule.',
  },
  legacyExactMatch: {
    words: 'limit with resourceVersion="n" and no resourceVersionMatch means an exact read, answered by etcd.',
    rule: '1.31+: limit > 0, RVM unset and RV not ""/"0" is treated as Exact; delegated unless a cache snapshot exists.',
  },
  unsupportedMatch: {
    words: 'resourceVersionMatch=Exact is answered by etcd in this version.',
    rule: 'shouldDelegateList: Exact delegates unless ListFromCacheSnapshot has a snapshot at that revision.',
  },
  snapshotServed: {
    words: 'Served from the cache snapshot at the requested revision.',
    rule: 'KEP-4988 (ListFromCacheSnapshot): the cache keeps B-tree snapshots for the history window.',
  },
  snapshotMiss: {
    words: 'No cache snapshot at that revision, so etcd answered.',
    rule: 'ListFromCacheSnapshot: a snapshot miss returns 410 inside the cacher, which falls back to storage.',
  },
  cacheNotReady: {
    words: 'The watch cache is (re)initialising.',
    rule: 'ResilientWatchCacheInitialization (1.31+): 429 "storage is (re)initializing", except paginated lists without selectors which go to etcd.',
  },
  watchFromStorage: {
    words: 'A watch without resourceVersion was sent to etcd.',
    rule: 'WatchFromStorageWithoutResourceVersion (1.27.13+/1.28.9+/1.29.4+, off by default; locked off in 1.33) sends RV="" watches to etcd.',
  },
  watchListNotSupported: {
    words: 'sendInitialEvents needs RequestWatchProgress from etcd, which this etcd lacks.',
    rule: '1.31+: a watch-list request against an etcd without RequestWatchProgress ends with an ERROR event (500).',
  },
  tooOldResourceVersion: {
    words: 'The resourceVersion is older than the cache’s event window: 410 Gone.',
    rule: 'watchCache: an RV before the oldest event in the window is "too old resource version".',
  },
  tooLargeResourceVersion: {
    words: 'The cache did not reach the requested resourceVersion within 3 s.',
    rule: 'waitUntilFresh: 504 "Too large resource version" after 3 s.',
  },
  write: {
    words: 'Writes always go to etcd.',
    rule: 'Create/Update/Delete are delegated; the cacher only offers its copy as the optimistic starting state.',
  },
  invalid: {
    words: 'The request was rejected by validation before routing.',
    rule: 'ValidateListOptions (422) and storage.ValidateListOptions (400).',
  },
};

export function reasonText(code: string): ReasonText | undefined {
  return REASONS[code];
}
