import { describe, it, expect, afterEach } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Transport } from './transport.js';

describe('WatchStream over HTTP', () => {
  let server: http.Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    server = undefined;
  });

  async function serve(handler: http.RequestListener): Promise<string> {
    server = http.createServer(handler);
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('sends token and user agent, yields events split across chunks (incl. a split UTF-8 char), then ends', async () => {
    let seen: http.IncomingHttpHeaders | undefined;
    let url = '';
    const url0 = await serve((req, res) => {
      seen = req.headers;
      url = req.url ?? '';
      res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
      const body = Buffer.from(
        JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'é', resourceVersion: '7' } } }) + '\n' +
          JSON.stringify({ type: 'MODIFIED', object: { metadata: { name: 'b', resourceVersion: '8' } } }) + '\n',
      );
      let i = 0;
      const step = () => {
        if (i >= body.length) return res.end();
        res.write(body.subarray(i, i + 5));
        i += 5;
        setTimeout(step, 1);
      };
      step();
    });
    const t = new Transport({ url: url0, token: 'secret' });
    const w = await t.watch({ path: '/api/v1/pods', query: { resourceVersion: '6', allowWatchBookmarks: 'true' }, userAgent: 'kubelet/node-1 (watchscope-demo)' });
    if (!('stream' in w)) throw new Error('expected a stream');
    const got = [];
    for await (const ev of w.stream) got.push(ev);
    expect(got.map((e) => [e.type, e.object.metadata?.name, e.object.metadata?.resourceVersion])).toEqual([
      ['ADDED', 'é', '7'],
      ['MODIFIED', 'b', '8'],
    ]);
    expect(w.stream.ended).toBe('ended');
    expect(seen?.authorization).toBe('Bearer secret');
    expect(seen?.['user-agent']).toBe('kubelet/node-1 (watchscope-demo)');
    expect(url).toBe('/api/v1/pods?resourceVersion=6&allowWatchBookmarks=true&watch=true');
    await t.close();
    expect(t.openSockets).toBe(0);
  });

  it('returns the Status of a non-200 watch answer', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(429, { 'Content-Type': 'application/json', 'Retry-After': '1' });
      res.end(JSON.stringify({ kind: 'Status', code: 429, reason: 'TooManyRequests', message: 'storage is (re)initializing' }));
    });
    const t = new Transport({ url, token: 't' });
    const w = await t.watch({ path: '/api/v1/pods', userAgent: 'x' });
    expect('error' in w && w.error.status).toBe(429);
    expect('error' in w && (w.error.body as { message: string }).message).toBe('storage is (re)initializing');
    await t.close();
  });

  it('hold() stops reading so the server sees back-pressure; release() delivers everything', async () => {
    let blockedAt = -1;
    let written = 0;
    let finished!: () => void;
    const serverDone = new Promise<void>((r) => (finished = r));
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      const pad = 'p'.repeat(4000);
      const pump = () => {
        while (written < 3000) {
          const ok = res.write(JSON.stringify({ type: 'ADDED', object: { metadata: { name: `p${written}`, resourceVersion: String(written + 1) }, pad } }) + '\n');
          written++;
          if (!ok) {
            if (blockedAt < 0) blockedAt = written;
            res.once('drain', pump);
            return;
          }
        }
        res.end();
        finished();
      };
      pump();
    });
    const t = new Transport({ url, token: 't' });
    const w = await t.watch({ path: '/api/v1/pods', userAgent: 'watchscope-demo/slow-reader' });
    if (!('stream' in w)) throw new Error('expected a stream');
    const first = await w.stream.next();
    expect(first?.object.metadata?.name).toBe('p0');
    w.stream.hold();
    await new Promise((r) => setTimeout(r, 300));
    // The server could not write everything: its socket stopped draining.
    expect(blockedAt).toBeGreaterThan(0);
    expect(written).toBeLessThan(3000);
    w.stream.release();
    let n = 1;
    while (await w.stream.next()) n++;
    await serverDone;
    expect(n).toBe(3000);
    await t.close();
  });

  it('close() from the client ends the stream and Transport.close() waits for every socket', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write(JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'a', resourceVersion: '1' } } }) + '\n');
    });
    const t = new Transport({ url, token: 't' });
    const w1 = await t.watch({ path: '/api/v1/pods', userAgent: 'a' });
    const w2 = await t.watch({ path: '/api/v1/pods', userAgent: 'b' });
    if (!('stream' in w1) || !('stream' in w2)) throw new Error('expected streams');
    expect((await w1.stream.next())?.type).toBe('ADDED');
    await w1.stream.close();
    expect(w1.stream.ended).toBe('closed');
    expect(await w1.stream.next()).toBeNull();
    expect(t.openSockets).toBe(1);
    const pending = w2.stream.next().then(() => w2.stream.next());
    await t.close();
    expect(await pending).toBeNull();
    expect(w2.stream.ended).toBe('error');
    expect(t.openSockets).toBe(0);
    await expect(t.request({ method: 'GET', path: '/', userAgent: 'x' })).rejects.toThrow(/transport closed/);
  });
});
