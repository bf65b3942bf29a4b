// What a scenario preset needs from the session that runs it, and what it hands back.
import type { CacherView } from '../../storage/cacher/types.js';
import type { DecisionLog } from '../../storage/decisions.js';
import type { EtcdProcess } from '../../storage/etcd/process.js';
import type { EndpointConnection } from '../transport.js';

/** A second cacher replica on the same etcd behind its own endpoint (the HA demo). */
export interface ScenarioReplica {
  /** Shown in Decision.replica / CacheInfo.replica, e.g. "replica-b". */
  name: string;
  connection: EndpointConnection;
  /** Apply source (etcd watch) events this many ms late; 0 = live. Models a lagging apiserver. */
  setDelay(ms: number): void;
}

export interface ScenarioContext {
  /** The endpoint (primary replica). */
  connection: EndpointConnection;
  /** The etcd behind it (kill9/restart for the restart preset). */
  etcd: EtcdProcess;
  /** Compacts etcd at `revision` (default: its current revision); resolves to the revision used. */
  compact(revision?: number): Promise<number>;
  /** etcd's current revision (a quorum read). */
  currentRevision(): Promise<number>;
  /** The endpoint's decision log: scenarios find their own requests in it by User-Agent. */
  decisions: DecisionLog;
  /** Views of every cacher (all replicas). */
  caches(): CacherView[];
  /** Switches the routing profile, e.g. "1.27" or "1.34". */
  setProfile(name: string): void;
  profile(): string;
  /** What the source is: decides whether consistent reads may be served from the cache. */
  source(): { version: string; supportsRequestWatchProgress: boolean };
  /** Only for the HA preset. */
  replica?: ScenarioReplica;
  /** 0 < scale ≤ 1 shrinks object and event counts (tests, small machines). Default 1. */
  scale?: number;
  /** Progress text for the UI (Snapshot.workload.scenarioStatus). */
  report?(status: string): void;
}

export interface ScenarioResult {
  ok: boolean;
  /** The few numbers/flags that characterise the run; stable keys, for tests and the UI. */
  signature: Record<string, number | string | boolean>;
  /** One paragraph for a person. */
  summary: string;
}

export interface Scenario {
  name: string;
  title: string;
  /** What to look at, and the upstream issue/KEP behind it. */
  explanation: string;
  /** Needs ctx.replica. */
  needsReplica?: boolean;
  run(ctx: ScenarioContext): Promise<ScenarioResult>;
}

/** The two routing profiles the presets compare. */
export const PROFILE_OLD = '1.27';
export const PROFILE_NEW = '1.34';
