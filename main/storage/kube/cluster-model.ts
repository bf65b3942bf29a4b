// What the routing model learns from the cluster it sits beside, before its cachers start: the
// feature gates the cluster runs with (kubernetes_feature_enabled) and whether it trusts etcd's
// RequestWatchProgress. The trust is not in any series: it is seen in what the cluster does with
// one consistent LIST — served from its watch cache (apiserver_watch_cache_consistent_read_total
// moves) only when it trusts progress requests (storage/feature/feature_support_checker.go).
import type { ClusterModel } from '../../../shared/model.js';
import { gateNames, type GateName, type Profile } from '../routing/profiles.js';
import type { KubeClient } from './client.js';
import { minorOf } from './metric-series.js';
import { scrapeStorageMetrics, type FeatureState, type StorageMetrics } from './metrics.js';

/** What was read from the cluster, before any profile is chosen. */
export interface ClusterFindings {
  from: 'metrics' | 'assumed';
  /** Every gate the cluster reports; empty when it reports none (or /metrics was refused). */
  features: Record<string, FeatureState>;
  gatesHow: string;
  progressTrusted: boolean;
  progressHow: string;
  assumed?: string;
  /** The second scrape of the probe, if any (the first figures the UI can show at once). */
  metrics?: StorageMetrics;
}

export interface ProgressProbe {
  /** A small collection every user of the context may list, e.g. /api/v1/namespaces. */
  path: string;
  /** Its qualified name as /metrics labels it ("namespaces"). */
  resource: string;
}

/** A consistent read from the cache is counted here (1.31+); fallback="true" ones too. */
const CONSISTENT_READ = 'apiserver_watch_cache_consistent_read_total';

const NOT_TRUSTED_DEFAULT = 'RequestWatchProgress assumed not trusted (consistent LISTs modelled as reads from etcd)';

/**
 * Reads the cluster's gates and learns its progress trust. Never throws: whatever cannot be read
 * is assumed, and the answer says what and why.
 */
export async function learnCluster(client: KubeClient, gitVersion: string, probe: ProgressProbe, timeoutMs = 10_000): Promise<ClusterFindings> {
  let before: StorageMetrics;
  try {
    before = await scrapeStorageMetrics(client, timeoutMs);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return {
      from: 'assumed',
      features: {},
      gatesHow: `not read: ${why}`,
      progressTrusted: false,
      progressHow: `not measured: ${why}`,
      assumed: `gates at the defaults of Kubernetes ${gitVersion}, and ${NOT_TRUSTED_DEFAULT}: /metrics could not be read, so neither can be checked against the cluster`,
    };
  }
  const features = before.features;
  const minor = minorOf(gitVersion);
  const gateCount = Object.keys(features).length;
  const gatesHow =
    gateCount > 0
      ? `kubernetes_feature_enabled on /metrics (${gateCount} gates)`
      : minor !== undefined && minor < 26
        ? `Kubernetes ${gitVersion} has no kubernetes_feature_enabled (it came in 1.26): gates at the release's defaults`
        : `the cluster's /metrics has no kubernetes_feature_enabled: gates at the release's defaults`;
  const base = { from: 'metrics' as const, features, gatesHow };

  if (minor !== undefined && minor < 31) {
    return {
      ...base,
      progressTrusted: false,
      progressHow: `not measured: ${CONSISTENT_READ} came in 1.31, and before 1.31 a consistent LIST is served by the watch cache only with ConsistentListFromCache turned on by hand; ${NOT_TRUSTED_DEFAULT}`,
      metrics: before,
    };
  }
  if (features.ConsistentListFromCache && !features.ConsistentListFromCache.enabled) {
    return {
      ...base,
      progressTrusted: false,
      progressHow: `not measured: the cluster runs with ConsistentListFromCache off, so it sends every consistent LIST to etcd whatever etcd's version; ${NOT_TRUSTED_DEFAULT}`,
      metrics: before,
    };
  }
  const count = (m: StorageMetrics) => m.resources.find((r) => r.resource === probe.resource)?.consistentReads;
  const c0 = count(before);
  const list = await client.raw('GET', probe.path, { query: { limit: 1 }, timeoutMs, verb: 'list', resource: probe.resource }).catch((e: unknown) => e as Error);
  if (list instanceof Error || list.status !== 200) {
    const why = list instanceof Error ? list.message : `it answered ${list.status}`;
    return { ...base, progressTrusted: false, progressHow: `not measured: the probe LIST ${probe.path}?limit=1 failed (${why}); ${NOT_TRUSTED_DEFAULT}`, metrics: before };
  }
  let after: StorageMetrics;
  try {
    after = await scrapeStorageMetrics(client, timeoutMs);
  } catch (e) {
    return { ...base, progressTrusted: false, progressHow: `not measured: /metrics failed after the probe LIST (${(e as Error).message}); ${NOT_TRUSTED_DEFAULT}`, metrics: before };
  }
  const c1 = count(after);
  const series = `${CONSISTENT_READ}{resource="${probe.resource}"}`;
  const was = c0 === undefined ? 'absent' : String(c0);
  if (c1 !== undefined && c1 > (c0 ?? 0)) {
    return {
      ...base,
      progressTrusted: true,
      progressHow: `one consistent LIST ${probe.path}?limit=1 moved ${series} from ${was} to ${c1}: the cluster served it from its watch cache, so it trusts etcd's RequestWatchProgress`,
      metrics: after,
    };
  }
  return {
    ...base,
    progressTrusted: false,
    progressHow: `one consistent LIST ${probe.path}?limit=1 left ${series} ${c1 === undefined ? 'absent' : `at ${c1}`}: the cluster sent it to etcd, so it does not trust etcd's RequestWatchProgress (upstream needs etcd ≥3.4.31 or ≥3.5.13)`,
    metrics: after,
  };
}

