// A reusable harness: a real etcd, an EtcdSource (optionally held back to make the cache lag),
// a Cacher per resource, the etcd delegate, and the endpoint with a kubeconfig on disk. Used by
// the endpoint's tests and by anyone who needs a working endpoint on a real etcd (demo, UI tests).
import { parse as parseYaml } from 'yaml';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { startEtcd, type EtcdProcess, type EtcdProcessOptions } from '../etcd/process.js';
import { EtcdSource } from '../etcd/source.js';
import { EtcdStore } from '../etcd/store.js';
import { EtcdCompactions } from '../etcd/compact.js';
import { DecisionLog } from '../decisions.js';
import { defaultProfile, resolveProfile, type Profile } from '../routing/profiles.js';
import type { ResourceInfo } from '../resources.js';
import type { Decision } from '../../../shared/model.js';
import { HoldableSource } from './holdable-source.js';
import { createCacherBackend, type CacherBackend, type CacherBackendOptions } from './cacher-backend.js';
import { etcdStoreDelegate } from './etcd-delegate.js';
import { startApiServer, type ApiServer, type ApiServerOptions } from './server.js';

export interface TestApiServerOptions {
  /** Profile object or name/version ('1.34', 'v1.27.4'); default: the default profile. */
  profile?: Profile | string;
  tls?: boolean;
  /** Reuse a running etcd instead of starting one (it is then not stopped by close()). */
  etcd?: EtcdProcess;
  etcdOptions?: EtcdProcessOptions;
  watchCache?: Record<string, boolean>;
  cacherConfig?: CacherBackendOptions['cacherConfig'];
  /** Tell the router etcd supports RequestWatchProgress (consistent reads from the cache). */
  etcdSupportsRequestWatchProgress?: boolean;
  resources?: readonly ResourceInfo[];
  /** The endpoint's time and connection limits (kube-apiserver's by default). */
  limits?: ApiServerOptions['limits'];
}

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** Parsed JSON body (undefined when not JSON). */
  json: any;
}

export interface TestApiServer {
  etcd: EtcdProcess;
  source: EtcdSource;
  /** The Source the Cachers read: hold() makes every cache lag etcd until release(). */
  holdable: HoldableSource;
  backend: CacherBackend;
  server: ApiServer;
  decisions: DecisionLog;
  kubeconfigPath: string;
  /** A scratch directory removed by close(). */
  dir: string;
  profile(): Profile;
  setProfile(p: Profile | string): void;
  /** The etcd store of one resource ("pods", "deployments.apps"). */
  store(resource: string): EtcdStore;
  /** An authenticated request (token and CA of this server); `token: null` sends none. */
  request(method: string, path: string, opts?: { body?: unknown; headers?: Record<string, string>; token?: string | null }): Promise<HttpAnswer>;
  /** Decisions recorded after `sinceId`. */
  decisionsSince(sinceId: number): Decision[];
  close(): Promise<void>;
}

