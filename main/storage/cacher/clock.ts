// Injectable time so the history resize rule, bookmarks and budgets can be tested with a fake
// clock, as upstream's watch cache uses clock.Clock.
export type TimerHandle = { readonly id: number };

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(h: TimerHandle): void;
}

let nextTimerId = 1;

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref?.();
    const h = { id: nextTimerId++, t };
    return h;
  },
  clearTimeout(h) {
    clearTimeout((h as unknown as { t: ReturnType<typeof setTimeout> }).t);
  },
};

/** A manual clock for tests: timers fire only from advance(). */
export class FakeClock implements Clock {
  private t: number;
  private timers = new Map<number, { at: number; fn: () => void }>();
  constructor(start = 1_000_000) {
    this.t = start;
  }
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = nextTimerId++;
    this.timers.set(id, { at: this.t + Math.max(0, ms), fn });
    return { id };
  }
  clearTimeout(h: TimerHandle): void {
    this.timers.delete(h.id);
  }
  /** Moves time forward, firing due timers in time order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let best: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.timers) if (e[1].at <= end && (!best || e[1].at < best[1].at)) best = e;
      if (!best) break;
      this.timers.delete(best[0]);
      this.t = Math.max(this.t, best[1].at);
      best[1].fn();
    }
    this.t = end;
  }
  get pendingTimers(): number {
    return this.timers.size;
  }
}

/** A promise resolved after `ms` on `clock`, with a cancel. */
export function sleep(clock: Clock, ms: number): { promise: Promise<void>; cancel(): void } {
  let h: TimerHandle | undefined;
  const promise = new Promise<void>((resolve) => {
    h = clock.setTimeout(resolve, ms);
  });
  return { promise, cancel: () => h && clock.clearTimeout(h) };
}

/**
 * Real time that a test can move forward at once (timers stay real): lets a test on real etcd
 * age the events in the history window past 75 s without waiting for it.
 */
export class SkewedClock implements Clock {
  private offset = 0;
  now(): number {
    return Date.now() + this.offset;
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    return realClock.setTimeout(fn, ms);
  }
  clearTimeout(h: TimerHandle): void {
    realClock.clearTimeout(h);
  }
  skip(ms: number): void {
    this.offset += ms;
  }
}
