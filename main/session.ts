// The session ties one connection together: a Source (etcd, a cluster, or the demo's own etcd),
// a Cacher per resource, the Kubernetes-compatible endpoint, telemetry and, in the demo, the
// workload and scenario presets. It implements the contract (shared/ipc.ts) that both the
// Electron IPC and the web mode carry, and the CLI drives it headless. Each mode's wiring
// (etcd-mode.ts, kube-mode.ts), the console (console.ts) and the scenario runner
// (scenario-runner.ts) live in files of their own.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  AuditSourceRequest,
  StopWatchRequest,
  TimeTravelRequest,
  WatchscopeService,
  WhatIfResult,
  WorkloadSettings,
  WorkloadState,
} from '../shared/ipc.js';
import type { ClientsReport, ClientsRequest } from '../shared/clients.js';
import type { UpgradeReport } from '../shared/upgrade-report.js';
import { ClientsFeed } from './clients-feed.js';
import { DecisionLog } from './storage/decisions.js';
import type { EtcdProcess } from './storage/etcd/process.js';
import { clusterModelOf, gatesFromCluster } from './storage/kube/cluster-model.js';
import { allProfiles, defaultProfile, profileForServerVersion, resolveProfile, withGates, type Profile } from './storage/routing/index.js';
import { CONSISTENCY_CHECK_PERIOD_MS } from './storage/cacher/consistency.js';
import { Telemetry } from './telemetry/index.js';
import type { WorkloadOptions } from './workload/workload.js';
import { scenarios, type ScenarioResult } from './workload/scenarios/index.js';
import { openEtcdMode } from './etcd-mode.js';
import { openKubeMode } from './kube-mode.js';
import type { Live } from './live.js';
import { ConsoleRunner } from './console.js';
import { ScenarioRunner } from './scenario-runner.js';
import { listContexts as readContexts, kubeconfigFiles } from './storage/kube/kubeconfig.js';
import { qualifiedResource } from './storage/resources.js';
import type { Source } from './storage/source.js';
import { SourceTap } from './recording/tap.js';
import { SessionRecording, type StartRecording } from './recording/session-recording.js';
import type { Cacher } from './storage/cacher/cacher.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { openAuditMode } from './audit-mode.js';
import { AuditSource } from './cluster/audit/source.js';
import { auditLogProblem } from './cluster/audit/path.js';
import { chooseAuditVersion } from './cluster/audit/version.js';
import { AUDIT_WEBHOOK_PATH, writeAuditWebhookKubeconfig } from './cluster/audit/webhook.js';
import { writeStatus } from './storage/apiserver/respond.js';
import { StatusError } from './storage/errors.js';
import { TimeTravelRunner } from './cluster/time-travel/runner.js';
import { endpointClient } from './cluster/time-travel/client.js';
import type { TimeTravelState } from '../shared/time-travel.js';

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
  /** The audit webhook's kubeconfig (for kube-apiserver's --audit-webhook-config-file) goes here; default the session's folder. */
  audit?: { webhookKubeconfig?: string };
  /** kube mode: period of the cluster's /metrics scrape (default 15 s). */
  clusterMetricsIntervalMs?: number;
  log?: (line: string) => void;
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

