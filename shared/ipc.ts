// The one contract between the main process (or the web-mode server) and the renderer.
// Channel names are values defined once here and imported by both sides, so a channel's types
// cannot drift between them; every inbound payload is validated with the schemas below before it
// reaches the session. Two transports carry it: Electron IPC (main/ipc.ts + main/preload.ts) and
// a WebSocket (main/web.ts). Both turn into the same WatchscopeService on the renderer side.
import { z } from 'zod';
import { ConnectionState, ConsistencyCheck, Decision, RecordingStatus, ReplayStatus, ServedBy, Snapshot, Verb } from './model.js';
import { ClientsReport, ClientsRequest } from './clients.js';
import { UpgradeReport } from './upgrade-report.js';
import { TIME_TRAVEL_MAX_ATTEMPTS, TimeTravelState } from './time-travel.js';

// ---------------------------------------------------------------------------------------------
// Limits. Everything that can grow with a request is capped here so that neither side can make
// the other buffer without bound.

/** Items returned to the console for one LIST (the rest is counted, not sent). */
export const CONSOLE_MAX_ITEMS = 500;
/** A console watch ends after this many events... */
export const CONSOLE_MAX_WATCH_EVENTS = 1000;
/** ...or after this many seconds, whichever comes first. */
export const CONSOLE_MAX_WATCH_SECONDS = 300;
/** Decisions returned by one getDecisions call. */
export const MAX_DECISIONS_PAGE = 2000;

const shortText = z.string().max(1024);
const name253 = z.string().min(1).max(253);

// ---------------------------------------------------------------------------------------------
// listContexts

/** One kubeconfig context. Names and addresses only: credentials never leave the main process. */
export const KubeContext = z.strictObject({
  name: shortText,
  cluster: shortText,
  /** The cluster's server URL. */
  server: shortText,
  /** The kubeconfig user entry's name (not its credentials). */
  user: shortText,
  namespace: shortText.optional(),
  current: z.boolean(),
});
export type KubeContext = z.infer<typeof KubeContext>;

export const KubeContextList = z.strictObject({
  /** Which kubeconfig file(s) were read ($KUBECONFIG or ~/.kube/config). */
  kubeconfigPath: z.string().optional(),
  currentContext: z.string().optional(),
  contexts: z.array(KubeContext),
  /** Why no contexts could be read, and what to do about it. */
  error: z.string().optional(),
});
export type KubeContextList = z.infer<typeof KubeContextList>;

// ---------------------------------------------------------------------------------------------
// connect / disconnect

const filePath = z.string().min(1).max(4096);
/** Resources to cache, e.g. ["pods", "configmaps", "leases.coordination.k8s.io"]. */
const resourceList = z.array(z.string().min(1).max(253).regex(/^[a-z0-9.-]+$/)).max(64);
const connectCommon = {
  resources: resourceList.optional(),
  /** Routing profile, e.g. "1.27" or "1.34" (see listProfiles). */
  profile: z.string().min(1).max(64).optional(),
};

export const EtcdConnectRequest = z.strictObject({
  mode: z.literal('etcd'),
  endpoints: z
    .array(
      z
        .string()
        .min(1)
        .max(512)
        .regex(/^https?:\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?\/?$/, 'endpoint must look like http(s)://host:port'),
    )
    .min(1)
    .max(16),
  caFile: filePath.optional(),
  certFile: filePath.optional(),
  keyFile: filePath.optional(),
  /** Key prefix under which the apiserver stores objects (upstream default "/registry"). */
  prefix: z.string().max(256).regex(/^\//, 'prefix must start with /').optional(),
  ...connectCommon,
});
/** An absolute path with no NUL: the main process reads it, so nothing relative to its cwd. */
const absolutePath = filePath.refine((p) => !p.includes('\0') && (p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p)), 'must be an absolute path');

/**
 * The cluster's audit stream as a source of (inferred) decisions: a log file, followed like
 * `tail -F` (gzip accepted), and/or the webhook backend on the endpoint's listener, for which
 * the main process writes the kubeconfig kube-apiserver reads (in its own folder: the renderer
 * never names a path the main process writes).
 */
