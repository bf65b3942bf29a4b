// Hostile input against web mode's UI listener and its WebSocket: tables of request targets ×
// cookies, Host headers × methods, upgrade attempts, and frames, each row asserting the exact
// answer (status and body text, or close code, or result envelope); after the tables the
// listener still serves the page and a working WebSocket.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { startWebUi, SESSION_COOKIE, type WebUi } from './web.js';
import { FakeWatchscopeService } from '../e2e/fake-service.js';
import { requestNames } from '../shared/ipc.js';
import { rawBody, rawRequest } from './testing/raw-request.js';

let root: string;
let ui: WebUi;
let service: FakeWatchscopeService;
let session = '';

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'ws-web-hostile-'));
  const dir = path.join(root, 'renderer');
  await mkdir(path.join(dir, 'assets'), { recursive: true });
  await writeFile(path.join(dir, 'index.html'), '<!doctype html><title>t</title>');
  await writeFile(path.join(dir, 'assets', 'a.js'), 'export {}');
  await writeFile(path.join(root, 'secret-outside.txt'), 'must not be served');
  service = new FakeWatchscopeService({ watchers: 3, snapshotIntervalMs: 200 });
  ui = await startWebUi({ service, rendererDir: dir });
  // Spend the one-time token for a session cookie, as the browser does.
  const u = new URL(ui.url);
  const a = await raw(`GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${host()}\r\nConnection: close\r\n\r\n`);
  session = /set-cookie: ([^;\r\n]+)/i.exec(a.text)![1]!;
});

afterAll(async () => {
  service?.close();
  await ui?.close();
  await rm(root, { recursive: true, force: true });
});

const host = () => `127.0.0.1:${ui.port}`;
const raw = (text: string) => rawRequest({ port: ui.port }, text);

/** The body of a raw answer, with chunked framing undone. */
function bodyOf(a: { text: string }): string {
  const head = a.text.slice(0, a.text.indexOf('\r\n\r\n')).toLowerCase();
  const b = rawBody(a as Parameters<typeof rawBody>[0]);
  if (!head.includes('transfer-encoding: chunked')) return b;
  let out = '';
  let rest = b;
  for (;;) {
    const nl = rest.indexOf('\r\n');
    const n = parseInt(rest.slice(0, nl), 16);
    if (!n) return out;
    out += rest.slice(nl + 2, nl + 2 + n);
    rest = rest.slice(nl + 2 + n + 2);
  }
}

interface Answer {
  status: number;
  body?: string;
}

// ---- request targets × cookies ---------------------------------------------------------------

const NO_SESSION = 'Open the ui: link printed by watchscope: it carries a one-time token. For a fresh link, run `watchscope open` in a terminal (the session keeps running).\n';
const COOKIES: [string, () => string | undefined, boolean][] = [
  ['no cookie', () => undefined, false],
  ["another app's cookie with a bad escape", () => 'other=%E0%A4%A', false],
  ['a forged session', () => `${SESSION_COOKIE}=forged`, false],
  ['an 8 KB cookie', () => `junk=${'x'.repeat(8000)}`, false],
  ['the session', () => session, true],
  ['the session beside a bad escape', () => `other=%E0%A4%A; ${session}`, true],
  ['the session twice', () => `${session}; ${session}`, true],
];
const TARGETS: [string, Answer][] = [
  ['/', { status: 200, body: '<!doctype html><title>t</title>' }],
  ['/assets/a.js', { status: 200, body: 'export {}' }],
  ['/../secret-outside.txt', { status: 404, body: 'not found\n' }],
  ['/%2e%2e/secret-outside.txt', { status: 404, body: 'not found\n' }],
  ['/assets/..%2f..%2fsecret-outside.txt', { status: 404, body: 'not found\n' }],
  ['/assets/..%5c..%5csecret-outside.txt', { status: 400, body: 'bad path\n' }],
  ['/%E0%A4%A', { status: 400, body: 'bad path\n' }],
  ['/%00', { status: 400, body: 'bad path\n' }],
  ['/index.html%00.js', { status: 400, body: 'bad path\n' }],
  [`/${'a'.repeat(5000)}`, { status: 404, body: 'not found\n' }],
  ['/assets', { status: 404, body: 'not found\n' }],
];
const targetRows = COOKIES.flatMap(([cookieLabel, cookie, ok]) =>
  TARGETS.map(([target, answer]) => ({
    name: `GET ${target.slice(0, 40)} with ${cookieLabel}`,
    request: () => `GET ${target} HTTP/1.1\r\nHost: ${host()}\r\n${cookie() ? `Cookie: ${cookie()}\r\n` : ''}Connection: close\r\n\r\n`,
    want: ok ? answer : { status: 401, body: NO_SESSION },
  })),
);

