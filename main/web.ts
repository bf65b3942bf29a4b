// Web mode: the same renderer in a browser, served on loopback, with the same contract carried
// over a WebSocket. Nothing here imports electron.
//
// Access control: the printed URL carries a one-time token. The first request presenting it
// gets an HttpOnly, SameSite=Strict session cookie and is redirected to a token-free URL; the
// token is then spent; `watchscope open` asks the running process for another one-time link
// (CONTROL_LINK_PATH, with a control token only the user's 0600 session file holds; see
// ui-session-file.ts). Every later request (static files and the WebSocket upgrade) needs that
// cookie, the Host header must name the loopback address we bound (DNS-rebinding guard) and the
// WebSocket's Origin must be our own origin (cross-site WebSocket hijacking guard).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { readRendererFile } from './renderer-files.js';
import {
  dispatchRequest,
  isRequestName,
  streamNames,
  streams,
  streamSubscriptions,
  WEB_SOCKET_PATH,
  WEB_TOKEN_PARAM,
  WsCall,
  type WatchscopeService,
  type WsServerMessage,
} from '../shared/ipc.js';

/** The renderer's policy, identical in Electron (header + meta) and web mode. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'";

export const SESSION_COOKIE = 'watchscope_session';

/** POST here with `Authorization: Bearer <control token>` answers {"url": a fresh one-time link}. */
export const CONTROL_LINK_PATH = '/-/link';
export const FRESH_LINK_HINT = 'For a fresh link, run `watchscope open` in a terminal (the session keeps running).';
/** Minted links not yet opened; the oldest is forgotten beyond this. */
const MAX_UNSPENT_LINKS = 16;

/** Above this many bytes queued on a socket, snapshots are dropped until it drains. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
/** Inbound messages are small requests; anything larger is refused. */
const MAX_INBOUND_BYTES = 256 * 1024;

export interface WebUiOptions {
  service: WatchscopeService;
  /** The built renderer (out/renderer). */
  rendererDir: string;
  /** Loopback only by default. */
  host?: string;
  /** 0 = any free port. */
  port?: number;
  /** For tests: a fixed token instead of a random one. */
  token?: string;
  /** Enables CONTROL_LINK_PATH for holders of this secret (the CLI keeps it in a 0600 session file). */
  controlToken?: string;
}

export interface WebUi {
  /** Includes the one-time token: http://127.0.0.1:PORT/?token=... */
  url: string;
  /** The origin without the token. */
  origin: string;
  port: number;
  /** A fresh one-time link (as `watchscope open` gets through CONTROL_LINK_PATH). */
  newLink(): string;
  close(): Promise<void>;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!header) return out;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    // Cookies are shared by every port on a host, so another local app's cookie with a bad
    // percent-escape is normal traffic: keep such a value as it was sent.
    const raw = part.slice(i + 1).trim();
    let value = raw;
    try {
      value = decodeURIComponent(raw);
    } catch {
      /* not ours to judge */
    }
    out.set(part.slice(0, i).trim(), value);
  }
  return out;
}

function securityHeaders(): Record<string, string> {
  return {
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
  };
}