export class Session implements WatchscopeService {
  private state: ConnectionState = { state: 'disconnected' };
  private baseProfile: Profile = defaultProfile;
  private gates: Record<string, boolean> = {};
  private profile: Profile = defaultProfile;
  private live: Live | undefined;
  private telemetry: Telemetry | undefined;
  /** The cluster's audit stream, when the connection asked for it. */
  private audit: AuditSource | undefined;
  private auditProfileSource = '';
  private readonly dir = mkdtempSync(join(tmpdir(), 'watchscope-session-'));
  /** Child processes this session started, for abandon(). */
  private readonly children = new Set<EtcdProcess>();
  private readonly snapshots = new Emitter<Snapshot>();
  private readonly connections = new Emitter<ConnectionState>();
  private readonly consoleEvents = new Emitter<ConsoleEvent>();
  private readonly consoleRunner = new ConsoleRunner(
    () => this.live,
    (e) => this.consoleEvents.emit(e),
  );
  private readonly scenarioRunner = new ScenarioRunner({
    live: () => this.live,
    profile: () => this.profile,
    setProfile: (name) => {
      this.baseProfile = this.withClusterGates(resolveProfile(name));
      this.profile = withGates(this.baseProfile, this.gates);
    },
  });
  private readonly timeTravelRunner = new TimeTravelRunner(() => {
    const live = this.live;
    if (!live) return undefined;
    const { url, token, caPem } = live.server;
    return { endpoint: endpointClient({ url, token, caPem }), ...(live.clusterClient ? { cluster: live.clusterClient } : {}) };
  });
  private connectSeq = 0;
  private lastSnapshot: Snapshot | undefined;
  /** Sees what the cachers ingest, for recordings. */
  private readonly tap = new SourceTap();
  private readonly recording: SessionRecording;
  /** Who costs what, over every connection of this session. */
  readonly clients = new ClientsFeed();
  private detachClients: (() => void) | undefined;

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
    const target = req.mode === 'etcd' ? req.endpoints.join(',') : req.mode === 'kube' ? req.context : req.mode === 'audit' ? auditTarget(req.audit) : 'demo';
    this.setState({ state: 'connecting', mode: req.mode, target });
    try {
      if (req.profile) this.baseProfile = resolveProfile(req.profile);
      // An unreadable audit log is said at once, before any connection is tried.
      const auditReq = req.mode === 'kube' || req.mode === 'audit' ? req.audit : undefined;
      const problem = auditReq?.logPath ? await auditLogProblem(auditReq.logPath) : undefined;
      if (problem) throw new Error(problem);
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
      const findings = live.clusterFindings?.();
      this.live = live;
      if (req.mode === 'kube' && !req.profile) this.baseProfile = this.withClusterGates(profileForServerVersion(live.sourceInfo().version));
      else this.baseProfile = this.withClusterGates(this.baseProfile);
      this.profile = withGates(this.baseProfile, this.gates);
      const kubeconfigPath = this.opts.endpoint?.writeKubeconfig ?? join(this.dir, 'kubeconfig');
      await live.server.writeKubeconfig(kubeconfigPath);
      if (auditReq) {
        const profileSource =
          req.mode === 'audit' ? this.auditProfileSource : req.profile ? `the profile chosen (${req.profile})` : `the cluster's /version (${live.sourceInfo().version})`;
        await this.openAudit(auditReq, profileSource);
      }
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
        ...(findings ? { clusterModel: clusterModelOf(findings, this.profile) } : {}),
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

  /** The audit webhook's POSTs reach the session's audit source, when it has the webhook on. */
  private readonly auditPosts = {
    [AUDIT_WEBHOOK_PATH]: async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
      const h = this.audit?.webhook;
      if (h) return h(req, res);
      writeStatus(res, new StatusError(404, 'NotFound', 'the audit webhook is not on in this session (connect with the audit webhook as a source)'));
    },
  };

  private async openAudit(a: AuditSourceRequest, profileSource: string): Promise<void> {
    const live = this.live!;
    let webhook: { url: string; kubeconfigPath: string } | undefined;
    if (a.webhook) {
      const kubeconfigPath = this.opts.audit?.webhookKubeconfig ?? join(this.dir, 'audit-webhook.kubeconfig');
      await writeAuditWebhookKubeconfig(kubeconfigPath, { endpoint: live.server.url, token: live.server.token, ...(live.server.caPem ? { caPem: live.server.caPem } : {}) });
      webhook = { url: `${live.server.url}${AUDIT_WEBHOOK_PATH}`, kubeconfigPath };
    }
    const info = live.sourceInfo();
    this.audit = new AuditSource({
      ...(a.logPath ? { logPath: a.logPath } : {}),
      ...(webhook ? { webhook } : {}),
      // The cluster's profile as connected, without the user's later what-if changes.
      profile: this.profile,
      profileSource,
      etcdSupportsRequestWatchProgress: a.etcdProgress ?? info.supportsRequestWatchProgress,
      decisions: live.decisions,
    });
    // Its requests reach the clients aggregate through the decision log; a watch's end only here.
    this.audit.onWatchEnd((w) => this.clients.observeAuditWatchEnd(w));
    this.audit.start();
  }

  /** The session's audit source (for the CLI's lines and whoever aggregates clients). */
  get auditSource(): AuditSource | undefined {
    return this.audit;
  }

