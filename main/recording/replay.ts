// A recording played back behind the same contract as a live session, so the renderer draws it
// with the same views: every snapshot is the recorded state at the timeline's position (watchers
// with their buffers, freshness up to that moment, the decisions so far). Seeking inflates one
// segment (the one holding the moment), resets to its keyframe and applies records up to the
// moment; playing applies records forward. Nothing connects to etcd or a cluster.
import type { ClientsReport } from '../../shared/clients.js';
import type { UpgradeReport } from '../../shared/upgrade-report.js';
import { basename } from 'node:path';
import type {
  ConnectionState,
  Decision,
  ReplayStatus,
  Snapshot,
  WatcherInfo,
} from '../../shared/model.js';
import type {
  ConsoleEvent,
  DecisionPage,
  GetDecisionsRequest,
  KubeContextList,
  ProfileList,
  RecordResult,
  ReplayControlRequest,
  SessionReport,
  ConsistencyResults,
  RerunRequest,
  RerunResult,
  WatchscopeService,
  WhatIfResult,
  WorkloadState,
} from '../../shared/ipc.js';
import { MAX_DECISIONS_PAGE } from '../../shared/ipc.js';
import type { TimeTravelState } from '../../shared/time-travel.js';
import { allProfiles } from '../storage/routing/index.js';
import { FreshnessSeries } from '../telemetry/freshness.js';
import { Ring } from '../util/ring.js';
import type { RecordLine } from './format.js';
import { reportOf } from './report.js';
import { rerunRecording } from './rerun.js';
import { RecordingReader } from './reader.js';

type Listener<T> = (v: T) => void;

/** Same bounds as live telemetry. */
const CLOSED_KEPT = 200;
const FRESHNESS_POINTS = 300;
const DECISIONS_KEPT = 5000;
const DECISIONS_PER_SNAPSHOT = 200;

export interface ReplayOptions {
  /** Snapshot period while playing (and while paused, so a new window gets the state). */
  intervalMs?: number;
}

/** What a replay shows at its position, rebuilt from one segment's keyframe and records. */
class ReplayState {
  profile = '';
  connection: ConnectionState = { state: 'connected' };
  caches: Snapshot['caches'] = [];
  watchers: WatcherInfo[] = [];
  watchersTotal = 0;
  closed = new Ring<WatcherInfo>(CLOSED_KEPT);
  freshness = new FreshnessSeries(FRESHNESS_POINTS);
  decisions = new Ring<Decision>(DECISIONS_KEPT);
  lastDecisionId = 0;
  workload: Snapshot['workload'];
  clusterMetrics: Snapshot['clusterMetrics'];
  events = 0;

  apply(r: RecordLine): void {
    switch (r.k) {
      case 'header':
        this.profile = r.profile;
        return;
      case 'state':
        this.profile = r.profile;
        this.connection = r.connection;
        this.caches = r.caches;
        this.watchers = r.watchers;
        this.watchersTotal = r.watchersTotal;
        this.closed = new Ring(CLOSED_KEPT);
        for (const w of r.closedWatchers) this.closed.push(w);
        this.freshness.load(r.freshness);
        this.decisions = new Ring(DECISIONS_KEPT);
        for (const d of r.decisions) this.decisions.push(d);
        this.lastDecisionId = r.decisions.at(-1)?.id ?? 0;
        this.workload = r.workload;
        this.clusterMetrics = r.clusterMetrics;
        return;
      case 'tick':
        this.profile = r.profile;
        this.caches = r.caches;
        this.watchers = r.watchers;
        this.watchersTotal = r.watchersTotal;
        if (r.connection) this.connection = r.connection;
        this.workload = r.workload;
        if (r.clusterMetrics) this.clusterMetrics = r.clusterMetrics;
        this.freshness.sample(r.t, r.caches);
        return;
      case 'closed':
        this.closed.push(r.watcher);
        return;
      case 'decision':
        if (r.d.id > this.lastDecisionId) {
          this.decisions.push(r.d);
          this.lastDecisionId = r.d.id;
        }
        return;
      case 'event':
        this.events++;
        return;
      default:
        return;
    }
  }
}

