// Compactions and the watch cache's snapshots, on a real etcd through the endpoint: exact and
// continue LISTs at a compacted revision under each release. 1.34+ learn compactions from
// compact_rev_key (written by kube-apiserver's compactor) and send such reads to etcd, which
// answers 410; a compaction made directly on etcd never reaches that key, so the cache keeps
// serving its snapshot — and the decision says etcd has compacted it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compactLikeKubeApiserver } from '../etcd/compact.js';
import { withGates, profile1_33 } from '../routing/profiles.js';
import { CONTINUE_TOO_OLD_MESSAGE, LIST_TOO_OLD_MESSAGE } from '../etcd/store.js';
import { decodeContinue } from '../continue.js';
import { startTestApiServer, type TestApiServer } from './testing.js';

let h: TestApiServer;
const NS = '/api/v1/namespaces/cmp/configmaps';

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  // The compactor polls every 300 ms instead of 15 s so the test does not wait for it.
  h = await startTestApiServer({ profile: '1.34', etcdSupportsRequestWatchProgress: true, cacherConfig: { compactorPollMs: 300 } });
  await h.request('POST', '/api/v1/namespaces', { body: { metadata: { name: 'cmp' } } });
});
afterAll(async () => {
  await h?.close();
});

const create = async (name: string): Promise<number> => {
  const r = await h.request('POST', NS, { body: { metadata: { name } } });
  expect(r.status).toBe(201);
  return Number(r.json.metadata.resourceVersion);
};
const exactList = (rv: number, limit?: number) => h.request('GET', `${NS}?resourceVersion=${rv}&resourceVersionMatch=Exact${limit ? `&limit=${limit}` : ''}`);
const cacher = () => h.backend.cachers.get('configmaps')!;

describe('snapshots and compactions (1.34: compactor.go + compact_rev_key)', () => {
  it('a direct etcd compaction: the cache still serves its snapshots; with compact_rev_key they go and etcd answers 410', async () => {
    for (const n of ['a', 'b', 'c']) await create(n);
    const rv1 = await create('d');
    await until(() => cacher().resourceVersion >= rv1, 5000, 'cache at rv1');
    // A page of an exact LIST at rv1, served from the snapshot: its token pins rv1.
    const page1 = await exactList(rv1, 2);
    expect(page1.status).toBe(200);
    const token1 = page1.json.metadata.continue as string;
    expect(decodeContinue(token1, '/registry/configmaps/cmp').rv).toBe(rv1);

    for (const n of ['e', 'f']) await create(n);
    const rv2 = await create('g');
    await until(() => cacher().resourceVersion >= rv2, 5000, 'cache at rv2');

    // Compacted directly on etcd, past rv1: kube-apiserver would never hear of it.
    await h.source.client.compact(rv2, false);
    await until(() => h.backend.resource('', 'configmaps')!.cacheState().compaction!.etcdRevision === rv2, 5000, "etcd's compaction revision");
    let before = h.decisions.lastId;
    const a = await exactList(rv1);
    expect(a.status).toBe(200);
    expect(a.json.metadata.resourceVersion).toBe(String(rv1));
    expect(a.json.items.map((o: { metadata: { name: string } }) => o.metadata.name)).toEqual(['a', 'b', 'c', 'd']);
    const next = await h.request('GET', `${NS}?limit=2&continue=${encodeURIComponent(token1)}`);
    expect(next.status).toBe(200);
    expect(next.json.items.map((o: { metadata: { name: string } }) => o.metadata.name)).toEqual(['c', 'd']);
    const ds = h.decisionsSince(before);
    expect(ds.map((d) => [d.servedBy, d.reason, d.status])).toEqual([
      ['cache', 'snapshotOfCompactedRevision', 200],
      ['cache', 'snapshotOfCompactedRevision', 200],
    ]);
    expect(ds[0]!.detail).toContain(`although etcd compacted it (at ${rv2})`);
    expect(ds[0]!.detail).toContain('compact_rev_key was never written');
    // etcd itself refuses the same read (the 1.27 profile sends it there).
    h.setProfile('1.27');
    try {
      const old = await exactList(rv1);
      expect(old.status).toBe(410);
      expect(old.json).toMatchObject({ reason: 'Expired', message: LIST_TOO_OLD_MESSAGE });
    } finally {
      h.setProfile('1.34');
    }

    // kube-apiserver's compactor: bootstrap, then a compaction at rv3 recorded in compact_rev_key.
    const rvMid = await create('h');
    const page2 = await exactList(rvMid, 2);
    const token2 = page2.json.metadata.continue as string;
    const boot = await compactLikeKubeApiserver(h.source.client, 0, 0);
    const rv3 = await create('i');
    await until(() => cacher().resourceVersion >= rv3, 5000, 'cache at rv3');
    await compactLikeKubeApiserver(h.source.client, boot.currentVersion, rv3);
    await until(() => cacher().compactor!.revision === rv3, 5000, "the cacher's compactor");
    await until(() => h.backend.resource('', 'configmaps')!.cacheState().compaction!.etcdRevision === rv3, 5000, "etcd's compaction revision");

    before = h.decisions.lastId;
    const gone = await exactList(rvMid);
    expect(gone.status).toBe(410);
    expect(gone.json).toMatchObject({ kind: 'Status', reason: 'Expired', code: 410, message: LIST_TOO_OLD_MESSAGE });
    const goneCont = await h.request('GET', `${NS}?limit=2&continue=${encodeURIComponent(token2)}`);
    expect(goneCont.status).toBe(410);
    expect(goneCont.json).toMatchObject({ reason: 'Expired', message: CONTINUE_TOO_OLD_MESSAGE });
    // The inconsistent-continue token: resourceVersion -1, from the key after the last page.
    expect(decodeContinue(goneCont.json.metadata.continue, '/registry/configmaps/cmp')).toMatchObject({ rv: -1 });
    const after = h.decisionsSince(before);
    expect(after.map((d) => [d.servedBy, d.reason, d.status])).toEqual([
      ['etcd', 'snapshotCompacted', 410],
      ['etcd', 'snapshotCompacted', 410],
    ]);
    // At the compaction revision itself a snapshot is kept, and etcd could read it too.
    const at3 = await exactList(rv3);
    expect(at3.status).toBe(200);
    expect(h.decisionsSince(before).at(-1)).toMatchObject({ servedBy: 'cache', reason: 'exactRVFromSnapshot' });

    // 1.33 (snapshots on) has no cacher compactor: the same read is still served from the cache.
    h.setProfile(withGates(profile1_33, { ListFromCacheSnapshot: true }));
    try {
      before = h.decisions.lastId;
      const served = await exactList(rvMid);
      expect(served.status).toBe(200);
      expect(served.json.metadata.resourceVersion).toBe(String(rvMid));
      expect(h.decisionsSince(before)[0]).toMatchObject({ servedBy: 'cache', reason: 'snapshotOfCompactedRevision' });
      expect(h.decisionsSince(before)[0]!.detail).toContain('has no cacher compactor');
    } finally {
      h.setProfile('1.34');
    }
  });
});
