// HTTP to one cluster with one kubeconfig user's credentials. client-node supplies the TLS
// material, the agent and the Authorization header (certs, tokens, token files, exec plugins,
// auth providers, CA bundles, insecure-skip-tls-verify); requests go through node:http(s) so
// that network and TLS failures keep their Node error codes, which errors.ts turns into advice.
import http, { type IncomingHttpHeaders, type IncomingMessage, type RequestOptions } from 'node:http';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { KubeConfig, User } from '@kubernetes/client-node';
import { KubeError, explainCredentialError, explainHttpError, explainNetworkError } from './errors.js';
import { JsonObjectFramer } from '../../util/json-object-framer.js';

export interface KubeResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** The far end of the connection that answered (set when the request asked for `peer`). */
  peer?: ConnectionPeer;
}

/** Who was at the other end of a connection: what a client can know of which server answered. */
export interface ConnectionPeer {
  remoteAddress: string;
  remotePort: number;
  /** HTTPS: the serving certificate's SHA-256 fingerprint and subject CN. */
  certificate?: { fingerprint256: string; subjectCN: string };
}

export interface RequestOpts {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** Raw body and content type (e.g. a patch). */
  rawBody?: { data: string; contentType: string };
  timeoutMs?: number;
  accept?: string;
  /** For error messages: the verb and resource the request stands for. */
  verb?: string;
  resource?: string;
  /**
   * The connection to use: `false` for one of its own (behind a TCP load balancer each such
   * request may reach another apiserver), or an agent that keeps one open (requests through it
   * stay with one apiserver). Ignored when the kubeconfig sets a proxy.
   */
  agent?: http.Agent | false;
  /** Report the far end of the connection that answered (KubeResponse.peer). */
  peer?: boolean;
}

export interface StreamHandle {
  abort(): void;
}

export interface StreamCallbacks {
  /** One JSON object of a 200 body (a watch event), as its text. */
  onObject(text: string): void;
  /** The body ended or the connection dropped (err set) after a 200. */
  onClose(err?: KubeError): void;
  /** The request failed before a 200 (network, TLS, credentials or an HTTP error status). */
  onError(err: KubeError): void;
  onOpen?(): void;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const MAX_BODY = 256 * 1024 * 1024;

export class KubeClient {
  constructor(
    private readonly kc: KubeConfig,
    readonly server: string,
    readonly contextName: string,
    readonly user: User | null,
  ) {}

  get userName(): string {
    return this.user?.name ?? '';
  }

