import { describe, expect, it } from 'vitest';
import { WatchCacheHistory, type WatchCacheEvent } from './watch_cache_history.js';
import { intervalFromHistory, intervalFromStore } from './watch_cache_interval.js';
import type { StoreElement } from './store.js';

const ev = (rv: number, t = 0): WatchCacheEvent => ({ type: 'ADDED', key: `/k/${rv}`, resourceVersion: rv, recordTime: t });
const el = (key: string): StoreElement => ({ key, namespace: '', name: key, stored: { key, resourceVersion: 1, object: { metadata: { name: key } }, encoding: 'json', size: 0 }, labels: {}, fields: {} });

const drain = (next: () => WatchCacheEvent | undefined): number[] => {
  const out: number[] = [];
  for (let e = next(); e; e = next()) out.push(e.resourceVersion);
  return out;
};

describe('watchCacheInterval', () => {
  it('from the store: one ADDED per element at the interval RV, made only when asked for', () => {
    const a = el('/k/a');
    const iv = intervalFromStore([a, el('/k/b'), el('/k/c')], 42, 7);
    expect(iv.total).toBe(3);
    const first = iv.next()!;
    expect(first).toMatchObject({ type: 'ADDED', key: '/k/a', resourceVersion: 42, recordTime: 7 });
    expect(first.cur).toBe(a);
    // The rest exists only as elements until read.
    expect(iv.next()!.key).toBe('/k/b');
    iv.release();
    expect(iv.next()).toBeUndefined();
  });

  it('from history: reads in place, ends where history ended when it was made', () => {
    const h = new WatchCacheHistory(75_000, 100);
    for (let rv = 1; rv <= 5; rv++) h.add(ev(rv));
    const iv = intervalFromHistory(h, h.firstAfter(2), h.endIndex);
    h.add(ev(6)); // after the interval: the watcher gets it from the dispatcher instead
    expect(iv.total).toBe(3);
    expect(drain(() => iv.next())).toEqual([3, 4, 5]);
  });

  it('keeps the events it still owes when the window evicts them before they were read', () => {
    const h = new WatchCacheHistory(75_000, 4, 4);
    for (let rv = 1; rv <= 4; rv++) h.add(ev(rv));
    const iv = intervalFromHistory(h, h.firstAfter(0), h.endIndex);
    expect(iv.next()!.resourceVersion).toBe(1);
    // Full at capacity 4 with no room to grow: each add evicts the oldest.
    for (let rv = 5; rv <= 10; rv++) h.add(ev(rv, 100_000));
    expect(h.oldest()!.resourceVersion).toBe(7);
    expect(drain(() => iv.next())).toEqual([2, 3, 4]);
  });

  it('keeps what it owes across a relist that empties history', () => {
    const h = new WatchCacheHistory(75_000, 100);
    for (let rv = 1; rv <= 3; rv++) h.add(ev(rv));
    const iv = intervalFromHistory(h, h.firstAfter(1), h.endIndex);
    h.reset();
    expect(drain(() => iv.next())).toEqual([2, 3]);
  });
});
