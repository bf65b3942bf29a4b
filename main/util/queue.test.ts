import { describe, expect, it } from 'vitest';
import { BoundedQueue } from './queue.js';

describe('BoundedQueue', () => {
  it('is first in, first out', () => {
    const q = new BoundedQueue<number>(10);
    for (let i = 0; i < 5; i++) q.push(i);
    expect(q.peek()).toBe(0);
    expect([q.shift(), q.shift(), q.shift()]).toEqual([0, 1, 2]);
    q.push(5);
    expect(q.length).toBe(3);
    expect([q.shift(), q.shift(), q.shift(), q.shift()]).toEqual([3, 4, 5, undefined]);
    expect(q.peek()).toBeUndefined();
  });

  it('refuses the item past its capacity and takes one again after a shift', () => {
    const q = new BoundedQueue<string>(3);
    expect(q.push('a') && q.push('b') && q.push('c')).toBe(true);
    expect(q.full).toBe(true);
    expect(q.push('d')).toBe(false);
    expect(q.length).toBe(3);
    expect(q.shift()).toBe('a');
    expect(q.full).toBe(false);
    expect(q.push('d')).toBe(true);
    expect([q.shift(), q.shift(), q.shift()]).toEqual(['b', 'c', 'd']);
  });

  it('keeps order across growth while the head has wrapped around', () => {
    const q = new BoundedQueue<number>(1000);
    let next = 0;
    let expected = 0;
    // Interleave pushes and shifts so the circular array wraps before each growth.
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 13; i++) expect(q.push(next++)).toBe(true);
      for (let i = 0; i < 7; i++) expect(q.shift()).toBe(expected++);
    }
    expect(q.length).toBe(next - expected);
    while (q.length) expect(q.shift()).toBe(expected++);
    expect(expected).toBe(next);
  });

  it('fills to exactly a capacity that is not a power of two', () => {
    const q = new BoundedQueue<number>(100);
    for (let i = 0; i < 100; i++) expect(q.push(i)).toBe(true);
    expect(q.push(100)).toBe(false);
    for (let i = 0; i < 100; i++) expect(q.shift()).toBe(i);
  });

  it('with Infinity, never refuses', () => {
    const q = new BoundedQueue<number>(Infinity);
    let refused = 0;
    for (let i = 0; i < 10_000; i++) if (!q.push(i)) refused++;
    expect(refused).toBe(0);
    expect(q.full).toBe(false);
    expect(q.shift()).toBe(0);
    expect(q.length).toBe(9999);
  });

  it('clear empties it', () => {
    const q = new BoundedQueue<number>(4);
    q.push(1);
    q.push(2);
    q.clear();
    expect(q.length).toBe(0);
    expect(q.shift()).toBeUndefined();
    expect(q.push(3)).toBe(true);
    expect(q.shift()).toBe(3);
  });

  it('rejects a capacity that is not a positive integer', () => {
    expect(() => new BoundedQueue(0)).toThrow(/positive integer/);
    expect(() => new BoundedQueue(2.5)).toThrow(/positive integer/);
    expect(() => new BoundedQueue(Number.NaN)).toThrow(/positive integer/);
  });
});
