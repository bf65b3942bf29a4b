// The Kubernetes-compatible endpoint: HTTPS on loopback with a per-run CA, bearer-token auth,
// legacy discovery, and the resource verbs (handlers/), each request recording one routing
// Decision. Real clients (kubectl, client-go, @kubernetes/client-node) use it unmodified.
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { DecisionLog, DecisionSink } from '../decisions.js';
import type { Profile } from '../routing/profiles.js';
import { StatusError } from '../errors.js';
import { ResourceRegistry, DEFAULT_ETCD_PREFIX } from '../resources.js';
import type { StorageBackend } from './backend.js';
import { generateServingCerts } from './certs.js';
import { writeKubeconfig as writeKubeconfigFile } from './kubeconfig.js';
import { parseRequestInfo, type RequestInfo } from './request-info.js';
import { RequestContext, isResourceRequest } from './context.js';
import { writeJSON, writeStatus, toStatusError } from './respond.js';
import { apiGroup, apiGroupList, apiResourceList, apiVersions, versionInfo } from './discovery.js';
import { serveDebug, type DebugOptions } from './debug.js';
import { openAPIV3Doc, openAPIV3Root } from './openapi.js';
import { StorageWatcherRegistry } from './storage-watchers.js';
import { handleList } from './handlers/list.js';
import { handleGet } from './handlers/get.js';
import { handleWatch } from './handlers/watch.js';
import { handleCreate, handlePatch, handleUpdate } from './handlers/write.js';
import { handleDelete, handleDeleteCollection } from './handlers/delete.js';

export interface ApiServerOptions {
  /** A loopback address to bind (callers refuse any other); default 127.0.0.1. */
  host?: string;
  /** 0 or undefined: a free port. */
  port?: number;
  /** Default true: HTTPS with a per-run CA. */
  tls?: boolean;
  /** Bearer token clients must send; generated when absent. */
  token?: string;
  backend: StorageBackend;
  profile: () => Profile;
  decisions: DecisionSink;
  /** userAgent recorded when a request sends none. */
  userAgentDefault?: string;
  /** Served at /debug/watchscope/decisions when the sink is a DecisionLog (or given here). */
  decisionLog?: DecisionLog;
  /** Served at /debug/watchscope/snapshot. */
  snapshot?: () => unknown | Promise<unknown>;
  /** Served at /debug/watchscope/clients?minutes=N. */
  clients?: DebugOptions['clients'];
  /** Watches served from storage are listed here (created when absent). */
  storageWatchers?: StorageWatcherRegistry;
  etcdPrefix?: string;
  /** A POST receiver on the same listener and token (the audit webhook backend), by exact path. */
  posts?: Record<string, (req: IncomingMessage, res: ServerResponse) => Promise<void>>;
  /** Time and connection limits; defaults are kube-apiserver's (see CONNECTION_LIMITS). */
  limits?: Partial<ConnectionLimits>;
}

