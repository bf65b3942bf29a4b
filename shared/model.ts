// The data model that crosses from main to the renderer. Everything here is bounded: snapshots
// carry current state and fixed-size rings, never one message per event.
import { z } from 'zod';

export const Verb = z.enum(['get', 'list', 'watch', 'create', 'update', 'patch', 'delete']);
export type Verb = z.infer<typeof Verb>;

export const ServedBy = z.enum(['cache', 'etcd', 'rejected']);
export type ServedBy = z.infer<typeof ServedBy>;

/** One routing decision for one request (see main/storage/routing). */
export const Decision = z.object({
  id: z.number().int().nonnegative(),
  time: z.number(),
  verb: Verb,
  resource: z.string(),
  namespace: z.string().optional(),
  name: z.string().optional(),
  /** The request's query parameters as sent. */
  query: z.record(z.string(), z.string()),
  profile: z.string(),
  servedBy: ServedBy,
  /** Short code named after the upstream condition, e.g. consistentReadFromStorage. */
  reason: z.string(),
  /** One sentence a person understands. */
  detail: z.string(),
  /** HTTP status of the answer (200 for a watch that started, even if it later ends with ERROR). */
  status: z.number().int(),
  latencyMs: z.number(),
  userAgent: z.string(),
  /** Which cacher replica answered (only when several replicas serve one endpoint, e.g. HA demo). */
  replica: z.string().optional(),
  /** resourceVersion of the answer (list RV, object RV), when there is one. */
  resourceVersion: z.string().optional(),
  /** Where the request was seen: watchscope's own endpoint (absent means so too) or the cluster's audit stream. */
  source: z.enum(['endpoint', 'audit']).optional(),
  /**
   * Decided from a record of the request, not by serving it: the real apiserver's state (cache
   * readiness, freshness) is assumed, and the session's AuditStatus.assumptions say how.
   */
  inferred: z.boolean().optional(),
  /** The authenticated (or impersonated) user, where the source names one (the audit log does). */
  user: z.string().max(512).optional(),
  /** An inferred decision's outcome under every profile, as the audit stream routed it. */
  whatIf: z
    .array(z.object({ profile: z.string(), servedBy: ServedBy, reason: z.string() }))
    .max(16)
    .optional(),
  /** A LIST's answer, once written: items and bytes sent (the endpoint's own LISTs only). */
  objects: z.number().int().nonnegative().optional(),
  bytes: z.number().int().nonnegative().optional(),
});
export type Decision = z.infer<typeof Decision>;

export const WatcherState = z.enum(['initializing', 'live', 'closed']);

export const CloseReason = z.enum([
  'bufferFull', // upstream: "Forcing watcher close due to unresponsiveness"
  'clientGone',
  'timeout', // timeoutSeconds / request deadline reached
  'cacheReinitializing', // relist: terminateAllWatchers
  'tooOldResourceVersion', // 410 Expired as an ERROR event
  'tooLargeResourceVersion',
  'stopped', // cacher stopped (disconnect, shutdown)
  'error',
]);
export type CloseReason = z.infer<typeof CloseReason>;

export const WatcherInfo = z.object({
  id: z.number().int(),
  resource: z.string(),
  namespace: z.string().optional(),
  name: z.string().optional(),
  labelSelector: z.string(),
  fieldSelector: z.string(),
  startResourceVersion: z.string(),
  userAgent: z.string(),
  createdAt: z.number(),
  eventsSent: z.number().int(),
  bookmarksSent: z.number().int(),
  lastResourceVersion: z.number().int(),
  inputLen: z.number().int(),
  resultLen: z.number().int(),
  /** Upstream sizes input and result identically (cacher.go chanSize heuristic). */
  capacity: z.number().int(),
  /** Which rule sized the buffer: indexWithTrigger (≤10), indexWithoutTrigger (≤1000), noIndex (≤100). */
  capacityRule: z.string(),
  state: WatcherState,
  closedAt: z.number().optional(),
  closeReason: CloseReason.optional(),
  closeMessage: z.string().optional(),
  replica: z.string().optional(),
});
export type WatcherInfo = z.infer<typeof WatcherInfo>;

