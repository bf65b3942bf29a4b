// Turns the storage layer's live views into bounded Snapshots at a fixed rate. Nothing per event
// or per request crosses to the UI: live watchers are capped, closed watchers, freshness points
// and decisions live in fixed-size rings, so memory stays flat however long a session runs.
import { Snapshot, type CacheInfo, type ConnectionState, type WatcherInfo } from '../../shared/model.js';
import type { CacherView } from '../storage/cacher/types.js';
import type { DecisionLog } from '../storage/decisions.js';
import { ClosedWatcherLog } from './closed-watchers.js';
import { capClusterMetrics } from './cluster-metrics.js';
import { FreshnessSeries } from './freshness.js';

export interface TelemetryOptions {
  caches: () => CacherView[];
  decisions: DecisionLog;
  connection: () => ConnectionState;
  profile: () => string;
  workload?: () => Snapshot['workload'];
  /** kube mode: the latest scrape of the cluster's /metrics (capped again here: it crosses to the UI). */
  clusterMetrics?: () => Snapshot['clusterMetrics'];
  clock?: () => number;
  /** Live watchers sent per snapshot (the fullest buffers win when there are more). */
  maxWatchers?: number;
  /** Closed watchers kept, newest last. */
  maxClosed?: number;
  /** Points per freshness series (at 4 snapshots/s, 300 points = 75 s, upstream's event window). */
  freshnessPoints?: number;
  /** Decisions carried by one snapshot; older ones beyond this are left to the on-demand log. */
  decisionsPerSnapshot?: number;
  /** Parse every snapshot with the zod schema before handing it out (tests, debugging). */
  validate?: boolean;
}

const fill = (w: WatcherInfo): number => (w.capacity > 0 ? (w.inputLen + w.resultLen) / (2 * w.capacity) : 0);

export class Telemetry {
  private readonly clock: () => number;
  private readonly maxWatchers: number;
  private readonly decisionsPerSnapshot: number;
  private readonly closed: ClosedWatcherLog;
  private readonly freshness: FreshnessSeries;
  private seq = 0;
  private decisionCursor: number;
  private timer: ReturnType<typeof setInterval> | undefined;
  private clusterIn: Snapshot['clusterMetrics'];
  private clusterOut: Snapshot['clusterMetrics'];

  constructor(private readonly opts: TelemetryOptions) {
    this.clock = opts.clock ?? Date.now;
    this.maxWatchers = opts.maxWatchers ?? 2000;
    this.decisionsPerSnapshot = opts.decisionsPerSnapshot ?? 200;
    this.closed = new ClosedWatcherLog(opts.maxClosed ?? 200);
    this.freshness = new FreshnessSeries(opts.freshnessPoints ?? 300);
    // The first snapshot carries what was decided since telemetry started, not the whole ring.
    this.decisionCursor = opts.decisions.lastId;
  }

  snapshot(): Snapshot {
    const now = this.clock();
    const views = this.opts.caches();
    const caches: CacheInfo[] = views.map((v) => v.info());

    let watchersTotal = 0;
    const live: WatcherInfo[] = [];
    for (const v of views) {
      const ws = v.liveWatchers();
      watchersTotal += ws.length;
      for (const w of ws) live.push(w);
    }
    let watchers = live;
    if (live.length > this.maxWatchers) {
      // Under a flood the watchers worth showing are the ones about to be force-closed.
      watchers = live.sort((a, b) => fill(b) - fill(a) || a.id - b.id).slice(0, this.maxWatchers);
      watchers.sort((a, b) => a.id - b.id);
    }

    this.closed.collect(views);
    this.freshness.sample(now, caches);

    const decisions = this.opts.decisions.since(this.decisionCursor, this.decisionsPerSnapshot);
    this.decisionCursor = this.opts.decisions.lastId;

    const snap: Snapshot = {
      seq: ++this.seq,
      time: now,
      connection: this.opts.connection(),
      profile: this.opts.profile(),
      caches,
      watchers,
      watchersTotal,
      closedWatchers: this.closed.toArray(),
      freshness: this.freshness.toRecord(),
      decisions,
      lastDecisionId: this.decisionCursor,
    };
    const workload = this.opts.workload?.();
    if (workload) snap.workload = workload;
    const clusterMetrics = this.opts.clusterMetrics?.();
    if (clusterMetrics) {
      // The scrape changes every 15 s, snapshots come 4 times a second: cap each result once.
      if (clusterMetrics !== this.clusterIn) this.clusterOut = capClusterMetrics((this.clusterIn = clusterMetrics));
      snap.clusterMetrics = this.clusterOut!;
    }
    return this.opts.validate ? Snapshot.parse(snap) : snap;
  }

  /** Emits a snapshot every `intervalMs`. A failing snapshot is reported and the timer keeps going. */
  start(intervalMs = 250, onSnapshot: (s: Snapshot) => void, onError?: (e: unknown) => void): void {
    this.stop();
    this.timer = setInterval(() => {
      try {
        onSnapshot(this.snapshot());
      } catch (e) {
        onError?.(e);
      }
    }, intervalMs);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  get running(): boolean {
    return this.timer !== undefined;
  }
}
