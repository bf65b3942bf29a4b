// What one cell of the Cluster view says: a rate, a gauge, or why there is no figure. A series the
// cluster's release does not have is named with the release that brought it, never shown as 0.
import type { ClusterMetrics } from '../../../shared/model.js';
import { formatCount, formatDuration } from './format.js';

export interface ClusterColumn {
  key: string;
  label: string;
  /** Upstream's series (the header's tooltip). */
  metric: string;
  /** Counters show their rate per second, with the running total beneath. */
  kind: 'counter' | 'gauge' | 'waitMs';
}

export const CLUSTER_CACHER_COLUMNS: readonly ClusterColumn[] = [
  { key: 'watches', label: 'watchers open', metric: 'apiserver_longrunning_requests{verb="WATCH"} (before 1.25: apiserver_longrunning_gauge)', kind: 'gauge' },
  { key: 'terminatedWatchers', label: 'force-closed', metric: 'apiserver_terminated_watchers_total', kind: 'counter' },
  { key: 'eventsReceived', label: 'events in', metric: 'apiserver_watch_cache_events_received_total', kind: 'counter' },
  { key: 'eventsDispatched', label: 'dispatched', metric: 'apiserver_watch_cache_events_dispatched_total', kind: 'counter' },
  { key: 'watchCacheCapacity', label: 'capacity', metric: 'watch_cache_capacity', kind: 'gauge' },
  { key: 'initializations', label: 'inits', metric: 'apiserver_watch_cache_initializations_total', kind: 'counter' },
  { key: 'watchCacheResourceVersion', label: 'cache RV', metric: 'apiserver_watch_cache_resource_version', kind: 'gauge' },
  { key: 'consistentReads', label: 'consistent reads', metric: 'apiserver_watch_cache_consistent_read_total', kind: 'counter' },
  { key: 'consistentReadFallbacks', label: 'fallbacks', metric: 'apiserver_watch_cache_consistent_read_total{fallback="true"}', kind: 'counter' },
  { key: 'cacheListTotal', label: 'cache LISTs', metric: 'apiserver_cache_list_total', kind: 'counter' },
  { key: 'storageListTotal', label: 'storage LISTs', metric: 'apiserver_storage_list_total', kind: 'counter' },
  { key: 'readWaitCount', label: 'read wait', metric: 'apiserver_watch_cache_read_wait_seconds (mean over the last scrape interval)', kind: 'waitMs' },
];

export type CellState = 'value' | 'notInVersion' | 'noSamples';

export interface Cell {
  text: string;
  sub?: string;
  state: CellState;
  title: string;
}

type Row = ClusterMetrics['resources'][number];
type SeriesRow = NonNullable<ClusterMetrics['series']>[number];

export function formatRate(perSecond: number): string {
  if (perSecond === 0) return '0/s';
  if (perSecond < 0.01) return '<0.01/s';
  if (perSecond < 10) return `${perSecond.toFixed(2).replace(/0$/, '').replace(/\.0$/, '')}/s`;
  return `${formatCount(perSecond)}/s`;
}

export function clusterCell(row: Row, col: ClusterColumn, series: ReadonlyMap<string, SeriesRow>, version: string | undefined): Cell {
  const s = series.get(col.key);
  if (s?.state === 'notInVersion') {
    return { text: 'n/a', sub: `from ${s.introduced}`, state: 'notInVersion', title: `${s.metric} is not in Kubernetes ${version ?? 'this release'}: it came in ${s.introduced}` };
  }
  const v = row.values[col.key];
  if (v === undefined) {
    return { text: '—', state: 'noSamples', title: `${col.metric}: no sample for ${row.resource} yet (a counter appears on its first increment)` };
  }
  if (col.kind === 'gauge') return { text: col.key === 'watchCacheResourceVersion' ? String(v) : formatCount(v), state: 'value', title: `${col.metric} = ${v}` };
  if (col.kind === 'waitMs') {
    const mean = row.rates?.readWaitMeanMs;
    return {
      text: mean === undefined ? '—' : formatDuration(mean),
      sub: `${formatCount(v)} waits`,
      state: 'value',
      title: mean === undefined ? `${col.metric}: no wait in the last interval (${v} in all)` : `${col.metric}: ${mean.toFixed(1)} ms mean over ${row.rates?.readWaitCount?.toFixed(2)}/s waits`,
    };
  }
  const rate = row.rates?.[col.key];
  return {
    text: rate === undefined ? formatCount(v) : formatRate(rate),
    ...(rate === undefined ? {} : { sub: `${formatCount(v)} total` }),
    state: 'value',
    title: rate === undefined ? `${col.metric} = ${v} (a rate needs a second scrape)` : `${col.metric}: ${rate.toFixed(3)}/s, ${v} since the apiserver started`,
  };
}