export const ReadyState = z.enum(['Pending', 'Ready', 'Stopped']);

/** The Cacher's running totals, as its metrics count them. */
export const CacheCounters = z.object({
  eventsReceived: z.number(),
  eventsDispatched: z.number(),
  terminatedWatchers: z.number(),
  capacityIncreases: z.number(),
  capacityDecreases: z.number(),
  initEvents: z.number(),
  readWaits: z.number(),
  readWaitMsTotal: z.number(),
  progressNotifies: z.number(),
  progressRequests: z.number(),
  bookmarksSent: z.number(),
  consistentReads: z.number(),
  consistentReadFallbacks: z.number(),
  initializations: z.number(),
  undecodable: z.number(),
  encrypted: z.number(),
});
export type CacheCounters = z.infer<typeof CacheCounters>;

/** Every counter at zero: a new Cacher's, and the base that fixtures fill in. */
export function emptyCacheCounters(): CacheCounters {
  return Object.fromEntries(Object.keys(CacheCounters.shape).map((k) => [k, 0])) as CacheCounters;
}

/** The last cache-vs-etcd consistency check of one cache (DetectCacheInconsistency, 1.34+). */
export const ConsistencyCheck = z.object({
  checkedAt: z.number(),
  resourceVersion: z.number().int(),
  state: z.enum(['match', 'mismatch', 'error']),
  objects: z.number().int(),
  /** At most 50; differencesTotal counts them all. */
  differences: z.array(
    z.object({
      object: z.string(),
      kind: z.enum(['missingFromCache', 'missingFromEtcd', 'resourceVersion', 'value']),
      cacheResourceVersion: z.number().int().optional(),
      etcdResourceVersion: z.number().int().optional(),
    }),
  ),
  differencesTotal: z.number().int(),
  message: z.string().optional(),
  /** What the cache did, as the profile's release would. */
  consequence: z.enum(['snapshotsDisabled', 'snapshotsEnabled', 'none']),
});
export type ConsistencyCheck = z.infer<typeof ConsistencyCheck>;

export const CacheInfo = z.object({
  resource: z.string(),
  group: z.string(),
  replica: z.string().optional(),
  ready: ReadyState,
  generation: z.number().int(),
  /** Cache RV: up to where the cache is known complete. */
  resourceVersion: z.number().int(),
  /** Source revision (etcd revision / cluster RV) last observed. */
  sourceRevision: z.number().int(),
  lagRevisions: z.number().int(),
  /** How long ago the cache last caught up with the source revision (0 when current). */
  lagMs: z.number(),
  objects: z.number().int(),
  historyLen: z.number().int(),
  historyCapacity: z.number().int(),
  oldestResourceVersion: z.number().int(),
  watchers: z.number().int(),
  counters: CacheCounters,
  lastError: z.string().optional(),
  /** False after a failed consistency check: no snapshots, so exact and continue reads go to etcd. */
  snapshottingEnabled: z.boolean().optional(),
  consistency: ConsistencyCheck.optional(),
});
export type CacheInfo = z.infer<typeof CacheInfo>;

/** A point of the freshness time series, per resource. */
export const FreshnessPoint = z.object({
  t: z.number(),
  sourceRevision: z.number(),
  cacheRevision: z.number(),
  lagMs: z.number(),
});
export type FreshnessPoint = z.infer<typeof FreshnessPoint>;

/**
 * kube mode: what the routing model took from the cluster it sits beside, and how it learned it.
 * `from: 'assumed'` when /metrics could not be read (RBAC); `assumed` then says what was assumed.
 */
export const ClusterModel = z.object({
  from: z.enum(['metrics', 'assumed']),
  /** The routing gates: the cluster's value (when it reports one) and whether the profile took it. */
  gates: z
    .array(
      z.object({
        name: z.string(),
        cluster: z.boolean().optional(),
        stage: z.string().optional(),
        profile: z.boolean(),
        note: z.string().optional(),
      }),
    )
    .max(16),
  gatesHow: z.string(),
  /** Whether the cluster trusts etcd's RequestWatchProgress (consistent LISTs from its cache). */
  progressTrusted: z.boolean(),
  progressHow: z.string(),
  assumed: z.string().optional(),
});
export type ClusterModel = z.infer<typeof ClusterModel>;

