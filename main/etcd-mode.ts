// etcd mode's wiring. openEtcdStack: one live storage stack — an EtcdSource, a Cacher per
// resource, the etcd3-style delegate, and the Kubernetes-compatible endpoint with its decision
// log (also the HA replica's, on the primary's connection). openEtcdMode: the session's connection
// in etcd mode (`serve --etcd`) and in the demo, which starts an etcd of its own and the workload.
import { EtcdSource } from './storage/etcd/source.js';
import { EtcdStore } from './storage/etcd/store.js';
import { EtcdCompactions } from './storage/etcd/compact.js';
import { startEtcd, type EtcdProcess } from './storage/etcd/process.js';
import type { EtcdConnectOptions } from './storage/etcd/client.js';
import { DecisionLog, type DecisionSink } from './storage/decisions.js';
import { BUILTIN_RESOURCES, type ResourceInfo, qualifiedResource } from './storage/resources.js';
import { createCacherBackend, type CacherBackend } from './storage/apiserver/cacher-backend.js';
import { etcdStoreDelegate } from './storage/apiserver/etcd-delegate.js';
import { startApiServer, type ApiServerOptions } from './storage/apiserver/server.js';
import type { Profile } from './storage/routing/profiles.js';
import { DelayedSource } from './storage/delayed-source.js';
import type { Source } from './storage/source.js';
import type { CacherView } from './storage/cacher/types.js';
import { Workload, type WorkloadOptions } from './workload/workload.js';
import type { ConnectRequest } from '../shared/ipc.js';
import { endpointConnection, type EtcdStack, type Live } from './live.js';

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
  clients?: ApiServerOptions['clients'];
  /** Wraps what the cachers read (a recording's tap sees what they ingest). */
  wrapSource?: (s: Source) => Source;
  /** Period of the cache-vs-etcd consistency checks; 0 or absent: on demand only. */
  consistencyCheckMs?: number;
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
  let backend: CacherBackend | undefined;
  try {
    backend = createCacherBackend({
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
      ? { record: (d) => decisions.record({ ...d, replica: o.replica }), end: (d, e) => decisions.end(d, e) }
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
      ...(o.clients ? { clients: o.clients } : {}),
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

/**
 * etcd and demo modes: the cacher polls a quorum range read (its response header carries the
 * current revision; cacher revisionPollMs, 1 s) and watch progress notifications advance it too,
 * as they do upstream's cache RV (KEP-2340).
 */
export const ETCD_REVISION_METHOD = 'etcd header revision of a quorum range read (every 1 s) and watch progress notifications';

export interface EtcdModeOptions extends Omit<EtcdStackOptions, 'etcd' | 'source' | 'etcdPrefix' | 'resources' | 'replica'> {
  decisions: DecisionLog;
  /** The demo's etcd binary (default: $ETCD_BIN, then etcd on PATH). */
  etcdBin?: string;
  /** The demo's workload settings. */
  workload?: Partial<WorkloadOptions>;
  /** The session's private directory: the demo's etcd removes it if the app dies without closing. */
  sessionDir: string;
  /** The demo's etcd is added while it runs and removed once stopped (the session's abandon() kills what is left). */
  children: Set<EtcdProcess>;
  /** Caches shown with this connection's own (the HA replica's). */
  moreCaches?: () => CacherView[];
}

export async function openEtcdMode(req: Extract<ConnectRequest, { mode: 'etcd' | 'demo' }>, o: EtcdModeOptions): Promise<Live> {
  const { etcdBin, workload: workloadOptions, sessionDir, children, moreCaches, ...stackOptions } = o;
  let etcd: EtcdProcess | undefined;
  const stopEtcd = async () => {
    await etcd?.stop().catch(() => undefined);
    if (etcd) children.delete(etcd);
  };
  try {
    let etcdOpts: EtcdConnectOptions;
    let target: string;
    if (req.mode === 'demo') {
      // 5s periodic progress notifications, as kubeadm configures etcd.
      etcd = await startEtcd({ progressNotifyInterval: '5s', removeOnParentDeath: [sessionDir], ...(etcdBin ? { bin: etcdBin } : {}) });
      children.add(etcd);
      etcdOpts = { endpoints: [etcd.endpoint] };
      target = `etcd ${etcd.endpoint}, pid ${etcd.pid}`;
    } else {
      etcdOpts = { endpoints: req.endpoints };
      if (req.caFile) etcdOpts.caFile = req.caFile;
      if (req.certFile) etcdOpts.certFile = req.certFile;
      if (req.keyFile) etcdOpts.keyFile = req.keyFile;
      target = req.endpoints.join(',');
    }
    const stack = await openEtcdStack({
      ...stackOptions,
      etcd: etcdOpts,
      ...(req.resources ? { resources: req.resources } : {}),
      ...(req.mode === 'etcd' && req.prefix ? { etcdPrefix: req.prefix } : {}),
    });
    const live: Live = {
      mode: req.mode,
      target,
      server: stack.server,
      backend: stack.backend,
      decisions: stack.decisions,
      stack,
      caches: () => [...stack.backend.cachers.values(), ...(moreCaches?.() ?? [])],
      sourceInfo: () => stack.source.info(),
      revisionMethod: () => ETCD_REVISION_METHOD,
      checkConsistency: (resource) => stack.backend.checkConsistency(resource),
      close: async () => {
        await live.workload?.stop().catch(() => undefined);
        await stack.close();
        await stopEtcd();
      },
    };
    if (etcd) live.etcd = etcd;
    if (req.mode === 'demo') {
      await stack.backend.waitReady();
      const workload = new Workload(endpointConnection(stack.server), workloadOptions ?? {});
      live.workload = workload;
      workload.start();
    }
    return live;
  } catch (e) {
    await stopEtcd();
    throw e;
  }
}