  private async prepare(method: string, path: string, opts: RequestOpts): Promise<{ url: URL; options: RequestOptions; mod: typeof http | typeof https }> {
    const url = new URL(this.server.replace(/\/+$/, '') + path);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
    const options: https.RequestOptions = { method, headers: {} };
    // An exec plugin waiting for an interactive login would otherwise hang every request.
    const limit = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.kc.applyToHTTPSOptions(options),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`it did not finish within ${Math.round(limit / 1000)}s (is it waiting for an interactive login?)`)),
            limit,
          );
        }),
      ]);
    } catch (e) {
      throw explainCredentialError(e, this.user);
    } finally {
      clearTimeout(timer);
    }
    const headers = (options.headers ?? {}) as Record<string, string>;
    headers['Accept'] = opts.accept ?? 'application/json';
    headers['User-Agent'] = 'watchscope';
    options.headers = headers;
    const mod = url.protocol === 'http:' ? http : https;
    // Without a proxy, client-node's agent only pools connections; another agent (or none) makes
    // its own with the same TLS options (ca, cert, key are on `options` too). A proxy's is kept.
    if (opts.agent !== undefined && !this.kc.getCurrentCluster()?.proxyUrl) options.agent = opts.agent;
    return { url, options, mod };
  }

  /** One request; resolves with any HTTP status, rejects with a KubeError below HTTP. */
  async raw(method: string, path: string, opts: RequestOpts = {}): Promise<KubeResponse> {
    const { url, options, mod } = await this.prepare(method, path, opts);
    let payload: string | undefined;
    const headers = options.headers as Record<string, string>;
    if (opts.rawBody) {
      payload = opts.rawBody.data;
      headers['Content-Type'] = opts.rawBody.contentType;
    } else if (opts.body !== undefined) {
      payload = JSON.stringify(opts.body);
      headers['Content-Type'] = 'application/json';
    }
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    return new Promise<KubeResponse>((resolve, reject) => {
      const req = mod.request(url, options, (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_BODY) {
            req.destroy(new Error(`response from ${url.pathname} larger than ${MAX_BODY} bytes`));
            return;
          }
          chunks.push(c);
        });
        const peer = opts.peer ? connectionPeer(res) : undefined;
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), ...(peer ? { peer } : {}) }));
        res.on('error', (e) => reject(explainNetworkError(e, this.server)));
      });
      const timer = setTimeout(() => req.destroy(Object.assign(new Error('timeout'), { code: 'WATCHSCOPE_TIMEOUT' })), timeoutMs);
      req.on('close', () => clearTimeout(timer));
      req.on('error', (e) => {
        clearTimeout(timer);
        reject(explainNetworkError(e, this.server));
      });
      req.end(payload);
    });
  }

  /** A request that must succeed (2xx); JSON body. Throws KubeError otherwise. */
  async json<T>(method: string, path: string, opts: RequestOpts = {}): Promise<T> {
    const r = await this.raw(method, path, opts);
    if (r.status < 200 || r.status >= 300) throw this.httpError(r.status, r.body, path, opts);
    try {
      return JSON.parse(r.body) as T;
    } catch {
      throw new KubeError('http', `${path} answered ${r.status} with a body that is not JSON`, r.status);
    }
  }

  httpError(status: number, body: string, path: string, opts: Pick<RequestOpts, 'verb' | 'resource'> = {}): KubeError {
    const ctx = { server: this.server, user: this.userName, path } as { server: string; user: string; path: string; verb?: string; resource?: string };
    if (opts.verb) ctx.verb = opts.verb;
    if (opts.resource) ctx.resource = opts.resource;
    return explainHttpError(status, body, ctx);
  }

  /**
   * A long-lived GET read object by object (a watch). The connect phase is bounded by `connectTimeoutMs`;
   * after the 200 the stream may stay silent for as long as the server keeps it open.
   */
  stream(path: string, opts: RequestOpts & { connectTimeoutMs?: number }, cb: StreamCallbacks): StreamHandle {
    let req: http.ClientRequest | undefined;
    let aborted = false;
    let settled = false;
    const settle = (f: () => void) => {
      if (settled) return;
      settled = true;
      f();
    };
    void (async () => {
      let prepared;
      try {
        prepared = await this.prepare('GET', path, opts);
      } catch (e) {
        settle(() => cb.onError(e instanceof KubeError ? e : explainNetworkError(e, this.server)));
        return;
      }
      if (aborted) return;
      const { url, options, mod } = prepared;
      let opened = false;
      const r = mod.request(url, options, (res) => {
        clearTimeout(timer);
        if (res.statusCode !== 200) {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.length < 64 && chunks.push(c));
          res.on('end', () => settle(() => cb.onError(this.httpError(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'), path, opts))));
          res.on('error', (e) => settle(() => cb.onError(explainNetworkError(e, this.server))));
          return;
        }
        opened = true;
        cb.onOpen?.();
        res.setEncoding('utf8');
        const framer = new JsonObjectFramer();
        res.on('data', (chunk: string) => {
          if (aborted) return;
          let objects: string[];
          try {
            objects = framer.push(chunk);
          } catch (e) {
            // Not a stream of JSON objects: end it as a dropped connection, so the watch resumes.
            r.destroy();
            settle(() => cb.onClose(new KubeError('http', `watch ${path}: ${(e as Error).message}`)));
            return;
          }
          for (const o of objects) if (!aborted) cb.onObject(o);
        });
        res.on('end', () => settle(() => cb.onClose()));
        res.on('error', (e) => settle(() => cb.onClose(explainNetworkError(e, this.server))));
        res.on('close', () => settle(() => cb.onClose(aborted ? undefined : explainNetworkError(Object.assign(new Error('stream closed'), { code: 'ECONNRESET' }), this.server))));
      });
      req = r;
      const timer = setTimeout(
        () => r.destroy(Object.assign(new Error('timeout'), { code: 'WATCHSCOPE_TIMEOUT' })),
        opts.connectTimeoutMs ?? DEFAULT_TIMEOUT_MS,
      );
      r.on('error', (e) => {
        clearTimeout(timer);
        if (aborted) return;
        const err = explainNetworkError(e, this.server);
        settle(() => (opened ? cb.onClose(err) : cb.onError(err)));
      });
      r.end();
    })();
    return {
      // The caller ends the stream itself, so no callback follows an abort.
      abort() {
        if (aborted) return;
        aborted = true;
        settled = true;
        req?.destroy();
      },
    };
  }
}

function connectionPeer(res: IncomingMessage): ConnectionPeer {
  const socket = res.socket as (TLSSocket & { encrypted?: boolean }) | null;
  const peer: ConnectionPeer = { remoteAddress: socket?.remoteAddress ?? '', remotePort: socket?.remotePort ?? 0 };
  if (socket?.encrypted && typeof socket.getPeerCertificate === 'function') {
    const c = socket.getPeerCertificate();
    if (c && c.fingerprint256) {
      const cn = c.subject?.CN;
      peer.certificate = { fingerprint256: c.fingerprint256, subjectCN: Array.isArray(cn) ? cn.join(',') : (cn ?? '') };
    }
  }
  return peer;
}
