// The clients against a tiny in-memory fake of the endpoint (pure client logic: request shapes,
// reflector re-watch/relist rules, live scaling, clean shutdown). The real endpoint and cacher
// are exercised by the scenarios, end to end on a real etcd.
import { describe, it, expect, afterEach } from 'vitest';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Reflector } from './reflector.js';
import { Transport } from './transport.js';
import { Workload } from './workload.js';
import { PodController } from './controller.js';

interface Pod { metadata: { name: string; namespace: string; resourceVersion?: string }; spec?: { nodeName?: string } }
interface Ev { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: Pod; rv: number }

class FakeEndpoint {
  rv = 1;
  pods = new Map<string, Pod>();
  history: Ev[] = [];
  /** Watches from an RV below this get ERROR 410. */
  oldest = 0;
  watches = new Set<http.ServerResponse>();
  requests: { method: string; url: string; ua: string }[] = [];
  sockets = new Set<Socket>();
  server = http.createServer((req, res) => this.handle(req, res));

  async listen(): Promise<string> {
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }

  /** Ends every watch stream the way a forced close does: no ERROR, just the end. */
  endWatches(): void {
    for (const w of this.watches) w.end();
  }

  private emit(type: Ev['type'], pod: Pod): void {
    const ev = { type, object: pod, rv: this.rv };
    this.history.push(ev);
    for (const w of this.watches) this.send(w, ev);
  }

  private matches(u: URL, pod: Pod): boolean {
    const fs = u.searchParams.get('fieldSelector');
    if (fs?.startsWith('spec.nodeName=') && pod.spec?.nodeName !== fs.slice('spec.nodeName='.length)) return false;
    return true;
  }

