// The cluster's own view of its storage layer: kube-apiserver's /metrics, reduced to the watch
// cache and etcd3 series per resource, so the UI can set the real cacher's counters beside the
// embedded one's. /metrics needs RBAC (nonResourceURLs: ["/metrics"], verb get); a refusal is
// reported as such, not as a failure of the connection.
import type { KubeClient } from './client.js';
import { KubeError, userFromForbidden, parseStatus } from './errors.js';
import type { SeriesKey } from './metric-series.js';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus text exposition format 0.0.4, samples only (HELP/TYPE/comments skipped). */
export function parsePrometheusText(text: string): Sample[] {
  const out: Sample[] = [];
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (!line || line.startsWith('#')) continue;
    const brace = line.indexOf('{');
    const space = line.indexOf(' ');
    let name: string;
    let labels: Record<string, string> = {};
    let rest: string;
    if (brace >= 0 && (space < 0 || brace < space)) {
      name = line.slice(0, brace);
      const end = findLabelEnd(line, brace + 1);
      if (end < 0) continue;
      labels = parseLabels(line.slice(brace + 1, end));
      rest = line.slice(end + 1).trim();
    } else {
      name = line.slice(0, space);
      rest = line.slice(space + 1).trim();
    }
    const valueText = rest.split(/\s+/)[0] ?? '';
    const value = valueText === '+Inf' ? Infinity : valueText === '-Inf' ? -Infinity : Number(valueText);
    if (!name || (Number.isNaN(value) && valueText !== 'NaN')) continue;
    out.push({ name, labels, value });
  }
  return out;
}

function findLabelEnd(line: string, from: number): number {
  let inQuote = false;
  for (let i = from; i < line.length; i++) {
    const c = line[i];
    if (inQuote) {
      if (c === '\\') i++;
      else if (c === '"') inQuote = false;
    } else if (c === '"') inQuote = true;
    else if (c === '}') return i;
  }
  return -1;
}

function parseLabels(s: string): Record<string, string> {
  const labels: Record<string, string> = {};
  const re = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s))) {
    labels[m[1]!] = m[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
  }
  return labels;
}

/** Storage-layer series per resource, named as upstream names them. */
export interface ResourceStorageMetrics {
  /** `pods`, `deployments.apps` (1.34+ labels group+resource; older a single `resource`). */
  resource: string;
  eventsReceived?: number;
  eventsDispatched?: number;
  watchCacheCapacity?: number;
  watchCacheResourceVersion?: number;
  terminatedWatchers?: number;
  initEvents?: number;
  initializations?: number;
  cacheListTotal?: number;
  storageListTotal?: number;
  readWaitCount?: number;
  readWaitSecondsSum?: number;
  consistentReads?: number;
  consistentReadFallbacks?: number;
  bookmarks?: number;
  storageObjects?: number;
  /** apiserver_longrunning_requests{verb="WATCH"} summed over scopes. */
  watches?: number;
  /** apiserver_watch_events_total summed over versions. */
  watchEventsSent?: number;
}

export interface StorageMetrics {
  scrapedAt: number;
  resources: ResourceStorageMetrics[];
  /** Names of the tracked series the cluster exposed (older releases lack some). */
  seriesSeen: string[];
  /** The same, as the fields they feed (see metric-series.ts for what an absent one means). */
  seriesKeys: SeriesKey[];
  /** kubernetes_feature_enabled (1.26+): every feature gate the server knows, by name. */
  features: Record<string, FeatureState>;
}

export interface FeatureState {
  enabled: boolean;
  /** ALPHA, BETA, DEPRECATED, or '' for GA. */
  stage: string;
}

