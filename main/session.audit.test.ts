// A Session fed only by an audit log (no cluster to connect to): the path checked at connect with a
// message a person can act on, the log followed as it grows, each request an inferred Decision in
// the same ring as the endpoint's, and bad input counted in the snapshot with one example per kind.
// The same wiring against real kube-apiservers is session.audit.kube.test.ts.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendFileSync, chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Snapshot, type Decision } from '../shared/model.js';
import { ConnectRequest } from '../shared/ipc.js';
import { Session } from './session.js';
import { until } from './storage/apiserver/testing.js';

let dir: string;
let session: Session;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'session-audit-'));
  session = new Session({ snapshotIntervalMs: 100 });
});
afterEach(async () => {
  await session.close();
  rmSync(dir, { recursive: true, force: true });
});

const event = (id: string, uri: string, verb: string, o: { stage?: string; code?: number; ua?: string; apiVersion?: string } = {}) =>
  JSON.stringify({
    kind: 'Event',
    apiVersion: o.apiVersion ?? 'audit.k8s.io/v1',
    level: 'Request',
    auditID: id,
    stage: o.stage ?? 'ResponseComplete',
    requestURI: uri,
    verb,
    user: { username: 'system:serviceaccount:kube-system:replicaset-controller' },
    userAgent: o.ua ?? 'kube-controller-manager/v1.31.4 (linux/amd64) kubernetes/abc/replicaset-controller',
    responseStatus: { code: o.code ?? 200 },
    requestReceivedTimestamp: '2026-01-01T00:00:00.000000Z',
    stageTimestamp: '2026-01-01T00:00:00.030000Z',
  });
// kube-apiserver's own loopback client names the cluster's version.
const versionLine = event('v0', '/api/v1/namespaces/default', 'get', { ua: 'kube-apiserver/v1.31.4 (linux/amd64) kubernetes/abc' });

const audited = () => session.current!.decisions.since(0).filter((d) => d.source === 'audit');