export const AuditSourceRequest = z
  .strictObject({
    logPath: absolutePath.optional(),
    webhook: z.boolean().optional(),
    /** Whether the cluster's etcd answers RequestWatchProgress (default: kube mode's measurement; alone, trusted). */
    etcdProgress: z.boolean().optional(),
  })
  .refine((a) => a.logPath !== undefined || a.webhook === true, 'an audit source needs a log file (logPath) or the webhook');
export type AuditSourceRequest = z.infer<typeof AuditSourceRequest>;

export const KubeConnectRequest = z.strictObject({
  mode: z.literal('kube'),
  /** Path of the kubeconfig file; default $KUBECONFIG or ~/.kube/config. */
  kubeconfig: filePath.optional(),
  context: name253,
  /** Also read the cluster's audit stream. */
  audit: AuditSourceRequest.optional(),
  ...connectCommon,
});
/**
 * Only the cluster's audit stream: no cache and no cluster connection, every request routed under
 * the profile (given, or from the kube-apiserver version the log names).
 */
export const AuditConnectRequest = z.strictObject({
  mode: z.literal('audit'),
  audit: AuditSourceRequest,
  profile: z.string().min(1).max(64).optional(),
});
export const DemoConnectRequest = z.strictObject({
  mode: z.literal('demo'),
  ...connectCommon,
});
export const ConnectRequest = z.discriminatedUnion('mode', [EtcdConnectRequest, KubeConnectRequest, DemoConnectRequest, AuditConnectRequest]);
export type ConnectRequest = z.infer<typeof ConnectRequest>;

// ---------------------------------------------------------------------------------------------
// Routing profiles

/** Feature gate name → enabled, e.g. { ConsistentListFromCache: true }. */
export const GateOverrides = z.record(z.string().regex(/^[A-Z][A-Za-z0-9]{1,80}$/), z.boolean());
export type GateOverrides = z.infer<typeof GateOverrides>;

export const SetProfileRequest = z.strictObject({
  name: z.string().min(1).max(64),
  gates: GateOverrides.optional(),
});
export type SetProfileRequest = z.infer<typeof SetProfileRequest>;

export const ProfileInfo = z.object({
  name: z.string(),
  /** e.g. "Kubernetes 1.27 defaults". */
  description: z.string().optional(),
  /** Effective gates (defaults of that version plus overrides). */
  gates: z.record(z.string(), z.boolean()),
});
export type ProfileInfo = z.infer<typeof ProfileInfo>;

export const ProfileList = z.object({
  current: z.string(),
  profiles: z.array(ProfileInfo),
});
export type ProfileList = z.infer<typeof ProfileList>;

// ---------------------------------------------------------------------------------------------
// The request console (runRequest, whatIf)

/** Query parameters the console may send; names as in the Kubernetes API (ListOptions). */
export const ConsoleQuery = z.strictObject({
  resourceVersion: z.string().max(32).regex(/^\d*$/, 'resourceVersion must be digits (or empty)').optional(),
  resourceVersionMatch: z.enum(['NotOlderThan', 'Exact']).optional(),
  limit: z.string().regex(/^\d{1,9}$/, 'limit must be a positive integer').optional(),
  continue: z.string().max(4096).optional(),
  labelSelector: z.string().max(1024).optional(),
  fieldSelector: z.string().max(1024).optional(),
  sendInitialEvents: z.enum(['true', 'false']).optional(),
  allowWatchBookmarks: z.enum(['true', 'false']).optional(),
  timeoutSeconds: z.string().regex(/^\d{1,6}$/).optional(),
});
export type ConsoleQuery = z.infer<typeof ConsoleQuery>;