export const ConnectionState = z.object({
  state: z.enum(['disconnected', 'connecting', 'connected', 'reconnecting', 'failed']),
  mode: z.enum(['etcd', 'kube', 'demo', 'audit']).optional(),
  /** Human label: endpoint list, context name, or "demo". */
  target: z.string().optional(),
  sourceVersion: z.string().optional(),
  supportsRequestWatchProgress: z.boolean().optional(),
  /** When failed or reconnecting: what happened and what to do. */
  message: z.string().optional(),
  retryInMs: z.number().optional(),
  endpoint: z.string().optional(),
  kubeconfigPath: z.string().optional(),
  profile: z.string().optional(),
  /** How the source's current revision (the "etcd revision" of the lag figures) is learned. */
  revisionMethod: z.string().optional(),
  /** kube mode: the cluster's gates and progress trust, as the model took them. */
  clusterModel: ClusterModel.optional(),
});
export type ConnectionState = z.infer<typeof ConnectionState>;

/** Caps of ClusterMetrics: /metrics can name any number of resources. */
export const CLUSTER_METRICS_MAX_RESOURCES = 64;
export const CLUSTER_METRICS_MAX_VALUES = 32;
/** Points of the cluster's lag chart: an hour at the 15 s scrape period. */
export const CLUSTER_LAG_POINTS = 240;
/** Resources drawn in the cluster's lag chart. */
export const CLUSTER_LAG_RESOURCES = 8;

/**
 * The cluster's own storage-layer figures, scraped from its kube-apiserver's /metrics (kube mode):
 * the real cacher's counters, set beside the embedded one's. Values are keyed by the names of
 * ResourceStorageMetrics (main/storage/kube/metrics.ts), e.g. eventsReceived, watches, bookmarks.
 */
export const ClusterMetrics = z.object({
  /** When the latest scrape finished (successfully or not). */
  scrapedAt: z.number(),
  /** Why the latest scrape failed, in one sentence (a 403 says the cluster refuses /metrics). */
  error: z.string().optional(),
  /** The cluster's /version, which names the series it cannot have. */
  version: z.string().optional(),
  resources: z
    .array(
      z.object({
        resource: z.string(),
        values: z.record(z.string(), z.number()),
        /** Counters as per-second rates over the last two scrapes (a counter that went back counts from 0). */
        rates: z.record(z.string(), z.number()).optional(),
      }),
    )
    .max(CLUSTER_METRICS_MAX_RESOURCES),
  /**
   * Each tracked series: present, not in this release (introduced later), or no sample yet (the
   * release has it, but a counter vector shows nothing before its first increment). Never zero.
   */
  series: z
    .array(z.object({ key: z.string(), metric: z.string(), introduced: z.string(), state: z.enum(['present', 'notInVersion', 'noSamples']) }))
    .max(CLUSTER_METRICS_MAX_VALUES)
    .optional(),
  /** Seconds between the two scrapes the rates come from. */
  rateWindowS: z.number().optional(),
  /** Counters that went back since the previous scrape (an apiserver restart), as "resource/key". */
  resets: z.array(z.string()).max(CLUSTER_METRICS_MAX_VALUES).optional(),
  /**
   * The cache's resourceVersion (apiserver_watch_cache_resource_version) against the cluster's
   * revision, one point per scrape, oldest first: a bounded ring (CLUSTER_LAG_POINTS).
   */
  lag: z
    .array(z.object({ t: z.number(), revision: z.number(), behind: z.record(z.string(), z.number()) }))
    .max(CLUSTER_LAG_POINTS)
    .optional(),
});
export type ClusterMetrics = z.infer<typeof ClusterMetrics>;

/** A recording in progress (or just ended): the header's indicator. */
export const RecordingStatus = z.object({
  file: z.string(),
  state: z.enum(['recording', 'stopped', 'limitReached', 'failed']),
  bytes: z.number(),
  maxBytes: z.number(),
  onLimit: z.enum(['dropOldest', 'stop']),
  segments: z.number().int(),
  droppedSegments: z.number().int(),
  records: z.number().int(),
  values: z.boolean(),
  startedAt: z.number(),
  message: z.string().optional(),
});
export type RecordingStatus = z.infer<typeof RecordingStatus>;