/**
 * The routing gates the profile takes from the cluster: every gate the cluster reports that the
 * profile models and may set. Gates the profile lacks, locks differently or the cluster does not
 * report stay at the profile's value, with a note saying why.
 */
export function gatesFromCluster(profile: Profile, features: Record<string, FeatureState>): { apply: Partial<Record<GateName, boolean>>; rows: ClusterModel['gates'] } {
  const apply: Partial<Record<GateName, boolean>> = {};
  const rows: ClusterModel['gates'] = [];
  for (const g of gateNames) {
    const reported = features[g];
    const spec = profile.gateSpecs[g];
    const row: ClusterModel['gates'][number] = { name: g, profile: profile.gates[g] };
    if (reported) {
      row.cluster = reported.enabled;
      row.stage = reported.stage || 'GA';
    }
    if (!reported) {
      row.note = spec.stage === 'absent' || spec.stage === 'removed' ? `not in Kubernetes ${profile.label}` : 'not reported by the cluster: the release default';
    } else if (spec.stage === 'absent' || spec.stage === 'removed') {
      row.note = `the ${profile.label} profile does not model it`;
    } else if (spec.locked && reported.enabled !== spec.default) {
      row.note = `locked to ${spec.default} in the ${profile.label} profile`;
    } else {
      apply[g] = reported.enabled;
    }
    rows.push(row);
  }
  return { apply, rows };
}

/** The model as the UI shows it: `profile` is the one in use (its gates, as applied, per row). */
export function clusterModelOf(findings: ClusterFindings, profile: Profile): ClusterModel {
  const { rows } = gatesFromCluster(profile, findings.features);
  if (findings.from === 'assumed') for (const r of rows) if (r.note?.startsWith('not reported')) r.note = 'not read (/metrics refused): the release default';
  const m: ClusterModel = {
    from: findings.from,
    gates: rows,
    gatesHow: findings.gatesHow,
    progressTrusted: findings.progressTrusted,
    progressHow: findings.progressHow,
  };
  if (findings.assumed) m.assumed = findings.assumed;
  return m;
}
