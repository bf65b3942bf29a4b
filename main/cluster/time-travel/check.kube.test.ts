// The time-travel check against real kube-apiservers.
// v1.36: two apiservers on one etcd behind a round-robin TCP balancer; B reaches etcd through a
// proxy that can hold back everything etcd sends it, so B's watch — and with it B's watch cache —
// stops hearing about writes made through A, while B goes on answering resourceVersion=0 LISTs
// from that cache. This is a real apiserver's real cache held behind, not a stopped process.
// (Its reads of etcd stall too; the check's consistent LISTs share one kept-alive connection,
// which this balancer sends to A, the first backend.)
// v1.20: one apiserver, where the check must find nothing behind, and its errors (403, nobody
// listening) must be one clear sentence each.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { startEtcd, type EtcdProcess } from '../../storage/etcd/process.js';
import { KUBE_136_MISSING_MESSAGE, findKubeApiserver136, startKube136, type RealApiserver } from '../../storage/kube/testing/kube-1.36.js';
import { CONTEXTS, KUBE_APISERVER_MISSING_MESSAGE, findKubeApiserver, startTestApiserver, type TestApiserver } from '../../storage/kube/testing/apiserver.js';
import { rawRequest, until } from '../../storage/apiserver/testing.js';
import { KubeError } from '../../storage/kube/errors.js';
import { startBalancer, startHoldableProxy, type Balancer, type HoldableProxy, servingCertificate } from './testing/tcp.js';
import { contextClient } from './client.js';
import { timeTravelCheck } from './check.js';
import { watchscope } from './testing/cli.js';
import { Session } from '../../session.js';

const CM = '/api/v1/namespaces/default/configmaps';


const missing136 = findKubeApiserver136() ? undefined : KUBE_136_MISSING_MESSAGE;
if (missing136) console.warn(`\n!!! time-travel tests against kube-apiserver v1.36 SKIPPED: ${missing136}\n`);

