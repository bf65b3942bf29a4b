// Records a live session into a recording file: the telemetry snapshots as ticks (caches with
// their freshness figures, watchers with their buffer fill), watcher lifecycles, every routing
// decision, and what the cachers ingested from their source (lists, events with revisions,
// progress). Each new segment opens with the header and a keyframe of the bounded view state, so
// a replay can start at any segment. Credentials are never in a snapshot, a decision or an
// event; object values only when asked for, with Secret data redacted even then.
import type { ConnectionState, Decision, RecordingStatus, Snapshot, WatcherInfo } from '../../shared/model.js';
import type { DecisionLog } from '../storage/decisions.js';
import { Ring } from '../util/ring.js';
import { FORMAT_NAME, FORMAT_VERSION, type HeaderRecord, type OnLimit, type RecordedObject, type RecordLine, type SourceDescription } from './format.js';
import { recordObject } from './objects.js';
import type { SourceTap } from './tap.js';
import { RecordingWriter } from './writer.js';

export const WATCHSCOPE_VERSION = '0.1.0';
/** Default size limit of a recording. */
export const DEFAULT_RECORDING_MAX_BYTES = 512 << 20;
/** Decisions carried by each segment's keyframe, for the request log after a seek. */
const KEYFRAME_DECISIONS = 1000;
/** Items a list record keeps; a bigger list is counted, its tail not recorded. */
const MAX_LIST_ITEMS = 200_000;

export interface RecorderOptions {
  file: string;
  values?: boolean;
  maxBytes?: number;
  onLimit?: OnLimit;
  /** How often pending lines are compressed and written (what a crash can lose at most). */
  flushMs?: number;
  segmentMs?: number;
  segmentBytes?: number;
  clock?: () => number;
}

export interface RecorderInputs {
  profile(): string;
  source(): SourceDescription;
  resources(): string[];
  /** The latest snapshot, for the first keyframe. */
  snapshot(): Snapshot | undefined;
  onSnapshot(fn: (s: Snapshot) => void): () => void;
  decisions: DecisionLog;
  tap: SourceTap;
}

const watcherKey = (w: WatcherInfo) => `${w.resource}|${w.replica ?? ''}|${w.id}`;

/** Connection state as recorded: the endpoint's kubeconfig path stays out (it names a token file). */
function recordedConnection(c: ConnectionState): ConnectionState {
  const { kubeconfigPath: _k, ...rest } = c;
  void _k;
  return rest;
}

export class Recorder {
  private readonly writer: RecordingWriter;
  private readonly clock: () => number;
  private readonly recent = new Ring<Decision>(KEYFRAME_DECISIONS);
  private last: Snapshot | undefined;
  private liveKeys = new Set<string>();
  private closedKeys = new Set<string>();
  private lastConnection = '';
  private lastMetricsAt = -1;
  private stateWritten = false;
  private readonly offs: (() => void)[] = [];
  private timer: ReturnType<typeof setInterval> | undefined;
  private failure: string | undefined;
  private readonly values: boolean;
  private readonly startedAt: number;

  constructor(
    private readonly inputs: RecorderInputs,
    private readonly o: RecorderOptions,
  ) {
    this.clock = o.clock ?? Date.now;
    this.values = o.values ?? false;
    this.startedAt = this.clock();
    this.last = inputs.snapshot();
    if (this.last) this.noteSnapshot(this.last);
    this.writer = new RecordingWriter({
      file: o.file,
      maxBytes: o.maxBytes ?? DEFAULT_RECORDING_MAX_BYTES,
      onLimit: o.onLimit ?? 'dropOldest',
      clock: this.clock,
      ...(o.segmentMs ? { segmentMs: o.segmentMs } : {}),
      ...(o.segmentBytes ? { segmentBytes: o.segmentBytes } : {}),
      segmentStart: (seq, t) => this.opening(seq, t),
    });
    this.offs.push(
      inputs.onSnapshot((s) => this.guard(() => this.onSnapshot(s))),
      inputs.decisions.subscribe((d) => this.guard(() => this.onDecision(d))),
      inputs.tap.subscribe({
        onList: (prefix, r) =>
          this.guard(() => {
            const items = r.items.slice(0, MAX_LIST_ITEMS).map((i) => recordObject(i, this.values));
            const rec: RecordLine = { k: 'list', t: this.clock(), prefix, rv: r.resourceVersion, items };
            if (r.items.length > MAX_LIST_ITEMS) rec.truncated = r.items.length - MAX_LIST_ITEMS;
            this.writer.append(rec);
          }),
        onEvents: (prefix, events) =>
          this.guard(() => {
            const t = this.clock();
            for (const e of events) {
              const rec: RecordLine = { k: 'event', t, prefix, type: e.type, rv: e.resourceVersion, object: recordObject(e.object, this.values) };
              if (e.prevObject) rec.prevRv = e.prevObject.resourceVersion;
              this.writer.append(rec);
            }
          }),
        onProgress: (prefix, rv) => this.guard(() => this.writer.append({ k: 'progress', t: this.clock(), prefix, rv })),
      }),
    );
    this.timer = setInterval(() => this.guard(() => this.writer.flush()), o.flushMs ?? 1000);
    this.timer.unref?.();
  }

