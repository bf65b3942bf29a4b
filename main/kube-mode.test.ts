// kube mode whose "cluster" is another watchscope: Session A serves etcd mode on a real etcd,
// Session B connects in kube mode through the kubeconfig A wrote. B's cachers list and watch A's
// endpoint like client-go reflectors, so this proves A speaks enough of the API (discovery,
// /version, paginated LIST, WATCH with bookmarks) and B consumes it, both without a kube-apiserver.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionState } from '../shared/model.js';
import { Session } from './session.js';
import { listContexts } from './storage/kube/kubeconfig.js';
import { startEtcd, type EtcdProcess } from './storage/etcd/process.js';
import { profileForServerVersion } from './storage/routing/index.js';
import { endpointFromKubeconfig, endpointRequest, until, type KubeconfigEndpoint } from './storage/apiserver/testing.js';

const execFileP = promisify(execFile);

type Endpoint = KubeconfigEndpoint;

function endpointOf(st: ConnectionState): Endpoint {
  if (st.state !== 'connected' || !st.kubeconfigPath) throw new Error(`not connected: ${JSON.stringify(st)}`);
  return endpointFromKubeconfig(st.kubeconfigPath);
}

const request = (ep: Endpoint, method: string, path: string, body?: unknown) => endpointRequest(ep, 'kube-mode.test', method, path, body);

type Item = { metadata: { name: string; namespace?: string; resourceVersion: string; labels?: Record<string, string> } };
const items = (r: { json: Record<string, unknown> }) => (r.json.items ?? []) as Item[];
/** name → resourceVersion: equal maps mean equal caches. */
const state = (r: { json: Record<string, unknown> }) => Object.fromEntries(items(r).map((i) => [`${i.metadata.namespace ?? ''}/${i.metadata.name}`, i.metadata.resourceVersion]));


