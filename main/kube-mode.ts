// kube mode: the embedded cacher fed by a cluster's kube-apiserver through a kubeconfig context.
// Reads the profile serves from the cache come from the embedded Cacher; reads it delegates go to
// the real apiserver with the user's credentials (KubeStore); writes are refused unless allowed.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DecisionLog } from './storage/decisions.js';
import { KubeSource } from './storage/kube/source.js';
import { KubeStore } from './storage/kube/store.js';
import { kubeDelegate } from './storage/kube/delegate.js';
import type { KubeResource } from './storage/kube/discovery.js';
import { createCacherBackend } from './storage/apiserver/cacher-backend.js';
import { startApiServer, type ApiServerOptions } from './storage/apiserver/server.js';
import { BUILTIN_RESOURCES, collectionKey, qualifiedResource, type ResourceInfo } from './storage/resources.js';
import type { Profile } from './storage/routing/profiles.js';
import type { Live } from './live.js';
import type { Source } from './storage/source.js';
import { scrapeStorageMetrics } from './storage/kube/metrics.js';
import { learnCluster, type ProgressProbe } from './storage/kube/cluster-model.js';
import { collectionPath, type DiscoveredResource } from './storage/kube/discovery.js';
import { ClusterMetricsScraper, CLUSTER_METRICS_INTERVAL_MS } from './telemetry/cluster-metrics.js';

export interface KubeModeOptions {
  kubeconfig?: string | undefined;
  context?: string | undefined;
  resources?: string[] | undefined;
  profile: () => Profile;
  decisions: DecisionLog;
  snapshot?: () => unknown;
  clients?: ApiServerOptions['clients'];
  allowWrites: boolean;
  token?: string;
  tls?: boolean;
  host?: string;
  port?: number;
  /** Wraps what the cachers read (a recording's tap sees what they ingest). */
  wrapSource?: (s: Source) => Source;
  /** Period of the /metrics scrape (default CLUSTER_METRICS_INTERVAL_MS). */
  metricsIntervalMs?: number;
  /** POST receivers on the endpoint's listener (the audit webhook). */
  posts?: Record<string, (req: IncomingMessage, res: ServerResponse) => Promise<void>>;
}

/**
 * The collection the progress probe LISTs: namespaces when the user may list them (small, and
 * what the revision measurement reads too), else the first cached resource.
 */
function progressProbe(discovered: DiscoveredResource[], cached: ResourceInfo[]): ProgressProbe {
  const ns = discovered.find((d) => d.group === '' && d.resource === 'namespaces' && d.canList);
  if (ns) return { path: collectionPath(ns), resource: 'namespaces' };
  const first = cached[0]!;
  const d = discovered.find((x) => x.group === first.group && x.resource === first.resource)!;
  return { path: collectionPath(d), resource: qualifiedResource(first) };
}

/** Default selection in kube mode: small, commonly watched resources. */
const DEFAULT_KUBE_RESOURCES = ['pods', 'configmaps', 'services', 'namespaces', 'nodes', 'deployments.apps', 'leases.coordination.k8s.io'];

