// The cluster's own storage-layer figures in kube mode: its kube-apiserver's /metrics, scraped on
// a slow period and reduced to a bounded per-resource table for snapshots. Only the latest result
// (or the latest error) is kept, so memory does not grow with the session.
import {
  CLUSTER_METRICS_MAX_RESOURCES,
  CLUSTER_METRICS_MAX_VALUES,
  type ClusterMetrics,
} from '../../shared/model.js';
import type { StorageMetrics } from '../storage/kube/metrics.js';

/**
 * Prometheus' default scrape interval: /metrics of a busy apiserver is several MB of text, so
 * polling it at snapshot rate would load the cluster for counters that move slowly anyway.
 */
export const CLUSTER_METRICS_INTERVAL_MS = 15_000;

/** Keeps the table within the model's caps and drops values JSON cannot carry (±Inf, NaN). */
export function capClusterMetrics(m: ClusterMetrics): ClusterMetrics {
  const out: ClusterMetrics = {
    scrapedAt: m.scrapedAt,
    resources: m.resources.slice(0, CLUSTER_METRICS_MAX_RESOURCES).map((r) => {
      const values: Record<string, number> = {};
      let n = 0;
      for (const [k, v] of Object.entries(r.values)) {
        if (!Number.isFinite(v)) continue;
        if (n++ >= CLUSTER_METRICS_MAX_VALUES) break;
        values[k] = v;
      }
      return { resource: r.resource, values };
    }),
  };
  if (m.error !== undefined) out.error = m.error;
  return out;
}

/**
 * StorageMetrics (one scrape) as the model's table: every numeric field becomes a value. A
 * cluster with many CRDs names more resources than the cap, so the `first` ones (those the
 * embedded cacher caches) are kept ahead of the rest.
 */
export function clusterMetricsFrom(m: StorageMetrics, first: readonly string[] = []): ClusterMetrics {
  const rank = (r: string) => {
    const i = first.indexOf(r);
    return i < 0 ? first.length : i;
  };
  const ordered = first.length ? [...m.resources].sort((a, b) => rank(a.resource) - rank(b.resource)) : m.resources;
  return capClusterMetrics({
    scrapedAt: m.scrapedAt,
    resources: ordered.map(({ resource, ...fields }) => {
      const values: Record<string, number> = {};
      for (const [k, v] of Object.entries(fields)) if (typeof v === 'number') values[k] = v;
      return { resource, values };
    }),
  });
}

export interface ClusterMetricsScraperOptions {
  scrape: () => Promise<StorageMetrics>;
  /** Resources listed first (and so never cut by the cap), e.g. the cached ones. */
  first?: () => readonly string[];
  intervalMs?: number;
  clock?: () => number;
}

/**
 * Scrapes right away, then `intervalMs` after each scrape *finished*: a slow apiserver never has
 * two scrapes of ours in flight.
 */
export class ClusterMetricsScraper {
  private latestResult: ClusterMetrics | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running = false;
  private inFlight: Promise<void> | undefined;
  private readonly clock: () => number;
  scrapes = 0;

  constructor(private readonly o: ClusterMetricsScraperOptions) {
    this.clock = o.clock ?? Date.now;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.tick();
  }

  /**
   * Stops the period without waiting: a scrape in flight ends on its own timeout and its result
   * is dropped, so a disconnect is never held up by a slow /metrics.
   */
  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  latest(): ClusterMetrics | undefined {
    return this.latestResult;
  }

  /** Resolves once the scrape in flight (if any) has finished; for tests. */
  async settled(): Promise<void> {
    await this.inFlight;
  }

  private tick(): void {
    this.timer = undefined;
    this.inFlight = this.scrapeOnce().finally(() => {
      this.inFlight = undefined;
      if (!this.running) return;
      this.timer = setTimeout(() => this.tick(), this.o.intervalMs ?? CLUSTER_METRICS_INTERVAL_MS);
      this.timer.unref?.();
    });
  }

  private async scrapeOnce(): Promise<void> {
    let result: ClusterMetrics;
    try {
      result = clusterMetricsFrom(await this.o.scrape(), this.o.first?.() ?? []);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      result = { scrapedAt: this.clock(), error: msg.includes('/metrics') ? msg : `scraping /metrics failed: ${msg}`, resources: [] };
    }
    this.scrapes++;
    if (this.running) this.latestResult = result;
  }
}
