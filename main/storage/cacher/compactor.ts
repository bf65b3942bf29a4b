// The cacher's compactor (cacher/compactor.go, 1.34+): every 15 s it reads the compaction
// revision the etcd3 store has learned and drops the watch cache's snapshots below it, so exact
// and continue reads at a compacted revision go to etcd (and get its 410). The store learns that
// revision only from `compact_rev_key`, the key kube-apiserver's own compactor writes before it
// compacts: a compaction made directly on etcd is never seen here.
import type { Clock, TimerHandle } from './clock.js';
import type { WatchCache } from './watch_cache.js';

/** compactorPollPeriod in compactor.go. */
export const compactorPollPeriodMs = 15_000;

export class Compactor {
  /** The revision last applied to the watch cache (Revision(); 0 = none yet). */
  revision = 0;
  private timer: TimerHandle | undefined;
  private stopped = false;

  constructor(
    /** The store's CompactRevision(): the newest compact_rev_key value seen, 0 if none. */
    private readonly storeCompactRevision: () => number,
    private readonly watchCache: WatchCache,
    private readonly clock: Clock,
    private readonly periodMs = compactorPollPeriodMs,
  ) {}

  start(): void {
    if (this.stopped || this.timer) return;
    const tick = () => {
      this.compactIfNeeded();
      if (!this.stopped) this.timer = this.clock.setTimeout(tick, this.periodMs);
    };
    this.timer = this.clock.setTimeout(tick, this.periodMs);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  compactIfNeeded(): void {
    const rev = this.storeCompactRevision();
    if (rev <= 0 || rev <= this.revision) return;
    this.watchCache.compact(rev);
    this.revision = rev;
  }
}