export const ConsoleRequest = z.strictObject({
  verb: z.enum(['get', 'list', 'watch']),
  /** Plural resource, with group when not core: "pods", "leases.coordination.k8s.io". */
  resource: z.string().min(1).max(253).regex(/^[a-z0-9.-]+$/),
  namespace: z.string().min(1).max(63).regex(/^[a-z0-9-]+$/).optional(),
  name: name253.optional(),
  query: ConsoleQuery.default({}),
  /** Watch only: stop after this many events (capped). */
  maxEvents: z.number().int().min(1).max(CONSOLE_MAX_WATCH_EVENTS).optional(),
  /** Watch only: stop after this many seconds (capped). */
  maxSeconds: z.number().int().min(1).max(CONSOLE_MAX_WATCH_SECONDS).optional(),
  userAgent: z.string().max(256).optional(),
});
/** What a caller writes (query may be omitted). */
export type ConsoleRequestInput = z.input<typeof ConsoleRequest>;
export type ConsoleRequest = z.infer<typeof ConsoleRequest>;

/** One object of a LIST/GET answer, summarised. */
export const ItemSummary = z.object({
  name: z.string(),
  namespace: z.string().optional(),
  resourceVersion: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
});
export type ItemSummary = z.infer<typeof ItemSummary>;

export const ConsoleResult = z.object({
  /** Identifies the request; a watch's consoleEvent messages carry it. */
  requestId: z.string(),
  status: z.number().int(),
  /** The routing decision the endpoint recorded for this request (absent if none was recorded). */
  decision: Decision.optional(),
  latencyMs: z.number().optional(),
  body: z.object({
    kind: z.string().optional(),
    resourceVersion: z.string().optional(),
    continue: z.string().optional(),
    remainingItemCount: z.number().optional(),
    /** The first CONSOLE_MAX_ITEMS items. */
    items: z.array(ItemSummary).optional(),
    itemsTotal: z.number().int().optional(),
    /** For a failure: the Status body's reason/message/code. */
    status: z
      .object({ reason: z.string().optional(), message: z.string().optional(), code: z.number().optional() })
      .optional(),
  }),
  /** Present for a watch that started: events follow on the consoleEvent stream. */
  watch: z.object({ maxEvents: z.number().int(), maxSeconds: z.number().int() }).optional(),
});
export type ConsoleResult = z.infer<typeof ConsoleResult>;

