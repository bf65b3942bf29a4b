// The time-travel check against two watchscope replicas on one real etcd behind a round-robin TCP
// balancer, one of them held behind (its cachers stop hearing etcd's watch), as an HA cluster
// with a lagging apiserver is (kubernetes#59848). The check must name the lagging replica — by the
// serving certificate it presented, checked against the one that replica really serves — and the
// objects its cache answers got wrong.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEtcd, type EtcdProcess } from '../../storage/etcd/process.js';
import { HoldableSource } from '../../storage/apiserver/holdable-source.js';
import { rawRequest, until } from '../../storage/apiserver/testing.js';
import { defaultProfile } from '../../storage/routing/profiles.js';
import { openEtcdStack } from '../../etcd-mode.js';
import type { EtcdStack } from '../../live.js';
import { startBalancer, type Balancer, servingCertificate } from './testing/tcp.js';
import { endpointClient } from './client.js';
import { timeTravelCheck } from './check.js';
import { watchscope } from './testing/cli.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let etcd: EtcdProcess;
let a: EtcdStack;
let b: EtcdStack;
let held: HoldableSource;
let lb: Balancer;
let dir: string | undefined;
const token = 'time-travel-test-token';
const CM = '/api/v1/namespaces/default/configmaps';

async function names(stack: EtcdStack, rv: string): Promise<Map<string, string>> {
  const r = await rawRequest(stack.server, 'GET', `${CM}?resourceVersion=${rv}`);
  return new Map((r.json.items as any[]).map((o) => [o.metadata.name as string, o.metadata.resourceVersion as string]));
}


beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'watchscope-time-travel-'));
  etcd = await startEtcd();
  const common = { etcd: { endpoints: [etcd.endpoint] }, resources: ['configmaps', 'namespaces'], profile: () => defaultProfile, token };
  a = await openEtcdStack(common);
  b = await openEtcdStack({ ...common, replica: 'replica-b', wrapSource: (s) => (held = new HoldableSource(s)) });
  await a.backend.waitReady();
  await b.backend.waitReady();
  const port = (s: EtcdStack) => Number(new URL(s.server.url).port);
  lb = await startBalancer([
    { host: '127.0.0.1', port: port(a) },
    { host: '127.0.0.1', port: port(b) },
  ]);
  await rawRequest(a.server, 'POST', '/api/v1/namespaces', { body: { metadata: { name: 'default' } } });
  for (const n of ['keep-1', 'keep-2', 'keep-3']) {
    expect((await rawRequest(a.server, 'POST', CM, { body: { metadata: { name: n }, data: { v: '1' } } })).status).toBe(201);
  }
  await until(async () => (await names(b, '0')).size === 3, 20_000, 'replica B to cache the three configmaps');
}, 90_000);

