import { describe, expect, it } from 'vitest';
import { ClusterMetricsScraper, clusterMetricsFrom, lagPoint, ratesBetween } from './cluster-metrics.js';
import { until } from '../storage/apiserver/testing.js';
import type { StorageMetrics } from '../storage/kube/metrics.js';
import { KubeError } from '../storage/kube/errors.js';

const sample = (n: number): StorageMetrics => ({
  scrapedAt: 1000 + n,
  resources: [{ resource: 'pods', watches: n, storageObjects: 3 }, { resource: 'deployments.apps', initEvents: 7 }],
  seriesSeen: ['apiserver_longrunning_gauge'],
  seriesKeys: ['watches'],
  features: {},
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('cluster /metrics scraping', () => {
  it('turns each resource\'s numeric fields into values', () => {
    expect(clusterMetricsFrom(sample(2))).toEqual({
      scrapedAt: 1002,
      resources: [
        { resource: 'pods', values: { watches: 2, storageObjects: 3 } },
        { resource: 'deployments.apps', values: { initEvents: 7 } },
      ],
    });
  });

  it('puts the given resources first, so the cap never cuts the cached ones', () => {
    const many: StorageMetrics = {
      scrapedAt: 1,
      resources: Array.from({ length: 80 }, (_, i) => ({ resource: `crd${String(i).padStart(2, '0')}.example.com`, watches: i })),
      seriesSeen: [],
      seriesKeys: [],
      features: {},
    };
    const t = clusterMetricsFrom(many, ['crd79.example.com', 'crd70.example.com', 'pods']);
    expect(t.resources).toHaveLength(64);
    expect(t.resources.slice(0, 3).map((r) => r.resource)).toEqual(['crd79.example.com', 'crd70.example.com', 'crd00.example.com']);
  });

  it('scrapes at once, then a period after each scrape finished: never two in flight; stop ends it', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    let calls = 0;
    const scraper = new ClusterMetricsScraper({
      intervalMs: 5,
      scrape: async () => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        calls++;
        await sleep(30); // slower than the period
        inFlight--;
        return sample(calls);
      },
    });
    scraper.start();
    expect(calls).toBe(1);
    expect(scraper.latest()).toBeUndefined();
    await sleep(150);
    expect(maxInFlight).toBe(1);
    expect(calls).toBeGreaterThanOrEqual(3);
    await scraper.settled();
    expect(scraper.latest()!.resources[0]!.values.watches).toBeGreaterThanOrEqual(3);
    scraper.stop();
    await scraper.settled();
    const n = calls;
    await sleep(60);
    expect(calls).toBe(n);
  });

  it('keeps only the latest outcome: a refusal replaces the figures with its sentence, a success clears it', async () => {
    let fail = true;
    const scraper = new ClusterMetricsScraper({
      intervalMs: 5,
      clock: () => 42,
      scrape: async () => {
        if (fail) throw new KubeError('forbidden', 'the cluster refuses /metrics to user "v" — needs RBAC', 403);
        return sample(1);
      },
    });
    scraper.start();
    await scraper.settled();
    expect(scraper.latest()).toEqual({ scrapedAt: 42, error: 'the cluster refuses /metrics to user "v" — needs RBAC', resources: [] });
    fail = false;
    await sleep(30);
    expect(scraper.latest()!.error).toBeUndefined();
    expect(scraper.latest()!.resources).toHaveLength(2);
    scraper.stop();
  });

  it('names /metrics in errors that do not', async () => {
    const scraper = new ClusterMetricsScraper({ scrape: async () => Promise.reject(new Error('timeout')) });
    scraper.start();
    await scraper.settled();
    scraper.stop();
    expect(scraper.latest()?.error).toBe('scraping /metrics failed: timeout');
  });
});

describe('rates and the lag ring', () => {
  const at = (t: number, pods: Partial<StorageMetrics['resources'][number]>, extra: StorageMetrics['resources'] = []): StorageMetrics => ({
    scrapedAt: t,
    resources: [{ resource: 'pods', ...pods }, ...extra],
    seriesSeen: [],
    seriesKeys: [],
    features: {},
  });

  it('counters become per-second rates; a counter that went back counts from 0 and is named; gauges get none', () => {
    const r = ratesBetween(
      at(1000, { eventsReceived: 100, terminatedWatchers: 50, watches: 3, readWaitCount: 2, readWaitSecondsSum: 1 }),
      at(3000, { eventsReceived: 140, terminatedWatchers: 4, watches: 9, readWaitCount: 6, readWaitSecondsSum: 3, cacheListTotal: 8 }, [{ resource: 'new', eventsReceived: 5 }]),
    )!;
    expect(r.windowS).toBe(2);
    expect(r.byResource.get('pods')).toEqual({
      eventsReceived: 20,
      terminatedWatchers: 2, // reset: 4 since the restart, over 2 s
      readWaitCount: 2,
      readWaitSecondsSum: 1,
      readWaitMeanMs: 500,
      cacheListTotal: 4, // first sample of a counter vector's child: from 0
    });
    expect(r.resets).toEqual(['pods/terminatedWatchers']);
    expect(r.byResource.has('new')).toBe(false);
    expect(ratesBetween(at(3000, {}), at(3000, {}))).toBeUndefined();
  });

  it('the scraper carries rates, series states for its version, and a bounded lag ring of the listed resources', async () => {
    let n = 0;
    let revision = 100;
    const scraper = new ClusterMetricsScraper({
      intervalMs: 1,
      version: 'v1.36.2',
      first: () => ['pods'],
      revision: async () => revision,
      scrape: async () => {
        n++;
        revision += 10;
        return { ...at(1000 * n, { eventsReceived: 10 * n, watchCacheResourceVersion: revision - 3 }), seriesKeys: ['eventsReceived', 'watchCacheResourceVersion'] };
      },
    });
    scraper.start();
    await until(() => n >= 250, 10_000, '250 scrapes');
    scraper.stop();
    await scraper.settled();
    const m = scraper.latest()!;
    expect(m.version).toBe('v1.36.2');
    expect(m.resources[0]!.rates).toEqual({ eventsReceived: 10 });
    expect(m.series!.find((s) => s.key === 'eventsReceived')!.state).toBe('present');
    expect(m.series!.find((s) => s.key === 'terminatedWatchers')!.state).toBe('noSamples');
    expect(m.lag!.length).toBe(240);
    // The revision is read before the scrape (which then moved it past the cache's RV): clamped at 0.
    expect(m.lag!.at(-1)!.behind).toEqual({ pods: 0 });
    expect(lagPoint(0, 50, at(0, { watchCacheResourceVersion: 40 }), ['pods', 'absent']).behind).toEqual({ pods: 10 });
  });
});