// Targets refused before any cookie is looked at.
const badTargetRows = ['http://[/', 'http://[::1/', '//[/'].flatMap((target) =>
  COOKIES.slice(0, 5).map(([cookieLabel, cookie]) => ({
    name: `GET ${target} with ${cookieLabel}`,
    request: () => `GET ${target} HTTP/1.1\r\nHost: ${host()}\r\n${cookie() ? `Cookie: ${cookie()}\r\n` : ''}Connection: close\r\n\r\n`,
    want: { status: 400, body: 'bad request target\n' },
  })),
);

// ---- Host headers × methods --------------------------------------------------------------------

const HOSTS: [string, (h: string) => string][] = [
  ['a foreign host', () => 'evil.example'],
  ['the right port on another name', (h) => `example.com:${h.split(':')[1]}`],
  ['an empty host', () => ''],
  ['the host with a trailing dot', (h) => h.replace('127.0.0.1', '127.0.0.1.')],
];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'];
const hostRows = [
  ...HOSTS.flatMap(([label, make]) =>
    METHODS.map((m) => ({
      name: `${m} / with ${label}`,
      request: () => `${m} / HTTP/1.1\r\nHost: ${make(host())}\r\nCookie: ${session}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
      want: { status: 403, body: 'unexpected Host header\n' },
    })),
  ),
  ...METHODS.slice(1).map((m) => ({
    name: `${m} / with the session`,
    request: () => `${m} / HTTP/1.1\r\nHost: ${host()}\r\nCookie: ${session}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
    want: { status: 405, body: 'method not allowed\n' },
  })),
  {
    name: 'a spent or wrong one-time token',
    request: () => `GET /?token=wrong HTTP/1.1\r\nHost: ${host()}\r\nConnection: close\r\n\r\n`,
    want: { status: 401, body: 'This link was already used or is wrong. For a fresh link, run `watchscope open` in a terminal (the session keeps running).\n' },
  },
];

// ---- WebSocket upgrades ------------------------------------------------------------------------

const upgrade = (target: string, headers: string) =>
  `GET ${target} HTTP/1.1\r\nHost: ${host()}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n${headers}\r\n`;
const ORIGINS: [string, () => string, boolean][] = [
  ['no Origin', () => '', true],
  ['its own Origin', () => `Origin: http://${host()}\r\n`, true],
  ['a foreign Origin', () => 'Origin: http://evil.example\r\n', false],
  ['a null Origin', () => 'Origin: null\r\n', false],
];
const upgradeRows = [
  ...COOKIES.flatMap(([cookieLabel, cookie, ok]) =>
    ORIGINS.map(([originLabel, origin, originOk]) => ({
      name: `upgrade /ws with ${cookieLabel} and ${originLabel}`,
      request: () => upgrade('/ws', `${origin()}${cookie() ? `Cookie: ${cookie()}\r\n` : ''}`),
      want: { status: !originOk ? 403 : ok ? 101 : 401 },
    })),
  ),
  ...['/', '/ws/', '/WS', 'http://[/', '/ws?x=%zz'].map((target) => ({
    name: `upgrade ${target} with the session`,
    request: () => upgrade(target, `Cookie: ${session}\r\n`),
    want: { status: target === '/ws?x=%zz' ? 101 : 404 },
  })),
];

// ---- WebSocket frames ----------------------------------------------------------------------------

function openWs(): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${host()}/ws`, { headers: { cookie: session, origin: `http://${host()}` } });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

type FrameAnswer = { close: number; reason: string } | { result: unknown };
const FRAMES: [string, () => [data: string | Buffer, binary: boolean], FrameAnswer][] = [
  ['over 256 KiB', () => ['x'.repeat(300 * 1024), false], { close: 1009, reason: '' }],
  ['invalid UTF-8', () => [Buffer.from([0xc3, 0x28, 0xff]), false], { close: 1007, reason: '' }],
  ['a binary frame', () => [Buffer.from('{}'), true], { close: 1003, reason: 'binary frames are not accepted' }],
  ['not JSON', () => ['hello', false], { close: 1007, reason: 'invalid JSON' }],
  ['an empty text frame', () => ['', false], { close: 1007, reason: 'invalid JSON' }],
  ['a JSON array', () => ['[]', false], { close: 1008, reason: 'invalid message' }],
  ['a JSON number', () => ['42', false], { close: 1008, reason: 'invalid message' }],
  ['an object without t', () => ['{}', false], { close: 1008, reason: 'invalid message' }],
  ['a negative id', () => [JSON.stringify({ t: 'call', id: -1, method: 'listProfiles' }), false], { close: 1008, reason: 'invalid message' }],
  ['a string id', () => [JSON.stringify({ t: 'call', id: '1', method: 'listProfiles' }), false], { close: 1008, reason: 'invalid message' }],
  ['an extra field', () => [JSON.stringify({ t: 'call', id: 1, method: 'listProfiles', x: 1 }), false], { close: 1008, reason: 'invalid message' }],
  ['a 65-character method', () => [JSON.stringify({ t: 'call', id: 1, method: 'm'.repeat(65) }), false], { close: 1008, reason: 'invalid message' }],
  ['JSON nested 100,000 deep', () => ['['.repeat(100_000) + ']'.repeat(100_000), false], { close: 1008, reason: 'invalid message' }],
  ['an unknown method', () => [JSON.stringify({ t: 'call', id: 7, method: 'deleteEverything' }), false], { result: { t: 'result', id: 7, env: { ok: false, error: { code: 'invalid', message: 'unknown method deleteEverything' } } } }],
  ['a prototype name as method', () => [JSON.stringify({ t: 'call', id: 8, method: '__proto__' }), false], { result: { t: 'result', id: 8, env: { ok: false, error: { code: 'invalid', message: 'unknown method __proto__' } } } }],
  ['constructor as method', () => [JSON.stringify({ t: 'call', id: 9, method: 'constructor' }), false], { result: { t: 'result', id: 9, env: { ok: false, error: { code: 'invalid', message: 'unknown method constructor' } } } }],
];
// Every method of the contract with arguments of the wrong shape: refused by the schema, never called.
const BAD_ARGS: unknown[] = [42, 'x', [], { nope: 1 }];
const argRows = requestNames.flatMap((method) =>
  BAD_ARGS.map((arg, i) => ({ method, arg, id: 100 + requestNames.indexOf(method) * 10 + i })),
);

function sendFrame(data: string | Buffer, binary: boolean): Promise<{ close?: { code: number; reason: string }; messages: any[] }> {
  return openWs().then(
    (ws) =>
      new Promise((resolve) => {
        const messages: any[] = [];
        let settled = false;
        const done = (close?: { code: number; reason: string }) => {
          if (settled) return;
          settled = true;
          clearTimeout(t);
          if (!close) ws.close();
          resolve(close ? { close, messages } : { messages });
        };
        ws.on('error', () => undefined);
        ws.on('message', (m) => {
          const parsed = JSON.parse(m.toString());
          if (parsed.t === 'result') {
            messages.push(parsed);
            done();
          }
        });
        ws.once('close', (code, reason) => done({ code, reason: reason.toString() }));
        const t = setTimeout(() => done(), 5000);
        ws.send(data, { binary });
      }),
  );
}

// ---- the tables ----------------------------------------------------------------------------------

const HTTP_ROWS = [...targetRows, ...badTargetRows, ...hostRows, ...upgradeRows];
const WEB_HOSTILE_ROWS = HTTP_ROWS.length + FRAMES.length + argRows.length;

describe(`hostile input to the UI listener and its WebSocket (${WEB_HOSTILE_ROWS} rows)`, () => {
  it.each(HTTP_ROWS.map((r) => [r.name, r] as const))('%s', async (_n, row) => {
    const a = await raw(row.request());
    const got: Answer = { status: a.status };
    if ('body' in row.want) got.body = bodyOf(a);
    expect(got).toEqual(row.want);
  });

  it.each(FRAMES.map(([label, make, want]) => [label, make, want] as const))('frame: %s', async (_label, make, want) => {
    const [data, binary] = make();
    const r = await sendFrame(data, binary);
    if ('close' in want) expect(r.close).toEqual({ code: want.close, reason: want.reason });
    else expect(r.messages).toEqual([want.result]);
  });

  it.each(argRows.map((r) => [`${r.method}(${JSON.stringify(r.arg)})`, r] as const))('call with a wrong argument: %s', async (_n, row) => {
    const r = await sendFrame(JSON.stringify({ t: 'call', id: row.id, method: row.method, arg: row.arg }), false);
    expect(r.close).toBeUndefined();
    expect(r.messages).toHaveLength(1);
    expect(r.messages[0]).toMatchObject({ t: 'result', id: row.id, env: { ok: false, error: { code: 'invalid' } } });
    expect(r.messages[0].env.error.message).toMatch(new RegExp(`^invalid ${row.method} request: \\S`));
  });

  it('still serves the page and a working WebSocket after every row', async () => {
    const page = await raw(`GET / HTTP/1.1\r\nHost: ${host()}\r\nCookie: ${session}\r\nConnection: close\r\n\r\n`);
    expect(page.status).toBe(200);
    const r = await sendFrame(JSON.stringify({ t: 'call', id: 1, method: 'listProfiles' }), false);
    expect(r.messages[0]).toMatchObject({ t: 'result', id: 1, env: { ok: true } });
  });
});
