// FAKE WatchscopeService for UI end-to-end tests ONLY. It emits realistic-looking snapshots
// (caches, thousands of watchers with varied buffer fill, a freshness series, decisions) so the
// views can be exercised and screenshotted without the storage layer. It implements no Kubernetes
// behaviour; nothing here may be used to claim anything about routing or caching.
import type { ClientsReport, ClientsRequest } from '../shared/clients.js';
import type { UpgradeReport } from '../shared/upgrade-report.js';
import { emptyCacheCounters, type ConnectionState, type Decision, type FreshnessPoint, type ReplayStatus, type Snapshot, type WatcherInfo, type CacheInfo } from '../shared/model.js';
import type {
  ConnectRequest,
  ConsoleEvent,
  ConsoleRequestInput,
  ConsoleResult,
  KubeContextList,
  ProfileList,
  RecordRequest,
  RecordResult,
  SessionReport,
  ConsistencyRequest,
  ConsistencyResults,
  RerunResult,
  TimeTravelRequest,
  WatchscopeService,
  WhatIfResult,
  WorkloadSettings,
  WorkloadState,
} from '../shared/ipc.js';
import type { TimeTravelState } from '../shared/time-travel.js';

const PROFILES = ['1.27', '1.31', '1.34'];
const RESOURCES = ['pods', 'configmaps', 'leases'];

type Listener<T> = (v: T) => void;

export interface FakeServiceOptions {
  watchers?: number;
  snapshotIntervalMs?: number;
}

export class FakeWatchscopeService implements WatchscopeService {
  private connection: ConnectionState = { state: 'disconnected' };
  private profile = '1.34';
  private seq = 0;
  private rev = 1200;
  private cacheRev: Record<string, number> = { pods: 1200, configmaps: 1200, leases: 1200 };
  private watchers: WatcherInfo[] = [];
  private closed: WatcherInfo[] = [];
  private freshness: Record<string, FreshnessPoint[]> = {};
  private decisions: Decision[] = [];
  private pendingDecisions: Decision[] = [];
  private nextDecisionId = 1;
  private timer: ReturnType<typeof setInterval> | null = null;
  private workload: WorkloadState = {
    writesPerSecond: 80,
    kubelets: 40,
    informers: 6,
    scenarios: [
      { name: 'slow-watcher', description: 'one client stops reading; its buffer fills and it is closed' },
      { name: 'compaction', description: 'etcd compacts; an old watch gets 410' },
    ],
  };
  private readonly snapshotL = new Set<Listener<Snapshot>>();
  private readonly connectionL = new Set<Listener<ConnectionState>>();
  private readonly consoleL = new Set<Listener<ConsoleEvent>>();
  private nextRequest = 1;
  /** Calls received, for assertions. */
  readonly calls: { method: string; arg: unknown }[] = [];

  constructor(private readonly opts: FakeServiceOptions = {}) {}

  async listContexts(): Promise<KubeContextList> {
    this.calls.push({ method: 'listContexts', arg: undefined });
    return {
      kubeconfigPath: '~/.kube/config',
      currentContext: 'kind-dev',
      contexts: [
        { name: 'prod-eu', cluster: 'prod-eu', server: 'https://10.20.0.1:6443', user: 'sre-ro', namespace: 'default', current: false },
        { name: 'kind-dev', cluster: 'kind-dev', server: 'https://127.0.0.1:40123', user: 'kind-dev', current: true },
      ],
    };
  }

  async listProfiles(): Promise<ProfileList> {
    return {
      current: this.profile,
      profiles: PROFILES.map((p) => ({ name: p, description: `Kubernetes ${p} defaults`, gates: {} })),
    };
  }

