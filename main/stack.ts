// One live storage stack in etcd mode: an EtcdSource, a Cacher per resource, the etcd3-style
// delegate, and the Kubernetes-compatible endpoint with its decision log. The session builds one
// per connection (demo, `serve --etcd`), and a second one for the HA replica scenario.
import { EtcdSource } from './storage/etcd/source.js';
import { EtcdStore } from './storage/etcd/store.js';
import { EtcdCompactions } from './storage/etcd/compact.js';
import type { EtcdConnectOptions } from './storage/etcd/client.js';
import { DecisionLog, type DecisionSink } from './storage/decisions.js';
import { BUILTIN_RESOURCES, type ResourceInfo, qualifiedResource } from './storage/resources.js';
import { createEtcdBackend, type EtcdBackend } from './storage/apiserver/etcd-backend.js';
import { etcdStoreDelegate } from './storage/apiserver/etcd-delegate.js';
import { startApiServer, type ApiServer } from './storage/apiserver/server.js';
import type { Profile } from './storage/routing/profiles.js';
import { DelayedSource } from './storage/delayed-source.js';
import type { Source } from './storage/source.js';

export interface EtcdStackOptions {
  etcd: EtcdConnectOptions;
  /** Reuse an open source (the replica shares the primary's connection). */
  source?: EtcdSource;
  etcdPrefix?: string;
  /** Resource names ("pods", "deployments.apps" or "deployments"); default: every built-in. */
  resources?: string[];
  profile: () => Profile;
  decisions?: DecisionLog;
  token?: string;
  tls?: boolean;
  /** A loopback address (the CLI refuses any other); default 127.0.0.1. */
  host?: string;
  port?: number;
  replica?: string;
  snapshot?: () => unknown;
  /** Wraps what the cachers read (a recording's tap sees what they ingest). */
  wrapSource?: (s: Source) => Source;
  /** Period of the cache-vs-etcd consistency checks; 0 or absent: on demand only. */
  consistencyCheckMs?: number;
}

export interface EtcdStack {
  source: EtcdSource;
  /** What the cachers read: the source itself, or a DelayedSource for a lagging replica. */
  delayed: DelayedSource;
  backend: EtcdBackend;
  server: ApiServer;
  decisions: DecisionLog;
  /** Stores by qualified resource name ("pods", "deployments.apps"). */
  stores: Map<string, EtcdStore>;
  close(): Promise<void>;
}

/** Picks resources by name; unknown names are an error a person can act on. */
export function selectResources(names: string[] | undefined): readonly ResourceInfo[] {
  if (!names || names.length === 0) return BUILTIN_RESOURCES;
  const out: ResourceInfo[] = [];
  for (const n of names) {
    const r = BUILTIN_RESOURCES.find((x) => x.resource === n || qualifiedResource(x) === n || x.shortNames.includes(n));
    if (!r) {
      throw new Error(`unknown resource "${n}" (known: ${BUILTIN_RESOURCES.map(qualifiedResource).join(', ')})`);
    }
    if (!out.includes(r)) out.push(r);
  }
  return out;
}

export async function openEtcdStack(o: EtcdStackOptions): Promise<EtcdStack> {
  const resources = selectResources(o.resources);
  const ownSource = !o.source;
  const source = o.source ?? (await EtcdSource.connect(o.etcd));
  const delayed = new DelayedSource(source);
  const stores = new Map<string, EtcdStore>();
  const decisions = o.decisions ?? new DecisionLog(5000);
  let backend: EtcdBackend | undefined;
  try {
    backend = createEtcdBackend({
      consistency: { profile: o.profile, periodMs: o.consistencyCheckMs ?? 0 },
      source: o.wrapSource ? o.wrapSource(delayed) : delayed,
      resources,
      ...(o.etcdPrefix ? { etcdPrefix: o.etcdPrefix } : {}),
      cacherConfig: { log: () => undefined, ...(o.replica ? { replica: o.replica } : {}) },
      compactions: new EtcdCompactions(source.client),
      delegate: (res, collectionKey) => {
        const store = new EtcdStore(source, { group: res.group, resource: res.resource, collectionKey });
        stores.set(qualifiedResource(res), store);
        return etcdStoreDelegate(store, res);
      },
    });
    backend.start();
    const sink: DecisionSink = o.replica
      ? { record: (d) => decisions.record({ ...d, replica: o.replica }) }
      : decisions;
    const server = await startApiServer({
      backend,
      profile: o.profile,
      decisions: sink,
      decisionLog: decisions,
      tls: o.tls ?? true,
      ...(o.token ? { token: o.token } : {}),
      ...(o.host ? { host: o.host } : {}),
      ...(o.port ? { port: o.port } : {}),
      ...(o.etcdPrefix ? { etcdPrefix: o.etcdPrefix } : {}),
      ...(o.snapshot ? { snapshot: o.snapshot } : {}),
    });
    const be = backend;
    return {
      source,
      delayed,
      backend: be,
      server,
      decisions,
      stores,
      async close() {
        await server.close().catch(() => undefined);
        await be.stop().catch(() => undefined);
        if (ownSource) await source.close().catch(() => undefined);
      },
    };
  } catch (e) {
    await backend?.stop().catch(() => undefined);
    if (ownSource) await source.close().catch(() => undefined);
    throw e;
  }
}
