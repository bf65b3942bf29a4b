// EtcdSource: what a Cacher lists and watches when fed by etcd directly, like upstream's
// reflector over etcd3 storage (ListAndWatch with a consistent paged list, then a watch from the
// list's revision + 1 with prev_kv and progress_notify).
import type { Source, SourceInfo, SourceListResult, SourceWatch, SourceWatchHandlers } from '../source.js';
import type { StoredObject } from '../object.js';
import { decodeValue } from './codec.js';
import { prefixRangeEnd } from './keys.js';
import { supportsRequestWatchProgress } from './version.js';
import {
  EtcdClient,
  credentialsFor,
  explainConnectError,
  parseEndpoint,
  type EtcdConnectOptions,
  type ParsedEndpoint,
} from './client.js';
import { EtcdWatch, type EtcdWatchOptions } from './watcher.js';

export type { EtcdConnectOptions } from './client.js';

/** etcd3 store's storageWatchListPageSize / the reflector's list page: 10000 keys per range. */
export const LIST_PAGE_SIZE = 10_000;

export class EtcdSource implements Source {
  private readonly watches = new Set<EtcdWatch>();
  private closed = false;

  private constructor(
    readonly client: EtcdClient,
    readonly version: string,
    private readonly endpoints: string[],
    private readonly watchOptions: EtcdWatchOptions,
  ) {}

  /**
   * Connects to the first endpoint that answers a Status RPC within dialTimeoutMs and reads its
   * version. Throws an Error whose message says what to fix.
   */
  static async connect(opts: EtcdConnectOptions & { watch?: EtcdWatchOptions }): Promise<EtcdSource> {
    if (!opts.endpoints?.length) throw new Error('no etcd endpoint given: pass at least one URL such as http://127.0.0.1:2379');
    const timeoutMs = opts.dialTimeoutMs ?? 5000;
    const tlsFiles = !!(opts.caFile || opts.certFile || opts.keyFile);
    const failures: string[] = [];
    for (const text of opts.endpoints) {
      const ep: ParsedEndpoint = parseEndpoint(text, tlsFiles);
      const creds = credentialsFor(opts, ep); // throws on unreadable files, before any dialing
      const client = new EtcdClient(ep, creds);
      try {
        const status = await client.status(timeoutMs);
        return new EtcdSource(client, status.version, opts.endpoints, opts.watch ?? {});
      } catch (e) {
        client.close();
        failures.push(await explainWithProbe(e as Error, ep, opts, timeoutMs));
      }
    }
    throw new Error(failures.join('; '));
  }

  info(): SourceInfo {
    return {
      kind: 'etcd',
      version: this.version,
      supportsRequestWatchProgress: supportsRequestWatchProgress(this.version),
      endpoints: [...this.endpoints],
    };
  }

  /**
   * Everything under `prefix` at one revision: pages of LIST_PAGE_SIZE, every page after the
   * first pinned to the first page's revision (etcd3 store since 1.29, commit f40bea647), so the
   * result is a consistent snapshot even while writes continue.
   */
  async list(prefix: string): Promise<SourceListResult> {
    const rangeEnd = prefixRangeEnd(Buffer.from(prefix));
    let key = Buffer.from(prefix);
    let revision = 0;
    const items: StoredObject[] = [];
    for (;;) {
      const resp = await this.client.range({ key, range_end: rangeEnd, limit: LIST_PAGE_SIZE, revision });
      if (revision === 0) revision = Number(resp.header.revision);
      for (const kv of resp.kvs) items.push(decodeValue(kv.key.toString('utf8'), kv.value, Number(kv.mod_revision), prefix));
      if (!resp.more || resp.kvs.length === 0) break;
      key = Buffer.concat([resp.kvs[resp.kvs.length - 1]!.key, Buffer.from([0])]);
    }
    return { items, resourceVersion: revision };
  }

  watch(prefix: string, afterRevision: number, handlers: SourceWatchHandlers): SourceWatch {
    if (this.closed) throw new Error('etcd source is closed');
    const w = new EtcdWatch(this.client, prefix, afterRevision, handlers, this.watchOptions, (x) => this.watches.delete(x));
    this.watches.add(w);
    return w;
  }

  /** A quorum (linearizable) read of one key under the prefix; its header carries the revision. */
  /** The response header's revision is etcd's, whatever key was read. */
  readonly revisionScope = 'store';

  async currentRevision(prefix: string): Promise<number> {
    const key = Buffer.from(prefix);
    const resp = await this.client.range({ key, range_end: prefixRangeEnd(key), limit: 1, keys_only: true });
    return Number(resp.header.revision);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of [...this.watches]) w.stop();
    this.client.close();
  }
}

/**
 * A TLS handshake against a plain-text etcd fails as "wrong version number" or, depending on
 * timing, as a bare connection reset. For the latter, ask the same address over plain HTTP: if
 * etcd answers there, say so, rather than leaving the person with "ECONNRESET".
 */
async function explainWithProbe(err: Error, ep: ParsedEndpoint, opts: EtcdConnectOptions, timeoutMs: number): Promise<string> {
  const text = explainConnectError(err, ep, opts, timeoutMs);
  const d = `${(err as { details?: string }).details ?? ''} ${err.message}`;
  if (!ep.secure || !/ECONNRESET|socket hang up|Connection dropped|closed/i.test(d)) return text;
  try {
    const r = await fetch(`http://${ep.address}/health`, { signal: AbortSignal.timeout(1000) });
    if (r.status > 0) return `cannot talk TLS to etcd at ${ep.text}: the server answered in plain text — use an http:// URL (or enable TLS on the server)`;
  } catch {
    // not plain HTTP either: keep the first explanation
  }
  return text;
}