export interface ConnectionLimits {
  /** TLS handshake and request headers must arrive within this (kube-apiserver's ReadHeaderTimeout: 32 s). */
  headersTimeoutMs: number;
  /**
   * The whole request, body included, must arrive within this (kube-apiserver's request
   * timeout: 60 s). It bounds receiving only: a watch's request is complete once its headers
   * are in, and its response streams for as long as the watch lasts.
   */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this (kube-apiserver's IdleTimeout: 90 s). */
  keepAliveTimeoutMs: number;
  /** How often Node checks the two timeouts above. */
  checkIntervalMs: number;
  /**
   * Open connections per remote address; more are closed at once. Every loopback client shares
   * 127.0.0.1, so this bounds the listener as a whole: high enough for a thousand watches
   * (HTTP/1.1 needs a connection each), low enough that one client cannot take every descriptor.
   */
  maxConnectionsPerClient: number;
}

export const CONNECTION_LIMITS: ConnectionLimits = {
  headersTimeoutMs: 32_000,
  requestTimeoutMs: 60_000,
  keepAliveTimeoutMs: 90_000,
  checkIntervalMs: 2_000,
  maxConnectionsPerClient: 2048,
};

export interface ApiServer {
  url: string;
  token: string;
  caPem?: string;
  /** Watches served straight from storage (telemetry reads them beside the cache's watchers). */
  storageWatchers: StorageWatcherRegistry;
  writeKubeconfig(path: string, contextName?: string): Promise<void>;
  /** Requests refused for want of a valid bearer token since start. */
  readonly unauthenticatedRequests: number;
  close(): Promise<void>;
}

/** At most one decision-log entry per this interval for failed authentications. */
const UNAUTHENTICATED_LOG_INTERVAL_MS = 10_000;

const unauthorized = () => new StatusError(401, 'Unauthorized', 'Unauthorized');
const notFoundPath = () => new StatusError(404, 'NotFound', 'the server could not find the requested resource');

function tokenMatches(header: string | undefined, token: Buffer): boolean {
  if (!header) return false;
  const m = /^Bearer\s+(.+)$/i.exec(header.trim());
  if (!m) return false;
  const got = Buffer.from(m[1]!.trim());
  return got.length === token.length && timingSafeEqual(got, token);
}

const isDecisionLog = (s: DecisionSink): s is DecisionLog => typeof (s as DecisionLog).since === 'function';

export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  const host = opts.host ?? '127.0.0.1';
  const tls = opts.tls ?? true;
  const token = opts.token ?? randomBytes(24).toString('base64url');
  const tokenBuf = Buffer.from(token);
  const storageWatchers = opts.storageWatchers ?? new StorageWatcherRegistry();
  const etcdPrefix = opts.etcdPrefix ?? DEFAULT_ETCD_PREFIX;
  const decisionLog = opts.decisionLog ?? (isDecisionLog(opts.decisions) ? opts.decisions : undefined);
  const certs = tls ? generateServingCerts([...new Set(['127.0.0.1', 'localhost', host])]) : undefined;
  const sockets = new Set<import('node:net').Socket>();
  let serverAddress = '';

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    void handle(req, res).catch((e) => {
      if (!res.headersSent) writeStatus(res, toStatusError(e));
      else res.destroy();
    });
  };

  // Failed authentications are counted, not logged one by one: an unauthenticated client must
  // not be able to evict the decision log (or fill it with its query strings and user agents).
  let unauthenticated = 0;
  let unauthenticatedLogged = 0;
  let lastUnauthenticatedRecord = -Infinity;
  const recordUnauthenticated = (profile: Profile) => {
    unauthenticated++;
    const now = performance.now();
    if (now - lastUnauthenticatedRecord < UNAUTHENTICATED_LOG_INTERVAL_MS) return;
    lastUnauthenticatedRecord = now;
    const n = unauthenticated - unauthenticatedLogged;
    unauthenticatedLogged = unauthenticated;
    opts.decisions.record({
      time: Date.now(),
      verb: 'get',
      resource: '',
      query: {},
      profile: profile.name,
      servedBy: 'rejected',
      reason: 'unauthorized',
      detail: `${n} request${n === 1 ? '' : 's'} without a valid bearer token (${unauthenticated} in all); authentication fails before routing, and further failures within ${UNAUTHENTICATED_LOG_INTERVAL_MS / 1000} s are only counted.`,
      status: 401,
      latencyMs: 0,
      userAgent: '',
    });
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const profile = opts.profile();
    // Authentication comes first, as in kube-apiserver's handler chain: nothing about the request
    // (its target may not even parse) is looked at for a client without the token.
    if (!tokenMatches(req.headers.authorization, tokenBuf)) {
      recordUnauthenticated(profile);
      writeStatus(res, unauthorized());
      return;
    }
    let info: RequestInfo;
    try {
      info = parseRequestInfo(method, req.url ?? '/');
    } catch {
      return writeStatus(res, new StatusError(400, 'BadRequest', 'the request target is not a valid URL path (malformed percent-encoding or host)'));
    }
    const userAgent = req.headers['user-agent'] ?? opts.userAgentDefault ?? '';
    const registry = new ResourceRegistry(opts.backend.resources());
    const resource = info.isResourceRequest ? registry.find(info.group, info.version, info.resource) : undefined;
    const backend = resource ? opts.backend.resource(resource.group, resource.resource) : undefined;
    const ctx = new RequestContext(req, res, info, resource, backend, profile, userAgent, opts.decisions, storageWatchers, etcdPrefix);

    if (!info.isResourceRequest) {
      const post = opts.posts && Object.hasOwn(opts.posts, info.path) ? opts.posts[info.path] : undefined;
      if (post) return post(req, res);
      if (method !== 'GET' && method !== 'HEAD') return writeStatus(res, new StatusError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource'));
      if (await serveDebug(info.path, info.query, res, { decisions: decisionLog, snapshot: opts.snapshot, clients: opts.clients })) return;
      return serveNonResource(info.path, res, registry, profile);
    }

    if (!isResourceRequest(ctx) || info.subresource) {
      ctx.record({ servedBy: 'rejected', reason: 'notFound', detail: `No resource ${info.resource}${info.subresource ? `/${info.subresource}` : ''} in ${info.group ? `${info.group}/` : ''}${info.version}.`, status: 404 });
      return writeStatus(res, notFoundPath());
    }
    if (ctx.resource.namespaced === false && info.namespace) {
      ctx.record({ servedBy: 'rejected', reason: 'notFound', detail: `${ctx.resource.resource} is cluster-scoped.`, status: 404 });
      return writeStatus(res, notFoundPath());
    }
    // kube-apiserver installs POST on a collection and PUT/PATCH on an object only; the other
    // pairings have no route, so they are refused before the body is read.
    if (info.name ? info.verb === 'create' : info.verb === 'update' || info.verb === 'patch') {
      ctx.record({ servedBy: 'rejected', reason: 'methodNotAllowed', detail: `${method} is not supported on ${info.name ? 'an object' : 'a collection'}.`, status: 405 });
      return writeStatus(res, new StatusError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource'));
    }

    try {
      switch (info.verb) {
        case 'list':
          return await handleList(ctx);
        case 'get':
          return await handleGet(ctx);
        case 'watch':
          return await handleWatch(ctx);
        case 'create':
          return await handleCreate(ctx);
        case 'update':
          return await handleUpdate(ctx);
        case 'patch':
          return await handlePatch(ctx);
        case 'delete':
          return await handleDelete(ctx);
        case 'deletecollection':
          return await handleDeleteCollection(ctx);
        default: {
          const err = new StatusError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
          ctx.record({ servedBy: 'rejected', reason: 'methodNotAllowed', detail: `${method} is not supported here.`, status: 405 });
          return writeStatus(res, err);
        }
      }
    } finally {
      if (!ctx.isRecorded) {
        ctx.record({ servedBy: 'rejected', reason: 'internalError', detail: 'The request ended without an answer being recorded.', status: res.statusCode || 500 });
      }
    }
  }

  function serveNonResource(path: string, res: ServerResponse, registry: ResourceRegistry, profile: Profile): void {
    const p = path.replace(/\/+$/, '') || '/';
    if (p === '/version') return writeJSON(res, 200, versionInfo(profile.minor));
    if (p === '/healthz' || p === '/livez' || p === '/readyz') {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('ok');
      return;
    }
    if (p === '/api') return writeJSON(res, 200, apiVersions(serverAddress));
    if (p === '/apis') return writeJSON(res, 200, apiGroupList(registry));
    const core = /^\/api\/([^/]+)$/.exec(p);
    if (core) {
      const body = apiResourceList(registry, '', core[1]!);
      return body ? writeJSON(res, 200, body) : writeStatus(res, notFoundPath());
    }
    const group = /^\/apis\/([^/]+)$/.exec(p);
    if (group) {
      const body = apiGroup(registry, group[1]!);
      return body ? writeJSON(res, 200, body) : writeStatus(res, notFoundPath());
    }
    const gv = /^\/apis\/([^/]+)\/([^/]+)$/.exec(p);
    if (gv) {
      const body = apiResourceList(registry, gv[1]!, gv[2]!);
      return body ? writeJSON(res, 200, body) : writeStatus(res, notFoundPath());
    }
    const gitVersion = versionInfo(profile.minor).gitVersion;
    if (p === '/openapi/v3') return writeJSON(res, 200, openAPIV3Root(registry, gitVersion));
    const oa = /^\/openapi\/v3\/(?:api\/([^/]+)|apis\/([^/]+)\/([^/]+))$/.exec(p);
    if (oa) {
      const body = oa[1] ? openAPIV3Doc(registry, '', oa[1], gitVersion) : openAPIV3Doc(registry, oa[2]!, oa[3]!, gitVersion);
      return body ? writeJSON(res, 200, body) : writeStatus(res, notFoundPath());
    }
    // /openapi/v2 is not served (it would need full schemas, and kubectl asks for it as protobuf).
    writeStatus(res, notFoundPath());
  }

  const limits = { ...CONNECTION_LIMITS, ...opts.limits };
  const httpOptions = {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: limits.checkIntervalMs,
    // kube-apiserver's MaxHeaderBytes: a long selector in the query is the client's right.
    maxHeaderSize: 1024 * 1024,
  };
  const server: Server = certs
    ? createHttpsServer({ key: certs.keyPem, cert: certs.certPem, handshakeTimeout: limits.headersTimeoutMs, ...httpOptions }, handler)
    : createHttpServer(httpOptions, handler);
  // Counted on the TCP connection, before any TLS handshake is spent on it.
  const perClient = new Map<string, number>();
  server.on('connection', (s: import('node:net').Socket) => {
    const addr = s.remoteAddress ?? '';
    const n = (perClient.get(addr) ?? 0) + 1;
    if (n > limits.maxConnectionsPerClient) {
      s.destroy();
      return;
    }
    perClient.set(addr, n);
    sockets.add(s);
    s.on('close', () => {
      sockets.delete(s);
      const left = (perClient.get(addr) ?? 1) - 1;
      if (left > 0) perClient.set(addr, left);
      else perClient.delete(addr);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const hostPart = host.includes(':') ? `[${host}]` : host;
  serverAddress = `${hostPart}:${port}`;
  const url = `${tls ? 'https' : 'http'}://${hostPart}:${port}`;

  const api: ApiServer = {
    get unauthenticatedRequests() {
      return unauthenticated;
    },
    url,
    token,
    ...(certs ? { caPem: certs.caPem } : {}),
    storageWatchers,
    writeKubeconfig: (path, contextName) =>
      writeKubeconfigFile(path, { server: url, token, ...(certs ? { caPem: certs.caPem } : {}), ...(contextName ? { contextName } : {}) }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
  return api;
}
