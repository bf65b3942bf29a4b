import { describe, expect, it } from 'vitest';
import { WatchCacheHistory, upperBoundCapacityFor, type WatchCacheEvent } from './watch_cache_history.js';

const ev = (rv: number, t: number): WatchCacheEvent => ({ type: 'ADDED', key: `/k/${rv}`, resourceVersion: rv, recordTime: t });

describe('watchCache history resize rule', () => {
  it('grows ×2 when full and the oldest event is younger than the window', () => {
    const resizes: string[] = [];
    const h = new WatchCacheHistory(75_000, 100, undefined, (k, f, t) => resizes.push(`${k}:${f}->${t}`));
    for (let i = 1; i <= 100; i++) h.add(ev(i, i));
    expect(h.capacity).toBe(100);
    h.add(ev(101, 101));
    expect(h.capacity).toBe(200);
    expect(h.length).toBe(101);
    expect(h.removedEventSinceRelist).toBe(false);
    expect(resizes).toEqual(['grow:100->200']);
  });

  it('evicts the oldest when neither rule applies and remembers it', () => {
    const h = new WatchCacheHistory(75_000, 100);
    // Oldest older than the window, but the quarter-probe is young: evict.
    for (let i = 1; i <= 100; i++) h.add(ev(i, i <= 10 ? 0 : 100_000));
    h.add(ev(101, 100_001));
    expect(h.capacity).toBe(100);
    expect(h.length).toBe(100);
    expect(h.oldest()!.resourceVersion).toBe(2);
    expect(h.removedEventSinceRelist).toBe(true);
    expect(h.lastRemovedResourceVersion).toBe(1);
  });

  it('shrinks ÷2 when the event at newest−capacity/4 is older than the window, never below 100', () => {
    const h = new WatchCacheHistory(75_000, 100);
    for (let i = 1; i <= 101; i++) h.add(ev(i, 0)); // grew to 200 (all young at t=0)
    expect(h.capacity).toBe(200);
    for (let i = 102; i <= 200; i++) h.add(ev(i, 0));
    expect(h.isFull()).toBe(true);
    h.add(ev(201, 200_000));
    expect(h.capacity).toBe(100);
    expect(h.length).toBe(100);
    expect(h.newest()!.resourceVersion).toBe(201);
    expect(h.removedEventSinceRelist).toBe(true);
    for (let i = 202; i <= 400; i++) h.add(ev(i, 400_000 + i * 1000));
    expect(h.capacity).toBe(100);
  });

  it('caps growth at the upper bound, scaled for longer windows', () => {
    expect(upperBoundCapacityFor(75_000)).toBe(102_400);
    expect(upperBoundCapacityFor(150_000)).toBe(204_800);
    expect(upperBoundCapacityFor(200_000)).toBe(409_600);
    // The shift stops at 14 (102400<<14 still fits an int32; <<15 would not).
    expect(upperBoundCapacityFor(75_000 * 2 ** 14)).toBe(102_400 * 2 ** 14);
    expect(upperBoundCapacityFor(75_000 * 2 ** 20)).toBe(1_677_721_600);
    const h = new WatchCacheHistory(75_000, 100, 400);
    for (let i = 1; i <= 1000; i++) h.add(ev(i, 0));
    expect(h.capacity).toBe(400);
    expect(h.length).toBe(400);
  });

  it('finds the first event after an RV and resets on Replace without reusing indexes', () => {
    const h = new WatchCacheHistory(75_000, 100);
    for (const rv of [5, 7, 7, 9]) h.add(ev(rv, 0));
    expect(h.since(7).map((e) => e.resourceVersion)).toEqual([9]);
    expect(h.since(6).map((e) => e.resourceVersion)).toEqual([7, 7, 9]);
    expect(h.since(4)).toHaveLength(4);
    const end = h.endIndex;
    h.reset();
    expect(h.length).toBe(0);
    expect(h.startIndex).toBe(end);
  });
});
