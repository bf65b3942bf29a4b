// @kubernetes/client-node (ESM) informers against the endpoint: list + watch converge on etcd's
// state under concurrent writes and across an etcd kill -9 and restart.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CoreV1Api, KubeConfig, makeInformer, type ObjectCache, type V1ConfigMap } from '@kubernetes/client-node';
import { startTestApiServer, type TestApiServer } from './testing.js';

let h: TestApiServer;

beforeAll(async () => {
  h = await startTestApiServer();
  await h.request('POST', '/api/v1/namespaces', { body: { metadata: { name: 'default' } } });
});
afterAll(async () => {
  await h?.close();
});

async function etcdState(): Promise<Map<string, string>> {
  const r = await h.store('configmaps').getList({ namespace: 'default', hasSelectors: false });
  return new Map(r.items.map((s) => [s.object.metadata.name, String((s.object.data as Record<string, string> | undefined)?.v ?? '')]));
}

async function converge(informer: Pick<ObjectCache<V1ConfigMap>, 'list'>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let want = new Map<string, string>();
  let got = new Map<string, string>();
  while (Date.now() < deadline) {
    want = await etcdState();
    got = new Map(informer.list().map((c) => [c.metadata!.name!, c.data?.v ?? '']));
    if (want.size === got.size && [...want].every(([k, v]) => got.get(k) === v)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  expect([...got].sort()).toEqual([...want].sort());
}

const write = (i: number, v: string) =>
  h.request('PUT', `/api/v1/namespaces/default/configmaps/c${i}`, { body: { metadata: { name: `c${i}` }, data: { v } } });

it('an informer converges on etcd under writes and across an etcd kill -9 + restart', async () => {
  const kc = new KubeConfig();
  kc.loadFromFile(h.kubeconfigPath);
  const api = kc.makeApiClient(CoreV1Api);
  const informer = makeInformer<V1ConfigMap>(kc, '/api/v1/namespaces/default/configmaps', () => api.listNamespacedConfigMap({ namespace: 'default' }));
  const errors: unknown[] = [];
  let stopped = false;
  // client-node stops its informer on errors other than 410; restart it as controllers do.
  informer.on('error', (e) => {
    errors.push(e);
    if (!stopped) setTimeout(() => void informer.start().catch(() => undefined), 300);
  });
  for (let i = 0; i < 10; i++) {
    await h.request('POST', '/api/v1/namespaces/default/configmaps', { body: { metadata: { name: `c${i}` }, data: { v: '0' } } });
  }
  await informer.start();
  try {
    await converge(informer);
    // Concurrent writes: updates, creates and deletes while the informer watches.
    await Promise.all([
      ...Array.from({ length: 10 }, (_, i) => write(i, '1')),
      ...Array.from({ length: 5 }, (_, i) => h.request('POST', '/api/v1/namespaces/default/configmaps', { body: { metadata: { name: `n${i}` }, data: { v: 'n' } } })),
    ]);
    await Promise.all([h.request('DELETE', '/api/v1/namespaces/default/configmaps/c0'), h.request('DELETE', '/api/v1/namespaces/default/configmaps/n4')]);
    await converge(informer);
    const listDecision = h.decisions.since(0).find((d) => d.verb === 'list' && d.userAgent !== 'unknown');
    expect(listDecision).toMatchObject({ servedBy: 'etcd', reason: 'consistentReadFromStorage' });
    const watchDecision = h.decisions.since(0).find((d) => d.verb === 'watch');
    expect(watchDecision).toMatchObject({ servedBy: 'cache', status: 200 });

    await h.etcd.kill9();
    await new Promise((r) => setTimeout(r, 500));
    await h.etcd.restart();
    // Writes after the restart reach the informer through the cache's resumed etcd watch.
    for (let attempt = 0; ; attempt++) {
      const r = await write(1, '2');
      if (r.status === 200) break;
      expect(attempt).toBeLessThan(50);
      await new Promise((res) => setTimeout(res, 200));
    }
    await write(2, '2');
    await h.request('DELETE', '/api/v1/namespaces/default/configmaps/c3');
    await converge(informer, 30_000);
    expect(informer.list().find((c) => c.metadata!.name === 'c1')!.data!.v).toBe('2');
  } finally {
    stopped = true;
    await informer.stop();
  }
});

it('deleteCollectionNamespacedConfigMap deletes what its label selector matches', async () => {
  const kc = new KubeConfig();
  kc.loadFromFile(h.kubeconfigPath);
  const api = kc.makeApiClient(CoreV1Api);
  await h.request('POST', '/api/v1/namespaces', { body: { metadata: { name: 'dc' } } });
  for (const [name, app] of [['a', 'x'], ['b', 'x'], ['c', 'y']] as const) {
    await api.createNamespacedConfigMap({ namespace: 'dc', body: { metadata: { name, labels: { app } } } });
  }
  const since = h.decisions.lastId;
  // The generated client reads the answer as a V1Status (the body, a ConfigMapList, is compared
  // with kube-apiserver's in differential.test.ts); what matters here is that it succeeds.
  await api.deleteCollectionNamespacedConfigMap({ namespace: 'dc', labelSelector: 'app=x' });
  const left = await api.listNamespacedConfigMap({ namespace: 'dc' });
  expect(left.items.map((o) => o.metadata!.name)).toEqual(['c']);
  const d = h.decisionsSince(since).find((x) => x.verb === 'delete' && !x.name);
  expect(d).toMatchObject({ servedBy: 'etcd', status: 200 });
  expect(d!.detail).toMatch(/^deletecollection: listed 2 from (the watch cache|etcd) \(.+\); then each item deleted in etcd as Store\.Delete does: 2 deleted\.$/);
});
