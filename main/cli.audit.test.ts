// `watchscope serve --audit-log FILE --audit-webhook KUBECONFIG` as a user runs it (a child
// process): an unreadable path is one line within seconds; otherwise it says where the stream is
// read from, writes the webhook's kubeconfig and how to use it, takes a batch POSTed with that
// kubeconfig's CA and token, and sums up the stream, bad input included, when it stops.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from './storage/apiserver/testing.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// tsx compiles on start-up (~3–5 s on 2 cores).
const STARTUP_MS = 8_000;

function startCli(args: string[]): { child: ChildProcess; stdout: () => string; stderr: () => string; done: Promise<{ code: number | null; ms: number }> } {
  const t0 = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'main/cli.ts'), ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  const done = new Promise<{ code: number | null; ms: number }>((res) => child.on('exit', (code) => res({ code, ms: Date.now() - t0 })));
  return { child, stdout: () => stdout, stderr: () => stderr, done };
}

const event = (id: string, uri: string, verb: string) => ({
  kind: 'Event',
  apiVersion: 'audit.k8s.io/v1',
  level: 'Request',
  auditID: id,
  stage: 'ResponseComplete',
  requestURI: uri,
  verb,
  user: { username: 'alice' },
  userAgent: 'kubectl/v1.31.0',
  responseStatus: { code: 200 },
});

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cli-audit-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('watchscope serve with the audit stream', () => {
  it('an audit log that does not exist: one line saying so, exit 1, within seconds', async () => {
    const c = startCli(['serve', '--audit-log', join(dir, 'missing.log')]);
    const r = await c.done;
    expect(r.code).toBe(1);
    expect(c.stderr()).toBe(`watchscope: audit log ${join(dir, 'missing.log')} does not exist (check the path; kube-apiserver writes it where --audit-log-path says)\n`);
    expect(r.ms).toBeLessThan(STARTUP_MS + 3000);
  }, 30_000);

  it('follows the log, serves the webhook with the kubeconfig it wrote, and sums up the stream on stop', async () => {
    const log = join(dir, 'audit.log');
    writeFileSync(log, `${JSON.stringify(event('f1', '/api/v1/pods?resourceVersion=0', 'list'))}\nnot an event\n`);
    const wh = join(dir, 'wh', 'audit-webhook.kubeconfig');
    const c = startCli(['serve', '--audit-log', log, '--audit-webhook', wh, '--profile', '1.33']);
    try {
      await until(() => c.stdout().includes('ready (Ctrl-C to stop)') || c.child.exitCode !== null, 60_000, 'serve --audit-log to print ready');
      const out = c.stdout();
      expect(out).toContain('profile: 1.33\n');
      expect(out).toContain(`source: audit audit log ${log} + audit webhook (1.33; RequestWatchProgress trusted)\n`);
      expect(out).toContain('audit: each request becomes an inferred decision under profile 1.33 (from --profile 1.33), with what-if for every other profile\n');
      expect(out).toContain(`audit log: following ${log}\n`);
      expect(out).toContain(`audit webhook kubeconfig: ${wh}\n`);
      expect(out).toContain(`start kube-apiserver with --audit-webhook-config-file=${wh} and an --audit-policy-file at level Metadata or above`);
      const url = /^audit webhook: (https:\/\/127\.0\.0\.1:\d+\/debug\/watchscope\/audit)$/m.exec(out)![1]!;

      // What kube-apiserver would do with that kubeconfig: POST an EventList with its CA and token.
      expect(statSync(wh).mode & 0o777).toBe(0o600);
      const kc = parseYaml(readFileSync(wh, 'utf8')) as { clusters: { cluster: { server: string; 'certificate-authority-data': string } }[]; users: { user: { token: string } }[] };
      expect(kc.clusters[0]!.cluster.server).toBe(url);
      const body = JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: [event('w1', '/api/v1/namespaces/a/configmaps', 'list'), { kind: 'Event' }] });
      const status = await new Promise<number>((res, rej) => {
        const req = https.request(url, {
          method: 'POST',
          ca: Buffer.from(kc.clusters[0]!.cluster['certificate-authority-data'], 'base64'),
          headers: { Authorization: `Bearer ${kc.users[0]!.user.token}`, 'Content-Type': 'application/json' },
        }, (r) => (r.resume(), r.on('end', () => res(r.statusCode ?? 0))));
        req.on('error', rej);
        req.end(body);
      });
      expect(status).toBe(200);
    } finally {
      c.child.kill('SIGINT');
    }
    const r = await c.done;
    expect(r.code).toBe(0);
    const out = c.stdout();
    // One request from the file, one from the webhook; the file's bad line and the item without a requestURI.
    expect(out).toContain('audit: 2 events, 2 requests routed, 0 later stages folded\n');
    expect(out).toContain('audit bad input: 1 × a line that is not a JSON object; first: audit.log:2: not JSON — not an event\n');
    expect(out).toMatch(/audit bad input: 1 × an audit event without requestURI .*; first: webhook batch 1 item 1: event \? \(level \?\) has no requestURI\n/);
  }, 90_000);
});