describe('watchscope (kube mode) on top of another watchscope (etcd mode)', () => {
  let etcd: EtcdProcess;
  const a = new Session();
  const b = new Session();
  let epA: Endpoint;
  let epB: Endpoint;

  beforeAll(async () => {
    etcd = await startEtcd();
    const st = await a.connect({ mode: 'etcd', endpoints: [etcd.endpoint], resources: ['configmaps', 'pods', 'namespaces'] });
    epA = endpointOf(st);
    await request(epA, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'chain' } });
    for (let i = 0; i < 3; i++) {
      const r = await request(epA, 'POST', '/api/v1/namespaces/chain/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `seed-${i}` }, data: { i: String(i) } });
      if (r.status !== 201) throw new Error(`seed create: ${r.status} ${JSON.stringify(r.json)}`);
    }
  });

  afterAll(async () => {
    await b.close();
    await a.close();
    await etcd?.stop();
  });

  it('B connects through the kubeconfig A wrote (its only context), with a profile from A\'s /version', async () => {
    const kubeconfig = endpointOf(a.connection()).kubeconfig;
    const contexts = listContexts({ kubeconfig });
    expect(contexts.map((c) => c.name)).toEqual(['watchscope']);
    const st = await b.connect({ mode: 'kube', kubeconfig, context: contexts[0]!.name });
    expect(st.message).toBeUndefined();
    expect(st.state).toBe('connected');
    if (st.state !== 'connected') return;
    expect(st.target).toBe(`watchscope (${epA.server})`);
    // Only what A serves is cached: A has no services, nodes, deployments or leases.
    expect([...b.current!.backend.resources()].map((r) => r.resource).sort()).toEqual(['configmaps', 'namespaces', 'pods']);
    // A's /version names the Kubernetes release it imitates, and B picks that profile.
    const version = (await request(epA, 'GET', '/version')).json as { gitVersion: string };
    expect(st.sourceVersion).toBe(version.gitVersion);
    expect(st.profile).toBe(profileForServerVersion(version.gitVersion).name);
    expect(b.profileName()).toBe(st.profile);
    epB = endpointOf(st);
    expect(epB.server).not.toBe(epA.server);
  });

  it('B\'s cache converges with A\'s, object for object and resourceVersion for resourceVersion, under writes', async () => {
    const cachedA = () => request(epA, 'GET', '/api/v1/namespaces/chain/configmaps?resourceVersion=0');
    const cachedB = () => request(epB, 'GET', '/api/v1/namespaces/chain/configmaps?resourceVersion=0');
    const converged = async () => {
      const [ra, rb] = await Promise.all([cachedA(), cachedB()]);
      return JSON.stringify(state(ra)) === JSON.stringify(state(rb)) ? state(ra) : undefined;
    };
    await until(async () => (await converged()) !== undefined && Object.keys((await converged())!).length === 3, 10_000, 'B to hold the 3 seeds');

    // Writes through A (kubectl on A's kubeconfig, and raw HTTP), seen through B.
    await execFileP('kubectl', ['--kubeconfig', epA.kubeconfig, 'create', 'configmap', 'by-kubectl', '-n', 'chain', '--from-literal=k=v']);
    await execFileP('kubectl', ['--kubeconfig', epA.kubeconfig, 'label', 'configmap', 'seed-0', '-n', 'chain', 'hop=2']);
    await request(epA, 'DELETE', '/api/v1/namespaces/chain/configmaps/seed-1');
    let last: Record<string, string> | undefined;
    await until(async () => {
      last = await converged();
      return !!last && Object.keys(last).sort().join(',') === 'chain/by-kubectl,chain/seed-0,chain/seed-2';
    }, 10_000, 'B to converge with A after create/label/delete');
    const seed0 = items(await cachedB()).find((i) => i.metadata.name === 'seed-0');
    expect(seed0?.metadata.labels).toEqual({ hop: '2' });

    // kubectl pointed at B sees the same objects.
    const viaB = JSON.parse((await execFileP('kubectl', ['--kubeconfig', epB.kubeconfig, 'get', 'configmaps', '-n', 'chain', '-o', 'json'])).stdout) as { items: Item[] };
    expect(Object.fromEntries(viaB.items.map((i) => [`chain/${i.metadata.name}`, i.metadata.resourceVersion]))).toEqual(last);

    // A burst: B's watch keeps up with A's.
    await Promise.all(Array.from({ length: 20 }, (_, i) => request(epA, 'POST', '/api/v1/namespaces/chain/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `burst-${i}` } })));
    await until(async () => Object.keys((await converged()) ?? {}).length === 23, 10_000, 'B to converge after a burst of 20 creates');
    // B's cache info reports it is ready and caught up to A's revision.
    const info = b.current!.caches().map((c) => c.info()).find((i) => i.resource === 'configmaps')!;
    expect(info.ready).toBe('Ready');
  });

  it('B delegates a quorum LIST to A (which answers from etcd) and refuses writes with 405', async () => {
    const mark = (await b.getDecisions({ since: 0 })).lastDecisionId;
    const markA = (await a.getDecisions({ since: 0 })).lastDecisionId;
    const r = await request(epB, 'GET', '/api/v1/namespaces/chain/configmaps');
    expect(r.status).toBe(200);
    expect(items(r)).toHaveLength(23);
    const dB = (await b.getDecisions({ since: mark })).decisions.filter((x) => x.userAgent === 'kube-mode.test');
    expect(dB).toMatchObject([{ verb: 'list', servedBy: 'etcd', reason: 'consistentReadFromStorage', status: 200 }]);
    // What served it is named: A, the cluster's apiserver, not an etcd B never talks to.
    expect(dB[0]!.detail).toContain("the cluster's kube-apiserver");
    expect(dB[0]!.detail).not.toMatch(/\betcd\b(?![0-9])/);
    // The delegated read arrived at A as a LIST of its own, from B's KubeStore (not kube-mode.test).
    const dA = (await a.getDecisions({ since: markA })).decisions.filter((x) => x.verb === 'list' && x.resource === 'configmaps' && x.namespace === 'chain');
    expect(dA.length).toBeGreaterThanOrEqual(1);
    expect(dA.at(-1)!.userAgent).not.toBe('kube-mode.test');

    const w = await request(epB, 'POST', '/api/v1/namespaces/chain/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'via-b' } });
    expect(w.status).toBe(405);
    expect(w.json).toMatchObject({ kind: 'Status', reason: 'MethodNotAllowed', code: 405 });
    expect((await request(epA, 'GET', '/api/v1/namespaces/chain/configmaps/via-b')).status).toBe(404);
  });
});
