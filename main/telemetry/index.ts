export { Telemetry, type TelemetryOptions } from './telemetry.js';
export { FreshnessSeries, cacheKey } from './freshness.js';
export { ClosedWatcherLog } from './closed-watchers.js';
export { ClusterMetricsScraper, capClusterMetrics, clusterMetricsFrom, CLUSTER_METRICS_INTERVAL_MS, type ClusterMetricsScraperOptions } from './cluster-metrics.js';
