import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEtcd, freePort, type EtcdProcess } from './process.js';
import { EtcdSource } from './source.js';
import type { SourceEvent, SourceWatchEnd } from '../source.js';
import { encodeJSON } from './codec.js';

const obj = (ns: string, name: string, extra: Record<string, unknown> = {}) =>
  encodeJSON({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns }, ...extra });

function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (cond()) return resolve();
      if (Date.now() > deadline) return reject(new Error('timed out waiting'));
      setTimeout(tick, 10);
    };
    tick();
  });
}

describe('EtcdSource against real etcd', () => {
  let etcd: EtcdProcess;
  let src: EtcdSource;
  beforeAll(async () => {
    etcd = await startEtcd();
    src = await EtcdSource.connect({ endpoints: [etcd.endpoint] });
  });
  afterAll(async () => {
    await src?.close();
    await etcd?.stop();
  });

  it('reports version and the RequestWatchProgress verdict', () => {
    const info = src.info();
    expect(info.kind).toBe('etcd');
    expect(info.version).toMatch(/^3\.\d+\.\d+/);
    expect(info.endpoints).toEqual([etcd.endpoint]);
    if (info.version === '3.4.23') expect(info.supportsRequestWatchProgress).toBe(false);
  });

  it('lists at one revision across pages while writes continue', async () => {
    const prefix = '/registry/configmaps/';
    // 10001+ keys force a second page pinned to the first page's revision.
    const N = 10_050;
    const batch = 100; // etcd --max-txn-ops defaults to 128
    for (let i = 0; i < N; i += batch) {
      await src.client.txn({
        compare: [],
        success: Array.from({ length: Math.min(batch, N - i) }, (_, j) => ({
          request_put: { key: Buffer.from(`${prefix}ns/cm-${String(i + j).padStart(6, '0')}`), value: obj('ns', `cm-${i + j}`) },
        })),
        failure: [],
      });
    }
    let writing = true;
    let written = 0;
    const writer = (async () => {
      while (writing) {
        await src.client.put(`${prefix}ns/cm-000000`, obj('ns', 'cm-0', { data: { n: String(written) } }));
        await src.client.put(`${prefix}ns/late-${String(written).padStart(6, '0')}`, obj('ns', `late-${written}`));
        written++;
      }
    })();
    await until(() => written > 3);
    const res = await src.list(prefix);
    writing = false;
    await writer;
    expect(written).toBeGreaterThan(3);
    // Every item is at or below the list revision, and the set is exactly what existed then.
    for (const it of res.items) expect(it.resourceVersion).toBeLessThanOrEqual(res.resourceVersion);
    const atRev = await src.client.range({ key: Buffer.from(prefix), range_end: Buffer.from('/registry/configmaps0'), revision: res.resourceVersion, count_only: true });
    expect(res.items.length).toBe(Number(atRev.count));
    expect(res.items.length).toBeGreaterThan(N);
    const keys = res.items.map((i) => i.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect([...keys].sort()).toEqual(keys);
    expect(res.items[0]!.encoding).toBe('json');
    expect(res.items[0]!.object.metadata.resourceVersion).toBe(String(res.items[0]!.resourceVersion));
  });

  it('delivers ADDED/MODIFIED/DELETED with prev values, one txn per onEvents call', async () => {
    const prefix = '/registry/secrets/';
    const start = await src.currentRevision(prefix);
    const batches: SourceEvent[][] = [];
    const w = src.watch(prefix, start, { onEvents: (e) => batches.push(e), onProgress: () => {}, onEnd: () => {} });
    const r1 = await src.client.put(`${prefix}a/s1`, obj('a', 's1', { data: { v: '1' } }));
    const r2 = await src.client.put(`${prefix}a/s1`, obj('a', 's1', { data: { v: '2' } }));
    const r3 = await src.client.deleteKey(`${prefix}a/s1`);
    // One txn writing three keys: one revision, must be one onEvents call.
    const t = await src.client.txn({
      compare: [],
      success: ['x', 'y', 'z'].map((n) => ({ request_put: { key: Buffer.from(`${prefix}b/${n}`), value: obj('b', n) } })),
      failure: [],
    });
    const r4 = Number(t.header.revision);
    await src.client.put('/registry/secretsx/outside', obj('x', 'outside'));
    await until(() => batches.flat().length >= 6);
    w.stop();
    const all = batches.flat();
    expect(all.map((e) => [e.type, e.resourceVersion])).toEqual([
      ['ADDED', r1], ['MODIFIED', r2], ['DELETED', r3], ['ADDED', r4], ['ADDED', r4], ['ADDED', r4],
    ]);
    expect(all[1]!.prevObject?.object.data).toEqual({ v: '1' });
    expect(all[1]!.prevObject?.resourceVersion).toBe(r1);
    // DELETED carries the object as it was, stamped with the delete revision.
    expect(all[2]!.object.object.data).toEqual({ v: '2' });
    expect(all[2]!.object.resourceVersion).toBe(r3);
    expect(all[2]!.object.object.metadata.resourceVersion).toBe(String(r3));
    expect(all[2]!.prevObject?.resourceVersion).toBe(r2);
    const txnBatch = batches.find((b) => b.some((e) => e.resourceVersion === r4))!;
    expect(txnBatch.filter((e) => e.resourceVersion === r4)).toHaveLength(3);
  });

  it('answers requestProgress with onProgress at or after the last write', async () => {
    const prefix = '/registry/pods/';
    const start = await src.currentRevision(prefix);
    const progress: number[] = [];
    const events: SourceEvent[] = [];
    const w = src.watch(prefix, start, { onEvents: (e) => events.push(...e), onProgress: (r) => progress.push(r), onEnd: () => {} });
    const last = await src.client.put(`${prefix}default/p1`, obj('default', 'p1'));
    await until(() => events.length === 1);
    // An unrelated write elsewhere also advances the revision a progress notify reports.
    const later = await src.client.put('/registry/unrelated/x', obj('d', 'x'));
    w.requestProgress();
    await until(() => progress.length > 0);
    w.stop();
    expect(progress[0]!).toBeGreaterThanOrEqual(last);
    expect(progress[0]!).toBeGreaterThanOrEqual(later);
  });

  it('ends with compacted and the compact revision when started below it', async () => {
    const prefix = '/registry/leases/';
    const r1 = await src.client.put(`${prefix}x/l1`, obj('x', 'l1'));
    await src.client.put(`${prefix}x/l1`, obj('x', 'l1', { v: 2 }));
    const compactAt = await src.client.put(`${prefix}x/l1`, obj('x', 'l1', { v: 3 }));
    await src.client.compact(compactAt);
    const ends: SourceWatchEnd[] = [];
    const events: SourceEvent[] = [];
    src.watch(prefix, r1 - 1, { onEvents: (e) => events.push(...e), onProgress: () => {}, onEnd: (e) => ends.push(e) });
    await until(() => ends.length > 0);
    expect(ends).toHaveLength(1);
    expect(ends[0]).toMatchObject({ reason: 'compacted', compactRevision: compactAt });
    expect(events).toHaveLength(0);
    // Reads below the compaction fail the same way.
    await expect(src.client.range({ key: Buffer.from(prefix), revision: r1 })).rejects.toThrow(/compacted/);
  });

  it('stop() ends exactly once and delivers nothing afterwards', async () => {
    const prefix = '/registry/events/';
    const start = await src.currentRevision(prefix);
    const ends: SourceWatchEnd[] = [];
    let events = 0;
    const w = src.watch(prefix, start, { onEvents: (e) => (events += e.length), onProgress: () => {}, onEnd: (e) => ends.push(e) });
    await src.client.put(`${prefix}a/e1`, obj('a', 'e1'));
    await until(() => events === 1);
    w.stop();
    w.stop();
    await src.client.put(`${prefix}a/e2`, obj('a', 'e2'));
    w.requestProgress();
    await new Promise((r) => setTimeout(r, 300));
    expect(events).toBe(1);
    expect(ends).toEqual([{ reason: 'stopped', message: 'watch stopped' }]);
  });
});

describe('EtcdSource.connect errors', () => {
  it('fails fast and clearly on an unreachable endpoint', async () => {
    const port = await freePort();
    const t0 = Date.now();
    await expect(EtcdSource.connect({ endpoints: [`http://127.0.0.1:${port}`], dialTimeoutMs: 3000 })).rejects.toThrow(
      `cannot reach etcd at http://127.0.0.1:${port}: connection refused — is etcd running / is the URL right?`,
    );
    expect(Date.now() - t0).toBeLessThan(4000);
  });

  it('names unreadable TLS files', async () => {
    await expect(EtcdSource.connect({ endpoints: ['https://127.0.0.1:1'], caFile: '/nonexistent/ca.pem' })).rejects.toThrow(
      'cannot read the CA certificate file "/nonexistent/ca.pem": no such file',
    );
  });

  it('rejects a non-URL endpoint and TLS files with an http URL', async () => {
    await expect(EtcdSource.connect({ endpoints: ['etcd:/bad'] })).rejects.toThrow(/is not a URL/);
    await expect(EtcdSource.connect({ endpoints: [] })).rejects.toThrow(/no etcd endpoint/);
  });
});