  private send(w: http.ServerResponse, ev: Ev): void {
    const u = (w as unknown as { url: URL }).url;
    if (this.matches(u, ev.object)) w.write(JSON.stringify({ type: ev.type, object: ev.object }) + '\n');
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const u = new URL(req.url ?? '/', 'http://x');
    this.requests.push({ method: req.method ?? '', url: req.url ?? '', ua: String(req.headers['user-agent']) });
    const json = (code: number, body: unknown) => {
      res.writeHead(code, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== 'Bearer tok') return json(401, { kind: 'Status', code: 401 });
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : undefined;
      if (u.pathname === '/api/v1/namespaces' && req.method === 'POST') return json(201, body);
      const m = /^\/api\/v1(?:\/namespaces\/([^/]+))?\/pods(?:\/([^/]+))?$/.exec(u.pathname);
      if (!m) return json(404, { kind: 'Status', code: 404 });
      const [, ns, name] = m;
      if (req.method === 'GET' && !name && u.searchParams.get('watch') === 'true') {
        const from = Number(u.searchParams.get('resourceVersion') || this.rv);
        res.writeHead(200, { 'Content-Type': 'application/json' });
        if (from < this.oldest) {
          res.end(JSON.stringify({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired', message: `too old resource version: ${from} (${this.oldest})` } }) + '\n');
          return;
        }
        (res as unknown as { url: URL }).url = u;
        for (const ev of this.history) if (ev.rv > from) this.send(res, ev);
        this.watches.add(res);
        res.on('close', () => this.watches.delete(res));
        return;
      }
      if (req.method === 'GET' && !name) {
        const items = [...this.pods.values()].filter((p) => (!ns || p.metadata.namespace === ns) && this.matches(u, p));
        return json(200, { kind: 'PodList', metadata: { resourceVersion: String(this.rv) }, items });
      }
      const key = `${ns}/${name ?? body?.metadata?.name}`;
      if (req.method === 'POST') {
        this.rv++;
        const pod: Pod = { ...body, metadata: { ...body.metadata, namespace: ns, resourceVersion: String(this.rv) } };
        this.pods.set(key, pod);
        this.emit('ADDED', pod);
        return json(201, pod);
      }
      const cur = this.pods.get(key);
      if (!cur) return json(404, { kind: 'Status', code: 404 });
      if (req.method === 'GET') return json(200, cur);
      if (req.method === 'PUT') {
        if (body.metadata.resourceVersion && body.metadata.resourceVersion !== cur.metadata.resourceVersion) return json(409, { kind: 'Status', code: 409 });
        this.rv++;
        const pod: Pod = { ...body, metadata: { ...body.metadata, resourceVersion: String(this.rv) } };
        this.pods.set(key, pod);
        this.emit('MODIFIED', pod);
        return json(200, pod);
      }
      if (req.method === 'DELETE') {
        this.rv++;
        this.pods.delete(key);
        const pod = { ...cur, metadata: { ...cur.metadata, resourceVersion: String(this.rv) } };
        this.emit('DELETED', pod);
        return json(200, pod);
      }
      json(405, { kind: 'Status', code: 405 });
    });
  }
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const truth = (f: FakeEndpoint, node?: string) =>
  new Map([...f.pods].filter(([, p]) => !node || p.spec?.nodeName === node).map(([k, p]) => [k, p.metadata.resourceVersion!]));

describe('workload clients against a fake endpoint', () => {
  let fake: FakeEndpoint;
  afterEach(async () => fake && (await fake.close()));

  it('a reflector lists RV=0, watches from the list RV, re-watches from its last RV, relists on ERROR 410', async () => {
    fake = new FakeEndpoint();
    const url = await fake.listen();
    const t = new Transport({ url, token: 'tok' });
    const writer = new PodController(t, { nodes: 2, namespaces: 2 });
    await writer.burst(20, 'create', 4);
    const r = new Reflector(t, { name: 'k', userAgent: 'kubelet/node-1 (watchscope-demo)', path: '/api/v1/pods', fieldSelector: 'spec.nodeName=node-1', keepStore: true, pageSize: 0 });
    r.start();
    await r.synced();
    await writer.burst(30, undefined, 4);
    await until(() => r.resourceVersion !== '' && JSON.stringify([...r.store].sort()) === JSON.stringify([...truth(fake, 'node-1')].sort()));

    const listReq = fake.requests.find((q) => q.ua.startsWith('kubelet/') && !q.url.includes('watch=true'))!;
    expect(listReq.url).toContain('resourceVersion=0');
    expect(listReq.url).toContain('fieldSelector=spec.nodeName%3Dnode-1');
    const watchReq = fake.requests.find((q) => q.ua.startsWith('kubelet/') && q.url.includes('watch=true'))!;
    expect(watchReq.url).toContain('allowWatchBookmarks=true');
    expect(watchReq.url).toMatch(/timeoutSeconds=\d+/);

    // A forced close: the stream just ends; the reflector re-watches from its last RV, no LIST.
    const listsBefore = r.stats().lists;
    const lastRV = r.resourceVersion;
    fake.endWatches();
    await until(() => r.stats().rewatches === 1 && fake.watches.size === 1);
    const rewatch = fake.requests.filter((q) => q.url.includes('watch=true')).at(-1)!;
    expect(rewatch.url).toContain(`resourceVersion=${lastRV}`);
    expect(r.stats().lists).toBe(listsBefore);

    // History gone (410): ERROR event ⇒ relist at the last RV (not RV=""), then watch again.
    fake.oldest = fake.rv + 1;
    fake.endWatches();
    await until(() => r.stats().expired >= 1 && r.stats().lists === listsBefore + 1, 8000);
    const relist = fake.requests.filter((q) => q.ua.startsWith('kubelet/') && !q.url.includes('watch=true')).at(-1)!;
    expect(relist.url).toMatch(/resourceVersion=\d+/);
    expect(relist.url).not.toContain('resourceVersion=0');
    fake.oldest = 0;
    await writer.burst(10, 'update', 2);
    await until(() => JSON.stringify([...r.store].sort()) === JSON.stringify([...truth(fake, 'node-1')].sort()), 8000);
    await r.stop();
    await t.close();
    expect(t.openSockets).toBe(0);
  });

  it('Workload runs every client with its own user agent, scales live, and stop() closes every socket', async () => {
    fake = new FakeEndpoint();
    const url = await fake.listen();
    const w = new Workload({ url, token: 'tok' }, { writesPerSecond: 200, kubelets: 2, informers: 1, namespaces: 2, slowReader: true, paginatedListEverySec: 0.2, consistentListEverySec: 0.2 }, { slowReaderHoldMs: 200 });
    w.start();
    await until(() => fake.pods.size > 20 && w.stats().paginatedLists.runs > 0 && w.stats().consistentLists.runs > 0 && (w.stats().slowReaderStats?.holds ?? 0) > 0);
    const uas = new Set(fake.requests.map((q) => q.ua));
    for (const ua of ['watchscope-demo/controller', 'kubelet/node-1 (watchscope-demo)', 'kubelet/node-2 (watchscope-demo)', 'informer-1/pods (watchscope-demo)', 'watchscope-demo/paginated-lister', 'watchscope-demo/consistent-lister', 'watchscope-demo/slow-reader']) {
      expect(uas.has(ua), ua).toBe(true);
    }
    expect(fake.requests.some((q) => q.ua === 'watchscope-demo/paginated-lister' && q.url.includes('limit=50'))).toBe(true);
    expect(fake.requests.some((q) => q.ua === 'watchscope-demo/consistent-lister' && !q.url.includes('resourceVersion'))).toBe(true);

    w.set({ kubelets: 4, writesPerSecond: 50 });
    await until(() => fake.requests.some((q) => q.ua === 'kubelet/node-4 (watchscope-demo)' && q.url.includes('watch=true')));
    w.set({ kubelets: 1, slowReader: false });
    await until(() => [...fake.watches].length === 2); // kubelet node-1 + informer-1
    const s = w.stats();
    expect(s.kubelets).toBe(1);
    expect(s.writesPerSecond).toBe(50);
    expect(s.controller.creates).toBeGreaterThan(0);
    expect(s.watchEvents).toBeGreaterThan(0);
    expect(s.slowReaderStats).toBeUndefined();
    expect(w.snapshotStats()).toEqual({ writesPerSecond: 50, kubelets: 1, informers: 1 });

    await w.stop();
    expect(w.stats().openSockets).toBe(0);
    await until(() => fake.sockets.size === 0, 2000);
    const n = fake.requests.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(fake.requests.length).toBe(n);
  });
});
