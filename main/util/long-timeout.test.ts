import { afterEach, describe, expect, it, vi } from 'vitest';
import { setLongTimeout } from './long-timeout.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('setLongTimeout', () => {
  it('waits out a delay past 2^31-1 ms instead of firing at once', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const fired = vi.fn();
    setLongTimeout(fired, 2_147_484_000); // timeoutSeconds=2147484
    vi.advanceTimersByTime(10);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(2 ** 31 - 1);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(2_147_484_000 - (2 ** 31 - 1));
    expect(fired).toHaveBeenCalledTimes(1);
  });

  it('fires short and past delays like setTimeout, and clear() stops it', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const a = vi.fn();
    const b = vi.fn();
    const c = vi.fn();
    setLongTimeout(a, 50);
    setLongTimeout(b, -5);
    setLongTimeout(c, 50).clear();
    vi.advanceTimersByTime(0);
    expect(b).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(50);
    expect(a).toHaveBeenCalledTimes(1);
    expect(c).not.toHaveBeenCalled();
  });
});
