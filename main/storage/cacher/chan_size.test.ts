import { describe, expect, it } from 'vitest';
import { watchChanSize } from './chan_size.js';

describe('watch chan size heuristic', () => {
  it.each([
    // capacity, window, hasTrigger, triggerUsed, size, rule
    [100, 75_000, false, false, 10, 'noIndex'],
    [7500, 75_000, false, false, 100, 'noIndex'],
    [102_400, 75_000, false, false, 100, 'noIndex'],
    [102_400, 75_000, true, false, 1000, 'indexWithoutTrigger'],
    [102_400, 75_000, true, true, 10, 'indexWithTrigger'],
    [100, 75_000, true, true, 10, 'indexWithTrigger'],
    [30_000, 75_000, true, false, 400, 'indexWithoutTrigger'],
    [30_000, 150_000, false, false, 100, 'noIndex'],
    [3000, 150_000, false, false, 20, 'noIndex'],
    [200, 1500, true, false, 134, 'indexWithoutTrigger'],
  ])('capacity %i window %ims trigger %s used %s → %i (%s)', (cap, win, t, u, size, rule) => {
    expect(watchChanSize(cap, win, t, u)).toEqual({ size, rule });
  });
});
