import { describe, expect, it } from 'vitest';
import { parsePrometheusText, resourceOf, summarizeStorageMetrics } from './metrics.js';

const TEXT = `# HELP apiserver_watch_cache_events_received_total [ALPHA] Counter of events received in watch cache broken by resource type.
# TYPE apiserver_watch_cache_events_received_total counter
apiserver_watch_cache_events_received_total{resource="pods"} 42
apiserver_watch_cache_events_received_total{resource="deployments.apps"} 7
apiserver_watch_cache_events_dispatched_total{group="",resource="pods"} 40
watch_cache_capacity{resource="pods"} 100
apiserver_watch_cache_consistent_read_total{fallback="false",group="",resource="pods",success="true"} 5
apiserver_watch_cache_consistent_read_total{fallback="true",group="",resource="pods",success="true"} 2
apiserver_longrunning_requests{component="apiserver",group="",resource="pods",scope="namespace",subresource="",verb="WATCH",version="v1"} 3
apiserver_longrunning_requests{component="apiserver",group="",resource="pods",scope="cluster",subresource="",verb="WATCH",version="v1"} 1
apiserver_longrunning_requests{component="apiserver",group="",resource="pods",scope="cluster",subresource="log",verb="CONNECT",version="v1"} 9
apiserver_cache_list_total{index="",resource_prefix="/pods"} 11
apiserver_watch_cache_read_wait_seconds_sum{group="",resource="pods"} 0.25
apiserver_watch_cache_read_wait_seconds_count{group="",resource="pods"} 4
weird_metric{msg="a \\"quoted\\" } brace"} +Inf
etcd_bookmark_counts{resource="pods"} 12
process_start_time_seconds 1.7e9
`;

describe('parsePrometheusText', () => {
  it('reads names, labels (with escapes and braces in values) and values', () => {
    const s = parsePrometheusText(TEXT);
    expect(s.find((x) => x.name === 'weird_metric')).toEqual({ name: 'weird_metric', labels: { msg: 'a "quoted" } brace' }, value: Infinity });
    expect(s.find((x) => x.name === 'process_start_time_seconds')?.value).toBe(1.7e9);
    expect(s.filter((x) => x.name.startsWith('#'))).toHaveLength(0);
  });
});

describe('summarizeStorageMetrics', () => {
  it('folds the storage-layer series per resource across label schemes', () => {
    const m = summarizeStorageMetrics(parsePrometheusText(TEXT), 1);
    const pods = m.resources.find((r) => r.resource === 'pods')!;
    expect(pods).toMatchObject({
      eventsReceived: 42,
      eventsDispatched: 40,
      watchCacheCapacity: 100,
      consistentReads: 7,
      consistentReadFallbacks: 2,
      watches: 4, // CONNECT excluded
      cacheListTotal: 11,
      readWaitCount: 4,
      readWaitSecondsSum: 0.25,
      bookmarks: 12,
    });
    expect(m.resources.find((r) => r.resource === 'deployments.apps')?.eventsReceived).toBe(7);
    expect(m.seriesSeen).toContain('etcd_bookmark_counts');
  });

  it('names resources like kubectl in both label schemes', () => {
    expect(resourceOf({ group: 'apps', resource: 'deployments' })).toBe('deployments.apps');
    expect(resourceOf({ resource: 'deployments.apps' })).toBe('deployments.apps');
    expect(resourceOf({ resource_prefix: '/pods' })).toBe('pods');
    expect(resourceOf({ verb: 'GET' })).toBeUndefined();
  });
});
