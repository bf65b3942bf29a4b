// A thin client for etcd's v3 gRPC API over @grpc/grpc-js, loaded from etcd's own rpc.proto
// (kept in ./proto, see its README).
//
// Why raw gRPC rather than the `etcd3` package: its watch resumes from the last response header's
// revision (silently skipping the rest of a history replay after a reconnect), cannot issue
// progress requests, and loses the compaction revision of a cancelled watch; and its circuit
// breaker fails calls fast for seconds after an outage, which would hide etcd coming back. Using
// one client for KV, maintenance and watch keeps error mapping and TLS handling in one place.
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import { clientPairProblem } from '../client-pem.js';
import { decodeWatchResponse } from './watch_response.js';

export interface EtcdConnectOptions {
  /** e.g. http://127.0.0.1:2379, https://etcd-0:2379, or host:port (plaintext). */
  endpoints: string[];
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  /** Time allowed to reach the server and read its status (default 5000 ms). */
  dialTimeoutMs?: number;
}

// --- wire shapes (proto-loader with keepCase, longs as Number, bytes as Buffer) ---
export interface KeyValue {
  key: Buffer;
  create_revision: number;
  mod_revision: number;
  version: number;
  value: Buffer;
  lease: number;
}
export interface ResponseHeader {
  cluster_id: number;
  member_id: number;
  revision: number;
  raft_term: number;
}
export interface RangeRequest {
  key: Buffer;
  range_end?: Buffer;
  limit?: number;
  revision?: number;
  keys_only?: boolean;
  count_only?: boolean;
  serializable?: boolean;
}
export interface RangeResponse {
  header: ResponseHeader;
  kvs: KeyValue[];
  more: boolean;
  count: number;
}
export interface Compare {
  result: 'EQUAL' | 'GREATER' | 'LESS' | 'NOT_EQUAL';
  target: 'VERSION' | 'CREATE' | 'MOD' | 'VALUE' | 'LEASE';
  key: Buffer;
  mod_revision?: number;
  create_revision?: number;
  version?: number;
  value?: Buffer;
}
export interface RequestOp {
  request_range?: RangeRequest;
  request_put?: { key: Buffer; value: Buffer; prev_kv?: boolean; lease?: number };
  request_delete_range?: { key: Buffer; range_end?: Buffer; prev_kv?: boolean };
}
export interface ResponseOp {
  response_range?: RangeResponse;
  response_put?: { header: ResponseHeader; prev_kv?: KeyValue | null };
  response_delete_range?: { header: ResponseHeader; deleted: number; prev_kvs: KeyValue[] };
}
export interface TxnRequest {
  compare: Compare[];
  success: RequestOp[];
  failure: RequestOp[];
}
export interface TxnResponse {
  header: ResponseHeader;
  succeeded: boolean;
  responses: ResponseOp[];
}
export interface StatusResponse {
  header: ResponseHeader;
  version: string;
  dbSize: number;
  leader: number;
  raftTerm: number;
}
export interface WatchCreateRequest {
  key: Buffer;
  range_end?: Buffer;
  start_revision?: number;
  progress_notify?: boolean;
  prev_kv?: boolean;
}
export interface WatchRequest {
  create_request?: WatchCreateRequest;
  cancel_request?: { watch_id: number };
  progress_request?: Record<string, never>;
}
export interface WatchEventPB {
  type: 'PUT' | 'DELETE';
  kv: KeyValue;
  prev_kv?: KeyValue | null;
}
export interface WatchResponse {
  header: ResponseHeader;
  watch_id: number;
  created: boolean;
  canceled: boolean;
  compact_revision: number;
  cancel_reason: string;
  fragment: boolean;
  events: WatchEventPB[];
}

type Unary<Req, Res> = (req: Req, meta: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: Res) => void) => grpc.ClientUnaryCall;
interface KVClient extends grpc.Client {
  Range: Unary<RangeRequest, RangeResponse>;
  Txn: Unary<TxnRequest, TxnResponse>;
  Compact: Unary<{ revision: number; physical?: boolean }, { header: ResponseHeader }>;
}
interface MaintenanceClient extends grpc.Client {
  Status: Unary<Record<string, never>, StatusResponse>;
}
interface WatchClient extends grpc.Client {
  Watch(meta: grpc.Metadata, opts?: grpc.CallOptions): grpc.ClientDuplexStream<WatchRequest, WatchResponse>;
}
type ClientCtor<T> = new (address: string, creds: grpc.ChannelCredentials, options?: grpc.ChannelOptions) => T;