/** One event of a console watch; 'END' closes the stream with the reason it ended. */
export const ConsoleEvent = z.object({
  requestId: z.string(),
  seq: z.number().int(),
  time: z.number(),
  type: z.enum(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR', 'END']),
  name: z.string().optional(),
  namespace: z.string().optional(),
  resourceVersion: z.string().optional(),
  /** BOOKMARK: whether it carries k8s.io/initial-events-end. */
  initialEventsEnd: z.boolean().optional(),
  /** ERROR: the Status message; END: why the stream ended (maxEvents, maxSeconds, closed by server, stopped). */
  message: z.string().optional(),
  code: z.number().optional(),
});
export type ConsoleEvent = z.infer<typeof ConsoleEvent>;

export const StopWatchRequest = z.strictObject({ requestId: z.string().min(1).max(64) });
export type StopWatchRequest = z.infer<typeof StopWatchRequest>;

export const WhatIfRow = z.object({
  profile: z.string(),
  servedBy: ServedBy,
  reason: z.string(),
  detail: z.string(),
});
export type WhatIfRow = z.infer<typeof WhatIfRow>;
export const WhatIfResult = z.object({ rows: z.array(WhatIfRow) });
export type WhatIfResult = z.infer<typeof WhatIfResult>;

// ---------------------------------------------------------------------------------------------
// Decisions, workload

export const GetDecisionsRequest = z.strictObject({
  /** Return decisions with id > since. */
  since: z.number().int().nonnegative(),
  max: z.number().int().min(1).max(MAX_DECISIONS_PAGE).optional(),
});
export type GetDecisionsRequest = z.infer<typeof GetDecisionsRequest>;

export const DecisionPage = z.object({
  /** Oldest first. */
  decisions: z.array(Decision),
  lastDecisionId: z.number().int(),
});
export type DecisionPage = z.infer<typeof DecisionPage>;

export const WorkloadSettings = z.strictObject({
  writesPerSecond: z.number().min(0).max(100_000).optional(),
  kubelets: z.number().int().min(0).max(10_000).optional(),
  informers: z.number().int().min(0).max(10_000).optional(),
  /** A scenario preset name, or null to stop the running one. */
  scenario: z.string().min(1).max(64).nullable().optional(),
});
export type WorkloadSettings = z.infer<typeof WorkloadSettings>;

export const WorkloadState = z.object({
  writesPerSecond: z.number(),
  kubelets: z.number(),
  informers: z.number(),
  scenario: z.string().optional(),
  scenarios: z.array(z.object({ name: z.string(), description: z.string() })).optional(),
});
export type WorkloadState = z.infer<typeof WorkloadState>;

// ---------------------------------------------------------------------------------------------
// Recording and replay

/** Recordings larger than this are refused as a setting (64 GiB). */
export const MAX_RECORDING_BYTES = 64 * 2 ** 30;

/**
 * Start or stop recording the session. The main process picks the file (in its recordings
 * folder): the renderer never names a path it could make the main process write.
 */
export const RecordRequest = z.discriminatedUnion('action', [
  z.strictObject({
    action: z.literal('start'),
    /** Record objects' values (Secret data is redacted even then). */
    values: z.boolean().optional(),
    maxBytes: z.number().int().min(1 << 20).max(MAX_RECORDING_BYTES).optional(),
    /** At the limit: drop the oldest segment, or stop recording. */
    onLimit: z.enum(['dropOldest', 'stop']).optional(),
  }),
  z.strictObject({ action: z.literal('stop') }),
]);
export type RecordRequest = z.infer<typeof RecordRequest>;
export const RecordResult = z.object({ recording: RecordingStatus.optional() });
export type RecordResult = z.infer<typeof RecordResult>;

/**
 * The one-file HTML report of the session's recording (the current one, else the last one
 * stopped) or of the replayed file. Built in the main process from the recording, so it holds
 * only what was recorded: never credentials, object values only if they were recorded.
 */
export const SessionReport = z.object({
  /** A suggested download name, e.g. "watchscope-demo-2026-12-03T10-00-00.html". */
  fileName: z.string(),
  html: z.string(),
});
export type SessionReport = z.infer<typeof SessionReport>;

/** Check one cache (by its resource, e.g. "pods" or "deployments.apps") or, without one, all of them. */
export const ConsistencyRequest = z.strictObject({ resource: z.string().min(1).max(253).optional() });
export type ConsistencyRequest = z.infer<typeof ConsistencyRequest>;
export const ConsistencyResults = z.object({ results: z.array(z.object({ resource: z.string(), replica: z.string().optional(), check: ConsistencyCheck })) });
export type ConsistencyResults = z.infer<typeof ConsistencyResults>;

/**
 * The time-travel check (resourceVersion=0 LIST against a consistent LIST, `attempts` times) of
 * one resource against the cluster (kube mode) or watchscope's own endpoint; once, or every
 * `everySeconds` for `times` checks in all. `status` reads the results; `stop` ends a periodic run.
 */
const timeTravelCheck = {
  resource: z.string().min(1).max(253).regex(/^[a-z0-9.-]+$/),
  attempts: z.number().int().min(1).max(TIME_TRAVEL_MAX_ATTEMPTS),
  target: z.enum(['cluster', 'endpoint']),
};
export const TimeTravelRequest = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('check'), ...timeTravelCheck }),
  z.strictObject({ action: z.literal('periodic'), ...timeTravelCheck, everySeconds: z.number().int().min(10).max(3600), times: z.number().int().min(1).max(100) }),
  z.strictObject({ action: z.literal('stop') }),
  z.strictObject({ action: z.literal('status') }),
]);
export type TimeTravelRequest = z.infer<typeof TimeTravelRequest>;

