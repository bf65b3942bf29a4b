// Which kube-apiserver release first exposes each storage-layer series, so that a series absent
// from a scrape is named for what it is: "not in this release" (introduced later) or "no sample
// yet" (the release has it, but a counter vector shows nothing until its first increment, e.g. no
// watcher was ever force-closed). Versions were read off k8s.io/apiserver at each release tag
// (pkg/storage/cacher/metrics, pkg/storage/etcd3/metrics, pkg/endpoints/metrics) and
// component-base (kubernetes_feature_enabled), and checked against real v1.20 and v1.36 servers.

/** A field of ResourceStorageMetrics, or the feature-gate series. */
export type SeriesKey =
  | 'watches'
  | 'terminatedWatchers'
  | 'eventsReceived'
  | 'eventsDispatched'
  | 'watchCacheCapacity'
  | 'initializations'
  | 'watchCacheResourceVersion'
  | 'consistentReads'
  | 'consistentReadFallbacks'
  | 'cacheListTotal'
  | 'storageListTotal'
  | 'readWaitCount'
  | 'readWaitSecondsSum'
  | 'initEvents'
  | 'bookmarks'
  | 'storageObjects'
  | 'watchEventsSent'
  | 'featureGates';

export interface SeriesSpec {
  key: SeriesKey;
  /** The name the newest releases use (what the UI shows). */
  metric: string;
  /** The first minor release that has the series under any of its names (20 = "before 1.21"). */
  since: number;
  /** Counters become rates; gauges are shown as they are. */
  kind: 'counter' | 'gauge';
}

/** Oldest release tracked: anything here since ≤1.20 is simply "always there" for the UI. */
export const OLDEST_TRACKED_MINOR = 20;

export const SERIES_CATALOG: readonly SeriesSpec[] = [
  // apiserver_longrunning_gauge until 1.25 (renamed apiserver_longrunning_requests in 1.24).
  { key: 'watches', metric: 'apiserver_longrunning_requests', since: 20, kind: 'gauge' },
  { key: 'terminatedWatchers', metric: 'apiserver_terminated_watchers_total', since: 21, kind: 'counter' },
  { key: 'eventsReceived', metric: 'apiserver_watch_cache_events_received_total', since: 27, kind: 'counter' },
  { key: 'eventsDispatched', metric: 'apiserver_watch_cache_events_dispatched_total', since: 24, kind: 'counter' },
  { key: 'watchCacheCapacity', metric: 'watch_cache_capacity', since: 21, kind: 'gauge' },
  // 1.24 registered it with the subsystem twice: apiserver_watch_cache_watch_cache_initializations_total.
  { key: 'initializations', metric: 'apiserver_watch_cache_initializations_total', since: 24, kind: 'counter' },
  { key: 'watchCacheResourceVersion', metric: 'apiserver_watch_cache_resource_version', since: 31, kind: 'gauge' },
  { key: 'consistentReads', metric: 'apiserver_watch_cache_consistent_read_total', since: 31, kind: 'counter' },
  { key: 'consistentReadFallbacks', metric: 'apiserver_watch_cache_consistent_read_total{fallback="true"}', since: 31, kind: 'counter' },
  { key: 'cacheListTotal', metric: 'apiserver_cache_list_total', since: 23, kind: 'counter' },
  { key: 'storageListTotal', metric: 'apiserver_storage_list_total', since: 23, kind: 'counter' },
  { key: 'readWaitCount', metric: 'apiserver_watch_cache_read_wait_seconds_count', since: 30, kind: 'counter' },
  { key: 'readWaitSecondsSum', metric: 'apiserver_watch_cache_read_wait_seconds_sum', since: 30, kind: 'counter' },
  { key: 'initEvents', metric: 'apiserver_init_events_total', since: 20, kind: 'counter' },
  // etcd_bookmark_counts (a gauge) until 1.35; etcd_bookmark_total (a counter) from 1.36.
  { key: 'bookmarks', metric: 'etcd_bookmark_total', since: 20, kind: 'gauge' },
  // etcd_object_counts until 1.22, apiserver_storage_objects from 1.21.
  { key: 'storageObjects', metric: 'apiserver_storage_objects', since: 20, kind: 'gauge' },
  { key: 'watchEventsSent', metric: 'apiserver_watch_events_total', since: 20, kind: 'counter' },
  { key: 'featureGates', metric: 'kubernetes_feature_enabled', since: 26, kind: 'gauge' },
];

export type SeriesState = 'present' | 'notInVersion' | 'noSamples';

export interface SeriesAvailability {
  key: SeriesKey;
  metric: string;
  /** "1.27"; "≤1.20" for series older than the oldest release tracked. */
  introduced: string;
  state: SeriesState;
}

/** The minor of a gitVersion ("v1.36.2" → 36), or undefined when it is not a 1.x version. */
export function minorOf(gitVersion: string): number | undefined {
  const m = /^v?1\.(\d+)/.exec(gitVersion.trim());
  return m ? Number(m[1]) : undefined;
}

export function introducedLabel(s: SeriesSpec): string {
  return s.since <= OLDEST_TRACKED_MINOR ? `≤1.${OLDEST_TRACKED_MINOR}` : `1.${s.since}`;
}

/**
 * Each tracked series as this scrape shows it. A series the scrape lacks is `notInVersion` when
 * the cluster's release predates it, else `noSamples`; an unknown version gives `noSamples`, the
 * claim that needs no version.
 */
export function seriesAvailability(seen: ReadonlySet<SeriesKey>, gitVersion: string): SeriesAvailability[] {
  const minor = minorOf(gitVersion);
  return SERIES_CATALOG.map((s) => ({
    key: s.key,
    metric: s.metric,
    introduced: introducedLabel(s),
    state: seen.has(s.key) ? 'present' : minor !== undefined && minor < s.since ? 'notInVersion' : 'noSamples',
  }));
}
