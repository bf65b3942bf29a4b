import { describe, expect, it } from 'vitest';
import { createFrameQueue, type FrameClock } from './frame-queue.js';

/** A clock whose frames the test fires by hand. */
function manualClock(): FrameClock & { frame(): void; requested: number } {
  let pending: (() => void)[] = [];
  return {
    requested: 0,
    request(run) {
      this.requested++;
      pending.push(run);
    },
    frame() {
      const now = pending;
      pending = [];
      now.forEach((r) => r());
    },
  };
}

/** A queue on a manual clock, two owners, and the log of what ran. */
function setup() {
  const clock = manualClock();
  return { clock, q: createFrameQueue(clock), ran: [] as string[], a: {}, b: {} };
}

describe('frame queue', () => {
  it('runs one job per frame, in the order first queued', () => {
    const { clock, q, ran, a, b } = setup();
    q.schedule(a, () => ran.push('a'));
    q.schedule(b, () => ran.push('b'));
    expect(ran).toEqual([]);
    clock.frame();
    expect(ran).toEqual(['a']);
    clock.frame();
    expect(ran).toEqual(['a', 'b']);
    clock.frame();
    expect(ran).toEqual(['a', 'b']);
  });

  it('a job queued again before it ran is replaced by the newest and keeps its place', () => {
    const { clock, q, ran, a, b } = setup();
    q.schedule(a, () => ran.push('a1'));
    q.schedule(b, () => ran.push('b1'));
    q.schedule(a, () => ran.push('a2'));
    clock.frame();
    clock.frame();
    expect(ran).toEqual(['a2', 'b1']);
  });

  it('a cancelled job never runs, and an empty queue asks for no frames', () => {
    const { clock, q, ran, a } = setup();
    q.schedule(a, () => ran.push('a'));
    q.cancel(a);
    clock.frame();
    expect(ran).toEqual([]);
    const asked = clock.requested;
    clock.frame();
    expect(clock.requested).toBe(asked);
  });
});
