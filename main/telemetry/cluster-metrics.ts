// The cluster's own storage-layer figures in kube mode: its kube-apiserver's /metrics, scraped on
// a slow period and reduced to a bounded per-resource table for snapshots. Only the latest result
// (or the latest error) is kept, so memory does not grow with the session.
import {
  CLUSTER_LAG_POINTS,
  CLUSTER_LAG_RESOURCES,
  CLUSTER_METRICS_MAX_RESOURCES,
  CLUSTER_METRICS_MAX_VALUES,
  type ClusterMetrics,
} from '../../shared/model.js';
import type { ResourceStorageMetrics, StorageMetrics } from '../storage/kube/metrics.js';
import { SERIES_CATALOG, seriesAvailability } from '../storage/kube/metric-series.js';
import { Ring } from '../util/ring.js';

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
      const row: ClusterMetrics['resources'][number] = { resource: r.resource, values };
      if (r.rates) row.rates = Object.fromEntries(Object.entries(r.rates).filter(([, v]) => Number.isFinite(v)).slice(0, CLUSTER_METRICS_MAX_VALUES));
      return row;
    }),
  };
  if (m.error !== undefined) out.error = m.error;
  if (m.version !== undefined) out.version = m.version;
  if (m.series) out.series = m.series.slice(0, CLUSTER_METRICS_MAX_VALUES);
  if (m.rateWindowS !== undefined) out.rateWindowS = m.rateWindowS;
  if (m.resets) out.resets = m.resets.slice(0, CLUSTER_METRICS_MAX_VALUES);
  if (m.lag) out.lag = m.lag.slice(-CLUSTER_LAG_POINTS);
  return out;
}

const COUNTERS = SERIES_CATALOG.filter((s) => s.kind === 'counter').map((s) => s.key) as (keyof ResourceStorageMetrics)[];

export interface Rates {
  /** Per resource: counter → increase per second; plus readWaitMeanMs, the mean read wait in the window. */
  byResource: Map<string, Record<string, number>>;
  windowS: number;
  /** "resource/key" of counters that went back (the apiserver restarted): their increase counts from 0. */
  resets: string[];
}

/**
 * Counters as rates between two scrapes. A counter that went back was reset (the apiserver
 * restarted), so its whole value is the increase, as Prometheus' rate() counts it. A counter
 * first seen in `cur` for a resource `prev` knew started from 0 (a counter vector's child appears
 * on its first increment); a resource `prev` did not know gets no rates.
 */
export function ratesBetween(prev: StorageMetrics, cur: StorageMetrics): Rates | undefined {
  const windowS = (cur.scrapedAt - prev.scrapedAt) / 1000;
  if (!(windowS > 0)) return undefined;
  const before = new Map(prev.resources.map((r) => [r.resource, r]));
  const byResource = new Map<string, Record<string, number>>();
  const resets: string[] = [];
  const increase = (p: number | undefined, c: number, name: string) => {
    const from = p ?? 0;
    if (c < from) {
      resets.push(name);
      return c;
    }
    return c - from;
  };
  for (const r of cur.resources) {
    const p = before.get(r.resource);
    if (!p) continue;
    const rates: Record<string, number> = {};
    for (const k of COUNTERS) {
      const c = r[k];
      if (typeof c !== 'number') continue;
      rates[k] = increase(p[k] as number | undefined, c, `${r.resource}/${k}`) / windowS;
    }
    if (rates.readWaitCount !== undefined && rates.readWaitCount > 0 && rates.readWaitSecondsSum !== undefined) {
      rates.readWaitMeanMs = (rates.readWaitSecondsSum / rates.readWaitCount) * 1000;
    }
    byResource.set(r.resource, rates);
  }
  return { byResource, windowS, resets };
}

/** How far each listed resource's cache trails the cluster's revision (0 when it has caught up). */
export function lagPoint(t: number, revision: number, m: StorageMetrics, resources: readonly string[]): NonNullable<ClusterMetrics['lag']>[number] {
  const behind: Record<string, number> = {};
  for (const name of resources) {
    if (Object.keys(behind).length >= CLUSTER_LAG_RESOURCES) break;
    const rv = m.resources.find((r) => r.resource === name)?.watchCacheResourceVersion;
    if (rv !== undefined) behind[name] = Math.max(0, revision - rv);
  }
  return { t, revision, behind };
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
    resources: ordered.map(({ resource, rates, ...fields }: ResourceStorageMetrics & { rates?: Record<string, number> }) => {
      const values: Record<string, number> = {};
      for (const [k, v] of Object.entries(fields)) if (typeof v === 'number') values[k] = v;
      return rates ? { resource, values, rates } : { resource, values };
    }),
  });
}

export interface ClusterMetricsScraperOptions {
  scrape: () => Promise<StorageMetrics>;
  /** The cluster's /version: names the series its release cannot have. */
  version?: string;
  /**
   * The cluster's current revision, measured as the freshness figures measure it, just before
   * each scrape: the lag chart's reference (so a write between the two never shows as lag).
   */
  revision?: () => Promise<number>;
  /** A scrape already made (connect's probe): shown at once, and the first rates count from it. */
  initial?: StorageMetrics;
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
  private previous: StorageMetrics | undefined;
  private readonly lag = new Ring<NonNullable<ClusterMetrics['lag']>[number]>(CLUSTER_LAG_POINTS);
  scrapes = 0;

  constructor(private readonly o: ClusterMetricsScraperOptions) {
    this.clock = o.clock ?? Date.now;
    if (o.initial) this.latestResult = this.table(o.initial);
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
      const revision = this.o.revision ? await this.o.revision().catch(() => undefined) : undefined;
      const m = await this.o.scrape();
      const point = revision === undefined ? undefined : lagPoint(m.scrapedAt, revision, m, this.o.first?.() ?? m.resources.map((r) => r.resource));
      // A release without apiserver_watch_cache_resource_version (before 1.31) has nothing to draw.
      if (point && Object.keys(point.behind).length) this.lag.push(point);
      result = this.table(m);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      result = { scrapedAt: this.clock(), error: msg.includes('/metrics') ? msg : `scraping /metrics failed: ${msg}`, resources: [] };
      if (this.o.version !== undefined) result.version = this.o.version;
    }
    this.scrapes++;
    if (this.running) this.latestResult = result;
  }

  /** One scrape as the model's table, with rates against the scrape before it. */
  private table(m: StorageMetrics): ClusterMetrics {
    const rates = this.previous ? ratesBetween(this.previous, m) : undefined;
    this.previous = m;
    const withRates: StorageMetrics = rates
      ? { ...m, resources: m.resources.map((r) => (rates.byResource.has(r.resource) ? { ...r, rates: rates.byResource.get(r.resource) } : r)) }
      : m;
    const t = clusterMetricsFrom(withRates, this.o.first?.() ?? []);
    if (this.o.version !== undefined) {
      t.version = this.o.version;
      t.series = seriesAvailability(new Set(m.seriesKeys), this.o.version);
    }
    if (rates) {
      t.rateWindowS = rates.windowS;
      if (rates.resets.length) t.resets = rates.resets.slice(0, CLUSTER_METRICS_MAX_VALUES);
    }
    if (this.lag.length) t.lag = this.lag.toArray();
    return t;
  }
}