/** Replay only: re-run the recording's etcd events and requests under another profile. */
export const RerunRequest = z.strictObject({ profile: z.string().min(1).max(64), gates: GateOverrides.optional() });
export type RerunRequest = z.infer<typeof RerunRequest>;
const RerunSide = z.object({ servedBy: ServedBy, reason: z.string(), detail: z.string().optional(), waits: z.boolean().optional() });
export const RerunResult = z.object({
  file: z.string(),
  recordedProfile: z.string(),
  profile: z.string(),
  requests: z.number().int(),
  writes: z.number().int(),
  reproduced: z.number().int(),
  changed: z.number().int(),
  movedToCache: z.number().int(),
  movedToEtcd: z.number().int(),
  wouldWait: z.number().int(),
  /** The changed requests and the reads that would wait (at most 1,000, oldest first). */
  rows: z.array(
    z.object({
      id: z.number().int(),
      time: z.number(),
      verb: Verb,
      resource: z.string(),
      namespace: z.string().optional(),
      query: z.record(z.string(), z.string()),
      userAgent: z.string(),
      recorded: RerunSide,
      baseline: RerunSide,
      rerun: RerunSide,
      recordedLagMs: z.number().optional(),
    }),
  ),
  rowsOmitted: z.number().int(),
  byReason: z.array(z.object({ reason: z.string(), recorded: z.number().int(), rerun: z.number().int() })),
  watchers: z.object({ forceClosed: z.number().int(), watchesToEtcd: z.number().int(), watchesToCache: z.number().int() }),
  /** What a re-run cannot reproduce (client timing, a slow client's socket…). */
  limitations: z.array(z.string()),
});
export type RerunResult = z.infer<typeof RerunResult>;

/** Replay only: play/pause, speed and a seek to a moment (ms since the epoch, clamped to the recording). */
export const ReplayControlRequest = z.strictObject({
  play: z.boolean().optional(),
  speed: z.number().min(0.1).max(1000).optional(),
  seek: z.number().nonnegative().optional(),
});
export type ReplayControlRequest = z.infer<typeof ReplayControlRequest>;

// ---------------------------------------------------------------------------------------------
// The channel tables

const NoArgs = z.undefined();

/**
 * Request/response channels. `request` validates what the renderer sends (main rejects anything
 * else); `response` documents what comes back.
 */
export const requests = {
  listContexts: { channel: 'watchscope:listContexts', request: NoArgs, response: KubeContextList },
  listProfiles: { channel: 'watchscope:listProfiles', request: NoArgs, response: ProfileList },
  connect: { channel: 'watchscope:connect', request: ConnectRequest, response: ConnectionState },
  disconnect: { channel: 'watchscope:disconnect', request: NoArgs, response: ConnectionState },
  setProfile: { channel: 'watchscope:setProfile', request: SetProfileRequest, response: ProfileList },
  runRequest: { channel: 'watchscope:runRequest', request: ConsoleRequest, response: ConsoleResult },
  stopWatch: { channel: 'watchscope:stopWatch', request: StopWatchRequest, response: z.undefined() },
  whatIf: { channel: 'watchscope:whatIf', request: ConsoleRequest, response: WhatIfResult },
  getDecisions: { channel: 'watchscope:getDecisions', request: GetDecisionsRequest, response: DecisionPage },
  setWorkload: { channel: 'watchscope:setWorkload', request: WorkloadSettings, response: WorkloadState },
  setRecording: { channel: 'watchscope:setRecording', request: RecordRequest, response: RecordResult },
  replayControl: { channel: 'watchscope:replayControl', request: ReplayControlRequest, response: ReplayStatus },
  sessionReport: { channel: 'watchscope:sessionReport', request: NoArgs, response: SessionReport },
  checkConsistency: { channel: 'watchscope:checkConsistency', request: ConsistencyRequest, response: ConsistencyResults },
  rerunReplay: { channel: 'watchscope:rerunReplay', request: RerunRequest, response: RerunResult },
  getClients: { channel: 'watchscope:getClients', request: ClientsRequest, response: ClientsReport },
  upgradeReport: { channel: 'watchscope:upgradeReport', request: NoArgs, response: UpgradeReport },
  timeTravel: { channel: 'watchscope:timeTravel', request: TimeTravelRequest, response: TimeTravelState },
} as const;
export type RequestName = keyof typeof requests;
export const requestNames = Object.keys(requests) as RequestName[];

/** Main → renderer streams. Snapshots come a few per second, never one message per event. */
export const streams = {
  connection: { channel: 'watchscope:stream:connection', message: ConnectionState },
  snapshot: { channel: 'watchscope:stream:snapshot', message: Snapshot },
  consoleEvent: { channel: 'watchscope:stream:consoleEvent', message: ConsoleEvent },
} as const;
export type StreamName = keyof typeof streams;
export const streamNames = Object.keys(streams) as StreamName[];

