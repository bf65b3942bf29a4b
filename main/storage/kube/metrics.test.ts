import { describe, expect, it } from 'vitest';
import { parsePrometheusText, resourceOf, summarizeStorageMetrics } from './metrics.js';
import { minorOf, seriesAvailability } from './metric-series.js';

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

describe('feature gates and series availability', () => {
  it('reads kubernetes_feature_enabled into gates (stage "" is GA) and notes which series fed which field', () => {
    const m = summarizeStorageMetrics(
      parsePrometheusText(
        'kubernetes_feature_enabled{name="ConsistentListFromCache",stage=""} 1\nkubernetes_feature_enabled{name="ListFromCacheSnapshot",stage="BETA"} 0\n' +
          'apiserver_watch_cache_watch_cache_initializations_total{resource="pods"} 2\napiserver_storage_list_total{resource="pods"} 9\n',
      ),
    );
    expect(m.features).toEqual({ ConsistentListFromCache: { enabled: true, stage: '' }, ListFromCacheSnapshot: { enabled: false, stage: 'BETA' } });
    expect(m.resources).toEqual([{ resource: 'pods', initializations: 2, storageListTotal: 9 }]);
    expect(m.seriesKeys).toEqual(['featureGates', 'initializations', 'storageListTotal']);
  });

  it('an absent series is "not in version" before its release, "no samples" from it on, and unknown versions claim nothing', () => {
    const seen = new Set(['watches'] as const);
    const on = (v: string) => Object.fromEntries(seriesAvailability(seen, v).map((s) => [s.key, `${s.state} ${s.introduced}`]));
    expect(on('v1.20.2')).toMatchObject({ watches: 'present ≤1.20', eventsReceived: 'notInVersion 1.27', consistentReads: 'notInVersion 1.31', featureGates: 'notInVersion 1.26', terminatedWatchers: 'notInVersion 1.21' });
    expect(on('v1.27.0')).toMatchObject({ eventsReceived: 'noSamples 1.27', consistentReads: 'notInVersion 1.31' });
    expect(on('v1.36.2')).toMatchObject({ consistentReads: 'noSamples 1.31', terminatedWatchers: 'noSamples 1.21' });
    expect(Object.values(on('unknown')).some((s) => s.startsWith('notInVersion'))).toBe(false);
    expect(minorOf('v1.36.2-gke.1')).toBe(36);
  });
});
