// The parts of the watch protocol the test kube-apiserver (1.20) cannot be made to produce on
// demand: BOOKMARK lines (1.20 never sends them, see source.test.ts), an HTTP-level 410, and
// an ERROR event other than 410. A plain HTTP server speaks the protocol; everything else about
// KubeSource is proven against the real apiserver in source.test.ts.
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SourceEvent, SourceWatchEnd } from '../source.js';
import { KubeSource } from './source.js';

const CM = { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespaced: true, verbs: ['list', 'watch'] };
const cm = (name: string, rv: number) => ({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { name, namespace: 'ns', resourceVersion: String(rv) } });

let script: (url: URL, res: import('node:http').ServerResponse) => void = () => undefined;
let server: Server;
let dir: string;
let kubeconfig: string;
const requests: URL[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    if (url.pathname === '/version') {
      res.end(JSON.stringify({ gitVersion: 'v1.99.0-fake' }));
      return;
    }
    requests.push(url);
    script(url, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  dir = mkdtempSync(join(tmpdir(), 'watchscope-kw-'));
  kubeconfig = join(dir, 'kc');
  // client-node accepts an http:// server only with insecure-skip-tls-verify.
  writeFileSync(
    kubeconfig,
    `apiVersion: v1\nkind: Config\ncurrent-context: f\nclusters:\n- name: f\n  cluster: {server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true}\nusers:\n- name: u\n  user: {token: t}\ncontexts:\n- name: f\n  context: {cluster: f, user: u}\n`,
  );
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

function collect() {
  const events: SourceEvent[] = [];
  const progress: number[] = [];
  const state: { end?: SourceWatchEnd; retries: number } = { retries: 0 };
  const handlers = {
    onEvents: (e: SourceEvent[]) => events.push(...e),
    onProgress: (rv: number) => progress.push(rv),
    onEnd: (e: SourceWatchEnd) => (state.end = e),
    onReconnecting: () => state.retries++,
  };
  return { events, progress, state, handlers };
}

const until = async (c: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!c()) {
    if (Date.now() > end) throw new Error('timeout');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('KubeSource watch protocol handling', () => {
  it('sends allowWatchBookmarks, maps BOOKMARK to onProgress, drops repeats, ends on an ERROR 410 event', async () => {
    script = (url, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write(JSON.stringify({ type: 'ADDED', object: cm('a', 11) }) + '\n');
      res.write(JSON.stringify({ type: 'ADDED', object: cm('a', 11) }) + '\n'); // a repeat after resume
      res.write(JSON.stringify({ type: 'BOOKMARK', object: { kind: 'ConfigMap', apiVersion: 'v1', metadata: { resourceVersion: '15' } } }) + '\n');
      res.write(JSON.stringify({ type: 'DELETED', object: cm('a', 16) }));
      res.write('\n');
      res.end(JSON.stringify({ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 410, reason: 'Expired', message: 'too old resource version: 10 (12)' } }) + '\n');
    };
    requests.length = 0;
    const src = await KubeSource.connect({ kubeconfig });
    const c = collect();
    src.forResource(CM).watch('/registry/configmaps/', 10, c.handlers);
    await until(() => !!c.state.end);
    expect(requests[0]!.searchParams.get('allowWatchBookmarks')).toBe('true');
    expect(requests[0]!.searchParams.get('resourceVersion')).toBe('10');
    expect(requests[0]!.searchParams.get('watch')).toBe('1');
    expect(c.events.map((e) => [e.type, e.key, e.resourceVersion])).toEqual([
      ['ADDED', '/registry/configmaps/ns/a', 11],
      ['DELETED', '/registry/configmaps/ns/a', 16],
    ]);
    expect(c.progress).toEqual([15]);
    expect(c.state.end).toEqual({ reason: 'compacted', message: 'too old resource version: 10 (12)' });
  });

  it('an HTTP 410 answer ends the watch as compacted', async () => {
    script = (_url, res) => {
      res.writeHead(410, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 410, reason: 'Gone', message: 'too old' }));
    };
    const src = await KubeSource.connect({ kubeconfig });
    const c = collect();
    src.forResource(CM).watch('/registry/configmaps/', 3, c.handlers);
    await until(() => !!c.state.end);
    expect(c.state.end).toMatchObject({ reason: 'compacted' });
  });

  it('other ERROR events and 5xx are retried with backoff from the last RV seen', async () => {
    let n = 0;
    script = (url, res) => {
      n++;
      if (n === 1) {
        res.writeHead(200);
        res.write(JSON.stringify({ type: 'MODIFIED', object: cm('b', 21) }) + '\n');
        res.end(JSON.stringify({ type: 'ERROR', object: { kind: 'Status', code: 500, message: 'etcd hiccup' } }) + '\n');
      } else if (n === 2) {
        res.writeHead(503);
        res.end('{"kind":"Status","code":503,"message":"overloaded"}');
      } else {
        res.writeHead(200);
        res.write(JSON.stringify({ type: 'MODIFIED', object: cm('b', 25) }) + '\n');
      }
    };
    requests.length = 0;
    const src = await KubeSource.connect({ kubeconfig, maxRetryDelayMs: 50 });
    const c = collect();
    const w = src.forResource(CM).watch('/registry/configmaps/', 20, c.handlers);
    await until(() => c.events.length === 2);
    expect(c.state.retries).toBe(2);
    expect(requests.map((u) => u.searchParams.get('resourceVersion'))).toEqual(['20', '21', '21']);
    expect(c.state.end).toBeUndefined();
    w.stop();
    expect(c.state.end).toMatchObject({ reason: 'stopped' });
  });
});