afterAll(async () => {
  held?.release();
  await lb?.close();
  await b?.close();
  await a?.close();
  await etcd?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('time travel across two watchscope replicas behind a balancer', () => {
  it('names the held replica and the objects its cache answers lack', async () => {
    held.hold();
    try {
      const keep1 = await rawRequest(a.server, 'GET', `${CM}/keep-1`);
      expect((await rawRequest(a.server, 'PUT', `${CM}/keep-1`, { body: { ...keep1.json, data: { v: '2' } } })).status).toBe(200);
      expect((await rawRequest(a.server, 'DELETE', `${CM}/keep-2`)).status).toBe(200);
      expect((await rawRequest(a.server, 'POST', CM, { body: { metadata: { name: 'new-1' } } })).status).toBe(201);
      await until(async () => (await names(a, '0')).has('new-1'), 20_000, 'replica A to see the writes');
      // B's cache really is behind: it still serves the three originals.
      expect([...(await names(b, '0')).keys()].sort()).toEqual(['keep-1', 'keep-2', 'keep-3']);

      const client = endpointClient({ url: `https://127.0.0.1:${lb.port}`, token, caPem: `${a.server.caPem}${b.server.caPem}` });
      const routedBefore = lb.routed.length;
      const result = await timeTravelCheck({ client, resource: 'configmaps', attempts: 6, target: 'cluster' });

      // The balancer alternated, so both replicas answered resourceVersion=0 LISTs.
      expect(new Set(lb.routed.slice(routedBefore))).toEqual(new Set([0, 1]));
      const fpA = await servingCertificate(a.server.url, a.server.caPem!);
      const fpB = await servingCertificate(b.server.url, b.server.caPem!);
      expect(fpA).not.toBe(fpB);
      const rA = result.replicas.find((r) => r.certificateSha256 === fpA)!;
      const rB = result.replicas.find((r) => r.certificateSha256 === fpB)!;
      expect(rA).toBeDefined();
      expect(rB).toBeDefined();
      expect(result.replicas).toHaveLength(2);
      expect(result.identityNote).toMatch(/serving certificate/);

      const fromB = result.answers.filter((x) => x.replica === rB.id);
      const fromA = result.answers.filter((x) => x.replica === rA.id);
      expect(fromB.length).toBeGreaterThan(0);
      expect(fromA.length).toBeGreaterThan(0);
      expect(result.summary).toMatchObject({ answered: 6, failed: 0, stale: fromB.length, behindReplicas: [rB.id] });
      expect(rB).toMatchObject({ stale: fromB.length, answers: fromB.length });
      expect(rA.stale).toBe(0);
      for (const x of fromA) expect(x.verdict).toBe('current');
      for (const x of fromB) {
        expect(x.verdict).toBe('stale');
        expect(x.rvBehind).toBeGreaterThanOrEqual(3);
        expect(x.counts).toEqual({ missing: 1, extra: 1, olderRv: 1, newerRv: 0 });
        expect(x.examples).toEqual(
          expect.arrayContaining([
            expect.objectContaining({ kind: 'missing', key: 'default/new-1' }),
            expect.objectContaining({ kind: 'extra', key: 'default/keep-2' }),
            expect.objectContaining({ kind: 'olderRv', key: 'default/keep-1' }),
          ]),
        );
      }
      // Every consistent LIST went over the one kept-alive connection.
      expect(new Set(result.answers.map((x) => x.consistentReplica)).size).toBe(1);

      // The CLI, through a kubeconfig for the balancer, says the same in words.
      const kubeconfig = join(dir!, 'lb.kubeconfig');
      writeFileSync(
        kubeconfig,
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Config',
          clusters: [{ name: 'lb', cluster: { server: `https://127.0.0.1:${lb.port}`, 'certificate-authority-data': Buffer.from(`${a.server.caPem}${b.server.caPem}`).toString('base64') } }],
          users: [{ name: 'u', user: { token } }],
          contexts: [{ name: 'ha', context: { cluster: 'lb', user: 'u' } }],
          'current-context': 'ha',
        }),
        { mode: 0o600 },
      );
      const text = await watchscope(['time-travel', '--kubeconfig', kubeconfig, '--context', 'ha', '--resource', 'cm', '-n', '4']);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toMatch(/^summary: 2 of 4 answers came from behind \(server [AB]\)/m);
      expect(text.stdout).toMatch(/^ +missing +default\/new-1 /m);
      expect(text.stdout).toMatch(/^ +deleted +default\/keep-2 still served/m);
      expect(text.stdout).toMatch(/^ +older +default\/keep-1 /m);
      const json = await watchscope(['time-travel', '--kubeconfig', kubeconfig, '--resource', 'configmaps', '-n', '2', '--output', 'json']);
      expect(json.code, json.stderr).toBe(0);
      const parsed = JSON.parse(json.stdout);
      expect(parsed.summary).toMatchObject({ answered: 2, stale: 1 });
      expect(parsed.replicas.find((r: { id: string }) => r.id === parsed.summary.behindReplicas[0]).certificateSha256).toBe(fpB);
    } finally {
      held.release();
    }

    await until(async () => (await names(b, '0')).has('new-1'), 20_000, 'replica B to catch up once released');
    const client = endpointClient({ url: `https://127.0.0.1:${lb.port}`, token, caPem: `${a.server.caPem}${b.server.caPem}` });
    const after = await timeTravelCheck({ client, resource: 'configmaps', attempts: 4, target: 'cluster' });
    expect(after.summary).toMatchObject({ answered: 4, stale: 0, behindReplicas: [] });
    expect(after.replicas).toHaveLength(2);
  }, 120_000);
});