export async function openKubeMode(o: KubeModeOptions): Promise<Live> {
  const source = await KubeSource.connect({ ...(o.kubeconfig ? { kubeconfig: o.kubeconfig } : {}), ...(o.context ? { context: o.context } : {}) });
  try {
    const discovered = await source.discoverResources();
    const wanted = o.resources?.length ? o.resources : DEFAULT_KUBE_RESOURCES;
    const resources: ResourceInfo[] = [];
    const refused: string[] = [];
    for (const name of wanted) {
      const info = BUILTIN_RESOURCES.find((r) => r.resource === name || qualifiedResource(r) === name || r.shortNames.includes(name));
      const d = info && discovered.find((x) => x.group === info.group && x.resource === info.resource);
      if (!info || !d) {
        if (o.resources?.length) refused.push(`${name} (not served by this cluster or not supported by watchscope)`);
        continue;
      }
      if (!d.canList || !d.canWatch) {
        refused.push(`${qualifiedResource(info)} (you may ${[d.canList ? 'list' : '', d.canWatch ? 'watch' : ''].filter(Boolean).join(' and ') || 'neither list nor watch'} it; caching needs list and watch)`);
        continue;
      }
      resources.push(info);
    }
    if (resources.length === 0) {
      throw new Error(`Nothing to cache on ${source.server}: ${refused.join('; ') || 'no resource can be listed and watched'}.`);
    }
    // Learned before the cachers start, so the router decides like this cluster from the first request.
    const findings = await learnCluster(source.client, source.gitVersion, progressProbe(discovered, resources));
    const byKey = new Map<string, KubeResource>();
    for (const r of resources) {
      const d = discovered.find((x) => x.group === r.group && x.resource === r.resource)!;
      byKey.set(collectionKey(r), d);
      source.register(d, collectionKey(r));
    }
    const backend = createCacherBackend({
      // The router models the cluster's etcd as the cluster trusts it, not by the watch API's own
      // (missing) progress requests.
      etcdSupportsRequestWatchProgress: findings.progressTrusted,
      // On demand only: each check LISTs every cached resource from the user's cluster.
      consistency: { profile: o.profile, periodMs: 0 },
      source: o.wrapSource ? o.wrapSource(source) : source,
      resources,
      // Back off on repeated failures (expired credentials must not run an exec plugin every second).
      cacherConfig: { log: () => undefined, relistDelayMs: (n) => Math.min(30_000, 1000 * 2 ** (n - 1)) },
      delegate: (res, key) => kubeDelegate(new KubeStore(source.client, byKey.get(key)!, { allowWrites: o.allowWrites }), source, res, key),
    });
    backend.start();
    const server = await startApiServer({
      backend,
      profile: o.profile,
      decisions: o.decisions,
      decisionLog: o.decisions,
      tls: o.tls ?? true,
      ...(o.token ? { token: o.token } : {}),
      ...(o.host ? { host: o.host } : {}),
      ...(o.port ? { port: o.port } : {}),
      ...(o.snapshot ? { snapshot: o.snapshot } : {}),
      ...(o.posts ? { posts: o.posts } : {}),
      ...(o.clients ? { clients: o.clients } : {}),
    });
    // The cluster's own watch-cache counters, beside the embedded cacher's. A refusal (403) is a
    // figure of its own ("the cluster refuses /metrics to user X"), not a connection failure.
    const metrics = new ClusterMetricsScraper({
      scrape: () => scrapeStorageMetrics(source.client, 10_000),
      version: source.gitVersion,
      revision: () => source.currentRevision(collectionKey(resources[0]!)),
      ...(findings.metrics ? { initial: findings.metrics } : {}),
      first: () => resources.map(qualifiedResource),
      intervalMs: o.metricsIntervalMs ?? CLUSTER_METRICS_INTERVAL_MS,
    });
    metrics.start();
    return {
      mode: 'kube',
      target: `${source.contextName} (${source.server})${refused.length ? `; not cached: ${refused.join('; ')}` : ''}`,
      server,
      backend,
      decisions: o.decisions,
      caches: () => [...backend.cachers.values()],
      sourceInfo: () => ({ ...source.info(), supportsRequestWatchProgress: findings.progressTrusted }),
      clusterFindings: () => findings,
      // Each cacher polls currentRevision (revisionPollMs, 1 s); watch BOOKMARKs advance it too.
      revisionMethod: () =>
        source.revisionMethod === 'not measured yet' ? source.revisionMethod : `${source.revisionMethod}, every 1 s per cached resource, and watch bookmarks`,
      clusterMetrics: () => metrics.latest(),
      clusterClient: source.client,
      checkConsistency: (resource) => backend.checkConsistency(resource),
      close: async () => {
        metrics.stop();
        await server.close().catch(() => undefined);
        await backend.stop().catch(() => undefined);
        await source.close().catch(() => undefined);
      },
    };
  } catch (e) {
    await source.close().catch(() => undefined);
    throw e;
  }
}
