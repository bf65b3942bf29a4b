// Recording as the session offers it: started by `--record FILE` or the UI's Record button
// (the main process then names the file in its recordings folder), stopped by the user, by the
// size limit, or when the connection ends. The last status stays for the header's indicator.
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ConnectionState, RecordingStatus, Snapshot } from '../../shared/model.js';
import type { Cacher } from '../storage/cacher/cacher.js';
import type { DecisionLog } from '../storage/decisions.js';
import { everythingFields } from '../storage/selectors/field_selector.js';
import { everythingLabels } from '../storage/selectors/label_selector.js';
import { RECORDING_EXT, type OnLimit } from './format.js';
import { reportOf } from './report.js';
import { recordObject } from './objects.js';
import { Recorder, type RecorderOptions } from './recorder.js';
import type { SourceTap } from './tap.js';

export interface RecordingHost {
  /** Open connection, or undefined. */
  live(): { mode: 'etcd' | 'kube' | 'demo' | 'audit'; decisions: DecisionLog; resources(): string[]; cachers(): Cacher[] } | undefined;
  profile(): string;
  connection(): ConnectionState;
  lastSnapshot(): Snapshot | undefined;
  onSnapshot(fn: (s: Snapshot) => void): () => void;
  tap: SourceTap;
}

export interface StartRecording {
  /** Where to write; default: a new file in the recordings folder. */
  file?: string;
  values?: boolean;
  maxBytes?: number;
  onLimit?: OnLimit;
}

export class SessionRecording {
  private recorder: Recorder | undefined;
  private lastStatus: RecordingStatus | undefined;

  constructor(
    private readonly host: RecordingHost,
    private readonly opts: { dir?: string; tuning?: Pick<RecorderOptions, 'flushMs' | 'segmentMs' | 'segmentBytes'> } = {},
  ) {}

  get active(): boolean {
    return !!this.recorder;
  }

  status(): RecordingStatus | undefined {
    return this.recorder?.status() ?? this.lastStatus;
  }

  async start(req: StartRecording): Promise<RecordingStatus> {
    const live = this.host.live();
    if (!live) throw new Error('Not connected: connect to etcd, a cluster or the demo before recording.');
    if (this.recorder) throw new Error(`Already recording to ${this.recorder.status().file}.`);
    const c = this.host.connection();
    const file = req.file ?? this.defaultFile(live.mode);
    const recorder = new Recorder(
      {
        profile: () => this.host.profile(),
        source: () => {
          const conn = this.host.connection();
          return {
            mode: conn.mode ?? live.mode,
            target: conn.target ?? c.target ?? live.mode,
            ...(conn.sourceVersion ? { version: conn.sourceVersion } : {}),
            ...(conn.supportsRequestWatchProgress !== undefined ? { supportsRequestWatchProgress: conn.supportsRequestWatchProgress } : {}),
          };
        },
        resources: () => live.resources(),
        snapshot: () => this.host.lastSnapshot(),
        onSnapshot: (fn) => this.host.onSnapshot(fn),
        decisions: live.decisions,
        tap: this.host.tap,
      },
      {
        file,
        ...(req.values !== undefined ? { values: req.values } : {}),
        ...(req.maxBytes !== undefined ? { maxBytes: req.maxBytes } : {}),
        ...(req.onLimit ? { onLimit: req.onLimit } : {}),
        ...this.opts.tuning,
      },
    );
    this.recorder = recorder;
    // What the caches already hold (events from here on come through the tap).
    for (const cacher of live.cachers()) {
      try {
        const r = await cacher.list({ labelSelector: everythingLabels(), fieldSelector: everythingFields(), minResourceVersion: 0 });
        recorder.initialList(cacher.config.collectionKey, r.resourceVersion, r.items.map((i) => recordObject(i, req.values ?? false)));
      } catch {
        // A cache that is not ready yet records its list when it makes it.
      }
    }
    return recorder.status();
  }

  stop(reason: string): RecordingStatus | undefined {
    const r = this.recorder;
    if (!r) return this.lastStatus;
    this.recorder = undefined;
    this.lastStatus = r.stop(reason);
    return this.lastStatus;
  }

  /** The report of the recording under way, else of the last one stopped. */
  report(): { fileName: string; html: string } {
    const file = this.status()?.file;
    if (!file) throw new Error('Nothing was recorded: press Record (or start with --record FILE), then ask for the report.');
    return reportOf(file);
  }

  private defaultFile(mode: string): string {
    const dir = this.opts.dir ?? join(homedir(), 'watchscope-recordings');
    mkdirSync(dir, { recursive: true });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    return join(dir, `watchscope-${mode}-${stamp}${RECORDING_EXT}`);
  }
}
