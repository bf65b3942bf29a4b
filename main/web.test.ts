import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import http from 'node:http';
import WebSocket from 'ws';
import { startWebUi, CONTENT_SECURITY_POLICY, SESSION_COOKIE, type WebUi } from './web.js';
import { FakeWatchscopeService } from '../e2e/fake-service.js';
import { streams, type WsServerMessage } from '../shared/ipc.js';
import { rawRequest } from './testing/raw-request.js';

let root: string;
let dir: string;
let ui: WebUi;
let service: FakeWatchscopeService;

function get(pathname: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: ui.port, path: pathname, headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
  });
}

function openWs(headers: Record<string, string>): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${ui.port}/ws`, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

let cookie = '';

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'ws-web-'));
  dir = path.join(root, 'renderer');
  await mkdir(path.join(dir, 'assets'), { recursive: true });
  await writeFile(path.join(dir, 'index.html'), '<!doctype html><title>t</title>');
  await writeFile(path.join(dir, 'assets', 'a.js'), 'export {}');
  await writeFile(path.join(root, 'secret-outside.txt'), 'must not be served');
  service = new FakeWatchscopeService({ watchers: 10, snapshotIntervalMs: 50 });
  ui = await startWebUi({ service, rendererDir: dir });
});

afterAll(async () => {
  service?.close();
  await ui?.close();
  await rm(root, { recursive: true, force: true });
});

describe('web mode token guard', () => {
  it('refuses everything without the session', async () => {
    expect((await get('/')).status).toBe(401);
    expect((await get('/assets/a.js')).status).toBe(401);
    await expect(openWs({})).rejects.toThrow('HTTP 401');
  });

  it('exchanges the one-time token for a session cookie exactly once', async () => {
    const token = new URL(ui.url).searchParams.get('token')!;
    expect(token.length).toBeGreaterThan(20);
    const first = await get(`/?token=${encodeURIComponent(token)}`);
    expect(first.status).toBe(302);
    expect(first.headers.location).toBe('/');
    const setCookie = first.headers['set-cookie']![0]!;
    expect(setCookie).toMatch(new RegExp(`^${SESSION_COOKIE}=`));
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    cookie = setCookie.split(';')[0]!;
    const again = await get(`/?token=${encodeURIComponent(token)}`);
    expect(again.status).toBe(401);
    expect(again.headers['set-cookie']).toBeUndefined();
    expect((await get('/?token=wrong')).status).toBe(401);
  });

  it('serves the renderer with the CSP to the session, and nothing outside the renderer dir', async () => {
    const page = await get('/', { cookie });
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(page.body).toContain('<title>t</title>');
    expect((await get('/assets/a.js', { cookie })).headers['content-type']).toMatch(/javascript/);
    expect((await get('/../secret-outside.txt', { cookie })).status).toBe(404);
    expect((await get('/%2e%2e/secret-outside.txt', { cookie })).status).toBe(404);
    // DNS rebinding: a foreign Host header is refused even with the cookie.
    expect((await get('/', { cookie, host: 'evil.example:80' })).status).toBe(403);
  });

  it('refuses a WebSocket from a foreign origin even with the cookie', async () => {
    await expect(openWs({ cookie, origin: 'https://evil.example' })).rejects.toThrow('HTTP 403');
  });

  it('carries the contract over the WebSocket, validating every message', async () => {
    const ws = await openWs({ cookie, origin: ui.origin });
    const messages: WsServerMessage[] = [];
    ws.on('message', (d) => messages.push(JSON.parse(d.toString()) as WsServerMessage));
    const waitFor = async (pred: (m: WsServerMessage) => boolean) => {
      for (let i = 0; i < 100; i++) {
        const m = messages.find(pred);
        if (m) return m;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error('timed out waiting for a message');
    };
    ws.send(JSON.stringify({ t: 'call', id: 1, method: 'connect', arg: { mode: 'etcd', endpoints: ['nonsense'] } }));
    const bad = await waitFor((m) => m.t === 'result' && m.id === 1);
    expect(bad.t === 'result' && !bad.env.ok && bad.env.error.code).toBe('invalid');
    ws.send(JSON.stringify({ t: 'call', id: 2, method: 'eval', arg: 'x' }));
    const unknown = await waitFor((m) => m.t === 'result' && m.id === 2);
    expect(unknown.t === 'result' && !unknown.env.ok && unknown.env.error.message).toMatch(/unknown method/);
    expect(service.calls.filter((c) => c.method === 'connect')).toHaveLength(0);

    ws.send(JSON.stringify({ t: 'call', id: 3, method: 'connect', arg: { mode: 'demo' } }));
    const ok = await waitFor((m) => m.t === 'result' && m.id === 3);
    expect(ok.t === 'result' && ok.env.ok && (ok.env.value as { state: string }).state).toBe('connected');
    await waitFor((m) => m.t === 'stream' && m.channel === streams.snapshot.channel);
    await waitFor((m) => m.t === 'stream' && m.channel === streams.connection.channel);

    // A malformed frame closes the socket (policy violation) rather than reaching the session.
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    ws.send(JSON.stringify({ id: 4, method: 'connect' }));
    expect(await closed).toBe(1008);
  });
});

describe('one request never ends the process', () => {
  const stillServes = async () => {
    const page = await get('/', { cookie });
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>t</title>');
  };
  const host = () => `127.0.0.1:${ui.port}`;

  it('keeps a cookie with a bad percent-escape (another local app\'s) from breaking a page request', async () => {
    expect(cookie).not.toBe('');
    // The session cookie beside someone else's malformed one still opens the page.
    const withOther = await get('/', { cookie: `other=%E0%A4%A; ${cookie}` });
    expect(withOther.status).toBe(200);
    expect((await get('/', { cookie: 'other=%E0%A4%A' })).status).toBe(401);
    await stillServes();
  });

  it('keeps a bad cookie on a WebSocket upgrade from breaking the listener', async () => {
    await expect(openWs({ cookie: 'other=%E0%A4%A' })).rejects.toThrow('HTTP 401');
    const ws = await openWs({ cookie: `other=%E0%A4%A; ${cookie}`, origin: ui.origin });
    ws.close();
    await stillServes();
  });

  it('answers 400 to request targets new URL() rejects, on a page request and an upgrade', async () => {
    const page = await rawRequest({ port: ui.port }, `GET http://[/ HTTP/1.1\r\nHost: ${host()}\r\nConnection: close\r\n\r\n`);
    expect(page.status).toBe(400);
    const upgrade = await rawRequest(
      { port: ui.port },
      `GET http://[/ HTTP/1.1\r\nHost: ${host()}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
    );
    expect(upgrade.status).toBe(404);
    await stillServes();
  });

  it('closes a WebSocket that sends an oversized or invalid-UTF-8 frame, and keeps serving', async () => {
    const big = await openWs({ cookie, origin: ui.origin });
    const bigClosed = new Promise<number>((r) => big.once('close', (code) => r(code)));
    big.on('error', () => undefined);
    big.send('x'.repeat(300 * 1024));
    expect(await bigClosed).toBe(1009);

    const bad = await openWs({ cookie, origin: ui.origin });
    const badClosed = new Promise<number>((r) => bad.once('close', (code) => r(code)));
    bad.on('error', () => undefined);
    // A text frame whose payload is not UTF-8; ws' send() would validate nothing on the client side.
    bad.send(Buffer.from([0xc3, 0x28, 0xff]), { binary: false });
    expect(await badClosed).toBe(1007);

    const again = await openWs({ cookie, origin: ui.origin });
    again.close();
    await stillServes();
  });
});

describe('fresh one-time links (watchscope open)', () => {
  const control = 'control-token-for-this-test-0123456789';
  let other: WebUi;
  beforeAll(async () => {
    other = await startWebUi({ service, rendererDir: dir, controlToken: control });
  });
  afterAll(async () => {
    await other?.close();
  });
  const call = (method: string, pathname: string, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: other.port, path: pathname, method, headers }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
  const open = (url: string) => call('GET', new URL(url).pathname + new URL(url).search);

  it('says how to get a fresh link when a spent one is opened again', async () => {
    expect((await open(other.url)).status).toBe(302);
    const again = await open(other.url);
    expect(again.status).toBe(401);
    expect(again.body).toBe('This link was already used or is wrong. For a fresh link, run `watchscope open` in a terminal (the session keeps running).\n');
    expect(again.body).not.toMatch(/restart/i);
  });

  it('mints a link only for the control token holder; each minted link opens once', async () => {
    expect((await call('POST', '/-/link')).status).toBe(401);
    expect((await call('POST', '/-/link', { authorization: 'Bearer wrong-token' })).status).toBe(401);
    expect((await call('POST', '/-/link', { authorization: `Bearer ${control}x` })).status).toBe(401);
    expect((await call('GET', '/-/link', { authorization: `Bearer ${control}` })).status).toBe(405);
    expect((await call('POST', '/-/link', { authorization: `Bearer ${control}`, host: 'evil.example' })).status).toBe(403);
    // A UI started without a control token mints nothing, whatever is sent.
    const noControl = await new Promise<number>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: ui.port, path: '/-/link', method: 'POST', headers: { authorization: `Bearer ${control}` } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(noControl).toBe(401);

    const minted = await call('POST', '/-/link', { authorization: `Bearer ${control}` });
    expect(minted.status).toBe(200);
    const { url } = JSON.parse(minted.body) as { url: string };
    expect(url).toMatch(new RegExp(`^${other.origin}/\\?token=[A-Za-z0-9_-]{32}$`));
    const second = JSON.parse((await call('POST', '/-/link', { authorization: `Bearer ${control}` })).body) as { url: string };
    expect(second.url).not.toBe(url);
    // Both are good, once each, in any order.
    expect((await open(second.url)).status).toBe(302);
    expect((await open(url)).status).toBe(302);
    expect((await open(url)).status).toBe(401);
    expect((await open(second.url)).status).toBe(401);
    expect((await open(other.newLink())).status).toBe(302);
  });
});
