// The cacher's readiness (cacher/ready.go): Pending ⇄ Ready → Stopped. The generation increments
// each time Ready is entered so a watch registered against an older generation can be refused.
// unreadySince feeds the 1.33+ Retry-After rule for 429 "storage is (re)initializing" (KEP-4568,
// resilient watch cache initialization).
import type { Clock } from './clock.js';

export type ReadyState = 'Pending' | 'Ready' | 'Stopped';

export class Ready {
  private s: ReadyState = 'Pending';
  private gen = 0;
  private since: number;
  private waiters: (() => void)[] = [];

  constructor(private readonly clock: Clock) {
    this.since = clock.now();
  }

  get state(): ReadyState {
    return this.s;
  }
  get generation(): number {
    return this.gen;
  }
  /** When the cacher last left Ready (or was created); undefined while Ready. */
  get unreadySince(): number | undefined {
    return this.s === 'Ready' ? undefined : this.since;
  }

  set(ready: boolean): void {
    if (this.s === 'Stopped') return;
    if (ready && this.s !== 'Ready') {
      this.s = 'Ready';
      this.gen++;
      const w = this.waiters;
      this.waiters = [];
      for (const f of w) f();
    } else if (!ready && this.s === 'Ready') {
      this.s = 'Pending';
      this.since = this.clock.now();
    }
  }

  stop(): void {
    this.s = 'Stopped';
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves when Ready or Stopped. */
  wait(): Promise<void> {
    if (this.s !== 'Pending') return Promise.resolve();
    return new Promise((r) => this.waiters.push(r));
  }

  /** 1.33+ (cacher/util.go): Retry-After = clamp(e^(0.06·seconds unready), 1, 30). */
  retryAfterSeconds(): number {
    const since = this.unreadySince;
    if (since === undefined) return 1;
    const s = (this.clock.now() - since) / 1000;
    return Math.max(1, Math.min(30, Math.floor(Math.exp(0.06 * s))));
  }
}
