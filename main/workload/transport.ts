// A deliberately small HTTP client for the endpoint: node:https with the endpoint's CA and bearer
// token, one keep-alive agent per workload, and every socket tracked so stop() can wait until all
// of them are really closed. The demo clients go through here so that each of them shows up on the
// endpoint as a real request, a real cacheWatcher and a real routing Decision.
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { WatchStream } from './watch-stream.js';

/** How to reach a Kubernetes-compatible endpoint (the embedded one, or a replica of it). */
export interface EndpointConnection {
  url: string;
  token: string;
  /** PEM of the CA that signed the endpoint's serving certificate (https only). */
  caPem?: string;
}

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Query;
  body?: unknown;
  userAgent: string;
  /** Abort after this many ms (the request is destroyed and rejects). */
  timeoutMs?: number;
  /** Destroys the request when aborted. */
  signal?: AbortSignal;
}

export interface HttpResult<T = unknown> {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: T;
  /** Raw body length in bytes. */
  bytes: number;
  latencyMs: number;
}

/** A Kubernetes Status body, as far as the clients need it. */
export interface StatusBody {
  kind?: string;
  code?: number;
  reason?: string;
  message?: string;
  details?: { retryAfterSeconds?: number; causes?: { reason?: string; message?: string }[] };
}

export class TransportClosedError extends Error {
  constructor() {
    super('transport closed');
    this.name = 'TransportClosedError';
  }
}

export function buildPath(path: string, query?: Query): string {
  if (!query) return path;
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

export class Transport {
  private readonly base: URL;
  private readonly agent: http.Agent;
  private readonly mod: typeof http | typeof https;
  private readonly requests = new Set<http.ClientRequest>();
  private readonly sockets = new Set<Socket>();
  private closed = false;

  constructor(readonly conn: EndpointConnection, opts: { maxSockets?: number } = {}) {
    this.base = new URL(conn.url);
    const secure = this.base.protocol === 'https:';
    this.mod = secure ? https : http;
    const agentOpts = { keepAlive: true, maxSockets: opts.maxSockets ?? 256 };
    this.agent = secure ? new https.Agent({ ...agentOpts, ...(conn.caPem ? { ca: conn.caPem } : {}) }) : new http.Agent(agentOpts);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Sockets currently open (in use or idle in the keep-alive pool). */
  get openSockets(): number {
    return this.sockets.size;
  }

  /** Sends a request and reads the whole answer, parsed as JSON when it is JSON. */
  request<T = unknown>(o: RequestOptions): Promise<HttpResult<T>> {
    return new Promise((resolve, reject) => {
      const start = performance.now();
      let req: http.ClientRequest;
      try {
        req = this.open(o, (res) => {
          const chunks: Buffer[] = [];
          let bytes = 0;
          res.on('data', (c: Buffer) => {
            chunks.push(c);
            bytes += c.length;
          });
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let body: unknown = text;
            if (text && /json/.test(String(res.headers['content-type'] ?? 'json'))) {
              try {
                body = JSON.parse(text);
              } catch {
                body = text;
              }
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: body as T, bytes, latencyMs: performance.now() - start });
          });
        });
      } catch (e) {
        reject(e);
        return;
      }
      req.on('error', reject);
      if (o.timeoutMs) req.setTimeout(o.timeoutMs, () => req.destroy(new Error(`request timed out after ${o.timeoutMs}ms`)));
      req.end(o.body === undefined ? undefined : JSON.stringify(o.body));
    });
  }

  /**
   * Opens a watch. Resolves once the response headers arrive: with a WatchStream on 200, or with
   * the error answer (status + Status body) otherwise.
   */
  watch(o: Omit<RequestOptions, 'method' | 'body'>): Promise<{ stream: WatchStream } | { error: HttpResult<StatusBody | string> }> {
    return new Promise((resolve, reject) => {
      const start = performance.now();
      let req: http.ClientRequest;
      try {
        req = this.open({ ...o, method: 'GET', query: { ...o.query, watch: 'true' } }, (res) => {
          if (res.statusCode === 200) {
            resolve({ stream: new WatchStream(res, () => req.destroy()) });
            return;
          }
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let body: StatusBody | string = text;
            try {
              body = JSON.parse(text) as StatusBody;
            } catch {
              // keep the text
            }
            resolve({ error: { status: res.statusCode ?? 0, headers: res.headers, body, bytes: text.length, latencyMs: performance.now() - start } });
          });
        });
      } catch (e) {
        reject(e);
        return;
      }
      req.on('error', reject);
      req.end();
    });
  }

  private open(o: RequestOptions, onResponse: (res: http.IncomingMessage) => void): http.ClientRequest {
    if (this.closed) throw new TransportClosedError();
    const headers: http.OutgoingHttpHeaders = {
      Authorization: `Bearer ${this.conn.token}`,
      Accept: 'application/json',
      'User-Agent': o.userAgent,
    };
    if (o.body !== undefined) headers['Content-Type'] = 'application/json';
    const basePath = this.base.pathname.replace(/\/$/, '');
    const req = this.mod.request(
      {
        protocol: this.base.protocol,
        hostname: this.base.hostname,
        port: this.base.port,
        method: o.method,
        path: basePath + buildPath(o.path, o.query),
        headers,
        agent: this.agent,
      },
      onResponse,
    );
    this.requests.add(req);
    const onAbort = () => req.destroy(new Error('request aborted'));
    if (o.signal?.aborted) queueMicrotask(onAbort);
    else o.signal?.addEventListener('abort', onAbort, { once: true });
    req.once('close', () => {
      this.requests.delete(req);
      o.signal?.removeEventListener('abort', onAbort);
    });
    req.once('socket', (s: Socket) => {
      if (this.sockets.has(s)) return;
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
    return req;
  }

  /** Aborts every request in flight, closes every socket and waits until they are all closed. */
  async close(): Promise<void> {
    this.closed = true;
    for (const r of this.requests) r.destroy(new TransportClosedError());
    this.agent.destroy();
    const pending = [...this.sockets];
    const closes = pending.map((s) => new Promise<void>((r) => (this.sockets.has(s) ? s.once('close', () => r()) : r())));
    for (const s of pending) s.destroy();
    await Promise.all(closes);
  }
}

/** The Status of an error answer, when the body is one. */
export function statusOf(body: unknown): StatusBody | undefined {
  return body && typeof body === 'object' && (body as StatusBody).kind === 'Status' ? (body as StatusBody) : undefined;
}
