// ConditionalProgressRequester (cacher/progress/watch_progress.go): while at least one read waits
// for the cache to reach a revision, ask the source for a progress notification every 100ms. An
// idle resource's etcd watch sends no events, so without this a consistent read from cache
// (KEP-2340) would wait out its 3s for a revision the cache already has everything up to.
import type { Clock, TimerHandle } from '../clock.js';

/** progressRequestPeriod. */
export const progressRequestPeriodMs = 100;

export class ConditionalProgressRequester {
  private waiting = 0;
  private timer?: TimerHandle;
  private stopped = false;

  /** `requestWatchProgress` asks the source once (a no-op while its watch is down). */
  constructor(
    private readonly requestWatchProgress: () => void,
    private readonly clock: Clock,
  ) {}

  /** A read started waiting. */
  add(): void {
    this.waiting++;
    if (this.waiting > 1) return;
    const tick = () => {
      if (this.waiting === 0 || this.stopped) return;
      this.requestWatchProgress();
      this.timer = this.clock.setTimeout(tick, progressRequestPeriodMs);
    };
    this.timer = this.clock.setTimeout(tick, progressRequestPeriodMs);
  }

  /** A read stopped waiting (fresh, or gave up). */
  remove(): void {
    this.waiting = Math.max(0, this.waiting - 1);
    if (this.waiting === 0 && this.timer) {
      this.clock.clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) this.clock.clearTimeout(this.timer);
  }
}