  private async open(req: ConnectRequest): Promise<Live> {
    const endpoint = this.opts.endpoint ?? {};
    const decisions = new DecisionLog(5000);
    // Fed from the first decision: the demo's workload starts before the connection is returned.
    this.detachClients?.();
    this.detachClients = this.clients.attach(decisions, () => this.live);
    const common = {
      profile: () => this.profile,
      decisions,
      clients: { report: (minutes?: number) => this.clients.aggregator.report(minutes), maxMinutes: this.clients.aggregator.minutes },
      snapshot: () => this.lastSnapshot ?? this.telemetry?.snapshot(),
      wrapSource: (src: Source) => this.tap.wrap(src),
      ...(endpoint.token ? { token: endpoint.token } : {}),
      ...(endpoint.tls !== undefined ? { tls: endpoint.tls } : {}),
      ...(endpoint.host ? { host: endpoint.host } : {}),
      ...(endpoint.port ? { port: endpoint.port } : {}),
    };
    if (req.mode === 'audit') {
      const { version, source } = await chooseAuditVersion(req.profile, req.audit.logPath);
      this.baseProfile = resolveProfile(version);
      this.auditProfileSource = source;
      return openAuditMode({
        ...common,
        posts: this.auditPosts,
        target: auditTarget(req.audit),
        version,
        etcdSupportsRequestWatchProgress: req.audit.etcdProgress ?? true,
      });
    }
    if (req.mode === 'kube') {
      return openKubeMode({
        ...common,
        posts: this.auditPosts,
        kubeconfig: req.kubeconfig,
        context: req.context,
        resources: req.resources,
        allowWrites: this.opts.allowWrites ?? false,
        ...(this.opts.clusterMetricsIntervalMs ? { metricsIntervalMs: this.opts.clusterMetricsIntervalMs } : {}),
      });
    }
    return openEtcdMode(req, {
      ...common,
      sessionDir: this.dir,
      children: this.children,
      consistencyCheckMs: this.opts.consistencyCheckMs ?? CONSISTENCY_CHECK_PERIOD_MS,
      moreCaches: () => this.scenarioRunner.replicaCaches(),
      ...(this.opts.demo?.etcdBin ? { etcdBin: this.opts.demo.etcdBin } : {}),
      ...(this.opts.demo?.workload ? { workload: this.opts.demo.workload } : {}),
    });
  }

  private async teardown(): Promise<void> {
    this.recording.stop('disconnected');
    this.telemetry?.stop();
    this.telemetry = undefined;
    const audit = this.audit;
    this.audit = undefined;
    await audit?.close().catch(() => undefined);
    this.detachClients?.();
    this.detachClients = undefined;
    await this.consoleRunner.close();
    await this.scenarioRunner.close();
    this.timeTravelRunner.reset();
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
      const audit = this.audit?.status();
      if (audit) s.audit = audit;
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

  /**
   * The cluster's own gates (kubernetes_feature_enabled) on the profile of the cluster's own release,
   * whether it was detected or chosen: they describe that release as it runs. Another release's
   * profile is a what-if and keeps that release's defaults.
   */
  private withClusterGates(base: Profile): Profile {
    const findings = this.live?.clusterFindings?.();
    if (!findings || base.name !== profileForServerVersion(this.live!.sourceInfo().version).name) return base;
    return withGates(base, gatesFromCluster(base, findings.features).apply);
  }

  async setProfile(req: SetProfileRequest): Promise<ProfileList> {
    const base = this.withClusterGates(resolveProfile(req.name));
    const gates = req.gates ?? {};
    // withGates throws a clear error for unknown or locked gates; nothing changes then.
    this.profile = withGates(base, gates);
    this.baseProfile = base;
    this.gates = gates;
    if (this.state.state === 'connected') {
      const findings = this.live?.clusterFindings?.();
      this.setState({ ...this.state, profile: this.profile.name, ...(findings ? { clusterModel: clusterModelOf(findings, this.profile) } : {}) });
    }
    return this.listProfiles();
  }

  /** For scenarios and the CLI. */
  profileName(): string {
    return this.profile.name;
  }

  // ------------------------------------------------------------------------------------------
  // Contract: console

  async runRequest(input: ConsoleRequestInput): Promise<ConsoleResult> {
    return this.consoleRunner.run(input);
  }

  async stopWatch(req: StopWatchRequest): Promise<void> {
    this.consoleRunner.stop(req.requestId);
  }

  async whatIf(input: ConsoleRequestInput): Promise<WhatIfResult> {
    return this.consoleRunner.whatIf(input);
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
    return this.scenarioRunner.run(name, opts);
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
    // The verdicts also reach every view with the next snapshot (CacheInfo.consistency).
    return { results: await live.checkConsistency(req.resource) };
  }

  async sessionReport(): Promise<SessionReport> {
    return this.recording.report();
  }

  async timeTravel(req: TimeTravelRequest): Promise<TimeTravelState> {
    return this.timeTravelRunner.handle(req);
  }

  /** `--record FILE`: the CLI names the file. */
  startRecording(opts: StartRecording): ReturnType<SessionRecording['start']> {
    return this.recording.start(opts);
  }

  async getClients(req: ClientsRequest): Promise<ClientsReport> {
    return this.clients.aggregator.report(req.minutes);
  }

  /** Under the cluster's profile when its audit stream is read (the report is about the cluster), else the session's. */
  async upgradeReport(): Promise<UpgradeReport> {
    const audit = this.audit;
    return this.clients.upgradeReport(audit?.status().profile ?? this.profile.name, audit?.assumptions ?? []);
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
    const s = this.telemetry?.snapshot();
    const audit = this.audit?.status();
    if (s && audit) s.audit = audit;
    return s;
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

/** An audit source in the connection's words: its log's path and/or the webhook. */
function auditTarget(a: AuditSourceRequest): string {
  return [a.logPath ? `audit log ${a.logPath}` : '', a.webhook ? 'audit webhook' : ''].filter(Boolean).join(' + ');
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
