// The endpoint over HTTP against a real etcd: auth, discovery, every verb, Status bodies, and
// the routing decision recorded for each request.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request as httpsRequest } from 'node:https';
import { readWatchLines, startTestApiServer, type TestApiServer } from './testing.js';
import { rawBody, rawRequest } from '../../testing/raw-request.js';

let h: TestApiServer;

beforeAll(async () => {
  h = await startTestApiServer();
  await h.request('POST', '/api/v1/namespaces', { body: { metadata: { name: 'default' } } });
});
afterAll(async () => {
  await h?.close();
});

const cm = (name: string, labels: Record<string, string> = {}, data: Record<string, string> = { k: 'v' }) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, labels },
  data,
});

/** Waits until the configmaps cache has caught up with etcd (writes reach it asynchronously). */
async function cacheCaughtUp(resource = 'configmaps'): Promise<void> {
  const rev = await h.store(resource).currentRevision();
  const c = h.backend.cachers.get(resource)!;
  for (let i = 0; i < 200 && c.resourceVersion < rev; i++) await new Promise((r) => setTimeout(r, 10));
  expect(c.resourceVersion).toBeGreaterThanOrEqual(rev);
}

/** Reads a watch stream until `count` lines (or the end), then closes it. */
function watchLines(path: string, count: number, timeoutMs = 8000): Promise<{ status: number; headers: Record<string, unknown>; lines: any[] }> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, h.server.url);
    const lines: any[] = [];
    const req = httpsRequest(url, { headers: { Authorization: `Bearer ${h.server.token}` }, ca: h.server.caPem }, (res) => {
      void readWatchLines(res, count, timeoutMs).then((got) => {
        lines.push(...got);
        req.destroy();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, lines });
      });
    });
    req.on('error', (e) => (lines.length ? undefined : reject(e)));
    req.end();
  });
}

