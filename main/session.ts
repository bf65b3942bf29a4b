// The session ties one connection together: a Source (etcd, a cluster, or the demo's own etcd),
// a Cacher per resource, the Kubernetes-compatible endpoint, telemetry and, in the demo, the
// workload and scenario presets. It implements the contract (shared/ipc.ts) that both the
// Electron IPC and the web mode carry, and the CLI drives it headless.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { ConnectionState, ReplayStatus, Snapshot } from '../shared/model.js';
import type {
  ConnectRequest,
  ConsoleEvent,
  ConsoleRequestInput,
  ConsoleResult,
  DecisionPage,
  GetDecisionsRequest,
  KubeContextList,
  ProfileList,
  RecordRequest,
  RecordResult,
  SessionReport,
  ConsistencyRequest,
  ConsistencyResults,
  RerunResult,
  SetProfileRequest,
  StopWatchRequest,
  WatchscopeService,
  WhatIfResult,
  WorkloadSettings,
  WorkloadState,
} from '../shared/ipc.js';
import { ConsoleRequest, CONSOLE_MAX_ITEMS, CONSOLE_MAX_WATCH_EVENTS, CONSOLE_MAX_WATCH_SECONDS } from '../shared/ipc.js';
import { DecisionLog } from './storage/decisions.js';
import { startEtcd, type EtcdProcess } from './storage/etcd/process.js';
import {
  allProfiles,
  defaultProfile,
  profileForServerVersion,
  resolveProfile,
  whatIf as whatIfAll,
  isRecursive,
  withGates,
  type CacheState,
  type Profile,
} from './storage/routing/index.js';
import type { CacherView } from './storage/cacher/types.js';
import type { StorageBackend } from './storage/apiserver/backend.js';
import type { ConsistencyOutcome } from './storage/apiserver/etcd-backend.js';
import { CONSISTENCY_CHECK_PERIOD_MS } from './storage/cacher/consistency.js';
import type { ApiServer } from './storage/apiserver/server.js';
import type { SourceInfo } from './storage/source.js';
import { Telemetry } from './telemetry/index.js';
import { Workload, type WorkloadOptions } from './workload/workload.js';
import { Transport, type EndpointConnection } from './workload/transport.js';
import { scenarios, findScenario, type ScenarioContext, type ScenarioResult } from './workload/scenarios/index.js';
import { openEtcdStack, type EtcdStack } from './stack.js';
import { openKubeLive } from './kube-live.js';
import { listContexts as readContexts, kubeconfigFiles } from './storage/kube/kubeconfig.js';
import { BUILTIN_RESOURCES, groupVersion, qualifiedResource } from './storage/resources.js';
import { SourceTap } from './recording/tap.js';
import { SessionRecording, type StartRecording } from './recording/session-recording.js';
import type { Cacher } from './storage/cacher/cacher.js';

export interface SessionOptions {
  /** Snapshot period (a few per second). */
  snapshotIntervalMs?: number;
  /** Endpoint settings shared by every connection. */
  endpoint?: { token?: string; tls?: boolean; host?: string; port?: number; writeKubeconfig?: string };
  demo?: { etcdBin?: string; workload?: Partial<WorkloadOptions> };
  /** kube mode: forward writes to the cluster. */
  allowWrites?: boolean;
  /** Where the Record button writes recordings (default ~/watchscope-recordings). */
  recordingsDir?: string;
  /**
   * Period of the cache-vs-etcd consistency checks in etcd mode and the demo (default upstream's
   * 5 minutes; 0: on demand only). Kube mode checks on demand only: each check LISTs every cached
   * resource from the user's cluster.
   */
  consistencyCheckMs?: number;
  log?: (line: string) => void;
}