  async connect(req: ConnectRequest): Promise<ConnectionState> {
    this.calls.push({ method: 'connect', arg: req });
    if (req.mode === 'etcd' && req.endpoints.some((e) => e.includes(':1/') || e.endsWith(':1'))) {
      return this.setConnection({
        state: 'failed',
        mode: 'etcd',
        target: req.endpoints.join(','),
        message: `etcd at ${req.endpoints[0]} refused the connection. Check the endpoint and that etcd is running.`,
      });
    }
    if (req.profile) this.profile = req.profile;
    this.start(req.mode === 'demo');
    return this.setConnection({
      state: 'connected',
      mode: req.mode,
      target: req.mode === 'etcd' ? req.endpoints.join(',') : req.mode === 'kube' ? req.context : 'demo',
      sourceVersion: '3.4.23',
      supportsRequestWatchProgress: false,
      endpoint: 'https://127.0.0.1:46443',
      kubeconfigPath: '/tmp/watchscope-demo/kubeconfig',
      profile: this.profile,
      revisionMethod: 'etcd header revision of a quorum range read (every 1 s) and watch progress notifications',
    });
  }

  /** For tests: the cluster's /metrics table (kube mode) carried by the next snapshots. */
  clusterMetrics: Snapshot['clusterMetrics'] | undefined;

  async disconnect(): Promise<ConnectionState> {
    this.stop();
    return this.setConnection({ state: 'disconnected' });
  }

  async setProfile(req: { name: string }): Promise<ProfileList> {
    this.profile = req.name;
    return this.listProfiles();
  }

  async runRequest(input: ConsoleRequestInput): Promise<ConsoleResult> {
    this.calls.push({ method: 'runRequest', arg: input });
    const requestId = `c${this.nextRequest++}`;
    const q = input.query ?? {};
    const d = this.record({
      verb: input.verb,
      resource: input.resource,
      ...(input.namespace ? { namespace: input.namespace } : {}),
      query: q as Record<string, string>,
      userAgent: input.userAgent ?? 'watchscope-console',
    });
    if (input.verb === 'watch') {
      const maxEvents = input.maxEvents ?? 100;
      let seq = 0;
      const emit = (e: Omit<ConsoleEvent, 'requestId' | 'seq' | 'time'>) =>
        this.consoleL.forEach((fn) => fn({ requestId, seq: seq++, time: Date.now(), ...e }));
      const t = setInterval(() => {
        if (seq >= Math.min(maxEvents, 12)) {
          clearInterval(t);
          emit({ type: 'END', message: 'maxEvents reached' });
          return;
        }
        emit({ type: seq < 5 ? 'ADDED' : seq === 5 ? 'BOOKMARK' : 'MODIFIED', name: `web-${seq % 5}`, namespace: 'default', resourceVersion: String(this.rev + seq), ...(seq === 5 ? { initialEventsEnd: true } : {}) });
      }, 60);
      return { requestId, status: 200, decision: d, latencyMs: 2, body: {}, watch: { maxEvents, maxSeconds: 60 } };
    }
    const limit = Number(q.limit ?? 0);
    const total = 42;
    const start = q.continue ? Number(q.continue.replace('page-', '')) : 0;
    const count = limit > 0 ? Math.min(limit, total - start) : total - start;
    const items = Array.from({ length: count }, (_, i) => ({
      name: `web-${start + i}`,
      namespace: input.namespace ?? 'default',
      resourceVersion: String(1000 + start + i),
      labels: { app: 'web' },
    }));
    const more = start + count < total;
    return {
      requestId,
      status: 200,
      decision: d,
      latencyMs: 3.2,
      body: {
        kind: 'PodList',
        resourceVersion: String(this.rev),
        items,
        itemsTotal: count,
        ...(more ? { continue: `page-${start + count}`, remainingItemCount: total - start - count } : {}),
      },
    };
  }

  async stopWatch(): Promise<void> {}

