// ConditionalProgressRequester (cacher/progress/watch_progress.go): while at least one read waits
// for the cache to reach a revision, ask the source for a progress notification every 100ms. An
// idle resource's etcd watch sends no events, so without this a consistent read from cache
// (KEP-2340) would wait out its 3s for a revision the cache already has everything up to.
// Upstream's timer, finding nobody waiting, is reset to fire at once: so the first request for a
// new waiter goes out immediately, unless one went out less than a period ago.
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
    // A tick already due will serve this waiter; otherwise the timer stands at zero: ask now.
    if (this.timer || this.stopped) return;
    this.tick();
  }

  private tick(): void {
    this.timer = undefined;
    if (this.waiting === 0 || this.stopped) return;
    this.requestWatchProgress();
    this.timer = this.clock.setTimeout(() => this.tick(), progressRequestPeriodMs);
  }

  /** A read stopped waiting (fresh, or gave up). The running period still ends as scheduled. */
  remove(): void {
    this.waiting = Math.max(0, this.waiting - 1);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) this.clock.clearTimeout(this.timer);
  }
}
