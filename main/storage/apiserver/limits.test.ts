// The endpoint's time and connection limits against a real etcd: a client trickling a body or
// its headers, or never finishing its TLS handshake, is cut off; a client opening connection
// after connection is refused past the cap; and everyone else is served meanwhile, watches
// included (the request timeout bounds receiving a request, never a watch's response).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import tls from 'node:tls';
import { globalAgent } from 'node:https';
import { startTestApiServer, type TestApiServer } from './testing.js';

let h: TestApiServer;
let port: number;

const limits = { headersTimeoutMs: 1000, requestTimeoutMs: 1500, keepAliveTimeoutMs: 5000, checkIntervalMs: 100, maxConnectionsPerClient: 8 };

beforeAll(async () => {
  h = await startTestApiServer({ limits });
  port = Number(new URL(h.server.url).port);
  await h.request('POST', '/api/v1/namespaces', { body: { metadata: { name: 'default' } } });
});
afterAll(async () => {
  await h?.close();
});

interface Held {
  socket: net.Socket;
  /** Everything received, and when the server closed (ms after open), once it has. */
  received: () => string;
  closed: Promise<number>;
}

/** A TLS (or, with `raw`, a bare TCP) connection that writes `first`, then `drip` every 100 ms. */
function hold(first: string, drip?: string, raw = false): Promise<Held> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const socket = raw ? net.connect({ host: '127.0.0.1', port }) : tls.connect({ host: '127.0.0.1', port, ca: h.server.caPem, servername: 'localhost' });
    let text = '';
    let timer: NodeJS.Timeout | undefined;
    const closed = new Promise<number>((r) => socket.on('close', () => r(performance.now() - t0)));
    socket.on('data', (c: Buffer) => (text += c.toString('utf8')));
    socket.on('close', () => clearInterval(timer));
    socket.on('error', () => undefined);
    socket.once(raw ? 'connect' : 'secureConnect', () => {
      if (first) socket.write(first);
      if (drip) timer = setInterval(() => !socket.destroyed && socket.write(drip), 100);
      resolve({ socket, received: () => text, closed });
    });
    socket.once('error', reject);
  });
}

const auth = () => `Authorization: Bearer ${h.server.token}\r\n`;

async function stillServes(): Promise<void> {
  const r = await h.request('GET', '/api/v1/namespaces/default/configmaps');
  expect(r.status).toBe(200);
  expect(r.json.kind).toBe('ConfigMapList');
}

describe('time limits', () => {
  it('cuts a client trickling a body at the request timeout (408), with or without the token, and serves others meanwhile', async () => {
    const authed = await hold(`POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: localhost\r\n${auth()}Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{`, ' ');
    const anon = await hold(`POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000\r\n\r\n{`, ' ');
    await stillServes();
    const [a, b] = await Promise.all([authed.closed, anon.closed]);
    expect(a).toBeGreaterThanOrEqual(limits.requestTimeoutMs - 100);
    expect(a).toBeLessThan(limits.requestTimeoutMs + 2000);
    expect(authed.received()).toMatch(/^HTTP\/1\.1 408 /);
    // Without the token the 401 comes at once, and the connection still ends at the request timeout.
    expect(anon.received()).toMatch(/^HTTP\/1\.1 401 /);
    expect(b).toBeLessThan(limits.requestTimeoutMs + 2000);
    await stillServes();
  });

  it('cuts a slow-loris header at the headers timeout, and a connection that never starts TLS', async () => {
    const loris = await hold(`GET /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: localhost\r\n`, 'X-Slow: a\r\n');
    const silent = await hold('', undefined, true);
    await stillServes();
    const [l, s] = await Promise.all([loris.closed, silent.closed]);
    expect(l).toBeGreaterThanOrEqual(limits.headersTimeoutMs - 100);
    expect(l).toBeLessThan(limits.headersTimeoutMs + 2000);
    expect(loris.received()).toMatch(/^HTTP\/1\.1 408 /);
    expect(s).toBeGreaterThanOrEqual(limits.headersTimeoutMs - 100);
    expect(s).toBeLessThan(limits.headersTimeoutMs + 2000);
    await stillServes();
  });

  it('never cuts a watch: its request is complete once the headers are in', async () => {
    const w = await hold(`GET /api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=4 HTTP/1.1\r\nHost: localhost\r\n${auth()}\r\n`);
    await new Promise((r) => setTimeout(r, limits.requestTimeoutMs + 500));
    expect((await h.request('POST', '/api/v1/namespaces/default/configmaps', { body: { metadata: { name: 'during-watch' } } })).status).toBe(201);
    for (let i = 0; i < 100 && !w.received().includes('during-watch'); i++) await new Promise((r) => setTimeout(r, 20));
    expect(w.received()).toMatch(/^HTTP\/1\.1 200 /);
    expect(w.received()).toContain('"type":"ADDED"');
    expect(w.socket.destroyed).toBe(false);
    // It ends at its own timeoutSeconds (the last chunk), 4 s after it started.
    const t0 = performance.now();
    for (let i = 0; i < 300 && !w.received().endsWith('\r\n0\r\n\r\n'); i++) await new Promise((r) => setTimeout(r, 20));
    expect(w.received().endsWith('\r\n0\r\n\r\n')).toBe(true);
    expect(performance.now() - t0).toBeGreaterThan(4000 - limits.requestTimeoutMs - 1000);
    w.socket.destroy();
  });
});

describe('connections per client', () => {
  it('closes connections past the cap at once, serves the ones it holds, and takes new ones once some close', async () => {
    const held: Held[] = [];
    // h.request's agent keeps its connections alive: drop them so the test holds every slot.
    globalAgent.destroy();
    await new Promise((r) => setTimeout(r, 200));
    for (let i = 0; i < limits.maxConnectionsPerClient; i++) held.push(await hold(''));
    // Past the cap the TCP connection is closed before any TLS is spoken.
    for (let i = 0; i < 3; i++) held.push(await hold('', undefined, true));
    const t = await Promise.race([Promise.all(held.slice(limits.maxConnectionsPerClient).map((x) => x.closed)), new Promise<'open'>((r) => setTimeout(() => r('open'), 2000))]);
    expect(t).not.toBe('open');
    const open = held.filter((x) => !x.socket.destroyed);
    expect(open).toHaveLength(limits.maxConnectionsPerClient);
    // One of the held connections still answers.
    open[0]!.socket.write(`GET /version HTTP/1.1\r\nHost: localhost\r\n${auth()}\r\n`);
    for (let i = 0; i < 100 && !open[0]!.received().includes('gitVersion'); i++) await new Promise((r) => setTimeout(r, 20));
    expect(open[0]!.received()).toMatch(/^HTTP\/1\.1 200 /);
    for (const x of held) x.socket.destroy();
    await Promise.all(held.map((x) => x.closed));
    await new Promise((r) => setTimeout(r, 100));
    await stillServes();
  });
});
