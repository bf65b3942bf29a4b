import { describe, expect, it } from 'vitest';
import { CLUSTER_CACHER_COLUMNS, clusterCell, formatRate } from './cluster-cells.js';

const col = (k: string) => CLUSTER_CACHER_COLUMNS.find((c) => c.key === k)!;
const series = new Map([
  ['eventsReceived', { key: 'eventsReceived', metric: 'apiserver_watch_cache_events_received_total', introduced: '1.27', state: 'notInVersion' as const }],
  ['terminatedWatchers', { key: 'terminatedWatchers', metric: 'apiserver_terminated_watchers_total', introduced: '1.21', state: 'noSamples' as const }],
]);

describe('clusterCell', () => {
  const row = { resource: 'pods', values: { watches: 3, eventsDispatched: 120, readWaitCount: 4 }, rates: { eventsDispatched: 2.5, readWaitMeanMs: 12 } };
  it('a series the release lacks says so with its release, never 0', () => {
    const c = clusterCell({ ...row, values: { ...row.values, eventsReceived: 0 } }, col('eventsReceived'), series, 'v1.20.2');
    expect(c).toMatchObject({ text: 'n/a', sub: 'from 1.27', state: 'notInVersion' });
    expect(c.title).toBe('apiserver_watch_cache_events_received_total is not in Kubernetes v1.20.2: it came in 1.27');
  });
  it('no sample yet is a dash, counters show their rate and total, gauges their value', () => {
    expect(clusterCell(row, col('terminatedWatchers'), series, 'v1.36.2')).toMatchObject({ text: '—', state: 'noSamples' });
    expect(clusterCell(row, col('eventsDispatched'), series, 'v1.36.2')).toMatchObject({ text: '2.5/s', sub: '120 total' });
    expect(clusterCell(row, col('watches'), series, 'v1.36.2')).toMatchObject({ text: '3', state: 'value' });
    expect(clusterCell(row, col('readWaitCount'), series, 'v1.36.2')).toMatchObject({ text: '12 ms', sub: '4 waits' });
    expect(clusterCell({ ...row, rates: undefined }, col('eventsDispatched'), series, 'v1.36.2')).toMatchObject({ text: '120' });
  });
  it('formats rates', () => {
    expect([0, 0.004, 0.25, 1, 12.3, 4500].map(formatRate)).toEqual(['0/s', '<0.01/s', '0.25/s', '1/s', '12/s', '4.5k/s']);
  });
});