/** What one connection holds while it is open. */
export interface Live {
  mode: 'etcd' | 'kube' | 'demo';
  target: string;
  server: ApiServer;
  backend: StorageBackend;
  decisions: DecisionLog;
  caches(): CacherView[];
  sourceInfo(): SourceInfo;
  /** How the source's current revision is learned, for the UI's lag figures. */
  revisionMethod?(): string;
  /** kube mode: the latest scrape of the cluster's own /metrics. */
  clusterMetrics?(): Snapshot['clusterMetrics'];
  /** Demo only. */
  etcd?: EtcdProcess;
  stack?: EtcdStack;
  workload?: Workload;
  /** The consistency check of one cache or all of them (absent where nothing can be compared). */
  checkConsistency?(resource?: string): Promise<ConsistencyOutcome[]>;
  close(): Promise<void>;
}

type Listener<T> = (v: T) => void;

class Emitter<T> {
  private readonly fns = new Set<Listener<T>>();
  on(fn: Listener<T>): () => void {
    this.fns.add(fn);
    return () => this.fns.delete(fn);
  }
  emit(v: T): void {
    for (const fn of this.fns) {
      try {
        fn(v);
      } catch {
        // a listener's failure must not stop the others
      }
    }
  }
}

const CONNECT_TIMEOUT_MS = 20_000;

/**
 * etcd and demo modes: the cacher polls a quorum range read (its response header carries the
 * current revision; cacher revisionPollMs, 1 s) and watch progress notifications advance it too,
 * as they do upstream's cache RV (KEP-2340).
 */
export const ETCD_REVISION_METHOD = 'etcd header revision of a quorum range read (every 1 s) and watch progress notifications';

