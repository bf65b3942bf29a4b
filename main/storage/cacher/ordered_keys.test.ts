// OrderedKeys against a plain sorted array: the same keys in the same order, and every cursor
// start (>= or > a key, present or not) yields the same suffix, through splits and merges.
import { describe, expect, it } from 'vitest';
import { OrderedKeys, arrayCursor, lowerBound, maxChunkKeys, type KeyCursor } from './ordered_keys.js';

const drain = (c: KeyCursor): string[] => {
  const out: string[] = [];
  for (let k = c.next(); k !== undefined; k = c.next()) out.push(k);
  return out;
};

/** A deterministic generator, so a failure can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const keyOf = (ns: number, name: number) => `/registry/configmaps/ns-${ns}/cm-${String(name).padStart(5, '0')}`;

/** Same keys, and a cursor from each probe (>= and >) yields what lowerBound over `ref` does. */
function expectSame(o: OrderedKeys, ref: string[], probes: string[] = []): void {
  expect(o.size).toBe(ref.length);
  expect(o.toArray()).toEqual(ref);
  expect(drain(o.cursor())).toEqual(ref);
  for (const p of probes) {
    for (const after of [false, true]) expect(drain(o.cursor(p, after)), `${after ? '>' : '>='} ${p}`).toEqual(ref.slice(lowerBound(ref, p, after)));
  }
}

describe('OrderedKeys', () => {
  it('keeps random inserts and deletes in order through chunk splits and merges', () => {
    const r = rng(7);
    const o = new OrderedKeys();
    const ref = new Set<string>();
    // Grow to several chunks, with inserts landing before, between and after existing keys.
    for (let i = 0; i < 6 * maxChunkKeys; i++) {
      const k = keyOf(Math.floor(r() * 5), Math.floor(r() * 10_000));
      expect(o.add(k)).toBe(!ref.has(k));
      ref.add(k);
    }
    expectSame(o, [...ref].sort());
    // Shrink until chunks must merge (deleting chunks' last keys too), then grow again.
    const deleted: string[] = [];
    for (const k of [...ref]) {
      if (r() < 0.9) {
        expect(o.delete(k)).toBe(true);
        ref.delete(k);
        deleted.push(k);
      }
    }
    expect(o.delete('/registry/configmaps/absent')).toBe(false);
    expectSame(o, [...ref].sort(), deleted.filter((_, i) => i % 7 === 0));
    for (let i = 0; i < 2 * maxChunkKeys; i++) {
      const k = keyOf(Math.floor(r() * 5), Math.floor(r() * 10_000));
      o.add(k);
      ref.add(k);
    }
    expectSame(o, [...ref].sort());
    for (const k of [...ref]) {
      o.delete(k);
      ref.delete(k);
    }
    expectSame(o, []);
    expect(o.add('a')).toBe(true);
    expectSame(o, ['a']);
  });

  it('appends in order and prepends in order (the bench shape: a new namespace before every other)', () => {
    const o = OrderedKeys.fromSorted(Array.from({ length: 3000 }, (_, i) => keyOf(5, i)));
    const ref = Array.from({ length: 3000 }, (_, i) => keyOf(5, i));
    for (let i = 0; i < 2000; i++) o.add(keyOf(1, i));
    for (let i = 0; i < 2000; i++) o.add(keyOf(9, i));
    expectSame(o, [...Array.from({ length: 2000 }, (_, i) => keyOf(1, i)), ...ref, ...Array.from({ length: 2000 }, (_, i) => keyOf(9, i))]);
    expect(o.add(keyOf(5, 17))).toBe(false);
    expect(o.size).toBe(7000);
  });

  it('starts a cursor at the first key >= (or >) any key, present or not, as lowerBound over the array', () => {
    const r = rng(11);
    const ref = [...new Set(Array.from({ length: 3 * maxChunkKeys }, () => keyOf(Math.floor(r() * 4), Math.floor(r() * 2000))))].sort();
    const o = new OrderedKeys();
    for (const k of [...ref].reverse()) o.add(k);
    const probes = ['', '/', '/registry/configmaps/', '/registry/configmaps/ns-2/', '/registry/configmaps/ns-9', 'zzz', ...ref.filter((_, i) => i % 37 === 0)];
    // Every chunk boundary: the last key of one chunk and the first of the next.
    for (let i = 0; i < ref.length; i += 64) probes.push(ref[i]!, `${ref[i]!}\u0000`);
    expectSame(o, ref, probes);
    for (const p of probes) expect(drain(arrayCursor(ref, lowerBound(ref, p)))).toEqual(ref.slice(lowerBound(ref, p)));
  });

  it('fails a cursor that outlives a change instead of skipping or repeating keys', () => {
    const o = OrderedKeys.fromSorted(['a', 'b', 'c']);
    const c = o.cursor();
    expect(c.next()).toBe('a');
    o.add('aa');
    expect(() => c.next()).toThrow(/changed during a scan/);
    expect(drain(o.cursor('a', true))).toEqual(['aa', 'b', 'c']);
  });
});