export type RequestArg<K extends RequestName> = z.input<(typeof requests)[K]['request']>;
export type ResponseOf<K extends RequestName> = z.infer<(typeof requests)[K]['response']>;
export type StreamMessage<K extends StreamName> = z.infer<(typeof streams)[K]['message']>;

export function isRequestName(v: unknown): v is RequestName {
  return typeof v === 'string' && Object.prototype.hasOwnProperty.call(requests, v);
}

// ---------------------------------------------------------------------------------------------
// The service

/**
 * What the renderer can ask of the main process. The main-process session implements it; both
 * renderer transports present it. Every method takes at most one argument so that the
 * transports can carry it as one validated payload.
 */
export interface WatchscopeService {
  listContexts(): Promise<KubeContextList>;
  listProfiles(): Promise<ProfileList>;
  connect(req: ConnectRequest): Promise<ConnectionState>;
  disconnect(): Promise<ConnectionState>;
  setProfile(req: SetProfileRequest): Promise<ProfileList>;
  /** GET/LIST answer at once; a WATCH answers when it started and streams consoleEvent messages. */
  runRequest(req: ConsoleRequestInput): Promise<ConsoleResult>;
  stopWatch(req: StopWatchRequest): Promise<void>;
  /** The same request decided under every profile (nothing is sent to the endpoint). */
  whatIf(req: ConsoleRequestInput): Promise<WhatIfResult>;
  getDecisions(req: GetDecisionsRequest): Promise<DecisionPage>;
  setWorkload(req: WorkloadSettings): Promise<WorkloadState>;
  /** Start or stop recording the live session (refused in a replay). */
  setRecording(req: RecordRequest): Promise<RecordResult>;
  /** Drive a replay's timeline (refused in a live session). */
  replayControl(req: ReplayControlRequest): Promise<ReplayStatus>;
  /** The HTML report of the recording (refused when nothing was recorded). */
  sessionReport(): Promise<SessionReport>;
  /** Compare the caches with etcd now (live sessions with an etcd behind the cache). */
  checkConsistency(req: ConsistencyRequest): Promise<ConsistencyResults>;
  /** Replay only: the recording re-run under another profile, beside what was recorded. */
  rerunReplay(req: RerunRequest): Promise<RerunResult>;
  /** Who costs what: the session's traffic per user agent and per user over the last minutes. */
  getClients(req: ClientsRequest): Promise<ClientsReport>;
  /** The upgrade report of the session's observed reads under its profile and every other. */
  upgradeReport(): Promise<UpgradeReport>;
  /** Live sessions: does the cluster's (or the endpoint's) watch cache serve the past? */
  timeTravel(req: TimeTravelRequest): Promise<TimeTravelState>;
  onSnapshot(fn: (s: Snapshot) => void): () => void;
  onConnection(fn: (c: ConnectionState) => void): () => void;
  onConsoleEvent(fn: (e: ConsoleEvent) => void): () => void;
}

// Compile-time check: the interface's request methods and the channel table list the same names.
type ServiceRequestMethods = Exclude<keyof WatchscopeService, 'onSnapshot' | 'onConnection' | 'onConsoleEvent'>;
type _SameNames = [ServiceRequestMethods] extends [RequestName]
  ? [RequestName] extends [ServiceRequestMethods]
    ? true
    : never
  : never;
const _sameNames: _SameNames = true;
void _sameNames;

export const streamSubscriptions = {
  snapshot: 'onSnapshot',
  connection: 'onConnection',
  consoleEvent: 'onConsoleEvent',
} as const satisfies Record<StreamName, keyof WatchscopeService>;

// ---------------------------------------------------------------------------------------------
// Envelopes: errors cross the boundary as data, so the renderer sees the session's message
// rather than a transport's wrapper text.

export const ErrorBody = z.object({
  message: z.string(),
  /** 'invalid' when the payload failed validation, 'forbidden' for an untrusted sender. */
  code: z.string().optional(),
});
export type ErrorBody = z.infer<typeof ErrorBody>;
export type Envelope<T = unknown> = { ok: true; value: T } | { ok: false; error: ErrorBody };

