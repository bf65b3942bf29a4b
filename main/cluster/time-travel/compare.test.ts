import { describe, expect, it } from 'vitest';
import { compareListings, listingOf, type Listing } from './compare.js';
import { identityNote } from './check.js';

const listing = (rv: string, items: Record<string, string>): Listing => ({ resourceVersion: rv, items: new Map(Object.entries(items)) });

describe('compareListings', () => {
  it('names what an older cache answer lacks: created, deleted and updated since', () => {
    const truth = listing('120', { 'ns/a': '100', 'ns/b': '118', 'ns/new': '119' });
    const cache = listing('105', { 'ns/a': '100', 'ns/b': '101', 'ns/gone': '90' });
    const c = compareListings(truth, cache);
    expect(c.verdict).toBe('stale');
    expect(c.rvBehind).toBe(15);
    expect(c.counts).toEqual({ missing: 1, extra: 1, olderRv: 1, newerRv: 0 });
    expect(c.examples).toEqual(
      expect.arrayContaining([
        { kind: 'missing', key: 'ns/new', consistentRv: '119' },
        { kind: 'extra', key: 'ns/gone', cacheRv: '90' },
        { kind: 'olderRv', key: 'ns/b', cacheRv: '101', consistentRv: '118' },
      ]),
    );
  });

  it('an answer at or past the consistent one is current; later writes are newer, not stale', () => {
    const truth = listing('120', { 'ns/a': '100', 'ns/b': '118' });
    const cache = listing('125', { 'ns/a': '100', 'ns/b': '123', 'ns/c': '124' });
    const c = compareListings(truth, cache);
    expect(c.verdict).toBe('current');
    expect(c.rvBehind).toBe(0);
    expect(c.counts).toEqual({ missing: 0, extra: 0, olderRv: 0, newerRv: 2 });
  });

  it('an older resourceVersion with the same objects is olderRv (other resources moved the revision)', () => {
    const c = compareListings(listing('300', { a: '10' }), listing('200', { a: '10' }));
    expect(c.verdict).toBe('olderRv');
    expect(c.rvBehind).toBe(100);
  });

  it('bounds the examples and names staleness before newer copies', () => {
    const truth = new Map<string, string>();
    const cache = new Map<string, string>();
    for (let i = 0; i < 50; i++) cache.set(`n${i}`, String(500 + i)); // created after the truth: newer
    for (let i = 0; i < 50; i++) truth.set(`m${i}`, '90'); // missing from the cache
    const c = compareListings({ resourceVersion: '100', items: truth }, { resourceVersion: '99', items: cache }, 5);
    expect(c.counts.missing).toBe(50);
    expect(c.examples).toHaveLength(5);
    expect(c.examples.every((e) => e.kind === 'missing')).toBe(true);
  });

  it('shows every kind of difference among a few examples', () => {
    const truth = new Map<string, string>();
    const cache = new Map<string, string>();
    for (let i = 0; i < 30; i++) truth.set(`new${i}`, '95'); // missing
    for (let i = 0; i < 30; i++) cache.set(`gone${i}`, '10'); // extra
    for (let i = 0; i < 30; i++) {
      truth.set(`upd${i}`, '96');
      cache.set(`upd${i}`, '20');
    }
    const c = compareListings({ resourceVersion: '100', items: truth }, { resourceVersion: '50', items: cache }, 6);
    expect(c.counts).toEqual({ missing: 30, extra: 30, olderRv: 30, newerRv: 0 });
    expect(c.examples.map((e) => e.kind)).toEqual(['missing', 'extra', 'olderRv', 'missing', 'extra', 'olderRv']);
  });
});

describe('listingOf', () => {
  it('reads a PartialObjectMetadataList or a full list by namespace/name', () => {
    const l = listingOf({
      kind: 'PartialObjectMetadataList',
      metadata: { resourceVersion: '7' },
      items: [{ metadata: { namespace: 'x', name: 'a', resourceVersion: '5' } }, { metadata: { name: 'node1', resourceVersion: '6' } }],
    });
    expect(l.resourceVersion).toBe('7');
    expect([...l.items]).toEqual([
      ['x/a', '5'],
      ['node1', '6'],
    ]);
  });

  it('refuses what is not a LIST', () => {
    expect(() => listingOf({ kind: 'Status' })).toThrow(/not a LIST/);
  });
});

describe('identityNote', () => {
  const replica = (id: string, fp?: string) => ({ id, identity: id, remoteAddress: '127.0.0.1:1', ...(fp ? { certificateSha256: fp } : {}), answers: 1, stale: 0, maxRvBehind: 0 });
  it('says servers were told apart by certificate when they were', () => {
    expect(identityNote([replica('A', 'AA'), replica('B', 'BB')], undefined)).toMatch(/serving certificate/);
  });
  it('says what cannot be known when every answer looked the same', () => {
    const n = identityNote([replica('A', 'AA')], ['kube-apiserver-1', 'kube-apiserver-2']);
    expect(n).toMatch(/cannot tell/);
    expect(n).toMatch(/name 2 holders/);
  });
});