/** Set on every snapshot of a replay: what is replayed and where the timeline stands. */
export const ReplayStatus = z.object({
  /** The recording's file name (no directory). */
  file: z.string(),
  /** What was recorded, e.g. "demo · etcd 3.4.23" or "kube · prod (https://…)". */
  of: z.string(),
  recordedWith: z.string(),
  start: z.number(),
  end: z.number(),
  position: z.number(),
  playing: z.boolean(),
  speed: z.number(),
  /** The recording was cut short (crash, kill -9, truncated copy) and replays up to its last complete record. */
  cut: z.boolean(),
  /** Segments dropped at the size limit before the first one kept. */
  droppedSegments: z.number().int(),
  valuesRecorded: z.boolean(),
});
export type ReplayStatus = z.infer<typeof ReplayStatus>;

/** Kinds of audit input that were not taken as a request (one entry per kind, never more). */
export const AUDIT_BAD_KINDS_MAX = 16;

/**
 * The session's audit source (kube mode with an audit log or webhook, or an audit-only session):
 * where events come from, what every inferred decision assumed (once, here, not per decision),
 * and the input that could not be used, counted with one example per kind.
 */
export const AuditStatus = z.object({
  /** The followed log file, and whether it is being read. */
  log: z
    .object({
      path: z.string(),
      /** following: read and watched for more (tail -F); read: read to its end (gzip); missing: gone since (rotation), waited for. */
      state: z.enum(['following', 'read', 'missing', 'failed']),
      message: z.string().optional(),
    })
    .optional(),
  /** The webhook backend on the endpoint's listener, and the kubeconfig written for kube-apiserver. */
  webhook: z.object({ url: z.string(), kubeconfigPath: z.string(), batches: z.number().int() }).optional(),
  /** The cluster's profile every inferred decision was made under. */
  profile: z.string(),
  /** How that profile was chosen, in words. */
  profileSource: z.string(),
  assumptions: z.array(z.string()).max(16),
  linesRead: z.number().int(),
  events: z.number().int(),
  routed: z.number().int(),
  stagesFolded: z.number().int(),
  skipped: z.record(z.string(), z.number().int()),
  bad: z
    .array(z.object({ kind: z.string(), count: z.number().int(), text: z.string(), example: z.string() }))
    .max(AUDIT_BAD_KINDS_MAX),
});
export type AuditStatus = z.infer<typeof AuditStatus>;

export const Snapshot = z.object({
  seq: z.number().int(),
  time: z.number(),
  connection: ConnectionState,
  profile: z.string(),
  caches: z.array(CacheInfo),
  /** Live watchers (capped; `watchersTotal` says how many exist). */
  watchers: z.array(WatcherInfo),
  watchersTotal: z.number().int(),
  /** Recently closed watchers, newest last (bounded ring). */
  closedWatchers: z.array(WatcherInfo),
  /** Freshness series per resource key ("pods", or "pods@replica"), bounded. */
  freshness: z.record(z.string(), z.array(FreshnessPoint)),
  /** Decisions since the previous snapshot (bounded); the full ring is fetched on demand. */
  decisions: z.array(Decision),
  lastDecisionId: z.number().int(),
  /** Workload figures in demo mode. */
  workload: z
    .object({
      writesPerSecond: z.number(),
      kubelets: z.number(),
      informers: z.number(),
      scenario: z.string().optional(),
      scenarioStatus: z.string().optional(),
    })
    .optional(),
  /** kube mode: the latest scrape of the cluster's /metrics (absent in etcd and demo modes). */
  clusterMetrics: ClusterMetrics.optional(),
  /** A recording of this session is being written. */
  recording: RecordingStatus.optional(),
  /** This snapshot is replayed from a recording, not live. */
  replay: ReplayStatus.optional(),
  /** The cluster's audit stream feeding this session's decisions (inferred). */
  audit: AuditStatus.optional(),
});
export type Snapshot = z.infer<typeof Snapshot>;