export class Session implements WatchscopeService {
  private state: ConnectionState = { state: 'disconnected' };
  private baseProfile: Profile = defaultProfile;
  private gates: Record<string, boolean> = {};
  private profile: Profile = defaultProfile;
  private live: Live | undefined;
  private replica: EtcdStack | undefined;
  private telemetry: Telemetry | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), 'watchscope-session-'));
  /** Child processes this session started, for abandon(). */
  private readonly children = new Set<EtcdProcess>();
  private readonly snapshots = new Emitter<Snapshot>();
  private readonly connections = new Emitter<ConnectionState>();
  private readonly consoleEvents = new Emitter<ConsoleEvent>();
  private readonly consoleWatches = new Map<string, () => void>();
  private consoleTransport: Transport | undefined;
  private connectSeq = 0;
  private scenarioRun: Promise<ScenarioResult> | undefined;
  private lastSnapshot: Snapshot | undefined;
  /** Sees what the cachers ingest, for recordings. */
  private readonly tap = new SourceTap();
  private readonly recording: SessionRecording;

  constructor(private readonly opts: SessionOptions = {}) {
    this.recording = new SessionRecording(
      {
        live: () => {
          const live = this.live;
          if (!live) return undefined;
          return {
            mode: live.mode,
            decisions: live.decisions,
            resources: () => live.backend.resources().map(qualifiedResource),
            cachers: () => [...((live.backend as { cachers?: Map<string, Cacher> }).cachers?.values() ?? [])],
          };
        },
        profile: () => this.profile.name,
        connection: () => this.connection(),
        lastSnapshot: () => this.lastSnapshot,
        onSnapshot: (fn) => this.snapshots.on(fn),
        tap: this.tap,
      },
      opts.recordingsDir ? { dir: opts.recordingsDir } : {},
    );
  }

  get current(): Live | undefined {
    return this.live;
  }

  connection(): ConnectionState {
    const live = this.live;
    if (this.state.state !== 'connected' || !live) return this.state;
    // KubeSource learns which LIST it can use on the first measurement, so this is read live.
    const method = live.revisionMethod?.();
    const base: ConnectionState = method ? { ...this.state, revisionMethod: method } : this.state;
    // A cache that lost its source shows as reconnecting, with the error that made it so.
    const broken = live.caches().map((c) => c.info()).find((i) => i.ready !== 'Ready' && i.lastError);
    if (broken) return { ...base, state: 'reconnecting', message: `${broken.resource}: ${broken.lastError}` };
    return base;
  }

  // ------------------------------------------------------------------------------------------
  // Contract: connection

  async listContexts(): Promise<KubeContextList> {
    try {
      const files = kubeconfigFiles();
      const contexts = readContexts();
      const current = contexts.find((c) => c.current)?.name;
      const out: KubeContextList = {
        contexts: contexts.map((c) => ({
          name: c.name,
          cluster: c.cluster,
          server: c.server,
          user: c.user,
          current: c.current,
          ...(c.namespace ? { namespace: c.namespace } : {}),
        })),
      };
      if (files.length) out.kubeconfigPath = files.join(':');
      if (current) out.currentContext = current;
      if (contexts.length === 0) out.error = 'No contexts found: set KUBECONFIG or create ~/.kube/config, or connect to etcd or the demo.';
      return out;
    } catch (e) {
      return { contexts: [], error: `Could not read your kubeconfig: ${errText(e)}` };
    }
  }

  async connect(req: ConnectRequest): Promise<ConnectionState> {
    const seq = ++this.connectSeq;
    await this.teardown();
    const target = req.mode === 'etcd' ? req.endpoints.join(',') : req.mode === 'kube' ? req.context : 'demo';
    this.setState({ state: 'connecting', mode: req.mode, target });
    try {
      if (req.profile) this.baseProfile = resolveProfile(req.profile);
      const opening = this.open(req);
      const live = await withTimeout(opening, CONNECT_TIMEOUT_MS, `connecting to ${target} took longer than ${CONNECT_TIMEOUT_MS / 1000}s`).catch((e: unknown) => {
        // A connection that completes after we gave up must not linger (etcd child, sockets).
        void opening.then((l) => l.close()).catch(() => undefined);
        throw e;
      });
      if (seq !== this.connectSeq) {
        await live.close();
        return this.state;
      }
      if (req.mode === 'kube' && !req.profile) this.baseProfile = profileForServerVersion(live.sourceInfo().version);
      this.profile = withGates(this.baseProfile, this.gates);
      this.live = live;
      const kubeconfigPath = this.opts.endpoint?.writeKubeconfig ?? join(this.dir, 'kubeconfig');
      await live.server.writeKubeconfig(kubeconfigPath);
      const info = live.sourceInfo();
      const revisionMethod = live.revisionMethod?.();
      this.setState({
        ...(revisionMethod ? { revisionMethod } : {}),
        state: 'connected',
        mode: req.mode,
        target: live.target,
        sourceVersion: info.version,
        supportsRequestWatchProgress: info.supportsRequestWatchProgress,
        endpoint: live.server.url,
        kubeconfigPath,
        profile: this.profile.name,
      });
      this.startTelemetry();
      return this.state;
    } catch (e) {
      if (seq === this.connectSeq) this.setState({ state: 'failed', mode: req.mode, target, message: errText(e) });
      return this.state;
    }
  }

  async disconnect(): Promise<ConnectionState> {
    this.connectSeq++;
    await this.teardown();
    this.setState({ state: 'disconnected' });
    return this.state;
  }

  private async open(req: ConnectRequest): Promise<Live> {
    const endpoint = this.opts.endpoint ?? {};
    const decisions = new DecisionLog(5000);
    const profile = () => this.profile;
    const snapshot = () => this.lastSnapshot ?? this.telemetry?.snapshot();
    if (req.mode === 'kube') {
      return openKubeLive({
        kubeconfig: req.kubeconfig,
        context: req.context,
        resources: req.resources,
        profile,
        decisions,
        snapshot,
        wrapSource: (src) => this.tap.wrap(src),
        allowWrites: this.opts.allowWrites ?? false,
        ...endpoint,
      });
    }
    let etcd: EtcdProcess | undefined;
    try {
      let etcdOpts: { endpoints: string[]; caFile?: string; certFile?: string; keyFile?: string };
      let target: string;
      if (req.mode === 'demo') {
        // 5s periodic progress notifications, as kubeadm configures etcd.
        etcd = await startEtcd({
          progressNotifyInterval: '5s',
          removeOnParentDeath: [this.dir],
          ...(this.opts.demo?.etcdBin ? { bin: this.opts.demo.etcdBin } : {}),
        });
        this.children.add(etcd);
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
        etcd: etcdOpts,
        resources: req.resources,
        ...(req.mode === 'etcd' && req.prefix ? { etcdPrefix: req.prefix } : {}),
        profile,
        decisions,
        snapshot,
        consistencyCheckMs: this.opts.consistencyCheckMs ?? CONSISTENCY_CHECK_PERIOD_MS,
        wrapSource: (src) => this.tap.wrap(src),
        ...(endpoint.token ? { token: endpoint.token } : {}),
        ...(endpoint.tls !== undefined ? { tls: endpoint.tls } : {}),
        ...(endpoint.host ? { host: endpoint.host } : {}),
        ...(endpoint.port ? { port: endpoint.port } : {}),
      });
      const live: Live = {
        mode: req.mode,
        target,
        server: stack.server,
        backend: stack.backend,
        decisions,
        stack,
        caches: () => [...stack.backend.cachers.values(), ...(this.replica ? this.replica.backend.cachers.values() : [])],
        sourceInfo: () => stack.source.info(),
        revisionMethod: () => ETCD_REVISION_METHOD,
        checkConsistency: (resource) => stack.backend.checkConsistency(resource),
        close: async () => {
          await live.workload?.stop().catch(() => undefined);
          await stack.close();
          await etcd?.stop().catch(() => undefined);
          if (etcd) this.children.delete(etcd);
        },
      };
      if (etcd) live.etcd = etcd;
      if (req.mode === 'demo') {
        await stack.backend.waitReady();
        const workload = new Workload(this.endpointConnection(stack.server), this.opts.demo?.workload ?? {});
        live.workload = workload;
        workload.start();
      }
      return live;
    } catch (e) {
      await etcd?.stop().catch(() => undefined);
      if (etcd) this.children.delete(etcd);
      throw e;
    }
  }

  private endpointConnection(server: ApiServer): EndpointConnection {
    const c: EndpointConnection = { url: server.url, token: server.token };
    if (server.caPem) c.caPem = server.caPem;
    return c;
  }

  private async teardown(): Promise<void> {
    this.recording.stop('disconnected');
    this.telemetry?.stop();
    this.telemetry = undefined;
    for (const stop of this.consoleWatches.values()) stop();
    this.consoleWatches.clear();
    await this.consoleTransport?.close().catch(() => undefined);
    this.consoleTransport = undefined;
    const replica = this.replica;
    this.replica = undefined;
    await replica?.close().catch(() => undefined);
    const live = this.live;
    this.live = undefined;
    this.lastSnapshot = undefined;
    await live?.close().catch(() => undefined);
  }

  private setState(s: ConnectionState): void {
    this.state = s;
    this.connections.emit(this.connection());
  }

  private startTelemetry(): void {
    const live = this.live;
    if (!live) return;
    this.telemetry = new Telemetry({
      caches: () => live.caches(),
      decisions: live.decisions,
      connection: () => this.connection(),
      profile: () => this.profile.name,
      workload: () => live.workload?.snapshotStats(),
      clusterMetrics: () => live.clusterMetrics?.(),
    });
    let lastState = this.connection().state;
    this.telemetry.start(this.opts.snapshotIntervalMs ?? 250, (s) => {
      const recording = this.recording.status();
      if (recording) s.recording = recording;
      this.lastSnapshot = s;
      if (s.connection.state !== lastState) {
        lastState = s.connection.state;
        this.connections.emit(s.connection);
      }
      this.snapshots.emit(s);
    });
  }

  // ------------------------------------------------------------------------------------------
  // Contract: profiles

  async listProfiles(): Promise<ProfileList> {
    return {
      current: this.profile.name,
      profiles: allProfiles.map((p) => ({
        name: p.name,
        description: `Kubernetes ${p.label}`,
        gates: { ...(p.name === this.profile.name ? this.profile.gates : p.gates) },
      })),
    };
  }

  async setProfile(req: SetProfileRequest): Promise<ProfileList> {
    const base = resolveProfile(req.name);
    const gates = req.gates ?? {};
    // withGates throws a clear error for unknown or locked gates; nothing changes then.
    this.profile = withGates(base, gates);
    this.baseProfile = base;
    this.gates = gates;
    if (this.state.state === 'connected') this.setState({ ...this.state, profile: this.profile.name });
    return this.listProfiles();
  }

  /** For scenarios and the CLI. */
  profileName(): string {
    return this.profile.name;
  }

  // ------------------------------------------------------------------------------------------
  // Contract: console

  private resolveResource(resource: string): { group: string; resource: string; version: string; namespaced: boolean } {
    // Not connected: the built-in resources, so what-if still knows which are cluster-scoped.
    const known = this.live?.backend.resources() ?? BUILTIN_RESOURCES;
    const r = known.find((x) => x.resource === resource || qualifiedResource(x) === resource);
    if (r) return { group: r.group, resource: r.resource, version: groupVersion(r), namespaced: r.namespaced };
    const dot = resource.indexOf('.');
    return dot < 0
      ? { group: '', resource, version: 'v1', namespaced: true }
      : { group: resource.slice(dot + 1), resource: resource.slice(0, dot), version: `${resource.slice(dot + 1)}/v1`, namespaced: true };
  }

  private consolePath(req: ConsoleRequest): string {
    const r = this.resolveResource(req.resource);
    const base = r.group ? `/apis/${r.version}` : '/api/v1';
    const ns = req.namespace && r.namespaced ? `/namespaces/${encodeURIComponent(req.namespace)}` : '';
    const name = req.verb === 'get' && req.name ? `/${encodeURIComponent(req.name)}` : '';
    return `${base}${ns}/${r.resource}${name}`;
  }

  async runRequest(input: ConsoleRequestInput): Promise<ConsoleResult> {
    const req = ConsoleRequest.parse(input);
    const live = this.live;
    if (!live) throw new Error('Not connected: connect to etcd, a cluster or the demo first.');
    if (req.verb === 'get' && !req.name) throw new Error('GET needs a name.');
    const requestId = randomUUID().slice(0, 8);
    const userAgent = req.userAgent ?? `watchscope-console/${requestId}`;
    const agentTag = `${userAgent} [${requestId}]`;
    this.consoleTransport ??= new Transport(this.endpointConnection(live.server), { maxSockets: 16 });
    const t = this.consoleTransport;
    const path = this.consolePath(req);
    const query: Record<string, string> = { ...req.query };
    const before = live.decisions.lastId;
    const decisionFor = () => live.decisions.since(before).find((d) => d.userAgent === agentTag);

    if (req.verb !== 'watch') {
      const r = await t.request<Record<string, unknown>>({ method: 'GET', path, query, userAgent: agentTag, timeoutMs: 60_000 });
      const result: ConsoleResult = { requestId, status: r.status, latencyMs: r.latencyMs, body: summarizeBody(r.body) };
      const d = decisionFor();
      if (d) result.decision = d;
      return result;
    }

    const maxEvents = Math.min(req.maxEvents ?? 200, CONSOLE_MAX_WATCH_EVENTS);
    const maxSeconds = Math.min(req.maxSeconds ?? 60, CONSOLE_MAX_WATCH_SECONDS);
    const opened = await t.watch({ path, query: { ...query, watch: 'true' }, userAgent: agentTag });
    if ('error' in opened) {
      const result: ConsoleResult = { requestId, status: opened.error.status, latencyMs: opened.error.latencyMs, body: summarizeBody(opened.error.body) };
      const d = decisionFor();
      if (d) result.decision = d;
      return result;
    }
    const stream = opened.stream;
    let seq = 0;
    let ended = false;
    const end = (message: string) => {
      if (ended) return;
      ended = true;
      clearTimeout(timer);
      this.consoleWatches.delete(requestId);
      void stream.close();
      this.consoleEvents.emit({ requestId, seq: seq++, time: Date.now(), type: 'END', message });
    };
    const timer = setTimeout(() => end(`maxSeconds (${maxSeconds}s) reached`), maxSeconds * 1000);
    this.consoleWatches.set(requestId, () => end('stopped'));
    void (async () => {
      let n = 0;
      for (;;) {
        const ev = await stream.next().catch(() => null);
        if (ended) return;
        if (!ev) return end(stream.error ? `closed: ${stream.error}` : 'closed by the server');
        const obj = (ev.object ?? {}) as { metadata?: { name?: string; namespace?: string; resourceVersion?: string; annotations?: Record<string, string> }; message?: string; code?: number };
        const ce: ConsoleEvent = { requestId, seq: seq++, time: Date.now(), type: ev.type as ConsoleEvent['type'] };
        if (obj.metadata?.name) ce.name = obj.metadata.name;
        if (obj.metadata?.namespace) ce.namespace = obj.metadata.namespace;
        if (obj.metadata?.resourceVersion) ce.resourceVersion = obj.metadata.resourceVersion;
        if (ev.type === 'BOOKMARK') ce.initialEventsEnd = obj.metadata?.annotations?.['k8s.io/initial-events-end'] === 'true';
        if (ev.type === 'ERROR') {
          if (obj.message) ce.message = obj.message;
          if (typeof obj.code === 'number') ce.code = obj.code;
        }
        this.consoleEvents.emit(ce);
        if (++n >= maxEvents) return end(`maxEvents (${maxEvents}) reached`);
      }
    })();
    const result: ConsoleResult = { requestId, status: 200, body: {}, watch: { maxEvents, maxSeconds } };
    // The endpoint records a watch's decision once it has started it.
    for (let i = 0; i < 20 && !decisionFor(); i++) await new Promise((r) => setTimeout(r, 25));
    const d = decisionFor();
    if (d) result.decision = d;
    return result;
  }

  async stopWatch(req: StopWatchRequest): Promise<void> {
    this.consoleWatches.get(req.requestId)?.();
  }

  async whatIf(input: ConsoleRequestInput): Promise<WhatIfResult> {
    const req = ConsoleRequest.parse(input);
    const r = this.resolveResource(req.resource);
    const query: Record<string, string> = { ...req.query };
    if (req.verb === 'watch') query.watch = 'true';
    const routing = {
      verb: req.verb,
      group: r.group,
      resource: r.resource,
      // The endpoint's own rule (a pinned name reads one key only where the key can be built).
      recursive: isRecursive(req.verb, req.query.fieldSelector, { namespaced: r.namespaced, ...(req.namespace ? { namespace: req.namespace } : {}) }),
      query,
      ...(req.namespace ? { namespace: req.namespace } : {}),
      ...(req.name ? { name: req.name } : {}),
    };
    const backend = this.live?.backend.resource(r.group, r.resource);
    const cache: CacheState = backend?.cacheState() ?? {
      enabled: true,
      ready: true,
      resourceVersion: 0,
      etcdSupportsRequestWatchProgress: this.live?.sourceInfo().supportsRequestWatchProgress ?? false,
    };
    return {
      rows: whatIfAll(routing, cache).map(({ profile, decision }) => ({
        profile: profile.name,
        servedBy: decision.servedBy,
        reason: decision.reason,
        detail: decision.detail,
      })),
    };
  }

  async getDecisions(req: GetDecisionsRequest): Promise<DecisionPage> {
    const log = this.live?.decisions;
    if (!log) return { decisions: [], lastDecisionId: 0 };
    return { decisions: log.since(req.since, req.max ?? 2000), lastDecisionId: log.lastId };
  }

  // ------------------------------------------------------------------------------------------
  // Contract: workload and scenarios (demo)

  async setWorkload(req: WorkloadSettings): Promise<WorkloadState> {
    const w = this.live?.workload;
    if (w) {
      const patch: Partial<WorkloadOptions> = {};
      if (req.writesPerSecond !== undefined) patch.writesPerSecond = req.writesPerSecond;
      if (req.kubelets !== undefined) patch.kubelets = req.kubelets;
      if (req.informers !== undefined) patch.informers = req.informers;
      w.set(patch);
      if (req.scenario) void this.runScenario(req.scenario).catch(() => undefined);
    } else if (req.scenario || req.writesPerSecond !== undefined || req.kubelets !== undefined || req.informers !== undefined) {
      throw new Error('The workload and scenarios run in the demo: connect to "Demo" first.');
    }
    return this.workloadState();
  }

  private workloadState(): WorkloadState {
    const s = this.live?.workload?.snapshotStats();
    const out: WorkloadState = {
      writesPerSecond: s?.writesPerSecond ?? 0,
      kubelets: s?.kubelets ?? 0,
      informers: s?.informers ?? 0,
      scenarios: scenarios.map((x) => ({ name: x.name, description: `${x.title}: ${x.explanation}` })),
    };
    if (s?.scenario) out.scenario = s.scenario;
    return out;
  }

  /** Runs a scenario preset against the demo (one at a time). */
  async runScenario(name: string, opts: { scale?: number } = {}): Promise<ScenarioResult> {
    const live = this.live;
    const sc = findScenario(name);
    if (!sc) throw new Error(`unknown scenario "${name}" (known: ${scenarios.map((s) => s.name).join(', ')})`);
    if (!live?.etcd || !live.stack || !live.workload) throw new Error('Scenarios run in the demo: connect to "Demo" first.');
    if (this.scenarioRun) throw new Error('A scenario is already running; wait for it to finish.');
    const workload = live.workload;
    const stack = live.stack;
    workload.scenario = sc.name;
    workload.scenarioStatus = 'starting';
    const ctx: ScenarioContext = {
      connection: this.endpointConnection(live.server),
      etcd: live.etcd,
      compact: async (revision) => {
        const rev = revision ?? (await stack.source.currentRevision('/'));
        await stack.source.client.compact(rev, true);
        return rev;
      },
      currentRevision: () => stack.source.currentRevision('/'),
      decisions: live.decisions,
      caches: () => live.caches(),
      setProfile: (n) => {
        this.baseProfile = resolveProfile(n);
        this.profile = withGates(this.baseProfile, this.gates);
      },
      profile: () => this.profile.name,
      source: () => {
        const i = live.sourceInfo();
        return { version: i.version, supportsRequestWatchProgress: i.supportsRequestWatchProgress };
      },
      report: (s) => {
        workload.scenarioStatus = s;
      },
      ...(opts.scale ? { scale: opts.scale } : {}),
    };
    if (sc.needsReplica) ctx.replica = await this.ensureReplica(live);
    const run = sc.run(ctx);
    this.scenarioRun = run;
    try {
      const r = await run;
      workload.scenarioStatus = `${r.ok ? 'done' : 'did not show its signature'}: ${r.summary}`;
      return r;
    } catch (e) {
      workload.scenarioStatus = `failed: ${errText(e)}`;
      throw e;
    } finally {
      this.scenarioRun = undefined;
    }
  }

  /** A second cacher set on the same etcd behind its own endpoint (HA demo). */
  private async ensureReplica(live: Live): Promise<NonNullable<ScenarioContext['replica']>> {
    if (!this.replica) {
      const stack = live.stack!;
      this.replica = await openEtcdStack({
        etcd: { endpoints: [] },
        source: stack.source,
        resources: live.backend.resources().map(qualifiedResource),
        profile: () => this.profile,
        decisions: live.decisions,
        replica: 'replica-b',
      });
      await this.replica.backend.waitReady();
    }
    const replica = this.replica;
    return {
      name: 'replica-b',
      connection: this.endpointConnection(replica.server),
      setDelay: (ms) => replica.delayed.setDelay(ms),
    };
  }

  // ------------------------------------------------------------------------------------------
  // Contract: recording

  async setRecording(req: RecordRequest): Promise<RecordResult> {
    if (req.action === 'stop') {
      const recording = this.recording.stop('stopped by the user');
      return recording ? { recording } : {};
    }
    const { action: _a, ...opts } = req;
    void _a;
    return { recording: await this.recording.start(opts) };
  }

  async checkConsistency(req: ConsistencyRequest): Promise<ConsistencyResults> {
    const live = this.live;
    if (!live) throw new Error('Not connected: connect to etcd, a cluster or the demo first.');
    if (!live.checkConsistency) throw new Error(`${live.mode} mode has no storage to compare the caches with.`);
    // The verdicts also reach every view with the next snapshot (CacheInfo.consistency).
    return { results: await live.checkConsistency(req.resource) };
  }

  async sessionReport(): Promise<SessionReport> {
    return this.recording.report();
  }

  /** `--record FILE`: the CLI names the file. */
  startRecording(opts: StartRecording): ReturnType<SessionRecording['start']> {
    return this.recording.start(opts);
  }

  async rerunReplay(): Promise<RerunResult> {
    throw new Error('This is a live session: a re-run under another profile works in a replay (watchscope replay FILE).');
  }

  async replayControl(): Promise<ReplayStatus> {
    throw new Error('This is a live session: replay controls work in a replay (watchscope replay FILE).');
  }

  // ------------------------------------------------------------------------------------------
  // Streams

  onSnapshot(fn: (s: Snapshot) => void): () => void {
    return this.snapshots.on(fn);
  }

  onConnection(fn: (c: ConnectionState) => void): () => void {
    return this.connections.on(fn);
  }

  onConsoleEvent(fn: (e: ConsoleEvent) => void): () => void {
    return this.consoleEvents.on(fn);
  }

  snapshot(): Snapshot | undefined {
    return this.telemetry?.snapshot();
  }

  /**
   * The synchronous last resort for an exit that cannot wait for close() (process 'exit', a
   * second signal): kill the children by PID and remove the session's files.
   */
  abandon(): void {
    for (const c of this.children) c.killNow();
    this.children.clear();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** The session's private directory (its kubeconfig unless told otherwise, scratch files). */
  get directory(): string {
    return this.dir;
  }

  async close(): Promise<void> {
    this.connectSeq++;
    await this.teardown();
    rmSync(this.dir, { recursive: true, force: true });
    this.state = { state: 'disconnected' };
  }
}