(missing136 ? describe.skip : describe)('time travel across two real kube-apiservers v1.36 on one etcd', () => {
  let etcd: EtcdProcess;
  let proxy: HoldableProxy;
  let a: RealApiserver;
  let b: RealApiserver;
  let lb: Balancer;
  let dir: string;
  /** A kubeconfig for the balancer: both serving CAs, and A's admin client certificate, which B also trusts. */
  let lbKubeconfig: string;
  const ep = (s: RealApiserver) => ({ url: s.server, token: s.token, caPem: s.ca.toString() });
  const names = async (s: RealApiserver) => {
    const r = await rawRequest(ep(s), 'GET', `${CM}?resourceVersion=0`);
    return new Map((r.json.items as any[]).map((o) => [o.metadata.name as string, o.metadata.resourceVersion as string]));
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'watchscope-time-travel-'));
    etcd = await startEtcd();
    const u = new URL(etcd.endpoint);
    proxy = await startHoldableProxy({ host: u.hostname, port: Number(u.port) });
    a = await startKube136(etcd.endpoint);
    // B trusts A's client CA (the flag given last wins), so one client certificate works through the balancer.
    const aWork = dirname(a.kubeconfig);
    b = await startKube136(proxy.url, [`--client-ca-file=${join(aWork, 'ca.crt')}`]);
    lb = await startBalancer([
      { host: '127.0.0.1', port: Number(new URL(a.server).port) },
      { host: '127.0.0.1', port: Number(new URL(b.server).port) },
    ]);
    const b64 = (f: string) => readFileSync(join(aWork, f)).toString('base64');
    lbKubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      lbKubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        `- name: lb\n  cluster:\n    server: https://127.0.0.1:${lb.port}\n    certificate-authority-data: ${Buffer.concat([a.ca, b.ca]).toString('base64')}`,
        'users:',
        `- name: admin\n  user:\n    client-certificate-data: ${b64('admin.crt')}\n    client-key-data: ${b64('admin.key')}`,
        'contexts:',
        '- name: ha\n  context:\n    cluster: lb\n    user: admin',
        'current-context: ha',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    for (const n of ['keep-1', 'keep-2', 'keep-3']) {
      const r = await rawRequest(ep(a), 'POST', CM, { body: { metadata: { name: n }, data: { v: '1' } } });
      expect(r.status, r.text).toBe(201);
    }
    await until(async () => (await names(b)).size === 3, 30_000, "B's cache to hold the three configmaps");
  }, 180_000);

  afterAll(async () => {
    proxy?.release();
    await lb?.close();
    await b?.stop();
    await a?.stop();
    await proxy?.close();
    await etcd?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('names B, whose etcd feed is held, and the objects its cache answers lack', async () => {
    proxy.hold();
    try {
      const keep1 = await rawRequest(ep(a), 'GET', `${CM}/keep-1`);
      expect((await rawRequest(ep(a), 'PUT', `${CM}/keep-1`, { body: { ...keep1.json, data: { v: '2' } } })).status).toBe(200);
      expect((await rawRequest(ep(a), 'DELETE', `${CM}/keep-2`)).status).toBe(200);
      expect((await rawRequest(ep(a), 'POST', CM, { body: { metadata: { name: 'new-1' } } })).status).toBe(201);
      await until(async () => (await names(a)).has('new-1'), 30_000, "A's cache to see the writes");
      // B's cache really is behind: its resourceVersion=0 answer still has the three originals.
      expect([...(await names(b)).keys()].sort()).toEqual(['keep-1', 'keep-2', 'keep-3']);

      const client = await contextClient({ kubeconfig: lbKubeconfig, context: 'ha' });
      const result = await timeTravelCheck({ client, resource: 'configmaps', attempts: 6, target: 'cluster', timeoutMs: 20_000 });

      const fpA = await servingCertificate(a.server, a.ca);
      const fpB = await servingCertificate(b.server, b.ca);
      const rA = result.replicas.find((r) => r.certificateSha256 === fpA);
      const rB = result.replicas.find((r) => r.certificateSha256 === fpB);
      expect(rA, JSON.stringify(result.replicas)).toBeDefined();
      expect(rB, JSON.stringify(result.replicas)).toBeDefined();
      expect(result.replicas).toHaveLength(2);
      expect(result.summary).toMatchObject({ answered: 6, failed: 0, behindReplicas: [rB!.id] });
      const fromB = result.answers.filter((x) => x.replica === rB!.id);
      expect(fromB.length).toBeGreaterThan(0);
      expect(rB!.stale).toBe(fromB.length);
      expect(rA!.stale).toBe(0);
      for (const x of fromB) {
        expect(x.verdict).toBe('stale');
        expect(x.counts).toMatchObject({ missing: 1, extra: 1, olderRv: 1 });
        expect(x.examples).toEqual(
          expect.arrayContaining([
            expect.objectContaining({ kind: 'missing', key: 'default/new-1' }),
            expect.objectContaining({ kind: 'extra', key: 'default/keep-2' }),
            expect.objectContaining({ kind: 'olderRv', key: 'default/keep-1' }),
          ]),
        );
      }
      for (const x of result.answers.filter((y) => y.replica === rA!.id)) expect(x.verdict).not.toBe('stale');
    } finally {
      proxy.release();
    }

    await until(async () => (await names(b)).has('new-1'), 30_000, 'B to catch up once released');
    const client = await contextClient({ kubeconfig: lbKubeconfig, context: 'ha' });
    const after = await timeTravelCheck({ client, resource: 'configmaps', attempts: 4, target: 'cluster' });
    expect(after.summary).toMatchObject({ answered: 4, stale: 0, behindReplicas: [] });
    expect(after.replicas).toHaveLength(2);
  }, 180_000);
});

const missing120 = findKubeApiserver() ? undefined : KUBE_APISERVER_MISSING_MESSAGE;
if (missing120) console.warn(`\n!!! time-travel tests against kube-apiserver v1.20 SKIPPED: ${missing120}\n`);