export class ReplayService implements WatchscopeService {
  readonly reader: RecordingReader;
  private state = new ReplayState();
  private segment = -1;
  private records: RecordLine[] = [];
  private cursor = 0;
  private position: number;
  private playing = false;
  private speed = 1;
  private seq = 0;
  private emittedDecisionId = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly intervalMs: number;
  private readonly snapshots = new Set<Listener<Snapshot>>();
  private readonly connections = new Set<Listener<ConnectionState>>();

  constructor(
    readonly file: string,
    opts: ReplayOptions = {},
  ) {
    this.reader = RecordingReader.open(file);
    this.intervalMs = opts.intervalMs ?? 250;
    this.position = this.reader.startTime;
    this.seekTo(this.reader.startTime);
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref?.();
  }

  /** "demo · etcd 3.4.23", "kube · prod (https://…) · v1.36.0". */
  describe(): string {
    const s = this.reader.header.source;
    return [s.mode, s.mode === 'demo' ? undefined : s.target, s.version ? (s.mode === 'kube' ? s.version : `etcd ${s.version}`) : undefined].filter(Boolean).join(' · ');
  }

  status(): ReplayStatus {
    return {
      file: basename(this.file),
      of: this.describe(),
      recordedWith: `watchscope ${this.reader.header.watchscope}`,
      start: this.reader.startTime,
      end: this.reader.endTime,
      position: this.position,
      playing: this.playing,
      speed: this.speed,
      cut: !this.reader.ended,
      droppedSegments: this.reader.segments[0]!.seq,
      valuesRecorded: this.reader.header.values,
    };
  }

  /** The recorded state at the current position. */
  snapshot(): Snapshot {
    const st = this.state;
    const fresh: Decision[] = [];
    for (let i = st.decisions.length - 1; i >= 0 && fresh.length < DECISIONS_PER_SNAPSHOT; i--) {
      const d = st.decisions.at(i)!;
      if (d.id <= this.emittedDecisionId) break;
      fresh.push(d);
    }
    fresh.reverse();
    this.emittedDecisionId = st.lastDecisionId;
    const snap: Snapshot = {
      seq: ++this.seq,
      time: this.position,
      connection: { ...st.connection, state: st.connection.state === 'reconnecting' ? 'reconnecting' : 'connected' },
      profile: st.profile || this.reader.header.profile,
      caches: st.caches,
      watchers: st.watchers,
      watchersTotal: st.watchersTotal,
      closedWatchers: st.closed.toArray(),
      freshness: st.freshness.toRecord(),
      decisions: fresh,
      lastDecisionId: st.lastDecisionId,
      replay: this.status(),
    };
    if (st.workload) snap.workload = st.workload;
    if (st.clusterMetrics) snap.clusterMetrics = st.clusterMetrics;
    return snap;
  }

  /** Moves the timeline to `t` (clamped to the recording). */
  seekTo(t: number): void {
    const target = Math.min(Math.max(t, this.reader.startTime), this.reader.endTime);
    const seg = this.reader.segmentAt(target);
    if (seg !== this.segment || target < this.position) {
      this.segment = seg;
      this.records = this.reader.readSegment(seg).records;
      this.cursor = 0;
      this.state = new ReplayState();
      this.emittedDecisionId = 0;
    }
    this.advance(target);
  }

  /** Applies records up to `target`, crossing into later segments as needed. */
  private advance(target: number): void {
    for (;;) {
      while (this.cursor < this.records.length && this.records[this.cursor]!.t <= target) this.state.apply(this.records[this.cursor++]!);
      if (this.cursor < this.records.length || this.segment + 1 >= this.reader.segments.length) break;
      if (this.reader.segments[this.segment + 1]!.startTime > target) break;
      // The next segment starts with a keyframe; continue there (its state supersedes ours).
      this.segment++;
      this.records = this.reader.readSegment(this.segment).records;
      this.cursor = 0;
    }
    this.position = target;
  }

  private tick(): void {
    if (this.playing) {
      const next = this.position + this.intervalMs * this.speed;
      if (next >= this.reader.endTime) this.playing = false;
      this.advance(Math.min(next, this.reader.endTime));
    }
    this.emit();
  }