  /** The contents a cache already held when recording started. */
  initialList(prefix: string, rv: number, items: RecordedObject[]): void {
    this.guard(() => this.writer.append({ k: 'list', t: this.clock(), prefix, rv, items: items.slice(0, MAX_LIST_ITEMS), initial: true }));
  }

  /** Writes what is pending now (the timer does this every flushMs). */
  flush(): void {
    this.guard(() => this.writer.flush());
  }

  get active(): boolean {
    return this.writer.recording && !this.failure;
  }

  status(): RecordingStatus {
    const w = this.writer.status();
    const s: RecordingStatus = {
      file: w.file,
      state: this.failure ? 'failed' : w.state,
      bytes: w.bytes,
      maxBytes: w.maxBytes,
      onLimit: w.onLimit,
      segments: w.segments,
      droppedSegments: w.droppedSegments,
      records: w.records,
      values: this.values,
      startedAt: this.startedAt,
    };
    if (this.failure) s.message = this.failure;
    else if (w.state === 'limitReached') s.message = `stopped at the size limit (${w.maxBytes} bytes)`;
    return s;
  }

  /** Ends the recording with an `end` record and closes the file. */
  stop(reason: string): RecordingStatus {
    for (const off of this.offs.splice(0)) off();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.guard(() => this.writer.close({ k: 'end', t: this.clock(), reason }));
    return this.status();
  }

  private guard(fn: () => void): void {
    if (this.failure) return;
    try {
      fn();
    } catch (e) {
      // A full disk or a removed directory ends the recording, never the session.
      this.failure = `recording failed: ${e instanceof Error ? e.message : String(e)}`;
      for (const off of this.offs.splice(0)) off();
      if (this.timer) clearInterval(this.timer);
    }
  }

  private header(seq: number, t: number): HeaderRecord {
    return {
      k: 'header',
      t,
      format: FORMAT_NAME,
      formatVersion: FORMAT_VERSION,
      watchscope: WATCHSCOPE_VERSION,
      startedAt: this.startedAt,
      segment: seq,
      profile: this.inputs.profile(),
      source: this.inputs.source(),
      resources: this.inputs.resources(),
      values: this.values,
      limit: { bytes: this.o.maxBytes ?? DEFAULT_RECORDING_MAX_BYTES, onLimit: this.o.onLimit ?? 'dropOldest' },
    };
  }

  private opening(seq: number, t: number): RecordLine[] {
    const out: RecordLine[] = [this.header(seq, t)];
    // Before the session's first snapshot there is no state yet: the first tick brings it.
    this.stateWritten = !!this.last;
    if (this.last) out.push(this.stateRecord(this.last, t));
    return out;
  }

  private stateRecord(s: Snapshot, t: number): RecordLine {
    const state: RecordLine = {
        k: 'state',
        t,
        profile: s.profile,
        connection: recordedConnection(s.connection),
        caches: s.caches,
        watchers: s.watchers,
        watchersTotal: s.watchersTotal,
        closedWatchers: s.closedWatchers,
        freshness: s.freshness,
        decisions: this.recent.toArray(),
      };
      if (s.workload) state.workload = s.workload;
      if (s.clusterMetrics) state.clusterMetrics = s.clusterMetrics;
      return state;
  }

  /** What the first state holds already; watchers opened or closed since recording began still get their records. */
  private noteSnapshot(s: Snapshot): void {
    this.liveKeys = new Set(s.watchers.filter((w) => w.createdAt < this.startedAt).map(watcherKey));
    this.closedKeys = new Set(s.closedWatchers.filter((w) => (w.closedAt ?? 0) < this.startedAt).map(watcherKey));
    this.lastConnection = JSON.stringify(recordedConnection(s.connection));
    this.lastMetricsAt = s.clusterMetrics?.scrapedAt ?? -1;
  }

  private onSnapshot(s: Snapshot): void {
    const t = s.time;
    if (!this.stateWritten) {
      this.writer.append(this.stateRecord(s, t));
      this.stateWritten = true;
      this.noteSnapshot(s);
    }
    const live = new Set<string>();
    for (const w of s.watchers) {
      const k = watcherKey(w);
      live.add(k);
      if (!this.liveKeys.has(k)) this.writer.append({ k: 'opened', t, watcher: w });
    }
    const closed = new Set<string>();
    for (const w of s.closedWatchers) {
      const k = watcherKey(w);
      closed.add(k);
      if (!this.closedKeys.has(k)) this.writer.append({ k: 'closed', t: w.closedAt ?? t, watcher: w });
    }
    this.liveKeys = live;
    this.closedKeys = closed;
    const tick: RecordLine = { k: 'tick', t, profile: s.profile, caches: s.caches, watchers: s.watchers, watchersTotal: s.watchersTotal };
    const conn = recordedConnection(s.connection);
    const connText = JSON.stringify(conn);
    if (connText !== this.lastConnection) {
      tick.connection = conn;
      this.lastConnection = connText;
    }
    if (s.workload) tick.workload = s.workload;
    if (s.clusterMetrics && s.clusterMetrics.scrapedAt !== this.lastMetricsAt) {
      tick.clusterMetrics = s.clusterMetrics;
      this.lastMetricsAt = s.clusterMetrics.scrapedAt;
    }
    this.writer.append(tick);
    this.last = s;
  }

  private onDecision(d: Decision): void {
    this.recent.push(d);
    this.writer.append({ k: 'decision', t: d.time, d });
  }
}
