// The watch cache store's key order against real etcd: after thousands of creates before, between
// and after the keys already held (enough to split and merge the store's chunks), deletes and
// updates, every LIST the cache answers — whole, per namespace, paged with continue, from a
// snapshot at an older revision — and a new watch's initial state list exactly the keys etcd's own
// range returns, in etcd's order.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEtcd, type EtcdProcess } from '../etcd/process.js';
import { EtcdSource } from '../etcd/source.js';
import { encodeJSON } from '../etcd/codec.js';
import { prefixRangeEnd } from '../etcd/keys.js';
import { Cacher } from './cacher.js';
import { maxChunkKeys } from './ordered_keys.js';
import { parseLabelSelector } from '../selectors/label_selector.js';
import { parseFieldSelector } from '../selectors/field_selector.js';
import type { CacheListOptions } from './types.js';
import type { KubeObject } from '../object.js';
import type { RequestOp } from '../etcd/client.js';

const collection = '/registry/configmaps/';
const cmKey = (ns: string, name: string) => `${collection}${ns}/${name}`;
const configMap = (ns: string, name: string, gen: number): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns }, data: { gen: String(gen) } });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('watch cache store order against real etcd', () => {
  let etcd: EtcdProcess;
  let writer: EtcdSource;
  let cacheSrc: EtcdSource;
  let cacher: Cacher;

  /** What etcd holds under `prefix` (at `revision`, 0 = now), in etcd's order. */
  async function etcdKeys(prefix: string, revision = 0): Promise<string[]> {
    const key = Buffer.from(prefix);
    const r = await writer.client.range({ key, range_end: prefixRangeEnd(key), keys_only: true, revision });
    return r.kvs.map((kv) => kv.key.toString('utf8'));
  }

  const listOpts = (o: Partial<CacheListOptions>): CacheListOptions => ({ labelSelector: parseLabelSelector(''), fieldSelector: parseFieldSelector('', 'configmaps'), minResourceVersion: 0, ...o });

  /** Every page of a LIST with `limit`, checking each page's remainingItemCount as it goes. */
  async function pagedKeys(o: Partial<CacheListOptions>, limit: number, total: number): Promise<string[]> {
    const keys: string[] = [];
    let continueKey: string | undefined;
    let rv: number | undefined;
    for (;;) {
      const page = await cacher.list(listOpts({ ...o, limit, continueKey, snapshotResourceVersion: rv ?? o.snapshotResourceVersion }));
      keys.push(...page.items.map((s) => s.key));
      rv = page.resourceVersion;
      if (page.continueKey === undefined) return keys;
      expect(page.remainingItemCount, `remaining after ${keys.length}`).toBe(total - keys.length);
      continueKey = page.continueKey;
    }
  }

  /** The ops in txns of `perTxn` (several events per revision, as a txn gives), 8 in flight. */
  async function writeAll(ops: RequestOp[], perTxn = 5): Promise<void> {
    let next = 0;
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (next < ops.length) {
        const success = ops.slice(next, (next += perTxn));
        await writer.client.txn({ compare: [], success, failure: [] });
      }
    }));
  }
  const put = (ns: string, name: string, gen: number): RequestOp => ({ request_put: { key: Buffer.from(cmKey(ns, name)), value: encodeJSON(configMap(ns, name, gen)) } });

  beforeAll(async () => {
    etcd = await startEtcd();
    writer = await EtcdSource.connect({ endpoints: [etcd.endpoint] });
    cacheSrc = await EtcdSource.connect({ endpoints: [etcd.endpoint] });
    // Held before the cacher starts: it arrives as one Replace, the rest as watch events.
    await writeAll(Array.from({ length: 3000 }, (_, i) => put(`ns-m${i % 3}`, `cm-${String(i).padStart(5, '0')}`, 0)), 100);
    cacher = new Cacher({ group: '', resource: 'configmaps', kind: 'ConfigMap', apiVersion: 'v1', collectionKey: collection, namespaced: true, source: cacheSrc, lowerBoundCapacity: 20_000, upperBoundCapacity: 20_000, log: () => {} });
    cacher.start();
    await cacher.waitReady();
  }, 120_000);
  afterAll(async () => {
    await cacher?.stop();
    await cacheSrc?.close();
    await writer?.close();
    await etcd?.stop();
  });

  it('lists exactly etcd’s keys in etcd’s order after creates, deletes and updates all over the key space', async () => {
    const held = await etcdKeys(collection);
    expect(held.length).toBe(3000);
    const midRevision = Number((await writer.client.status()).header.revision);
    const ops: RequestOp[] = [];
    // A namespace sorting before every held key (each create lands in the first chunk), one
    // between them, one after; names interleaved so creates also land mid-chunk.
    for (let i = 0; i < 3 * maxChunkKeys; i++) {
      for (const ns of ['ns-a', 'ns-m1x', 'ns-z']) {
        const name = `cm-${String((i * 7919) % 100_000).padStart(5, '0')}`;
        ops.push(put(ns, name, 1));
      }
    }
    // Deletes of most of one held namespace (its chunks shrink and merge), of a fifth of another
    // (chunks lose their last key but stay), and updates elsewhere.
    for (const k of held) {
      const [ns, name] = k.slice(collection.length).split('/') as [string, string];
      if ((ns === 'ns-m2' && !k.endsWith('0')) || (ns === 'ns-m0' && /[35]$/.test(k))) ops.push({ request_delete_range: { key: Buffer.from(k) } });
      else if (k.endsWith('7')) ops.push(put(ns, name, 2));
    }
    await writeAll(ops);
    const last = Number((await writer.client.status()).header.revision);
    const end = Date.now() + 60_000;
    while (cacher.resourceVersion < last) {
      if (Date.now() > end) throw new Error(`cache did not reach revision ${last} (at ${cacher.resourceVersion})`);
      await sleep(20);
    }

    const now = await etcdKeys(collection);
    expect(now.length).toBeGreaterThan(held.length + 3 * maxChunkKeys);
    const all = await cacher.list(listOpts({ minResourceVersion: last }));
    expect(all.items.map((s) => s.key)).toEqual(now);
    expect(await pagedKeys({ minResourceVersion: last }, 97, now.length)).toEqual(now);
    for (const ns of ['ns-a', 'ns-m0', 'ns-m1', 'ns-m1x', 'ns-m2', 'ns-z', 'ns-absent']) {
      const want = await etcdKeys(`${collection}${ns}/`);
      const got = await cacher.list(listOpts({ namespace: ns, minResourceVersion: last }));
      expect(got.items.map((s) => s.key), ns).toEqual(want);
      // Page size 1: a continue from every key, so from every chunk's last key too.
      for (const limit of [50, 1]) expect(await pagedKeys({ namespace: ns, minResourceVersion: last }, limit, want.length), `${ns} pages of ${limit}`).toEqual(want);
    }

    // A snapshot before all of it: the store rolled back through the history, as etcd kept it.
    const before = await etcdKeys(collection, midRevision);
    const snap = await cacher.list(listOpts({ snapshotResourceVersion: midRevision }));
    expect(snap.resourceVersion).toBe(midRevision);
    expect(snap.items.map((s) => s.key)).toEqual(before);
    expect(await pagedKeys({ snapshotResourceVersion: midRevision }, 211, before.length)).toEqual(before);

    // A new watch's initial state (RV 0) replays the store in key order.
    const h = cacher.watch({ namespace: 'ns-a', labelSelector: parseLabelSelector(''), fieldSelector: parseFieldSelector('', 'configmaps'), resourceVersion: 0, resourceVersionText: '0', allowWatchBookmarks: false, deadline: Date.now() + 60_000, userAgent: 'order-check' });
    const wantA = (await etcdKeys(`${collection}ns-a/`)).map((k) => k.slice(collection.length));
    const got: string[] = [];
    while (got.length < wantA.length) {
      const e = await h.next();
      if (!e) throw new Error(`watch ended after ${got.length} of ${wantA.length} initial events`);
      const m = (e.object as KubeObject).metadata;
      expect(e.type).toBe('ADDED');
      got.push(`${m.namespace}/${m.name}`);
    }
    h.stop('clientGone');
    expect(got).toEqual(wantA);
  }, 180_000);
});
