// What one open connection holds, whichever mode opened it (etcd-mode.ts, kube-mode.ts), and what
// etcd mode's storage stack is. A file of its own so that the modes and the session depend on it,
// not on each other.
import type { Snapshot } from '../shared/model.js';
import type { DecisionLog } from './storage/decisions.js';
import type { EtcdProcess } from './storage/etcd/process.js';
import type { EtcdSource } from './storage/etcd/source.js';
import type { EtcdStore } from './storage/etcd/store.js';
import type { CacherView } from './storage/cacher/types.js';
import type { StorageBackend } from './storage/apiserver/backend.js';
import type { CacherBackend, ConsistencyOutcome } from './storage/apiserver/cacher-backend.js';
import type { ApiServer } from './storage/apiserver/server.js';
import type { DelayedSource } from './storage/delayed-source.js';
import type { SourceInfo } from './storage/source.js';
import type { ClusterFindings } from './storage/kube/cluster-model.js';
import type { KubeClient } from './storage/kube/client.js';
import type { Workload } from './workload/workload.js';
import type { EndpointConnection } from './workload/transport.js';

/** What one connection holds while it is open. */
export interface Live {
  mode: 'etcd' | 'kube' | 'demo' | 'audit';
  target: string;
  server: ApiServer;
  backend: StorageBackend;
  decisions: DecisionLog;
  caches(): CacherView[];
  sourceInfo(): SourceInfo;
  /** How the source's current revision is learned, for the UI's lag figures. */
  revisionMethod?(): string;
  /** kube mode: the cluster's client (the context's transport and credentials), for time travel. */
  clusterClient?: KubeClient;
  /** kube mode: the latest scrape of the cluster's own /metrics. */
  clusterMetrics?(): Snapshot['clusterMetrics'];
  /** kube mode: the cluster's gates and progress trust, learned at connect (or assumed). */
  clusterFindings?(): ClusterFindings;
  /** etcd mode and the demo. */
  stack?: EtcdStack;
  /** Demo only. */
  etcd?: EtcdProcess;
  workload?: Workload;
  /** The consistency check of one cache or all of them, against what the cachers read from. */
  checkConsistency(resource?: string): Promise<ConsistencyOutcome[]>;
  close(): Promise<void>;
}

/** One live storage stack in etcd mode (openEtcdStack in etcd-mode.ts). */
export interface EtcdStack {
  source: EtcdSource;
  /** What the cachers read: the source itself, or a DelayedSource for a lagging replica. */
  delayed: DelayedSource;
  backend: CacherBackend;
  server: ApiServer;
  decisions: DecisionLog;
  /** Stores by qualified resource name ("pods", "deployments.apps"). */
  stores: Map<string, EtcdStore>;
  close(): Promise<void>;
}

/** How an in-process HTTP client (workload, console, scenarios) reaches an endpoint. */
export function endpointConnection(server: ApiServer): EndpointConnection {
  const c: EndpointConnection = { url: server.url, token: server.token };
  if (server.caPem) c.caPem = server.caPem;
  return c;
}
