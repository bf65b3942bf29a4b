import { describe, expect, it } from 'vitest';
import { ClusterMetricsScraper, clusterMetricsFrom } from './cluster-metrics.js';
import type { StorageMetrics } from '../storage/kube/metrics.js';
import { KubeError } from '../storage/kube/errors.js';

const sample = (n: number): StorageMetrics => ({
  scrapedAt: 1000 + n,
  resources: [{ resource: 'pods', watches: n, storageObjects: 3 }, { resource: 'deployments.apps', initEvents: 7 }],
  seriesSeen: ['apiserver_longrunning_gauge'],
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