let protoCache: { KV: ClientCtor<KVClient>; Maintenance: ClientCtor<MaintenanceClient>; Watch: ClientCtor<WatchClient> } | undefined;
function protos() {
  if (protoCache) return protoCache;
  // Beside this file in a checkout; the build copies the folder beside the chunk that holds it.
  const dir = fileURLToPath(new URL('./proto/', import.meta.url));
  const root = new protobuf.Root();
  // gogoproto and google/api only annotate (Go code generation, HTTP gateway routes): skipped.
  root.resolvePath = (_origin, target) =>
    /^(gogoproto|google\/api)\//.test(target) ? null : isAbsolute(target) ? target : join(dir, target);
  root.loadSync('etcd/api/etcdserverpb/rpc.proto', { keepCase: true });
  const def = protoLoader.fromJSON(root.toJSON(), { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true });
  const pkg = grpc.loadPackageDefinition(def) as unknown as {
    etcdserverpb: { KV: ClientCtor<KVClient>; Maintenance: ClientCtor<MaintenanceClient>; Watch: ClientCtor<WatchClient> };
  };
  protoCache = { KV: pkg.etcdserverpb.KV, Maintenance: pkg.etcdserverpb.Maintenance, Watch: pkg.etcdserverpb.Watch };
  return protoCache;
}

/** The Watch method as the loader defines it (its path and request serializer; also its own response decoder). */
export function watchMethod(): grpc.MethodDefinition<WatchRequest, WatchResponse> {
  return (protos().Watch as unknown as { service: grpc.ServiceDefinition }).service.Watch as grpc.MethodDefinition<WatchRequest, WatchResponse>;
}

// Reconnect quickly after etcd restarts (grpc-js defaults back off to 120 s), and notice dead
// peers on real networks; etcd's server-side keepalive enforcement minimum is 5 s.
const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 5000,
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.max_receive_message_length': 2 * 1024 * 1024 * 1024 - 1,
};

export interface ParsedEndpoint {
  secure: boolean;
  /** host:port for gRPC. */
  address: string;
  text: string;
}

export function parseEndpoint(text: string, tlsFilesGiven: boolean): ParsedEndpoint {
  const t = text.trim();
  const m = /^(https?|unix):\/\/(.+?)\/?$/.exec(t);
  if (m) return { secure: m[1] === 'https', address: m[2]!, text: t };
  if (/^[^/:]+:\d+$/.test(t) || /^\[[^\]]+\]:\d+$/.test(t)) return { secure: tlsFilesGiven, address: t, text: t };
  throw new Error(`etcd endpoint "${text}" is not a URL: use http://host:port or https://host:port`);
}

function readPem(what: string, path: string | undefined): Buffer | undefined {
  if (!path) return undefined;
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new Error(`cannot read the ${what} file "${path}": ${why}`);
  }
}

export function credentialsFor(opts: EtcdConnectOptions, ep: ParsedEndpoint): grpc.ChannelCredentials {
  const ca = readPem('CA certificate', opts.caFile);
  const cert = readPem('client certificate', opts.certFile);
  const key = readPem('client key', opts.keyFile);
  if ((cert && !key) || (key && !cert)) throw new Error('a client certificate needs both certFile and keyFile');
  const pairProblem = cert && key ? clientPairProblem({ where: `client certificate file "${opts.certFile}"`, data: cert }, { where: `client key file "${opts.keyFile}"`, data: key }) : undefined;
  if (pairProblem) throw new Error(pairProblem);
  if (!ep.secure) {
    if (ca || cert) {
      throw new Error(`etcd endpoint ${ep.text} is plain http but TLS files were given: use an https:// URL to connect with TLS`);
    }
    return grpc.credentials.createInsecure();
  }
  return grpc.credentials.createSsl(ca ?? null, key ?? null, cert ?? null);
}

/** Turns a gRPC failure of the first call into something a person can act on. */
export function explainConnectError(err: grpc.ServiceError | Error, ep: ParsedEndpoint, opts: EtcdConnectOptions, timeoutMs: number): string {
  const d = `${(err as grpc.ServiceError).details ?? ''} ${err.message}`;
  const at = `etcd at ${ep.text}`;
  if (/ECONNREFUSED/.test(d)) return `cannot reach ${at}: connection refused — is etcd running / is the URL right?`;
  if (/ENOTFOUND|EAI_AGAIN/.test(d)) return `cannot reach ${at}: host name not found — is the URL right?`;
  if (/EHOSTUNREACH|ENETUNREACH/.test(d)) return `cannot reach ${at}: host unreachable — check the address and the network`;
  if (/wrong version number|packet length too long|http request|unknown protocol|disconnected before secure TLS connection/i.test(d)) {
    return `cannot talk TLS to ${at}: the server answered in plain text — use an http:// URL (or enable TLS on the server)`;
  }
  if (/self[- ]signed|unable to verify|unable to get (local )?issuer|certificate verify failed|CERT_|UNABLE_TO_VERIFY/i.test(d)) {
    return `${at} presented a certificate not trusted by ${opts.caFile ? `the CA in "${opts.caFile}"` : 'the system CAs'} — pass the CA that signed etcd's serving certificate (caFile)`;
  }
  if (/Hostname\/IP does not match|altnames|ERR_TLS_CERT_ALTNAME_INVALID/i.test(d)) {
    return `${at}: the server certificate is not valid for this host name/IP — connect with a name listed in its SANs`;
  }
  if (/certificate required|alert number 116|handshake failure|bad certificate|alert number 42|unknown ca|alert number 48/i.test(d)) {
    return opts.certFile
      ? `${at} rejected the client certificate "${opts.certFile}" — it must be signed by the CA etcd trusts (--trusted-ca-file)`
      : `${at} requires a client certificate (--client-cert-auth): pass certFile and keyFile`;
  }
  // A plaintext HTTP/2 preface sent to a TLS listener gets the connection closed, which grpc-js
  // reports only as "Failed to connect".
  if (!ep.secure && /Failed to connect|Protocol error|Received RST_STREAM|ECONNRESET|socket hang up|closed|Connection dropped/i.test(d)) {
    return `cannot talk to ${at}: the connection was closed during the handshake — if etcd serves TLS, use an https:// URL with caFile`;
  }
  if ((err as grpc.ServiceError).code === grpc.status.DEADLINE_EXCEEDED) {
    return `cannot reach ${at}: no answer within ${timeoutMs} ms — is etcd running / is the URL right?${ep.secure ? '' : ' (if etcd serves TLS, use an https:// URL)'}`;
  }
  if ((err as grpc.ServiceError).code === grpc.status.UNAUTHENTICATED || (err as grpc.ServiceError).code === grpc.status.PERMISSION_DENIED) {
    return `${at} refused the request: ${d.trim()} — etcd authentication is on; watchscope connects with client certificates only`;
  }
  return `cannot use ${at}: ${((err as grpc.ServiceError).details || err.message).trim()}`;
}