describe('authentication and discovery', () => {
  it('answers 401 Unauthorized with a Status without a valid bearer token, and counts rather than logs each', async () => {
    const before = h.decisions.lastId;
    const counted = h.server.unauthenticatedRequests;
    const r = await h.request('GET', '/api/v1/pods', { token: null });
    expect(r.status).toBe(401);
    expect(r.json).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Unauthorized', code: 401 });
    const bad = await h.request('GET', '/version', { token: 'wrong' });
    expect(bad.status).toBe(401);
    const q = 'x'.repeat(15_000);
    for (let i = 0; i < 50; i++) expect((await h.request('GET', `/api/v1/pods?labelSelector=${q}`, { token: null, headers: { 'User-Agent': `flood-${i}` } })).status).toBe(401);
    expect(h.server.unauthenticatedRequests - counted).toBe(52);
    // At most one summary entry per interval, and none carries the client's query or user agent.
    const d = h.decisionsSince(before);
    expect(d.length).toBeLessThanOrEqual(1);
    for (const x of d) {
      expect(x).toMatchObject({ servedBy: 'rejected', status: 401, reason: 'unauthorized', userAgent: '', query: {} });
      expect(JSON.stringify(x)).not.toContain('flood-');
    }
  });

  it('answers a target new URL() rejects or bad percent-encoding with 401 before the token, 400 after, and keeps serving', async () => {
    const target = { port: Number(new URL(h.server.url).port), ca: h.server.caPem! };
    const auth = `Authorization: Bearer ${h.server.token}\r\n`;
    for (const path of ['http://[/', '/api/v1/namespaces/%E0%A4%A/pods', '/api/v1/namespaces/%zz/configmaps/x']) {
      const anon = await rawRequest(target, `GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
      expect(anon.status).toBe(401);
      expect(JSON.parse(rawBody(anon))).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
      const authed = await rawRequest(target, `GET ${path} HTTP/1.1\r\nHost: localhost\r\n${auth}Connection: close\r\n\r\n`);
      expect(authed.status).toBe(400);
      expect(JSON.parse(rawBody(authed))).toMatchObject({ kind: 'Status', reason: 'BadRequest', code: 400 });
    }
    expect((await h.request('GET', '/api/v1/namespaces/default/configmaps')).status).toBe(200);
  });

  it('writes a 0600 kubeconfig carrying the CA and the token', async () => {
    const { statSync, readFileSync } = await import('node:fs');
    expect(statSync(h.kubeconfigPath).mode & 0o777).toBe(0o600);
    const text = readFileSync(h.kubeconfigPath, 'utf8');
    const { parse } = await import('yaml');
    const kc = parse(text);
    expect(kc.clusters[0].cluster['certificate-authority-data']).toBe(Buffer.from(h.server.caPem!).toString('base64'));
    expect(kc.users[0].user.token).toBe(h.server.token);
    expect(kc['current-context']).toBe('watchscope');
    expect(h.server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it('serves /version from the profile and legacy discovery documents', async () => {
    const v = await h.request('GET', '/version');
    expect(v.json.gitVersion).toBe('v1.34.0-watchscope');
    h.setProfile('1.27');
    expect((await h.request('GET', '/version')).json.gitVersion).toBe('v1.27.0-watchscope');
    h.setProfile('1.34');
    expect((await h.request('GET', '/api')).json).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
    const core = (await h.request('GET', '/api/v1')).json;
    expect(core.kind).toBe('APIResourceList');
    expect(core.resources.find((r: any) => r.name === 'pods')).toMatchObject({ namespaced: true, kind: 'Pod', shortNames: ['po'] });
    expect(core.resources.find((r: any) => r.name === 'nodes')).toMatchObject({ namespaced: false });
    const groups = (await h.request('GET', '/apis')).json;
    expect(groups.groups.map((g: any) => g.name)).toEqual(expect.arrayContaining(['apps', 'coordination.k8s.io']));
    expect((await h.request('GET', '/apis/apps/v1')).json.resources.map((r: any) => r.name)).toContain('deployments');
    expect((await h.request('GET', '/openapi/v2')).status).toBe(404);
    expect((await h.request('GET', '/apis/nope/v1')).status).toBe(404);
  });
});

describe('writes and reads', () => {
  it('creates, gets, updates with optimistic concurrency, patches and deletes', async () => {
    const c = await h.request('POST', '/api/v1/namespaces/default/configmaps', { body: cm('w1', { a: '1' }) });
    expect(c.status).toBe(201);
    expect(c.json.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(c.json.metadata.creationTimestamp).toMatch(/Z$/);
    const rv1 = c.json.metadata.resourceVersion;

    const dup = await h.request('POST', '/api/v1/namespaces/default/configmaps', { body: cm('w1') });
    expect(dup.status).toBe(409);
    expect(dup.json).toMatchObject({ reason: 'AlreadyExists', details: { name: 'w1', kind: 'configmaps' } });

    const g = await h.request('GET', '/api/v1/namespaces/default/configmaps/w1');
    expect(g.json.metadata.resourceVersion).toBe(rv1);

    const upd = await h.request('PUT', '/api/v1/namespaces/default/configmaps/w1', { body: { ...g.json, data: { k: 'v2' } } });
    expect(upd.status).toBe(200);
    expect(Number(upd.json.metadata.resourceVersion)).toBeGreaterThan(Number(rv1));
    expect(upd.json.metadata.uid).toBe(c.json.metadata.uid);
    // The same stale resourceVersion again: someone else's write won.
    const stale = await h.request('PUT', '/api/v1/namespaces/default/configmaps/w1', { body: { ...g.json, data: { k: 'v3' } } });
    expect(stale.status).toBe(409);
    expect(stale.json).toMatchObject({ reason: 'Conflict' });
    expect(stale.json.message).toContain('the object has been modified');

    const mp = await h.request('PATCH', '/api/v1/namespaces/default/configmaps/w1', {
      body: { metadata: { labels: { b: '2' } }, data: { extra: 'x' } },
      headers: { 'Content-Type': 'application/merge-patch+json' },
    });
    expect(mp.status).toBe(200);
    expect(mp.json.metadata.labels).toEqual({ a: '1', b: '2' });
    expect(mp.json.data).toEqual({ k: 'v2', extra: 'x' });

    const jp = await h.request('PATCH', '/api/v1/namespaces/default/configmaps/w1', {
      body: [{ op: 'remove', path: '/data/extra' }],
      headers: { 'Content-Type': 'application/json-patch+json' },
    });
    expect(jp.json.data).toEqual({ k: 'v2' });

    const wrongPre = await h.request('DELETE', '/api/v1/namespaces/default/configmaps/w1', { body: { preconditions: { uid: 'nope' } } });
    expect(wrongPre.status).toBe(409);
    const del = await h.request('DELETE', '/api/v1/namespaces/default/configmaps/w1');
    expect(del.status).toBe(200);
    expect(del.json).toMatchObject({ kind: 'Status', status: 'Success', details: { name: 'w1', kind: 'configmaps' } });
    const gone = await h.request('GET', '/api/v1/namespaces/default/configmaps/w1');
    expect(gone.status).toBe(404);
    expect(gone.json).toMatchObject({ kind: 'Status', reason: 'NotFound', message: 'configmaps "w1" not found', details: { name: 'w1', kind: 'configmaps' } });
  });

  it('merges strategic patches of named lists element by element', async () => {
    const dep = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'smp' },
      spec: { replicas: 1, template: { spec: { containers: [{ name: 'a', image: 'x:1', ports: [{ containerPort: 80 }] }, { name: 'b', image: 'y:1' }] } } },
    };
    expect((await h.request('POST', '/apis/apps/v1/namespaces/default/deployments', { body: dep })).status).toBe(201);
    const p = await h.request('PATCH', '/apis/apps/v1/namespaces/default/deployments/smp', {
      body: { spec: { template: { spec: { $setElementOrder: undefined, containers: [{ name: 'a', image: 'x:2' }] } } } },
      headers: { 'Content-Type': 'application/strategic-merge-patch+json' },
    });
    expect(p.status).toBe(200);
    expect(p.json.spec.template.spec.containers).toEqual([
      { name: 'a', image: 'x:2', ports: [{ containerPort: 80 }] },
      { name: 'b', image: 'y:1' },
    ]);
    expect(p.json.metadata.generation).toBe(2);
  });

  it('rejects bad input with kube Status bodies (400, 404, 405, 422) and records each', async () => {
    const before = h.decisions.lastId;
    const badJSON = await h.request('POST', '/api/v1/namespaces/default/configmaps', { body: '{nope' });
    expect(badJSON.status).toBe(400);
    const badName = await h.request('POST', '/api/v1/namespaces/default/configmaps', { body: cm('Bad_Name') });
    expect(badName.status).toBe(422);
    expect(badName.json).toMatchObject({ reason: 'Invalid', details: { causes: [{ field: 'metadata.name' }] } });
    const rvm = await h.request('GET', '/api/v1/configmaps?resourceVersionMatch=Exact');
    expect(rvm.status).toBe(422);
    expect(rvm.json.message).toContain('resourceVersionMatch is forbidden unless resourceVersion is provided');
    const badSel = await h.request('GET', '/api/v1/configmaps?fieldSelector=spec.nope%3Dx');
    expect(badSel.status).toBe(400);
    expect(badSel.json.message).toContain('field label not supported');
    const badCont = await h.request('GET', '/api/v1/configmaps?limit=1&continue=garbage!');
    expect(badCont.status).toBe(400);
    expect(badCont.json.message).toMatch(/^invalid continue token: continue key is not valid/);
    const nores = await h.request('GET', '/api/v1/widgets');
    expect(nores.status).toBe(404);
    // As v1.36 answers: no PUT/PATCH route on a collection, no POST route on an object.
    const wrongRoute = [
      await h.request('PUT', '/api/v1/namespaces/default/configmaps', { body: cm('put-on-collection') }),
      await h.request('PATCH', '/api/v1/namespaces/default/configmaps', { body: '{}', headers: { 'Content-Type': 'application/merge-patch+json' } }),
      await h.request('POST', '/api/v1/namespaces/default/configmaps/post-on-object', { body: cm('post-on-object') }),
    ];
    for (const r of wrongRoute) {
      expect(r.status).toBe(405);
      expect(r.json).toMatchObject({ kind: 'Status', reason: 'MethodNotAllowed', code: 405, message: 'the server does not allow this method on the requested resource' });
    }
    expect((await h.request('GET', '/api/v1/namespaces/default/configmaps/put-on-collection')).status).toBe(404);
    const ds = h.decisionsSince(before);
    expect(ds.map((d) => d.status)).toEqual([400, 422, 422, 400, 400, 404, 405, 405, 405, 404]);
    expect(ds.slice(6, 9).map((d) => d.reason)).toEqual(['methodNotAllowed', 'methodNotAllowed', 'methodNotAllowed']);
  });
});

describe('LIST', () => {
  beforeAll(async () => {
    for (let i = 0; i < 7; i++) {
      await h.request('POST', '/api/v1/namespaces/default/configmaps', { body: cm(`l${i}`, { tier: i % 2 ? 'odd' : 'even' }) });
    }
    await cacheCaughtUp();
  });

  it('routes RV="" to etcd (etcd 3.4.23 lacks reliable progress notify) and RV=0 to the cache', async () => {
    const before = h.decisions.lastId;
    const a = await h.request('GET', '/api/v1/namespaces/default/configmaps?labelSelector=tier%3Dodd');
    expect(a.json.kind).toBe('ConfigMapList');
    expect(a.json.items.map((o: any) => o.metadata.name)).toEqual(['l1', 'l3', 'l5']);
    const b = await h.request('GET', '/api/v1/configmaps?resourceVersion=0&fieldSelector=metadata.name%3Dl2');
    expect(b.json.items.map((o: any) => o.metadata.name)).toEqual(['l2']);
    const [da, db] = h.decisionsSince(before);
    expect(da).toMatchObject({ verb: 'list', servedBy: 'etcd', reason: 'consistentReadFromStorage', status: 200, resourceVersion: a.json.metadata.resourceVersion });
    expect(db).toMatchObject({ verb: 'list', servedBy: 'cache', reason: 'servedFromCache', status: 200 });
  });

  it('paginates with upstream continue tokens from etcd and from the cache, with remainingItemCount', async () => {
    for (const [rvq, servedBy] of [['', 'etcd'], ['&resourceVersion=1&resourceVersionMatch=NotOlderThan', 'cache']] as const) {
      const names: string[] = [];
      let cont = '';
      let pages = 0;
      let firstRV = '';
      const before = h.decisions.lastId;
      do {
        const r = await h.request('GET', `/api/v1/namespaces/default/configmaps?limit=3${cont ? `&continue=${encodeURIComponent(cont)}` : rvq}`);
        expect(r.status).toBe(200);
        if (pages === 0) {
          firstRV = r.json.metadata.resourceVersion;
          expect(r.json.metadata.remainingItemCount).toBe(4);
        }
        names.push(...r.json.items.map((o: any) => o.metadata.name));
        cont = r.json.metadata.continue ?? '';
        if (cont) {
          const tok = JSON.parse(Buffer.from(cont, 'base64url').toString());
          expect(tok).toMatchObject({ v: 'meta.k8s.io/v1', rv: Number(firstRV) });
          expect(tok.start.endsWith('\u0000')).toBe(true);
        }
        pages++;
      } while (cont && pages < 10);
      expect(names).toEqual(['l0', 'l1', 'l2', 'l3', 'l4', 'l5', 'l6']);
      expect(pages).toBe(3);
      expect(h.decisionsSince(before)[0]!.servedBy).toBe(servedBy);
    }
  });

  it('answers a meta.k8s.io Table when asked, as kubectl does', async () => {
    const r = await h.request('GET', '/api/v1/namespaces/default/configmaps?limit=500', {
      headers: { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json' },
    });
    expect(r.json.kind).toBe('Table');
    expect(r.json.columnDefinitions.map((c: any) => c.name)).toEqual(['Name', 'Data', 'Age']);
    expect(r.json.rows[0].cells[0]).toBe('l0');
    expect(r.json.rows[0].object).toMatchObject({ kind: 'PartialObjectMetadata', metadata: { name: 'l0', namespace: 'default' } });
  });

  it('streams a large list in chunks', async () => {
    const big = 'x'.repeat(2000);
    await Promise.all(Array.from({ length: 60 }, (_, i) => h.request('POST', '/api/v1/namespaces/default/secrets', { body: { metadata: { name: `s${i}` }, data: { d: Buffer.from(big).toString('base64') } } })));
    const r = await h.request('GET', '/api/v1/secrets');
    expect(r.headers['content-length']).toBeUndefined();
    expect(r.headers['transfer-encoding']).toBe('chunked');
    expect(r.json.items).toHaveLength(60);
  });

  it('serves a stale RV=0 list from a lagging cache and says so; RV="" reads etcd', async () => {
    await cacheCaughtUp();
    h.holdable.hold();
    try {
      const c = await h.request('POST', '/api/v1/namespaces/default/configmaps', { body: cm('while-lagging') });
      expect(c.status).toBe(201);
      const before = h.decisions.lastId;
      const stale = await h.request('GET', '/api/v1/namespaces/default/configmaps?resourceVersion=0');
      const fresh = await h.request('GET', '/api/v1/namespaces/default/configmaps');
      expect(stale.json.items.map((o: any) => o.metadata.name)).not.toContain('while-lagging');
      expect(fresh.json.items.map((o: any) => o.metadata.name)).toContain('while-lagging');
      expect(Number(stale.json.metadata.resourceVersion)).toBeLessThan(Number(c.json.metadata.resourceVersion));
      const [ds, df] = h.decisionsSince(before);
      expect(ds).toMatchObject({ servedBy: 'cache', reason: 'servedFromCache', resourceVersion: stale.json.metadata.resourceVersion });
      expect(ds!.detail).toContain('without waiting');
      expect(df).toMatchObject({ servedBy: 'etcd', reason: 'consistentReadFromStorage' });
      // A read at the new revision must wait for the cache: 504 with Retry-After after 3s.
      const t0 = Date.now();
      const tooNew = await h.request('GET', `/api/v1/namespaces/default/configmaps/while-lagging?resourceVersion=${c.json.metadata.resourceVersion}`);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(2900);
      expect(tooNew.status).toBe(504);
      expect(tooNew.headers['retry-after']).toBe('1');
      expect(tooNew.json).toMatchObject({ reason: 'Timeout', details: { causes: [{ reason: 'ResourceVersionTooLarge' }], retryAfterSeconds: 1 } });
      expect(h.decisionsSince(before)[2]).toMatchObject({ servedBy: 'cache', status: 504 });
    } finally {
      h.holdable.release();
    }
  });
});

describe('WATCH', () => {
  it('streams events from the cache as chunked JSON lines, then a 410 ERROR for a too old RV', async () => {
    await cacheCaughtUp();
    const rv = (await h.request('GET', '/api/v1/namespaces/default/configmaps?resourceVersion=0')).json.metadata.resourceVersion;
    const p = watchLines(`/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${rv}`, 2);
    await new Promise((r) => setTimeout(r, 200));
    await h.request('POST', '/api/v1/namespaces/default/configmaps', { body: cm('watched') });
    await h.request('DELETE', '/api/v1/namespaces/default/configmaps/watched');
    const w = await p;
    expect(w.status).toBe(200);
    expect(w.headers['transfer-encoding']).toBe('chunked');
    expect(w.lines.map((l) => `${l.type}:${l.object.metadata.name}`)).toEqual(['ADDED:watched', 'DELETED:watched']);
    const d = h.decisions.since(0).filter((x) => x.verb === 'watch').at(-1)!;
    expect(d).toMatchObject({ servedBy: 'cache', status: 200, resourceVersion: rv });

    // Push the history window past RV 1 is not possible quickly; instead compact etcd and use a
    // cache-disabled resource (events): the etcd watch answers 410 inside the stream.
    await h.request('POST', '/api/v1/namespaces/default/events', { body: { metadata: { name: 'e1' }, reason: 'x' } });
    const cur = await h.store('events').currentRevision();
    await h.store('events').compact(cur);
    const old = await watchLines('/api/v1/namespaces/default/events?watch=true&resourceVersion=1', 1);
    expect(old.status).toBe(200);
    expect(old.lines[0]).toMatchObject({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } });
  });

  it('serves events (watch cache off) from an etcd watch, listed as a storage watcher', async () => {
    const before = h.decisions.lastId;
    const p = watchLines('/api/v1/namespaces/default/events?watch=1&resourceVersion=0', 2);
    await new Promise((r) => setTimeout(r, 300));
    expect(h.server.storageWatchers.liveWatchers().some((w) => w.resource === 'events')).toBe(true);
    await h.request('POST', '/api/v1/namespaces/default/events', { body: { metadata: { name: 'e2' }, reason: 'y' } });
    const w = await p;
    expect(w.lines.map((l) => `${l.type}:${l.object.metadata.name}`)).toEqual(['ADDED:e1', 'ADDED:e2']);
    expect(h.decisionsSince(before)[0]).toMatchObject({ verb: 'watch', servedBy: 'etcd', reason: 'cacheDisabled' });
    await new Promise((r) => setTimeout(r, 100));
    expect(h.server.storageWatchers.closedWatchers().at(-1)).toMatchObject({ resource: 'events', closeReason: 'clientGone', eventsSent: 2 });
  });

  it('answers a watch-list on etcd 3.4.23 with one ERROR event (500), as 1.34 does', async () => {
    const w = await watchLines('/api/v1/configmaps?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true', 1);
    expect(w.status).toBe(200);
    expect(w.lines[0]).toMatchObject({ type: 'ERROR', object: { code: 500, message: expect.stringContaining('RequestWatchProgress is disabled') } });
    const d = h.decisions.since(0).at(-1)!;
    expect(d).toMatchObject({ servedBy: 'cache', reason: 'etcdLacksProgress', status: 200 });
  });

  it('ends a watch at timeoutSeconds and stops its cacheWatcher when the client goes away', async () => {
    const t0 = Date.now();
    const w = await watchLines('/api/v1/configmaps?watch=1&resourceVersion=0&timeoutSeconds=1', 1000, 5000);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(w.lines.length).toBeGreaterThan(5); // initial ADDED events for RV 0
    const cacher = h.backend.cachers.get('configmaps')!;
    await new Promise((r) => setTimeout(r, 100));
    expect(cacher.closedWatchers().at(-1)!.closeReason).toBe('timeout');
    await watchLines('/api/v1/configmaps?watch=1&resourceVersion=0', 2);
    await new Promise((r) => setTimeout(r, 200));
    expect(cacher.closedWatchers().at(-1)!.closeReason).toBe('clientGone');
    expect(cacher.liveWatchers()).toHaveLength(0);
  });

  // timeoutSeconds × 1e9 is an int64 of nanoseconds on kube-apiserver: v1.36 keeps a watch with
  // 2147484 s open, ends one with -5 s or 9223372037 s (negative after the wrap) at once, and one
  // with 18446744074 s (wrapped to 0.26 s) within a second.
  it.each([
    ['2147484', 'stays open'],
    ['99999999999', 'stays open'],
    ['-5', 'ends at once'],
    ['9223372037', 'ends at once'],
    ['18446744074', 'ends at once'],
  ] as const)('timeoutSeconds=%s: the watch %s, as on kube-apiserver', async (t, want) => {
    const t0 = Date.now();
    const w = await watchLines(`/api/v1/configmaps?watch=1&resourceVersion=0&timeoutSeconds=${t}`, 1000, 2500);
    expect(w.status).toBe(200);
    const cacher = h.backend.cachers.get('configmaps')!;
    if (want === 'stays open') {
      // Read until our own 2.5 s limit: the server did not end it.
      expect(Date.now() - t0).toBeGreaterThanOrEqual(2400);
      expect(w.lines.length).toBeGreaterThan(0);
    } else {
      expect(Date.now() - t0).toBeLessThan(2000);
      await new Promise((r) => setTimeout(r, 100));
      expect(cacher.closedWatchers().at(-1)!.closeReason).toBe('timeout');
    }
  });

  it('answers an HTTP/1.0 watch without chunked framing: JSON lines until the server closes', async () => {
    const target = { port: Number(new URL(h.server.url).port), ca: h.server.caPem! };
    const a = await rawRequest(target, `GET /api/v1/namespaces/default/configmaps?watch=1&resourceVersion=0&timeoutSeconds=1 HTTP/1.0\r\nHost: localhost\r\nAuthorization: Bearer ${h.server.token}\r\n\r\n`, 8000);
    expect(a.status).toBe(200);
    const head = a.text.slice(0, a.text.indexOf('\r\n\r\n')).toLowerCase();
    expect(head).not.toContain('transfer-encoding');
    expect(head).not.toContain('content-length');
    const lines = rawBody(a).split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(JSON.parse(l)).toMatchObject({ type: 'ADDED', object: { kind: 'ConfigMap' } });
  });
});

describe('debug endpoints', () => {
  it('serves the decision log with ?since and the snapshot callback', async () => {
    const all = await h.request('GET', '/debug/watchscope/decisions');
    expect(Array.isArray(all.json)).toBe(true);
    const last = all.json.at(-1).id;
    await h.request('GET', '/api/v1/namespaces/default/configmaps/l0');
    const since = await h.request('GET', `/debug/watchscope/decisions?since=${last}`);
    expect(since.json).toHaveLength(1);
    expect(since.json[0]).toMatchObject({ verb: 'get', name: 'l0', servedBy: 'etcd', reason: 'getQuorumRead' });
    expect((await h.request('GET', '/debug/watchscope/snapshot')).status).toBe(404);
    expect((await h.request('GET', '/debug/watchscope/decisions', { token: null })).status).toBe(401);
  });
});

describe('names and namespaces, checked as kube-apiserver v1.36 checks them on every verb', () => {
  const body = (name: string) => JSON.stringify(cm(name));
  const nameInvalid = (n: string, why: string) => ({ status: 400, reason: 'BadRequest', message: `Name parameter invalid: ${JSON.stringify(n)}: ${why}` });
  const invalidKey = (key: string) => ({ status: 500, reason: undefined, message: `invalid key: ${JSON.stringify(key)}` });
  const notRouted = { status: 404, reason: 'NotFound', message: 'the server could not find the requested resource' };
  const label = (ns: string, why = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')") => ({
    status: 422,
    reason: 'Invalid',
    message: `ConfigMap "x" is invalid: metadata.namespace: Invalid value: ${JSON.stringify(ns)}: ${why}`,
  });
  // Each answer below is what a real kube-apiserver v1.36.2 sent for the same request (the
  // namespace rows of POST with its NamespaceLifecycle admission off, which watchscope does not model).
  const rows: [string, string, string | undefined, { status: number; reason: string | undefined; message: string }][] = [
    ['GET', '/api/v1/namespaces/a%2Fb/configmaps', undefined, notRouted],
    ['GET', '/api/v1/namespaces/..%2F..%2Fx/configmaps', undefined, notRouted],
    ['POST', '/api/v1/namespaces/a%2Fb/configmaps', body('x'), notRouted],
    ['POST', '/api/v1/namespaces/..%2F..%2Fx/configmaps', body('x'), notRouted],
    ['GET', '/api/v1/namespaces/default/configmaps/a%2Fb', undefined, notRouted],
    ['DELETE', '/api/v1/namespaces/default/configmaps/a%2Fb', undefined, notRouted],
    ['GET', '/api/v1/namespaces/default/configmaps/..', undefined, nameInvalid('..', "may not be '..'")],
    ['GET', '/api/v1/namespaces/default/configmaps/%2E%2E', undefined, nameInvalid('..', "may not be '..'")],
    ['GET', '/api/v1/namespaces/default/configmaps/%2E', undefined, nameInvalid('.', "may not be '.'")],
    ['GET', '/api/v1/namespaces/default/configmaps/a%25b', undefined, nameInvalid('a%b', "may not contain '%'")],
    ['GET', '/api/v1/namespaces/default/configmaps/..?resourceVersion=abc', undefined, nameInvalid('..', "may not be '..'")],
    ['GET', '/api/v1/namespaces/default/configmaps/..?watch=1', undefined, nameInvalid('..', "may not be '..'")],
    ['GET', '/api/v1/namespaces/..', undefined, nameInvalid('..', "may not be '..'")],
    ['PUT', '/api/v1/namespaces/default/configmaps/..', body('..'), nameInvalid('..', "may not be '..'")],
    ['PUT', '/api/v1/namespaces/default/configmaps/a%25b', body('a%b'), nameInvalid('a%b', "may not contain '%'")],
    ['DELETE', '/api/v1/namespaces/default/configmaps/a%25b', undefined, nameInvalid('a%b', "may not contain '%'")],
    ['DELETE', '/api/v1/namespaces/default/configmaps/%252F', undefined, nameInvalid('%2F', "may not contain '%'")],
    ['GET', '/api/v1/namespaces/../configmaps', undefined, invalidKey('/configmaps/..')],
    ['GET', '/api/v1/namespaces/%2E%2E/configmaps', undefined, invalidKey('/configmaps/..')],
    ['GET', '/api/v1/namespaces/../configmaps?resourceVersion=0', undefined, invalidKey('/configmaps/..')],
    ['GET', '/api/v1/namespaces/../configmaps?watch=1', undefined, invalidKey('/configmaps/..')],
    ['GET', '/api/v1/namespaces/./configmaps/x', undefined, invalidKey('/configmaps/./x')],
    ['GET', '/api/v1/namespaces/../services', undefined, invalidKey('/services/specs/..')],
    ['GET', '/apis/apps/v1/namespaces/../deployments', undefined, invalidKey('/deployments/..')],
    ['DELETE', '/api/v1/namespaces/../configmaps/x', undefined, invalidKey('/configmaps/../x')],
    ['POST', '/api/v1/namespaces/../configmaps', body('x'), label('..')],
    ['POST', '/api/v1/namespaces/A/configmaps', body('x'), label('A')],
    ['POST', '/api/v1/namespaces/a%25b/configmaps', body('x'), label('a%b')],
    ['POST', '/api/v1/namespaces/a.b/configmaps', body('x'), label('a.b', 'must not contain dots')],
    ['POST', `/api/v1/namespaces/${'a'.repeat(64)}/configmaps`, body('x'), label('a'.repeat(64), 'must be no more than 63 characters')],
  ];

  it.each(rows)('%s %s', async (method, path, b, want) => {
    const before = h.decisions.lastId;
    const r = await h.request(method, path, b === undefined ? {} : { body: b });
    expect({ status: r.status, reason: r.json?.reason, message: r.json?.message }).toEqual(want);
    expect(r.json).toMatchObject({ kind: 'Status', status: 'Failure', code: want.status });
    if (want !== notRouted) expect(h.decisionsSince(before).map((d) => [d.servedBy, d.status])).toEqual([['rejected', want.status]]);
  });

  it('writes through `..` or `/` in a namespace or name create no key outside the collection', async () => {
    for (const [method, path, b] of rows) if (method !== 'GET') await h.request(method, path, b === undefined ? {} : { body: b });
    const keys = (await h.source.list('/')).items.map((i) => i.key);
    expect(keys.length).toBeGreaterThan(0);
    const stray = keys.filter((k) => {
      const m = /^\/registry\/configmaps\/([^/]*)\/(.*)$/.exec(k);
      return k.split('/').some((seg) => seg === '.' || seg === '..' || seg.includes('%')) || (k.startsWith('/registry/configmaps/') && (!m || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(m[1]!) || m[1]!.length > 63 || m[2]!.includes('/')));
    });
    expect(stray).toEqual([]);
    // Lowercase DNS labels are still fine, and the server still serves.
    expect((await h.request('POST', '/api/v1/namespaces/default/configmaps', { body: cm('fine-name') })).status).toBe(201);
  });
});