// Which series feed which field. `kind` says how to fold several samples for one resource.
const SERIES: { name: string; field: keyof ResourceStorageMetrics & SeriesKey; filter?: (l: Record<string, string>) => boolean }[] = [
  { name: 'apiserver_watch_cache_events_received_total', field: 'eventsReceived' },
  { name: 'apiserver_watch_cache_events_dispatched_total', field: 'eventsDispatched' },
  { name: 'watch_cache_capacity', field: 'watchCacheCapacity' },
  { name: 'apiserver_watch_cache_resource_version', field: 'watchCacheResourceVersion' },
  { name: 'apiserver_terminated_watchers_total', field: 'terminatedWatchers' },
  { name: 'apiserver_init_events_total', field: 'initEvents' },
  { name: 'apiserver_watch_cache_initializations_total', field: 'initializations' },
  // 1.24 named it with the subsystem twice
  { name: 'apiserver_watch_cache_watch_cache_initializations_total', field: 'initializations' },
  { name: 'apiserver_cache_list_total', field: 'cacheListTotal' },
  { name: 'apiserver_storage_list_total', field: 'storageListTotal' },
  { name: 'apiserver_watch_cache_read_wait_seconds_count', field: 'readWaitCount' },
  { name: 'apiserver_watch_cache_read_wait_seconds_sum', field: 'readWaitSecondsSum' },
  { name: 'apiserver_watch_cache_consistent_read_total', field: 'consistentReads' },
  { name: 'apiserver_watch_cache_consistent_read_total', field: 'consistentReadFallbacks', filter: (l) => l.fallback === 'true' },
  { name: 'etcd_bookmark_counts', field: 'bookmarks' },
  { name: 'etcd_bookmark_total', field: 'bookmarks' },
  { name: 'apiserver_storage_objects', field: 'storageObjects' },
  { name: 'apiserver_resource_objects', field: 'storageObjects' },
  // before 1.21 (renamed apiserver_storage_objects, KEP-1209 metrics stability)
  { name: 'etcd_object_counts', field: 'storageObjects' },
  { name: 'apiserver_longrunning_requests', field: 'watches', filter: (l) => l.verb === 'WATCH' },
  { name: 'apiserver_longrunning_gauge', field: 'watches', filter: (l) => l.verb === 'WATCH' },
  { name: 'apiserver_watch_events_total', field: 'watchEventsSent' },
];

/**
 * The resource a sample is about, as `resource[.group]`. Label schemes differ by release:
 * 1.34+ `group`+`resource`; before, `resource` alone (already `resource.group`), and
 * `resource_prefix` (`/pods`) on a few cacher series.
 */
export function resourceOf(labels: Record<string, string>): string | undefined {
  if (labels.resource !== undefined) {
    const r = labels.resource;
    return labels.group ? `${r}.${labels.group}` : r;
  }
  if (labels.resource_prefix !== undefined) return labels.resource_prefix.replace(/^\/+/, '').replace(/\//g, '.');
  return undefined;
}

export function summarizeStorageMetrics(samples: Sample[], now = Date.now()): StorageMetrics {
  const by = new Map<string, ResourceStorageMetrics>();
  const seen = new Set<string>();
  const keys = new Set<SeriesKey>();
  const features: Record<string, FeatureState> = {};
  for (const s of samples) {
    if (s.name === 'kubernetes_feature_enabled' && s.labels.name) {
      features[s.labels.name] = { enabled: s.value === 1, stage: s.labels.stage ?? '' };
      keys.add('featureGates');
      continue;
    }
    for (const spec of SERIES) {
      if (spec.name !== s.name) continue;
      if (spec.filter && !spec.filter(s.labels)) continue;
      const res = resourceOf(s.labels);
      if (!res) continue;
      seen.add(s.name);
      keys.add(spec.field);
      let m = by.get(res);
      if (!m) by.set(res, (m = { resource: res }));
      const cur = (m[spec.field] as number | undefined) ?? 0;
      // A gauge that is one value per resource (capacity, RV) is never split over other labels
      // in practice, so summing is right for every series here.
      (m as unknown as Record<string, number>)[spec.field] = cur + s.value;
    }
  }
  return { scrapedAt: now, resources: [...by.values()].sort((a, b) => a.resource.localeCompare(b.resource)), seriesSeen: [...seen].sort(), seriesKeys: [...keys].sort(), features };
}

/** GET /metrics and summarize. A 403 becomes "the cluster refuses /metrics to user X". */
export async function scrapeStorageMetrics(client: KubeClient, timeoutMs = 10_000): Promise<StorageMetrics> {
  const r = await client.raw('GET', '/metrics', { timeoutMs, accept: 'text/plain' });
  if (r.status === 403) {
    const st = parseStatus(r.body);
    const who = userFromForbidden(st?.message ?? '') ?? client.userName;
    throw new KubeError(
      'forbidden',
      `the cluster refuses /metrics to user "${who}" — the cluster's own watch-cache counters need RBAC get on nonResourceURL /metrics`,
      403,
      st,
    );
  }
  if (r.status !== 200) throw client.httpError(r.status, r.body, '/metrics', { verb: 'get', resource: '/metrics' });
  return summarizeStorageMetrics(parsePrometheusText(r.body));
}