export async function startTestApiServer(opts: TestApiServerOptions = {}): Promise<TestApiServer> {
  const dir = mkdtempSync(join(tmpdir(), 'watchscope-api-'));
  const ownEtcd = !opts.etcd;
  const etcd = opts.etcd ?? (await startEtcd({ progressNotifyInterval: '1s', ...opts.etcdOptions }));
  let source: EtcdSource | undefined;
  let backend: CacherBackend | undefined;
  let server: ApiServer | undefined;
  try {
    source = await EtcdSource.connect({ endpoints: [etcd.endpoint], watch: { initialBackoffMs: 100, maxBackoffMs: 1000 } });
    const holdable = new HoldableSource(source);
    const stores = new Map<string, EtcdStore>();
    const src = source;
    backend = createCacherBackend({
      source: holdable,
      // Watches the router sends to etcd see etcd itself, not the held-back cache feed.
      storageSource: source,
      resources: opts.resources,
      watchCache: opts.watchCache,
      cacherConfig: { revisionPollMs: 200, log: () => undefined, ...opts.cacherConfig },
      etcdSupportsRequestWatchProgress: opts.etcdSupportsRequestWatchProgress,
      compactions: new EtcdCompactions(source.client, { probeMs: 200 }),
      delegate: (res, collectionKey) => {
        const store = new EtcdStore(src, { group: res.group, resource: res.resource, collectionKey });
        stores.set(res.group ? `${res.resource}.${res.group}` : res.resource, store);
        return etcdStoreDelegate(store, res);
      },
    });
    backend.start();
    await backend.waitReady();
    let profile: Profile = typeof opts.profile === 'string' ? resolveProfile(opts.profile) : (opts.profile ?? defaultProfile);
    const decisions = new DecisionLog(5000);
    server = await startApiServer({
      backend,
      profile: () => profile,
      decisions,
      tls: opts.tls ?? true,
      userAgentDefault: 'unknown',
      ...(opts.limits ? { limits: opts.limits } : {}),
    });
    const kubeconfigPath = join(dir, 'kubeconfig');
    await server.writeKubeconfig(kubeconfigPath);
    const srv = server;
    const be = backend;
    const h: TestApiServer = {
      etcd,
      source,
      holdable,
      backend: be,
      server: srv,
      decisions,
      kubeconfigPath,
      dir,
      profile: () => profile,
      setProfile: (p) => {
        profile = typeof p === 'string' ? resolveProfile(p) : p;
      },
      store: (name) => {
        const s = stores.get(name);
        if (!s) throw new Error(`no store for ${name}`);
        return s;
      },
      request: (method, path, o = {}) => rawRequest(srv, method, path, o),
      decisionsSince: (id) => decisions.since(id),
      async close() {
        await srv.close();
        await be.stop();
        await src.close();
        if (ownEtcd) await etcd.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
    return h;
  } catch (e) {
    await server?.close().catch(() => undefined);
    await backend?.stop().catch(() => undefined);
    await source?.close().catch(() => undefined);
    if (ownEtcd) await etcd.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/** One HTTP(S) request against the endpoint with its CA and token. */
export function rawRequest(
  server: Pick<ApiServer, 'url' | 'token' | 'caPem'>,
  method: string,
  path: string,
  o: { body?: unknown; headers?: Record<string, string>; token?: string | null } = {},
): Promise<HttpAnswer> {
  // The path goes out verbatim (no dot-segment resolution), as a hostile client may send it.
  const base = new URL(server.url);
  const body = o.body === undefined ? undefined : typeof o.body === 'string' || Buffer.isBuffer(o.body) ? o.body : JSON.stringify(o.body);
  const headers: Record<string, string> = { Accept: 'application/json', ...o.headers };
  const token = o.token === undefined ? server.token : o.token;
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) {
    headers['Content-Type'] ??= 'application/json';
    headers['Content-Length'] = String(Buffer.byteLength(body));
  }
  return new Promise((resolve, reject) => {
    const fn = base.protocol === 'https:' ? httpsRequest : httpRequest;
    const target = { hostname: base.hostname, port: base.port, path, method, headers, ...(server.caPem ? { ca: server.caPem } : {}) };
    const req = fn(target, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** What a kubeconfig written by watchscope points at: its server, token and CA. */
export interface KubeconfigEndpoint {
  kubeconfig: string;
  server: string;
  token: string;
  ca: Buffer;
}

export function endpointFromKubeconfig(kubeconfigPath: string): KubeconfigEndpoint {
  const kc = parseYaml(readFileSync(kubeconfigPath, 'utf8')) as {
    clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
    users: { user: { token: string } }[];
  };
  return {
    kubeconfig: kubeconfigPath,
    server: kc.clusters[0]!.cluster.server,
    token: kc.users[0]!.user.token,
    ca: Buffer.from(kc.clusters[0]!.cluster['certificate-authority-data'], 'base64'),
  };
}

/** One JSON request to such an endpoint; a non-JSON answer is an error that shows the body. */
export function endpointRequest(
  ep: KubeconfigEndpoint,
  userAgent: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((res, rej) => {
    const req = httpsRequest(
      `${ep.server}${path}`,
      { method, ca: ep.ca, headers: { authorization: `Bearer ${ep.token}`, 'content-type': 'application/json', 'user-agent': userAgent } },
      (r) => {
        let text = '';
        r.on('data', (b: Buffer) => (text += b.toString()));
        r.on('end', () => {
          try {
            res({ status: r.statusCode ?? 0, json: JSON.parse(text) as Record<string, unknown> });
          } catch {
            rej(new Error(`${method} ${path}: ${r.statusCode} non-JSON body: ${text.slice(0, 200)}`));
          }
        });
      },
    );
    req.on('error', rej);
    if (body !== undefined) req.write(JSON.stringify(body));
    req.end();
  });
}

/** Polls `cond` every 100 ms until it holds; fails with `what` after `ms`. */
export async function until(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Reads a watch response's JSON lines until `n` arrived, the stream ended, or `timeoutMs` passed. */
export function readWatchLines(res: IncomingMessage, n: number, timeoutMs = 8000): Promise<any[]> {
  return new Promise((resolve) => {
    const lines: unknown[] = [];
    let buf = '';
    const done = () => {
      clearTimeout(t);
      resolve(lines);
    };
    const t = setTimeout(done, timeoutMs);
    res.on('data', (c: Buffer) => {
      buf += c.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        lines.push(JSON.parse(buf.slice(0, i)));
        buf = buf.slice(i + 1);
        if (lines.length >= n) done();
      }
    });
    res.on('end', done);
  });
}