  async whatIf(input: ConsoleRequestInput): Promise<WhatIfResult> {
    const q = input.query ?? {};
    return {
      rows: PROFILES.map((p) => {
        const cache = q.resourceVersion !== undefined && q.resourceVersion !== '' ? true : p !== '1.27';
        return {
          profile: p,
          servedBy: cache ? ('cache' as const) : ('etcd' as const),
          reason: cache ? 'servedFromCache' : 'consistentReadFromStorage',
          detail: cache ? 'The watch cache can answer.' : 'Quorum read from etcd.',
        };
      }),
    };
  }

  async setRecording(req: RecordRequest): Promise<RecordResult> {
    this.calls.push({ method: 'setRecording', arg: req });
    return {};
  }

  async sessionReport(): Promise<SessionReport> {
    this.calls.push({ method: 'sessionReport', arg: undefined });
    throw new Error('Nothing was recorded: press Record (or start with --record FILE), then ask for the report.');
  }

  async checkConsistency(req: ConsistencyRequest): Promise<ConsistencyResults> {
    this.calls.push({ method: 'checkConsistency', arg: req });
    return { results: [] };
  }

  async getClients(req: ClientsRequest): Promise<ClientsReport> {
    this.calls.push({ method: 'getClients', arg: req });
    const now = Date.now();
    return { minutes: req.minutes ?? 60, from: now - 60_000, to: now, sources: { endpoint: 0, audit: 0 }, userAgents: [], users: [], folded: { userAgents: 0, users: 0 } };
  }

  async upgradeReport(): Promise<UpgradeReport> {
    this.calls.push({ method: 'upgradeReport', arg: undefined });
    const stats = { linesRead: 0, events: 0, routed: 0, stagesFolded: 0, skipped: {}, bad: [] };
    return { source: 'this session: no reads yet', clusterProfile: '1.34', profiles: ['1.34'], assumptions: [], reads: 0, stats, resources: [], clients: [], changes: [], folded: { resources: 0, clients: 0 } };
  }

  async timeTravel(req: TimeTravelRequest): Promise<TimeTravelState> {
    this.calls.push({ method: 'timeTravel', arg: req });
    return { results: [] };
  }

  async rerunReplay(): Promise<RerunResult> {
    throw new Error('This is a live session: a re-run under another profile works in a replay (watchscope replay FILE).');
  }

  async replayControl(): Promise<ReplayStatus> {
    throw new Error('This is a live session: replay controls work in a replay (watchscope replay FILE).');
  }

  async getDecisions(req: { since: number; max?: number }) {
    const out = this.decisions.filter((d) => d.id > req.since);
    return { decisions: out.slice(-(req.max ?? 2000)), lastDecisionId: this.nextDecisionId - 1 };
  }

  async setWorkload(req: WorkloadSettings): Promise<WorkloadState> {
    this.calls.push({ method: 'setWorkload', arg: req });
    this.workload = {
      ...this.workload,
      ...(req.writesPerSecond !== undefined ? { writesPerSecond: req.writesPerSecond } : {}),
      ...(req.kubelets !== undefined ? { kubelets: req.kubelets } : {}),
      ...(req.informers !== undefined ? { informers: req.informers } : {}),
    };
    return this.workload;
  }

  onSnapshot(fn: Listener<Snapshot>) {
    this.snapshotL.add(fn);
    return () => this.snapshotL.delete(fn);
  }
  onConnection(fn: Listener<ConnectionState>) {
    this.connectionL.add(fn);
    return () => this.connectionL.delete(fn);
  }
  onConsoleEvent(fn: Listener<ConsoleEvent>) {
    this.consoleL.add(fn);
    return () => this.consoleL.delete(fn);
  }

  /** For tests: push a connection state (e.g. reconnecting with a countdown). */
  setConnection(c: ConnectionState): ConnectionState {
    this.connection = c;
    this.connectionL.forEach((fn) => fn(c));
    return c;
  }

  close(): void {
    this.stop();
  }

  // --- generation -------------------------------------------------------------------------

