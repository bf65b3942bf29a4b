// The write path on a real etcd: writes start from the watch cache's copy and re-read etcd only
// when it proves stale, and deletes follow the generic registry and the pod strategy — each
// visible in the request's decision and in what watchers see.
import { request as httpsRequest } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readWatchLines, startTestApiServer, until, type TestApiServer } from '../testing.js';

let h: TestApiServer;
beforeAll(async () => {
  h = await startTestApiServer({ profile: '1.34' });
});
afterAll(async () => {
  await h?.close();
});

const cmPath = '/api/v1/namespaces/default/configmaps';
const podPath = '/api/v1/namespaces/default/pods';

async function caughtUp(resource: string): Promise<void> {
  const rev = await h.store(resource).currentRevision();
  const c = h.backend.cachers.get(resource)!;
  await until(() => c.resourceVersion >= rev, 5000, `${resource} cache at ${rev}`);
}

/** The one write decision recorded for the request `f` makes (watches opened meanwhile aside). */
async function decisionOf(f: () => Promise<unknown>) {
  const since = h.decisions.lastId;
  await f();
  const ds = h.decisionsSince(since).filter((d) => d.verb !== 'watch');
  expect(ds).toHaveLength(1);
  return ds[0]!;
}

function watchLines(path: string, count: number, timeoutMs = 8000) {
  return new Promise<any[]>((resolve, reject) => { // eslint-disable-line @typescript-eslint/no-explicit-any
    const req = httpsRequest(new URL(path, h.server.url), { headers: { Authorization: `Bearer ${h.server.token}` }, ca: h.server.caPem }, (res) => {
      void readWatchLines(res, count, timeoutMs).then((lines) => {
        req.destroy();
        resolve(lines);
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('writes start from the cache\'s copy', () => {
  it('an update whose cached copy is current says so; one whose copy is stale re-reads etcd and says that', async () => {
    expect((await h.request('POST', cmPath, { body: { metadata: { name: 'w1' }, data: { a: '1' } } })).status).toBe(201);
    await caughtUp('configmaps');
    const fresh = await decisionOf(() => h.request('PUT', `${cmPath}/w1`, { body: { metadata: { name: 'w1' }, data: { a: '2' } } }));
    expect(fresh).toMatchObject({ reason: 'writeFromCachedObject', servedBy: 'etcd', status: 200 });
    expect(fresh.detail).toContain('current');
    await caughtUp('configmaps');

    // The cache stops hearing from etcd; a write behind its back makes its copy stale.
    h.holdable.hold();
    try {
      const cachedRV = h.backend.cachers.get('configmaps')!.resourceVersion;
      await h.store('configmaps').update('default', 'w1', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'w1', namespace: 'default' }, data: { a: '3' } });
      const stale = await decisionOf(async () => {
        const r = await h.request('PATCH', `${cmPath}/w1`, { body: { data: { b: 'x' } }, headers: { 'Content-Type': 'application/merge-patch+json' } });
        expect(r.status).toBe(200);
        // The patch applied to etcd's copy, not the stale one.
        expect(r.json.data).toEqual({ a: '3', b: 'x' });
      });
      expect(stale.reason).toBe('writeRetriedFromStorage');
      expect(stale.detail).toContain(`RV ${cachedRV}`);
      expect(stale.detail).toContain('stale');
    } finally {
      h.holdable.release();
    }
  });

  it('an update that changes nothing writes nothing (no new revision)', async () => {
    await caughtUp('configmaps');
    const before = await h.request('GET', `${cmPath}/w1`);
    const r = await h.request('PUT', `${cmPath}/w1`, { body: before.json });
    expect(r.status).toBe(200);
    expect(r.json.metadata.resourceVersion).toBe(before.json.metadata.resourceVersion);
  });
});

describe('deletes follow the generic registry and the pod strategy', () => {
  const pod = (name: string, nodeName?: string) => ({ metadata: { name }, spec: { ...(nodeName ? { nodeName } : {}), containers: [{ name: 'c', image: 'busybox' }] } });

  it('a bound pod: DELETE sets deletionTimestamp (MODIFIED) and stays; DELETE with gracePeriodSeconds=0 removes it (MODIFIED, DELETED)', async () => {
    const created = await h.request('POST', podPath, { body: pod('g1', 'node-1') });
    expect(created.status).toBe(201);
    const rv = created.json.metadata.resourceVersion;
    const events = watchLines(`${podPath}?watch=true&resourceVersion=${rv}&fieldSelector=metadata.name%3Dg1`, 3);
    const first = await decisionOf(async () => {
      const r = await h.request('DELETE', `${podPath}/g1`);
      expect(r.status).toBe(200);
      expect(r.json).toMatchObject({ kind: 'Pod', metadata: { name: 'g1', deletionGracePeriodSeconds: 30 } });
      expect(r.json.metadata.deletionTimestamp).toBeTruthy();
    });
    expect(first.detail).toContain('pod strategy CheckGracefulDelete');
    expect((await h.request('GET', `${podPath}/g1`)).status).toBe(200);
    const second = await decisionOf(async () => {
      const r = await h.request('DELETE', `${podPath}/g1`, { body: { gracePeriodSeconds: 0 } });
      expect(r.status).toBe(200);
      expect(r.json).toMatchObject({ kind: 'Pod', metadata: { deletionGracePeriodSeconds: 0 } });
    });
    expect(second.detail).toContain('shortened from 30s to 0s');
    const lines = await events;
    expect(lines.map((l) => [l.type, l.object.metadata.deletionGracePeriodSeconds])).toEqual([
      ['MODIFIED', 30],
      ['MODIFIED', 0],
      ['DELETED', 0],
    ]);
    expect((await h.request('GET', `${podPath}/g1`)).status).toBe(404);
  });

  it('an unscheduled pod is deleted in two steps too, with period 0', async () => {
    const created = await h.request('POST', podPath, { body: pod('g2') });
    const events = watchLines(`${podPath}?watch=true&resourceVersion=${created.json.metadata.resourceVersion}&fieldSelector=metadata.name%3Dg2`, 2);
    const d = await decisionOf(() => h.request('DELETE', `${podPath}/g2`, { body: { gracePeriodSeconds: 60 } }));
    expect(d.detail).toContain('not scheduled');
    expect((await events).map((l) => l.type)).toEqual(['MODIFIED', 'DELETED']);
  });

  it('a configmap with a finalizer gets deletionTimestamp and stays; removing the finalizer deletes it', async () => {
    const created = await h.request('POST', cmPath, { body: { metadata: { name: 'fin', finalizers: ['example.com/keep'] } } });
    const events = watchLines(`${cmPath}?watch=true&resourceVersion=${created.json.metadata.resourceVersion}&fieldSelector=metadata.name%3Dfin`, 2);
    const del = await decisionOf(async () => {
      const r = await h.request('DELETE', `${cmPath}/fin`);
      expect(r.status).toBe(200);
      expect(r.json).toMatchObject({ kind: 'ConfigMap', metadata: { deletionGracePeriodSeconds: 0, finalizers: ['example.com/keep'] } });
    });
    expect(del.detail).toContain('finalizers (example.com/keep): markAsDeleting');
    const upd = await decisionOf(async () => {
      const r = await h.request('PATCH', `${cmPath}/fin`, { body: { metadata: { finalizers: null } }, headers: { 'Content-Type': 'application/merge-patch+json' } });
      expect(r.status).toBe(200);
    });
    expect(upd.detail).toContain('shouldDeleteDuringUpdate');
    expect((await events).map((l) => [l.type, l.object.metadata.deletionGracePeriodSeconds])).toEqual([
      ['MODIFIED', 0],
      ['DELETED', 0],
    ]);
    expect((await h.request('GET', `${cmPath}/fin`)).status).toBe(404);
  });

  it('a configmap without finalizers goes at once (one DELETED event, a Success Status)', async () => {
    const created = await h.request('POST', cmPath, { body: { metadata: { name: 'plain' } } });
    const events = watchLines(`${cmPath}?watch=true&resourceVersion=${created.json.metadata.resourceVersion}&fieldSelector=metadata.name%3Dplain`, 2, 2000);
    const d = await decisionOf(async () => {
      const r = await h.request('DELETE', `${cmPath}/plain`);
      expect(r.json).toMatchObject({ kind: 'Status', status: 'Success', details: { name: 'plain', kind: 'configmaps' } });
    });
    expect(d.detail).toContain('no graceful delete strategy');
    expect((await events).map((l) => l.type)).toEqual(['DELETED']);
  });
});