function summarizeBody(body: unknown): ConsoleResult['body'] {
  const out: ConsoleResult['body'] = {};
  if (!body || typeof body !== 'object') return out;
  const b = body as {
    kind?: string;
    metadata?: { resourceVersion?: string; continue?: string; remainingItemCount?: number; name?: string; namespace?: string; labels?: Record<string, string> };
    items?: { metadata?: { name?: string; namespace?: string; resourceVersion?: string; labels?: Record<string, string> } }[];
    reason?: string;
    message?: string;
    code?: number;
  };
  if (b.kind) out.kind = b.kind;
  if (b.metadata?.resourceVersion) out.resourceVersion = b.metadata.resourceVersion;
  if (b.metadata?.continue) out.continue = b.metadata.continue;
  if (typeof b.metadata?.remainingItemCount === 'number') out.remainingItemCount = b.metadata.remainingItemCount;
  const item = (m: { name?: string; namespace?: string; resourceVersion?: string; labels?: Record<string, string> } | undefined) => {
    const s: { name: string; namespace?: string; resourceVersion?: string; labels?: Record<string, string> } = { name: m?.name ?? '' };
    if (m?.namespace) s.namespace = m.namespace;
    if (m?.resourceVersion) s.resourceVersion = m.resourceVersion;
    if (m?.labels) s.labels = m.labels;
    return s;
  };
  if (Array.isArray(b.items)) {
    out.itemsTotal = b.items.length;
    out.items = b.items.slice(0, CONSOLE_MAX_ITEMS).map((i) => item(i.metadata));
  } else if (b.kind === 'Status') {
    const st: { reason?: string; message?: string; code?: number } = {};
    if (b.reason) st.reason = b.reason;
    if (b.message) st.message = b.message;
    if (typeof b.code === 'number') st.code = b.code;
    out.status = st;
  } else if (b.metadata?.name) {
    out.itemsTotal = 1;
    out.items = [item(b.metadata)];
  }
  return out;
}

export const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

async function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let t: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (t = setTimeout(() => reject(new Error(message)), ms)))]);
  } finally {
    if (t) clearTimeout(t);
  }
}

/** The desktop shell's entry: one session per app. */
export async function createSession(opts: SessionOptions = {}): Promise<Session> {
  return new Session(opts);
}