  private emit(): void {
    if (this.snapshots.size === 0) return;
    const s = this.snapshot();
    for (const fn of this.snapshots) {
      try {
        fn(s);
      } catch {
        // one listener's failure must not stop the others
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // Contract

  async replayControl(req: ReplayControlRequest): Promise<ReplayStatus> {
    if (req.speed !== undefined) this.speed = req.speed;
    if (req.seek !== undefined) this.seekTo(req.seek);
    if (req.play !== undefined) {
      // Play at the end starts over.
      if (req.play && this.position >= this.reader.endTime) this.seekTo(this.reader.startTime);
      this.playing = req.play;
    }
    this.emit();
    return this.status();
  }

  async getDecisions(req: GetDecisionsRequest): Promise<DecisionPage> {
    const max = Math.min(req.max ?? MAX_DECISIONS_PAGE, MAX_DECISIONS_PAGE);
    const out: Decision[] = [];
    const ring = this.state.decisions;
    for (let i = ring.length - 1; i >= 0 && out.length < max; i--) {
      const d = ring.at(i)!;
      if (d.id <= req.since) break;
      out.push(d);
    }
    return { decisions: out.reverse(), lastDecisionId: this.state.lastDecisionId };
  }

  async listProfiles(): Promise<ProfileList> {
    const current = this.state.profile || this.reader.header.profile;
    return { current, profiles: allProfiles.map((p) => ({ name: p.name, description: `Kubernetes ${p.label}`, gates: { ...p.gates } })) };
  }

  async listContexts(): Promise<KubeContextList> {
    return { contexts: [], error: `This is a replay of ${basename(this.file)}: nothing connects during a replay.` };
  }

  private refuse(what: string): never {
    throw new Error(`This is a replay of ${basename(this.file)} (${this.describe()}): ${what}.`);
  }

  async connect(): Promise<ConnectionState> {
    return this.refuse('nothing connects during a replay');
  }

  async disconnect(): Promise<ConnectionState> {
    return this.refuse('there is no connection to close');
  }

  async setProfile(): Promise<ProfileList> {
    return this.refuse('the profile is the recorded one; re-run it under another with `watchscope replay FILE --profile X --compare`');
  }

  async runRequest(): Promise<never> {
    return this.refuse('no requests are sent during a replay');
  }

  async stopWatch(): Promise<void> {
    return this.refuse('no watches run during a replay');
  }

  async whatIf(): Promise<WhatIfResult> {
    return this.refuse('what-if needs a live cache');
  }

  async setWorkload(): Promise<WorkloadState> {
    return this.refuse('there is no workload during a replay');
  }

  async setRecording(): Promise<RecordResult> {
    return this.refuse('a replay is not recorded again');
  }

  async checkConsistency(): Promise<ConsistencyResults> {
    return this.refuse('a replay reads no etcd; the checks made while recording show in Freshness');
  }

  async timeTravel(): Promise<TimeTravelState> {
    return this.refuse('a replay asks no cluster; run the time-travel check in a live session or with `watchscope time-travel`');
  }

  /** The re-run reads the file afresh (its own reader and cachers): the timeline is not disturbed. */
  async rerunReplay(req: RerunRequest): Promise<RerunResult> {
    return rerunRecording(this.file, req.profile, req.gates ?? {});
  }

  async sessionReport(): Promise<SessionReport> {
    return reportOf(this.file);
  }

  async getClients(): Promise<ClientsReport> {
    return this.refuse('the Clients view aggregates a live session\'s traffic; the recorded requests are in Requests');
  }

  async upgradeReport(): Promise<UpgradeReport> {
    return this.refuse('the upgrade report covers a live session\'s traffic; "Compare under another profile" re-runs this recording');
  }

  onSnapshot(fn: (s: Snapshot) => void): () => void {
    this.snapshots.add(fn);
    return () => this.snapshots.delete(fn);
  }

  onConnection(fn: (c: ConnectionState) => void): () => void {
    this.connections.add(fn);
    return () => this.connections.delete(fn);
  }

  onConsoleEvent(_fn: (e: ConsoleEvent) => void): () => void {
    return () => undefined;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.playing = false;
    this.reader.close();
  }
}
