import { describe, expect, it } from 'vitest';
import { FakeClock } from './clock.js';
import { TimeBudget } from './time_budget.js';

describe('timeBudget', () => {
  it('starts at 0, accrues 50ms per second, caps at 100ms, takes all and returns unused', () => {
    const c = new FakeClock();
    const b = new TimeBudget(c);
    expect(b.takeAvailable()).toBe(0);
    c.advance(1000);
    expect(b.takeAvailable()).toBeCloseTo(50);
    expect(b.takeAvailable()).toBe(0);
    c.advance(10_000);
    expect(b.takeAvailable()).toBeCloseTo(100);
    b.returnUnused(30);
    expect(b.takeAvailable()).toBeCloseTo(30);
    b.returnUnused(500);
    expect(b.takeAvailable()).toBeCloseTo(100);
  });
});
