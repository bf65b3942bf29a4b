// kube mode: the embedded cacher fed by a cluster's kube-apiserver through a kubeconfig context.
// Reads the profile serves from the cache come from the embedded Cacher; reads it delegates go to
// the real apiserver with the user's credentials (KubeStore); writes are refused unless allowed.
import type { KubeObject, StoredObject } from './storage/object.js';
import { DecisionLog } from './storage/decisions.js';
import { KubeSource } from './storage/kube/source.js';
import { KubeStore } from './storage/kube/store.js';
import type { KubeResource } from './storage/kube/discovery.js';
import { createEtcdBackend } from './storage/apiserver/etcd-backend.js';
import type { StorageDelegate } from './storage/apiserver/backend.js';
import { startApiServer } from './storage/apiserver/server.js';
import { BUILTIN_RESOURCES, collectionKey, qualifiedResource, type ResourceInfo } from './storage/resources.js';
import type { Profile } from './storage/routing/profiles.js';
import type { Live } from './session.js';
import type { Source } from './storage/source.js';
import { scrapeStorageMetrics } from './storage/kube/metrics.js';
import { ClusterMetricsScraper, CLUSTER_METRICS_INTERVAL_MS } from './telemetry/cluster-metrics.js';

export interface KubeLiveOptions {
  kubeconfig?: string | undefined;
  context?: string | undefined;
  resources?: string[] | undefined;
  profile: () => Profile;
  decisions: DecisionLog;
  snapshot?: () => unknown;
  allowWrites: boolean;
  token?: string;
  tls?: boolean;
  port?: number;
  /** Wraps what the cachers read (a recording's tap sees what they ingest). */
  wrapSource?: (s: Source) => Source;
  /** Period of the /metrics scrape (default CLUSTER_METRICS_INTERVAL_MS). */
  metricsIntervalMs?: number;
}

/** Default selection in kube mode: small, commonly watched resources. */
const DEFAULT_KUBE_RESOURCES = ['pods', 'configmaps', 'services', 'namespaces', 'nodes', 'deployments.apps', 'leases.coordination.k8s.io'];

function storedOf(obj: KubeObject, key: string): StoredObject {
  const rv = Number(obj.metadata?.resourceVersion ?? 0);
  return { key, object: obj, resourceVersion: Number.isFinite(rv) ? rv : 0, encoding: 'json', size: 0 };
}

function kubeDelegate(store: KubeStore, source: KubeSource, res: ResourceInfo, key: string): StorageDelegate {
  const keyOf = (o: KubeObject) => `${key}${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
  return {
    async getList(o) {
      const r = await store.getList({
        ...(o.namespace ? { namespace: o.namespace } : {}),
        resourceVersion: o.resourceVersion,
        ...(o.resourceVersionMatch ? { resourceVersionMatch: o.resourceVersionMatch } : {}),
        ...(o.limit ? { limit: o.limit } : {}),
        ...(o.continue ? { continue: o.continue } : {}),
        ...(o.labelSelector.text ? { labelSelector: o.labelSelector.text } : {}),
        fieldSelector: [o.fieldSelector.text, o.name ? `metadata.name=${o.name}` : ''].filter(Boolean).join(',') || undefined,
      } as Parameters<KubeStore['getList']>[0]);
      const out: Awaited<ReturnType<StorageDelegate['getList']>> = {
        items: r.items.map((i) => storedOf(i, keyOf(i))),
        resourceVersion: Number(r.resourceVersion) || 0,
      };
      if (r.continue) out.continue = r.continue;
      if (r.remainingItemCount !== undefined) out.remainingItemCount = r.remainingItemCount;
      return out;
    },
    async get(namespace, name, o) {
      const obj = await store.get(namespace, name, o.resourceVersion ? { resourceVersion: o.resourceVersion } : {});
      return storedOf(obj, keyOf(obj));
    },
    async create(namespace, _name, obj) {
      const r = await store.create(namespace, obj);
      return storedOf(r, keyOf(r));
    },
    async update(namespace, name, obj, expected) {
      const body = expected ? { ...obj, metadata: { ...obj.metadata, resourceVersion: String(expected) } } : obj;
      const r = await store.update(namespace, name, body);
      return storedOf(r, keyOf(r));
    },
    async delete(namespace, name, preconditions) {
      const r = await store.delete(namespace, name, preconditions ? { preconditions } : {});
      return storedOf(r, keyOf(r));
    },
    currentRevision: () => source.currentRevision(key),
    appliesRegistryRules: true,
    servedByName: "the cluster's kube-apiserver",
  };
}

export async function openKubeLive(o: KubeLiveOptions): Promise<Live> {
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
    const byKey = new Map<string, KubeResource>();
    for (const r of resources) {
      const d = discovered.find((x) => x.group === r.group && x.resource === r.resource)!;
      byKey.set(collectionKey(r), d);
      source.register(d, collectionKey(r));
    }
    const backend = createEtcdBackend({
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
      ...(o.port ? { port: o.port } : {}),
      ...(o.snapshot ? { snapshot: o.snapshot } : {}),
    });
    // The cluster's own watch-cache counters, beside the embedded cacher's. A refusal (403) is a
    // figure of its own ("the cluster refuses /metrics to user X"), not a connection failure.
    const metrics = new ClusterMetricsScraper({
      scrape: () => scrapeStorageMetrics(source.client, 10_000),
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
      sourceInfo: () => source.info(),
      // Each cacher polls currentRevision (revisionPollMs, 1 s); watch BOOKMARKs advance it too.
      revisionMethod: () =>
        source.revisionMethod === 'not measured yet' ? source.revisionMethod : `${source.revisionMethod}, every 1 s per cached resource, and watch bookmarks`,
      clusterMetrics: () => metrics.latest(),
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