export async function startWebUi(opts: WebUiOptions): Promise<WebUi> {
  const host = opts.host ?? '127.0.0.1';
  const rendererDir = path.resolve(opts.rendererDir);
  // Links not yet opened, each good once. `watchscope open` adds one through the control path.
  const unspent: string[] = [opts.token ?? randomBytes(24).toString('base64url')];
  const firstLink = unspent[0]!;
  const mintLink = (): string => {
    const t = randomBytes(24).toString('base64url');
    unspent.push(t);
    if (unspent.length > MAX_UNSPENT_LINKS) unspent.shift();
    return `${origin}/?${WEB_TOKEN_PARAM}=${t}`;
  };
  const controlOk = (req: http.IncomingMessage): boolean => {
    const m = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    return !!opts.controlToken && !!m && sameSecret(m[1]!, opts.controlToken);
  };
  const sessions = new Set<string>();
  let allowedHosts = new Set<string>();
  let origin = '';

  const hasSession = (req: http.IncomingMessage): boolean => {
    const c = parseCookies(req.headers.cookie).get(SESSION_COOKIE);
    if (!c) return false;
    for (const s of sessions) if (sameSecret(s, c)) return true;
    return false;
  };
  const hostOk = (req: http.IncomingMessage): boolean => allowedHosts.has(req.headers.host ?? '');

  const deny = (res: http.ServerResponse, code: number, text: string) => {
    res.writeHead(code, { ...securityHeaders(), 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(text + '\n');
  };

  async function serveFile(res: http.ServerResponse, urlPath: string): Promise<void> {
    const f = await readRendererFile(rendererDir, urlPath);
    if (f.status !== 200) return deny(res, f.status, f.text);
    res.writeHead(200, { ...securityHeaders(), 'Content-Type': f.contentType, 'Content-Length': String(f.body.length) });
    res.end(f.body);
  }

  const parseTarget = (target: string | undefined): URL | undefined => {
    try {
      return new URL(target ?? '/', origin);
    } catch {
      return undefined;
    }
  };

  const server = http.createServer((req, res) => {
    if (!hostOk(req)) return deny(res, 403, 'unexpected Host header');
    const u = parseTarget(req.url);
    if (!u) return deny(res, 400, 'bad request target');
    if (u.pathname === CONTROL_LINK_PATH) {
      if (req.method !== 'POST') return deny(res, 405, 'method not allowed');
      if (!controlOk(req)) return deny(res, 401, 'unauthorized');
      res.writeHead(200, { ...securityHeaders(), 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ url: mintLink() }));
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return deny(res, 405, 'method not allowed');
    const presented = u.searchParams.get(WEB_TOKEN_PARAM);
    if (presented !== null) {
      const i = unspent.findIndex((t) => sameSecret(t, presented));
      if (i >= 0) {
        unspent.splice(i, 1); // one-time: spent on first use
        const sid = randomBytes(24).toString('base64url');
        sessions.add(sid);
        u.searchParams.delete(WEB_TOKEN_PARAM);
        res.writeHead(302, {
          ...securityHeaders(),
          'Set-Cookie': `${SESSION_COOKIE}=${sid}; HttpOnly; SameSite=Strict; Path=/`,
          Location: u.pathname + (u.search || ''),
        });
        res.end();
        return;
      }
      return deny(res, 401, `This link was already used or is wrong. ${FRESH_LINK_HINT}`);
    }
    if (!hasSession(req)) return deny(res, 401, `Open the ui: link printed by watchscope: it carries a one-time token. ${FRESH_LINK_HINT}`);
    void serveFile(res, u.pathname);
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_INBOUND_BYTES });
  server.on('upgrade', (req, socket, head) => {
    const reject = (code: number, text: string) => {
      socket.write(`HTTP/1.1 ${code} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      socket.destroy();
    };
    const u = parseTarget(req.url);
    if (!u || u.pathname !== WEB_SOCKET_PATH) return reject(404, 'Not Found');
    if (!hostOk(req)) return reject(403, 'Forbidden');
    // Browsers always send Origin on WebSocket upgrades; non-browser clients may omit it but still
    // need the session cookie.
    if (req.headers.origin !== undefined && !allowedHosts.has(req.headers.origin.replace(/^http:\/\//, ''))) {
      return reject(403, 'Forbidden');
    }
    if (!hasSession(req)) return reject(401, 'Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => attach(ws));
  });

  const clients = new Set<WebSocket>();
  function attach(ws: WebSocket): void {
    clients.add(ws);
    // ws reports an oversized or invalid-UTF-8 frame as an 'error' (and then closes with 1009 or
    // 1007); without a listener that error would end the process.
    ws.on('error', () => undefined);
    const send = (m: WsServerMessage, droppable: boolean) => {
      if (ws.readyState !== ws.OPEN) return;
      if (droppable && ws.bufferedAmount > MAX_BUFFERED_BYTES) return;
      ws.send(JSON.stringify(m));
    };
    const unsubscribers = streamNames.map((s) => {
      const subscribe = opts.service[streamSubscriptions[s]] as (fn: (p: unknown) => void) => () => void;
      return subscribe.call(opts.service, (payload: unknown) =>
        // A later snapshot supersedes an earlier one, so a slow browser may skip some.
        send({ t: 'stream', channel: streams[s].channel, payload }, s === 'snapshot'),
      );
    });
    ws.on('message', (data, isBinary) => {
      if (isBinary) return ws.close(1003, 'binary frames are not accepted');
      let raw: unknown;
      try {
        raw = JSON.parse(data.toString());
      } catch {
        return ws.close(1007, 'invalid JSON');
      }
      const call = WsCall.safeParse(raw);
      if (!call.success) return ws.close(1008, 'invalid message');
      const { id, method, arg } = call.data;
      if (!isRequestName(method)) {
        send({ t: 'result', id, env: { ok: false, error: { code: 'invalid', message: `unknown method ${method}` } } }, false);
        return;
      }
      void dispatchRequest(opts.service, method, arg).then((env) => send({ t: 'result', id, env }, false));
    });
    ws.on('close', () => {
      clients.delete(ws);
      for (const u of unsubscribers) u();
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const hostPart = host.includes(':') ? `[${host}]` : host;
  origin = `http://${hostPart}:${port}`;
  allowedHosts = new Set([`${hostPart}:${port}`]);
  if (host === '127.0.0.1' || host === '::1') allowedHosts.add(`localhost:${port}`);

  return {
    url: `${origin}/?${WEB_TOKEN_PARAM}=${encodeURIComponent(firstLink)}`,
    newLink: mintLink,
    origin,
    port,
    async close() {
      for (const c of clients) c.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
