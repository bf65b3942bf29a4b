// The webhook backend on the real endpoint (HTTPS, per-run CA, bearer token): what a batch that is
// not an EventList, or an EventList of an unknown apiVersion, gets back, and that the token guards it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import https from 'node:https';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiServer, type ApiServer } from '../../storage/apiserver/server.js';
import { DecisionLog } from '../../storage/decisions.js';
import { resolveProfile } from '../../storage/routing/index.js';
import { AuditIngest } from './ingest.js';
import { AuditRouter } from './infer.js';
import { AUDIT_WEBHOOK_PATH, auditWebhookHandler, writeAuditWebhookKubeconfig } from './webhook.js';
import { endpointFromKubeconfig } from '../../storage/apiserver/testing.js';

let ep: ApiServer;
const ingest = new AuditIngest({ router: new AuditRouter(resolveProfile('1.34'), { etcdSupportsRequestWatchProgress: true, profileSource: 'test' }) });
const routed: string[] = [];
ingest.subscribe((r) => routed.push(r.auditID));

beforeAll(async () => {
  ep = await startApiServer({
    backend: { resources: () => [], resource: () => undefined },
    profile: () => resolveProfile('1.34'),
    decisions: new DecisionLog(10),
    posts: { [AUDIT_WEBHOOK_PATH]: auditWebhookHandler(ingest) },
  });
});
afterAll(() => ep.close());

function post(body: string, token = ep.token): Promise<{ status: number; json: { message?: string; status?: string } }> {
  return new Promise((res, rej) => {
    const req = https.request(`${ep.url}${AUDIT_WEBHOOK_PATH}?timeout=30s`, { method: 'POST', ca: ep.caPem, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' } }, (r) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => res({ status: r.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString()) }));
    });
    req.on('error', rej);
    req.end(body);
  });
}

const item = (id: string) => ({ level: 'Request', auditID: id, stage: 'ResponseComplete', requestURI: '/api/v1/pods?resourceVersion=0', verb: 'list', user: { username: 'u' }, userAgent: 'x', responseStatus: { code: 200 } });

describe('audit webhook backend', () => {
  it('takes an audit.k8s.io/v1 EventList and routes its items', async () => {
    const r = await post(JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {}, items: [item('w1'), { stage: 'Bogus', requestURI: '/x' }, item('w2')] }));
    expect(r.status).toBe(200);
    expect(routed).toEqual(['w1', 'w2']);
    expect(ingest.snapshot().bad.map((b) => [b.kind, b.count, b.example])).toEqual([['notAuditEvent', 1, 'webhook batch 1 item 1: unknown stage "Bogus"']]);
  });

  it('answers 400 with a Status for a body that is not an EventList, 200 for an unknown apiVersion, counting both', async () => {
    const notJSON = await post('{"kind":');
    expect(notJSON.status).toBe(400);
    expect(notJSON.json).toMatchObject({ status: 'Failure', message: 'the audit batch is not JSON' });
    const pod = await post(JSON.stringify({ kind: 'Pod' }));
    expect(pod.status).toBe(400);
    const beta = await post(JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1beta1', items: [item('b1')] }));
    expect(beta.status).toBe(200);
    expect(routed).toEqual(['w1', 'w2']);
    const counts = Object.fromEntries(ingest.snapshot().bad.map((b) => [b.kind, b.count]));
    expect(counts).toEqual({ notAuditEvent: 2, notJSON: 1, unknownApiVersion: 1 });
  });

  it('refuses a batch without the endpoint\'s token', async () => {
    const r = await post(JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: [item('x1')] }), 'wrong');
    expect(r.status).toBe(401);
    expect(routed).not.toContain('x1');
  });

  it('writes the --audit-webhook-config-file kubeconfig with the endpoint\'s URL, CA and token, mode 0600', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'audit-wh-'));
    try {
      const path = join(dir, 'sub', 'audit-webhook.kubeconfig');
      await writeAuditWebhookKubeconfig(path, { endpoint: ep.url, token: ep.token, caPem: ep.caPem! });
      const kc = endpointFromKubeconfig(path);
      expect(kc.server).toBe(`${ep.url}${AUDIT_WEBHOOK_PATH}`);
      expect(kc.token).toBe(ep.token);
      expect(kc.ca.toString()).toBe(ep.caPem);
      expect(statSync(path).mode & 0o777).toBe(0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