export class ServiceError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'ServiceError';
  }
}

/** Parse a request payload; the error lists each failing field so a person can fix it. */
export function parseRequest<K extends RequestName>(
  name: K,
  arg: unknown,
): { ok: true; value: z.infer<(typeof requests)[K]['request']> } | { ok: false; error: ErrorBody } {
  const r = requests[name].request.safeParse(arg);
  if (r.success) return { ok: true, value: r.data as z.infer<(typeof requests)[K]['request']> };
  const parts = r.error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message));
  return { ok: false, error: { code: 'invalid', message: `invalid ${name} request: ${parts.join('; ')}` } };
}

/**
 * Call the service for a validated request name and payload. Shared by the IPC handlers and the
 * WebSocket server so both apply exactly the same rules.
 */
export async function dispatchRequest(service: WatchscopeService, name: RequestName, arg: unknown): Promise<Envelope> {
  const parsed = parseRequest(name, arg);
  if (!parsed.ok) return parsed;
  try {
    const method = service[name] as (a?: unknown) => Promise<unknown>;
    const value = await method.call(service, parsed.value);
    return { ok: true, value: value ?? null };
  } catch (e) {
    const err = e as { message?: unknown; code?: unknown };
    return {
      ok: false,
      error: {
        message: typeof err?.message === 'string' ? err.message : String(e),
        ...(typeof err?.code === 'string' ? { code: err.code } : {}),
      },
    };
  }
}

/** What a renderer-side transport must provide to become a WatchscopeService. */
export interface ClientTransport {
  call(channel: string, arg: unknown): Promise<Envelope>;
  subscribe(channel: string, fn: (payload: unknown) => void): () => void;
}

/**
 * Build the renderer-facing service from a transport: one named function per method, so the
 * preload exposes a narrow surface rather than a generic invoke(channel).
 */
export function createServiceClient(t: ClientTransport): WatchscopeService {
  const call =
    (name: RequestName) =>
    async (arg?: unknown): Promise<never> => {
      const env = await t.call(requests[name].channel, arg);
      if (!env || typeof env !== 'object' || !('ok' in env)) throw new ServiceError(`malformed reply on ${name}`);
      if (env.ok) return (env.value ?? undefined) as never;
      throw new ServiceError(env.error.message, env.error.code);
    };
  const sub =
    (name: StreamName) =>
    (fn: (payload: never) => void): (() => void) =>
      t.subscribe(streams[name].channel, fn as (p: unknown) => void);
  return {
    listContexts: call('listContexts'),
    listProfiles: call('listProfiles'),
    connect: call('connect'),
    disconnect: call('disconnect'),
    setProfile: call('setProfile'),
    runRequest: call('runRequest'),
    stopWatch: call('stopWatch'),
    sessionReport: call('sessionReport'),
    checkConsistency: call('checkConsistency'),
    rerunReplay: call('rerunReplay'),
    getClients: call('getClients'),
    upgradeReport: call('upgradeReport'),
    timeTravel: call('timeTravel'),
    whatIf: call('whatIf'),
    getDecisions: call('getDecisions'),
    setWorkload: call('setWorkload'),
    setRecording: call('setRecording'),
    replayControl: call('replayControl'),
    onSnapshot: sub('snapshot'),
    onConnection: sub('connection'),
    onConsoleEvent: sub('consoleEvent'),
  };
}

// ---------------------------------------------------------------------------------------------
// WebSocket framing (web mode)

export const WsCall = z.strictObject({
  t: z.literal('call'),
  id: z.number().int().nonnegative(),
  method: z.string().max(64),
  arg: z.unknown().optional(),
});
export type WsCall = z.infer<typeof WsCall>;
export type WsServerMessage =
  | { t: 'result'; id: number; env: Envelope }
  | { t: 'stream'; channel: string; payload: unknown };

/** Query parameter carrying web mode's one-time token. */
export const WEB_TOKEN_PARAM = 'token';
/** The WebSocket path of web mode. */
export const WEB_SOCKET_PATH = '/ws';