/** One etcd endpoint's gRPC clients sharing one channel. */
export class EtcdClient {
  private readonly kv: KVClient;
  private readonly maintenance: MaintenanceClient;
  private readonly watchClient: WatchClient;

  constructor(readonly endpoint: ParsedEndpoint, creds: grpc.ChannelCredentials) {
    const p = protos();
    this.kv = new p.KV(endpoint.address, creds, CHANNEL_OPTIONS);
    // Share the KV client's channel so all calls use one connection.
    const channelOverride = this.kv.getChannel();
    const shared = { ...CHANNEL_OPTIONS, channelOverride } as grpc.ClientOptions;
    this.maintenance = new p.Maintenance(endpoint.address, creds, shared);
    this.watchClient = new p.Watch(endpoint.address, creds, shared);
  }

  private unary<Req, Res>(fn: Unary<Req, Res>, self: grpc.Client, req: Req, timeoutMs?: number): Promise<Res> {
    return new Promise((resolve, reject) => {
      const opts: grpc.CallOptions = timeoutMs ? { deadline: Date.now() + timeoutMs } : {};
      fn.call(self, req, new grpc.Metadata(), opts, (err, res) => (err ? reject(err) : resolve(res as Res)));
    });
  }

  range(req: RangeRequest, timeoutMs?: number): Promise<RangeResponse> {
    return this.unary(this.kv.Range, this.kv, req, timeoutMs);
  }
  txn(req: TxnRequest, timeoutMs?: number): Promise<TxnResponse> {
    return this.unary(this.kv.Txn, this.kv, req, timeoutMs);
  }
  /** A single unconditional put; returns the revision it was written at. */
  async put(key: string | Buffer, value: string | Buffer): Promise<number> {
    const r = await this.txn({ compare: [], success: [{ request_put: { key: Buffer.from(key), value: Buffer.from(value) } }], failure: [] });
    return Number(r.header.revision);
  }
  /** Deletes one key; returns the revision of the delete (the store's revision if nothing was deleted). */
  async deleteKey(key: string | Buffer): Promise<number> {
    const r = await this.txn({ compare: [], success: [{ request_delete_range: { key: Buffer.from(key) } }], failure: [] });
    return Number(r.header.revision);
  }
  compact(revision: number, physical = true): Promise<{ header: ResponseHeader }> {
    return this.unary(this.kv.Compact, this.kv, { revision, physical });
  }
  status(timeoutMs?: number): Promise<StatusResponse> {
    return this.unary(this.maintenance.Status, this.maintenance, {}, timeoutMs);
  }

  /**
   * A new Watch stream. `hasleader` makes etcd cancel it when the member loses its leader
   * instead of leaving it silently stale (clientv3.WithRequireLeader, used by etcd3/watcher.go).
   */
  openWatch(): grpc.ClientDuplexStream<WatchRequest, WatchResponse> {
    const md = new grpc.Metadata();
    md.set('hasleader', 'true');
    const m = watchMethod();
    return this.watchClient.makeBidiStreamRequest(m.path, m.requestSerialize, decodeWatchResponse, md);
  }

  close(): void {
    this.watchClient.close();
    this.maintenance.close();
    this.kv.close();
  }
}

// etcd reports these with gRPC OUT_OF_RANGE (etcdserver/api/v3rpc/rpctypes).
export const isCompactedError = (e: unknown): boolean => /required revision has been compacted/.test(errorText(e));
export const isFutureRevisionError = (e: unknown): boolean => /required revision is a future revision/.test(errorText(e));
export const errorText = (e: unknown): string =>
  e instanceof Error ? `${(e as grpc.ServiceError).details ?? ''} ${e.message}` : String(e);