  private start(demo: boolean): void {
    if (this.timer) return;
    const now = Date.now();
    const n = this.opts.watchers ?? 1500;
    const agents = ['kubelet/v1.34.1 (linux/amd64)', 'kube-controller-manager/v1.34.1', 'kubectl/v1.32.3', 'cert-manager/v1.15', 'argocd-application-controller'];
    this.watchers = Array.from({ length: n }, (_, i) => {
      const byNode = i % 3 === 0;
      const capacity = byNode ? 10 : i % 3 === 1 ? 100 : 1000;
      // A few watchers sit near or at capacity, as slow clients do.
      const fill = i % 97 === 0 ? 1 : i % 41 === 0 ? 0.8 : (i % 7) / 20;
      return {
        id: i + 1,
        resource: RESOURCES[i % 3]!,
        ...(i % 5 ? { namespace: ['default', 'kube-system', 'payments'][i % 3]! } : {}),
        labelSelector: i % 4 === 0 ? 'app=web' : '',
        fieldSelector: byNode ? `spec.nodeName=node-${i % 200}` : '',
        startResourceVersion: i % 6 === 0 ? '' : String(1000 + i),
        userAgent: agents[i % agents.length]!,
        createdAt: now - (i % 600) * 1000,
        eventsSent: (i * 37) % 5000,
        bookmarksSent: i % 30,
        lastResourceVersion: 1200,
        inputLen: Math.round(capacity * fill),
        resultLen: Math.round(capacity * fill * 0.5),
        capacity,
        capacityRule: byNode ? 'indexWithTrigger' : capacity === 100 ? 'noIndex' : 'indexWithoutTrigger',
        state: i % 53 === 0 ? ('initializing' as const) : ('live' as const),
      };
    });
    this.closed = Array.from({ length: 12 }, (_, i) => ({
      ...this.watchers[i]!,
      id: n + 1 + i,
      state: 'closed' as const,
      closedAt: now - i * 4000,
      closeReason: (['bufferFull', 'timeout', 'clientGone', 'tooOldResourceVersion'] as const)[i % 4],
      closeMessage: ['Forcing watcher close due to unresponsiveness', 'timeoutSeconds reached', 'client disconnected', 'too old resource version: 900 (1100)'][i % 4]!,
    }));
    // Seed two minutes of history so charts have shape from the first frame.
    for (const r of RESOURCES) {
      this.freshness[r] = Array.from({ length: 120 }, (_, k) => {
        const src = 1000 + k * 2;
        return { t: now - (120 - k) * 1000, sourceRevision: src, cacheRevision: src - (k % 9 === 0 ? 6 : 1), lagMs: k % 9 === 0 ? 420 : 15 };
      });
    }
    this.rev = 1240;
    const tick = () => this.tick(demo);
    this.timer = setInterval(tick, this.opts.snapshotIntervalMs ?? 250);
    tick();
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private record(p: Pick<Decision, 'verb' | 'resource' | 'query' | 'userAgent'> & { namespace?: string }): Decision {
    const rv = p.query['resourceVersion'];
    const hasContinue = !!p.query['continue'];
    const consistent = rv === undefined || rv === '';
    const old = this.profile === '1.27';
    const servedBy = hasContinue && old ? 'etcd' : consistent && old && p.verb !== 'watch' ? 'etcd' : 'cache';
    const reason = servedBy === 'cache' ? (consistent && p.verb !== 'watch' ? 'consistentReadFromCache' : 'servedFromCache') : hasContinue ? 'hasContinuation' : 'consistentReadFromStorage';
    const d: Decision = {
      id: this.nextDecisionId++,
      time: Date.now(),
      verb: p.verb,
      resource: p.resource,
      ...(p.namespace ? { namespace: p.namespace } : {}),
      query: p.query,
      profile: this.profile,
      servedBy,
      reason,
      detail: servedBy === 'cache' ? 'Served from the watch cache.' : 'Delegated to etcd.',
      status: 200,
      latencyMs: servedBy === 'cache' ? 1.4 : 12.8,
      userAgent: p.userAgent,
      resourceVersion: String(this.rev),
    };
    this.decisions.push(d);
    if (this.decisions.length > 5000) this.decisions.shift();
    this.pendingDecisions.push(d);
    if (this.pendingDecisions.length > 500) this.pendingDecisions.shift();
    return d;
  }

  private tick(demo: boolean): void {
    const now = Date.now();
    this.rev += 3;
    for (const r of RESOURCES) {
      this.cacheRev[r] = r === 'leases' ? this.rev - 4 : this.rev - (this.seq % 5 === 0 ? 2 : 0);
      const s = this.freshness[r]!;
      s.push({ t: now, sourceRevision: this.rev, cacheRevision: this.cacheRev[r]!, lagMs: this.rev - this.cacheRev[r]! > 0 ? 180 : 0 });
      if (s.length > 240) s.shift();
    }
    for (let k = 0; k < 4; k++) {
      const i = this.seq * 4 + k;
      const verbs = ['list', 'watch', 'get', 'list'] as const;
      this.record({
        verb: verbs[i % 4]!,
        resource: RESOURCES[i % 3]!,
        namespace: i % 2 ? 'default' : undefined,
        query: i % 4 === 3 ? { limit: '500', resourceVersion: '' } : i % 4 === 1 ? { resourceVersion: String(this.rev - 10), allowWatchBookmarks: 'true' } : i % 4 === 2 ? { resourceVersion: '0' } : {},
        userAgent: ['kubectl/v1.32.3', 'kube-controller-manager/v1.34.1', 'kubelet/v1.34.1'][i % 3]!,
      } as Parameters<FakeWatchscopeService['record']>[0]);
    }
    for (const w of this.watchers) {
      if (w.id % 11 === 0) w.eventsSent += 1;
    }
    const caches: CacheInfo[] = RESOURCES.map((r, i) => ({
      resource: r,
      group: r === 'leases' ? 'coordination.k8s.io' : '',
      ready: 'Ready',
      generation: 1,
      resourceVersion: this.cacheRev[r]!,
      sourceRevision: this.rev,
      lagRevisions: this.rev - this.cacheRev[r]!,
      lagMs: this.rev - this.cacheRev[r]! > 0 ? 180 : 0,
      objects: [1240, 310, 205][i]!,
      historyLen: [812, 140, 100][i]!,
      historyCapacity: [1024, 200, 100][i]!,
      oldestResourceVersion: this.rev - [812, 140, 100][i]!,
      watchers: this.watchers.filter((w) => w.resource === r).length,
      counters: {
        ...emptyCacheCounters(),
        eventsReceived: this.rev * (3 - i),
        eventsDispatched: this.rev * 40,
        terminatedWatchers: 12,
        capacityIncreases: 3,
        capacityDecreases: 1,
        initEvents: 5000,
        readWaits: 42,
        readWaitMsTotal: 420,
        progressNotifies: 17 + i,
        progressRequests: 5,
        bookmarksSent: 1800,
        consistentReads: 320,
        consistentReadFallbacks: 2,
        initializations: 1,
      },
    }));
    const snap: Snapshot = {
      seq: this.seq++,
      time: now,
      connection: this.connection,
      profile: this.profile,
      caches,
      watchers: this.watchers.slice(0, 2000),
      watchersTotal: this.watchers.length,
      closedWatchers: this.closed,
      freshness: Object.fromEntries(RESOURCES.map((r) => [r, this.freshness[r]!.slice()])),
      decisions: this.pendingDecisions.splice(0),
      lastDecisionId: this.nextDecisionId - 1,
      ...(demo ? { workload: { writesPerSecond: this.workload.writesPerSecond, kubelets: this.workload.kubelets, informers: this.workload.informers } } : {}),
      ...(this.clusterMetrics ? { clusterMetrics: this.clusterMetrics } : {}),
    };
    this.snapshotL.forEach((fn) => fn(snap));
  }
}
