// The checker's comparison as pure logic, over lists held in memory. The real cacher over a real
// etcd is checked in consistency.etcd.test.ts.
import { describe, expect, it } from 'vitest';
import type { StoredObject } from '../object.js';
import { ConsistencyChecker, MAX_DIFFERENCES, type CheckedCache, type EtcdLister } from './consistency.js';

const PREFIX = '/registry/configmaps/';
const obj = (name: string, rv: number, data: Record<string, string> = {}): StoredObject => ({
  key: `${PREFIX}default/${name}`,
  object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default', resourceVersion: String(rv) }, data },
  resourceVersion: rv,
  encoding: 'json',
  size: 10,
});

function cacheOf(items: StoredObject[], rv: number, marks: boolean[] = [], ready = true): CheckedCache {
  return {
    isReady: ready,
    list: async () => ({ items, resourceVersion: rv, waitedMs: 0 }),
    markConsistent: (c) => marks.push(c),
  };
}

/** etcd at exactly `rv`, paged by `limit` with a token naming the next index. */
function etcdOf(items: StoredObject[], rv: number, seen: { rv: number; token: string }[] = []): EtcdLister {
  return async (at, token, limit) => {
    seen.push({ rv: at, token });
    const start = token ? Number(token) : 0;
    const page = items.slice(start, start + Math.min(limit, 2));
    const next = start + page.length;
    return { items: page, resourceVersion: rv, ...(next < items.length ? { continue: String(next) } : {}) };
  };
}

const on = { detectsInconsistency: () => true, keepsSnapshots: () => true, periodMs: 0 };

describe('ConsistencyChecker', () => {
  it('reports a match over every page of etcd at the cache resourceVersion, and re-enables snapshots', async () => {
    const items = [obj('a', 5), obj('b', 7, { k: 'v' }), obj('c', 9), obj('d', 10), obj('e', 11)];
    const marks: boolean[] = [];
    const seen: { rv: number; token: string }[] = [];
    const r = await new ConsistencyChecker(cacheOf(items, 12, marks), etcdOf(items.map((o) => structuredClone(o)), 12, seen), PREFIX, on).check();
    expect(r).toMatchObject({ state: 'match', resourceVersion: 12, objects: 5, differencesTotal: 0, consequence: 'snapshotsEnabled' });
    // Three pages: the first at exactly the cache's RV, the next by continue token.
    expect(seen).toEqual([{ rv: 12, token: '' }, { rv: 0, token: '2' }, { rv: 0, token: '4' }]);
    expect(marks).toEqual([true]);
  });

  it('names each differing object and how it differs', async () => {
    const cache = [obj('a', 5), obj('b', 7, { k: 'cached' }), obj('c', 9), obj('gone', 3)];
    const etcd = [obj('a', 5), obj('b', 7, { k: 'stored' }), obj('c', 11), obj('new', 10)];
    const marks: boolean[] = [];
    const r = await new ConsistencyChecker(cacheOf(cache, 12, marks), etcdOf(etcd, 12), PREFIX, on).check();
    expect(r.state).toBe('mismatch');
    expect(r.consequence).toBe('snapshotsDisabled');
    expect(marks).toEqual([false]);
    expect(r.differencesTotal).toBe(4);
    expect(r.differences).toEqual([
      { object: 'default/b', kind: 'value', cacheResourceVersion: 7, etcdResourceVersion: 7 },
      { object: 'default/c', kind: 'resourceVersion', cacheResourceVersion: 9, etcdResourceVersion: 11 },
      { object: 'default/new', kind: 'missingFromCache', etcdResourceVersion: 10 },
      { object: 'default/gone', kind: 'missingFromEtcd', cacheResourceVersion: 3 },
    ]);
  });

  it('does not count a different key order or the resourceVersion field as a different value', async () => {
    const a = obj('a', 5, { x: '1', y: '2' });
    const b = structuredClone(a);
    b.object = { metadata: { ...a.object.metadata, resourceVersion: '999' }, kind: 'ConfigMap', apiVersion: 'v1', data: { y: '2', x: '1' } };
    const r = await new ConsistencyChecker(cacheOf([a], 6), etcdOf([b], 6), PREFIX, on).check();
    expect(r.state).toBe('match');
  });

  it('keeps at most MAX_DIFFERENCES and counts the rest', async () => {
    const cache = Array.from({ length: MAX_DIFFERENCES + 7 }, (_, i) => obj(`o${String(i).padStart(3, '0')}`, 2));
    const r = await new ConsistencyChecker(cacheOf(cache, 9), etcdOf([], 9), PREFIX, on).check();
    expect(r.differences).toHaveLength(MAX_DIFFERENCES);
    expect(r.differencesTotal).toBe(MAX_DIFFERENCES + 7);
  });

  it('before 1.34, or without snapshots, reports but changes nothing in the cache', async () => {
    for (const opts of [
      { ...on, detectsInconsistency: () => false },
      { ...on, keepsSnapshots: () => false },
    ]) {
      const marks: boolean[] = [];
      const r = await new ConsistencyChecker(cacheOf([obj('a', 5)], 6, marks), etcdOf([], 6), PREFIX, opts).check();
      expect(r).toMatchObject({ state: 'mismatch', consequence: 'none' });
      expect(marks).toEqual([]);
    }
  });

  it('is an error, not a verdict, when the cache is unready or etcd answers at another revision', async () => {
    const unready = await new ConsistencyChecker(cacheOf([], 6, [], false), etcdOf([], 6), PREFIX, on).check();
    expect(unready).toMatchObject({ state: 'error', message: 'the cache is not ready', consequence: 'none' });
    const moved = await new ConsistencyChecker(cacheOf([], 6), etcdOf([], 8), PREFIX, on).check();
    expect(moved).toMatchObject({ state: 'error', message: "etcd answered at revision 8, not the cache's 6" });
    const failing: EtcdLister = async () => {
      throw new Error('etcdserver: mvcc: required revision has been compacted');
    };
    const compacted = await new ConsistencyChecker(cacheOf([], 6), failing, PREFIX, on).check();
    expect(compacted).toMatchObject({ state: 'error', message: 'etcdserver: mvcc: required revision has been compacted' });
  });

  it('joins a check already running, and runs periodically after a jittered period', async () => {
    let lists = 0;
    const cache: CheckedCache = { isReady: true, list: async () => (lists++, { items: [], resourceVersion: 1, waitedMs: 0 }), markConsistent: () => {} };
    const c = new ConsistencyChecker(cache, etcdOf([], 1), PREFIX, on);
    await Promise.all([c.check(), c.check()]);
    expect(lists).toBe(1);

    const results: number[] = [];
    const periodic = new ConsistencyChecker(cache, etcdOf([], 1), PREFIX, { ...on, periodMs: 20, random: () => 0, onResult: (r) => results.push(r.checkedAt) });
    periodic.start();
    await new Promise((r) => setTimeout(r, 150));
    periodic.stop();
    const n = results.length;
    expect(n).toBeGreaterThanOrEqual(2);
    await new Promise((r) => setTimeout(r, 60));
    expect(results.length).toBe(n);
  });
});