describe('Session with an audit log alone', () => {
  it('refuses a missing file, a directory and an unreadable file within seconds, saying which and why', async () => {
    const t0 = Date.now();
    const missing = await session.connect({ mode: 'audit', audit: { logPath: join(dir, 'nope.log') } });
    expect(missing).toMatchObject({ state: 'failed', mode: 'audit' });
    expect(missing.message).toBe(`audit log ${join(dir, 'nope.log')} does not exist (check the path; kube-apiserver writes it where --audit-log-path says)`);
    const isDir = await session.connect({ mode: 'audit', audit: { logPath: dir } });
    expect(isDir.message).toMatch(/is a directory: name the log file kube-apiserver writes/);
    if (process.getuid?.() !== 0) {
      const locked = join(dir, 'locked.log');
      writeFileSync(locked, versionLine);
      chmodSync(locked, 0o000);
      const refused = await session.connect({ mode: 'audit', audit: { logPath: locked } });
      expect(refused.message).toBe(`audit log ${locked} is not readable by this user (permission denied)`);
    }
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(session.current).toBeUndefined();
  });

  it('the contract refuses a relative path and a source with neither log nor webhook', () => {
    expect(ConnectRequest.safeParse({ mode: 'audit', audit: { logPath: 'audit.log' } }).error?.issues[0]?.message).toBe('must be an absolute path');
    expect(ConnectRequest.safeParse({ mode: 'audit', audit: {} }).error?.issues[0]?.message).toMatch(/needs a log file \(logPath\) or the webhook/);
    expect(ConnectRequest.safeParse({ mode: 'kube', context: 'c', audit: { logPath: '/a\0b' } }).success).toBe(false);
    expect(ConnectRequest.safeParse({ mode: 'audit', audit: { logPath: '/var/log/audit.log', webhook: true } }).success).toBe(true);
  });

  it('follows the log: each request an inferred decision under the version the log names, what-if for every profile, bad input counted once per kind', async () => {
    const log = join(dir, 'audit.log');
    const noURI = JSON.parse(event('n1', '/x', 'list')) as Record<string, unknown>;
    delete noURI.requestURI;
    writeFileSync(
      log,
      [
        versionLine,
        event('a1', '/api/v1/pods?resourceVersion=0&limit=500', 'list'),
        'this is not json',
        event('b1', '/api/v1/pods', 'list', { apiVersion: 'audit.k8s.io/v1beta1' }),
        JSON.stringify(noURI),
        'also not json',
      ].join('\n') + '\n',
    );
    const st = await session.connect({ mode: 'audit', audit: { logPath: log } });
    expect(st.message).toBeUndefined();
    expect(st).toMatchObject({ state: 'connected', mode: 'audit', profile: '1.31', target: `audit log ${log}`, sourceVersion: 'v1.31.4' });
    await until(() => audited().length >= 2, 5000, 'the first two requests');

    // Appended after the connect: the follower picks them up (tail -F).
    appendFileSync(log, event('c1', '/api/v1/namespaces/ns1/configmaps', 'list', { ua: 'my-operator/2.0' }) + '\n');
    appendFileSync(log, event('c2', '/api/v1/namespaces/ns1/configmaps/x', 'get', { ua: 'my-operator/2.0' }) + '\n');
    await until(() => audited().length >= 4, 5000, 'the appended requests');

    const ds = audited();
    expect(ds.map((d) => `${d.verb} ${d.resource} ${d.servedBy} ${d.reason}`)).toEqual([
      'get namespaces etcd getQuorumRead',
      'list pods cache servedFromCache',
      // 1.31 with an etcd that answers progress requests (assumed, and said so): consistent LIST from the cache.
      'list configmaps cache consistentReadFromCache',
      'get configmaps etcd getQuorumRead',
    ]);
    for (const d of ds) {
      expect(d).toMatchObject({ source: 'audit', inferred: true, profile: '1.31', user: 'system:serviceaccount:kube-system:replicaset-controller', latencyMs: 30, status: 200 });
      expect(d.whatIf!.map((w) => w.profile)).toEqual(['1.27', '1.28', '1.31', '1.33', '1.34', '1.37']);
    }
    // Under 1.27 the consistent LIST is served by etcd: the what-if says so.
    expect(ds[2]!.whatIf!.find((w) => w.profile === '1.27')).toEqual({ profile: '1.27', servedBy: 'etcd', reason: 'consistentReadFromStorage' });
    expect(ds[2]).toMatchObject({ namespace: 'ns1', userAgent: 'my-operator/2.0' });

    // The same ring the Requests view pages through, and the snapshot that carries them validates.
    const page = await session.getDecisions({ since: 0 });
    expect(page.decisions.filter((d: Decision) => d.inferred).map((d) => d.id)).toEqual(ds.map((d) => d.id));
    await until(() => (session.snapshot()?.audit?.routed ?? 0) >= 4, 3000, 'a snapshot with the audit status');
    const snap = Snapshot.parse(session.snapshot());
    const a = snap.audit!;
    expect(a).toMatchObject({ profile: '1.31', profileSource: "kube-apiserver/v1.31.4 in the log's own requests", log: { path: log, state: 'following' }, routed: 4 });
    expect(a.webhook).toBeUndefined();
    expect(a.assumptions).toContain('every resource has its watch cache enabled and ready (the log does not say otherwise)');
    expect(a.assumptions).toContain('etcd answers RequestWatchProgress (≥3.4.31 / ≥3.5.13)');
    expect(Object.fromEntries(a.bad.map((b) => [b.kind, b.count]))).toEqual({ notJSON: 2, unknownApiVersion: 1, noRequestURI: 1 });
    expect(a.bad.find((b) => b.kind === 'notJSON')!.example).toBe('audit.log:3: not JSON — this is not json');
    expect(a.bad.find((b) => b.kind === 'unknownApiVersion')!.example).toMatch(/^audit\.log:4: apiVersion "audit\.k8s\.io\/v1beta1"/);
    expect(a.bad.find((b) => b.kind === 'noRequestURI')!.example).toMatch(/^audit\.log:5: event n1 \(level Request\) has no requestURI/);
  });

  it('a truncated gzip log: the requests before the cut are decisions, the cut is counted, the session stays up', async () => {
    const lines = Array.from({ length: 400 }, (_, i) => event(`g${i}`, `/api/v1/namespaces/ns/pods?resourceVersion=0&i=${i}`, 'list')).join('\n') + '\n';
    const gz = gzipSync(lines);
    const log = join(dir, 'audit.log.gz');
    writeFileSync(log, gz.subarray(0, Math.floor(gz.length * 0.6)));
    const st = await session.connect({ mode: 'audit', audit: { logPath: log }, profile: '1.34' });
    expect(st).toMatchObject({ state: 'connected', profile: '1.34' });
    await until(() => session.auditSource?.status().log?.state === 'read', 5000, 'the gzip to be read to its cut');
    const a = session.auditSource!.status();
    expect(a.profileSource).toBe('--profile 1.34');
    expect(a.bad.map((b) => b.kind)).toEqual(['truncatedGzip']);
    expect(a.bad[0]!.example).toMatch(/^audit\.log\.gz after line \d+: unexpected end of file/);
    const got = audited();
    expect(got.length).toBeGreaterThan(0);
    expect(got.length).toBeLessThan(400);
    expect(got.every((d) => d.servedBy === 'cache' && d.inferred)).toBe(true);
    expect(session.connection().state).toBe('connected');
  });

  it('the webhook alone: the kubeconfig is written 0600 beside the session, and the source is said to be the default profile', async () => {
    const st = await session.connect({ mode: 'audit', audit: { webhook: true } });
    expect(st).toMatchObject({ state: 'connected', mode: 'audit', target: 'audit webhook', profile: '1.34' });
    const a = session.auditSource!.status();
    expect(a.webhook).toEqual({ url: `${st.endpoint}/debug/watchscope/audit`, kubeconfigPath: join(session.directory, 'audit-webhook.kubeconfig'), batches: 0 });
    expect(a.profileSource).toBe('the default 1.34 (no log to read the version from; choose a profile)');
    expect(statSync(a.webhook!.kubeconfigPath).mode & 0o777).toBe(0o600);
    expect(readFileSync(a.webhook!.kubeconfigPath, 'utf8')).toContain(`server: ${st.endpoint}/debug/watchscope/audit`);
  });
});