(missing120 ? describe.skip : describe)('time travel against a real kube-apiserver v1.20', () => {
  let api: TestApiserver;
  beforeAll(async () => {
    api = await startTestApiserver();
    for (const n of ['one', 'two']) await api.kubectl(['create', 'configmap', n, '-n', 'default']);
  }, 120_000);
  afterAll(async () => {
    await api?.stop();
  });

  it('one apiserver: every answer current, and says it cannot tell replicas apart', async () => {
    const client = await contextClient({ kubeconfig: api.kubeconfig, context: CONTEXTS.admin });
    const result = await timeTravelCheck({ client, resource: 'cm', attempts: 3, target: 'cluster' });
    expect(result.resource).toBe('configmaps');
    expect(result.replicas).toHaveLength(1);
    expect(result.summary).toMatchObject({ answered: 3, failed: 0, stale: 0, behindReplicas: [] });
    for (const x of result.answers) {
      expect(x.verdict).not.toBe('stale');
      expect(x.consistentItems).toBeGreaterThanOrEqual(2);
      expect(x.cacheItems).toBe(x.consistentItems);
    }
    expect(result.identityNote).toMatch(/cannot tell/);
  }, 60_000);

  it('a kube-mode session asks the cluster through its context, or its own endpoint', async () => {
    const session = new Session({ snapshotIntervalMs: 500 });
    try {
      const c = await session.connect({ mode: 'kube', kubeconfig: api.kubeconfig, context: CONTEXTS.admin, resources: ['configmaps'] });
      expect(c.state, c.message).toBe('connected');
      const cluster = await session.timeTravel({ action: 'check', resource: 'configmaps', attempts: 2, target: 'cluster' });
      expect(cluster.results[0]).toMatchObject({ server: api.server, target: 'cluster', summary: { answered: 2, stale: 0 } });
      const endpoint = await session.timeTravel({ action: 'check', resource: 'configmaps', attempts: 2, target: 'endpoint' });
      expect(endpoint.results[0]).toMatchObject({ server: session.current!.server.url, target: 'endpoint', summary: { answered: 2 } });
      expect(endpoint.results[0]!.answers[0]!.consistentItems).toBe(cluster.results[0]!.answers[0]!.consistentItems);
      expect(endpoint.results).toHaveLength(2);
      await session.disconnect();
      expect((await session.timeTravel({ action: 'status' })).results).toEqual([]);
    } finally {
      await session.close();
    }
  }, 90_000);

  it('a 403 is one sentence naming the user and the resource', async () => {
    const client = await contextClient({ kubeconfig: api.kubeconfig, context: CONTEXTS.lister });
    const err = await timeTravelCheck({ client, resource: 'pods', attempts: 3, target: 'cluster' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeError);
    expect((err as KubeError).kind).toBe('forbidden');
    expect((err as KubeError).message).toMatch(/pods/);
  }, 30_000);

  it('the CLI: text for people, one line and exit 1 for a 403, an unreachable server or an unknown context', async () => {
    const ok = await watchscope(['time-travel', '--kubeconfig', api.kubeconfig, '--context', CONTEXTS.admin, '--resource', 'configmaps', '-n', '2']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^time travel: configmaps on https:\/\/127\.0\.0\.1:\d+, 2 attempts/m);
    expect(ok.stdout).toMatch(/^summary: none of 2 answers came from behind/m);
    expect(ok.stdout).toMatch(/^note: Every answer came over the same serving certificate/m);

    const forbidden = await watchscope(['time-travel', '--kubeconfig', api.kubeconfig, '--context', CONTEXTS.lister, '--resource', 'pods']);
    expect(forbidden.code).toBe(1);
    expect(forbidden.stdout).toBe('');
    expect(forbidden.stderr.trim().split('\n')).toHaveLength(1);
    expect(forbidden.stderr).toMatch(/^watchscope: time-travel: .*pods/);
    expect(forbidden.stderr).toMatch(/forbid|not allowed|may not|RBAC/i);

    const down = await watchscope(['time-travel', '--kubeconfig', api.kubeconfig, '--context', CONTEXTS.unreachable, '--resource', 'pods']);
    expect(down.code).toBe(1);
    expect(down.stderr.trim().split('\n')).toHaveLength(1);
    expect(down.stderr).toMatch(/^watchscope: time-travel: /);

    const unknown = await watchscope(['time-travel', '--kubeconfig', api.kubeconfig, '--context', 'nope', '--resource', 'pods']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/context "nope" is not in the kubeconfig/);
  }, 400_000);

  it('nobody listening fails within seconds, saying so', async () => {
    const client = await contextClient({ kubeconfig: api.kubeconfig, context: CONTEXTS.unreachable });
    const t0 = Date.now();
    const err = await timeTravelCheck({ client, resource: 'pods', attempts: 3, target: 'cluster' }).catch((e: unknown) => e);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(err).toBeInstanceOf(KubeError);
    expect((err as KubeError).kind).toBe('unreachable');
  }, 30_000);
});
