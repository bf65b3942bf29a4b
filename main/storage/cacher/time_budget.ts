// timeBudget (cacher/time_budget.go): how long the dispatcher may block on slow watchers. It
// starts empty, refills at 50ms per second up to 100ms, and the unused part of what was taken is
// returned, so a steady stream of slow watchers costs at most ~5% of dispatch time.
import type { Clock } from './clock.js';

export const refreshPerSecondMs = 50;
export const maxBudgetMs = 100;

export class TimeBudget {
  private budget = 0;
  private last: number;
  constructor(private readonly clock: Clock, private readonly max = maxBudgetMs, private readonly perSecond = refreshPerSecondMs) {
    this.last = clock.now();
  }

  private refresh(): void {
    const now = this.clock.now();
    const elapsed = Math.max(0, now - this.last);
    this.last = now;
    this.budget = Math.min(this.max, this.budget + (elapsed / 1000) * this.perSecond);
  }

  /** Takes the whole available budget (ms). */
  takeAvailable(): number {
    this.refresh();
    const b = this.budget;
    this.budget = 0;
    return b;
  }

  /** Gives back what was not spent. */
  returnUnused(ms: number): void {
    this.refresh();
    if (ms <= 0) return;
    this.budget = Math.min(this.max, this.budget + ms);
  }
}
