// A cluster's kube-apiserver as the Cacher's Source: LIST and WATCH through the API instead of
// etcd ranges and etcd watches. The cluster's resourceVersion plays etcd's revision (for built-in
// types stored in etcd it *is* the etcd mod revision), so the cache built here is comparable with
// one built from the same cluster's etcd.
import type { KubeObject, StoredObject } from '../object.js';
import type {
  Source,
  SourceEvent,
  SourceInfo,
  SourceListResult,
  SourceWatch,
  SourceWatchHandlers,
} from '../source.js';
import { KubeClient } from './client.js';
import {
  canI,
  collectionPath,
  defaultCollectionKey,
  discoverResources,
  discoverServedResources,
  qualifiedResource,
  type DiscoveredResource,
  type KubeResource,
} from './discovery.js';
import { KubeError, explainCredentialError } from './errors.js';
import { loadContext, type KubeconfigOptions } from './kubeconfig.js';

export interface KubeConnectOptions extends KubeconfigOptions {
  /** Bound for the /version check (and every non-watch request); default 10s. */
  timeoutMs?: number;
  /** LIST page size (default LIST_PAGE_SIZE). */
  listPageSize?: number;
  /** Longest wait between watch reconnect attempts (default 30s). */
  maxRetryDelayMs?: number;
  /** Fixed watch timeoutSeconds (default: random in [300, 600) like the reflector). */
  watchTimeoutSeconds?: number;
}

/** Page size of the relisting LIST; the reflector's default (client-go pager) is 500. */
export const LIST_PAGE_SIZE = 500;

const MAX_BACKOFF_MS = 30_000;

interface WatchLine {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KubeObject & { code?: number; message?: string; reason?: string };
}

export class KubeSource implements Source {
  /** How currentRevision() is measured, for the UI. */
  revisionMethod = 'not measured yet';
  private served?: Promise<KubeResource[]>;
  private readonly byPrefix = new Map<string, KubeResource>();
  private readonly watches = new Set<SourceWatch>();

  private constructor(
    readonly client: KubeClient,
    readonly contextName: string,
    readonly gitVersion: string,
    private readonly timeoutMs: number,
    private readonly listPageSize: number,
    private readonly maxRetryDelayMs: number,
    private readonly watchTimeoutSeconds?: number,
  ) {}

  /** Loads the context, checks `/version`, and fails with one actionable sentence if it cannot. */
  static async connect(opts: KubeConnectOptions = {}): Promise<KubeSource> {
    let loaded;
    try {
      loaded = await loadContext(opts);
    } catch (e) {
      throw e instanceof KubeError ? e : new KubeError('kubeconfig', (e as Error).message);
    }
    const client = new KubeClient(loaded.kc, loaded.cluster.server, loaded.context.name, loaded.user);
    const timeoutMs = opts.timeoutMs ?? 10_000;
    const v = await client.json<{ gitVersion?: string }>('GET', '/version', { timeoutMs, verb: 'get', resource: '/version' }).catch((e) => {
      throw e instanceof KubeError ? e : explainCredentialError(e, loaded.user);
    });
    return new KubeSource(client, loaded.context.name, v.gitVersion ?? 'unknown', timeoutMs, opts.listPageSize ?? LIST_PAGE_SIZE, opts.maxRetryDelayMs ?? MAX_BACKOFF_MS, opts.watchTimeoutSeconds);
  }

  get server(): string {
    return this.client.server;
  }

  info(): SourceInfo {
    return {
      kind: 'kube',
      version: this.gitVersion,
      // The watch API has no client-initiated progress request: bookmarks come when the server
      // decides (at the latest shortly before the watch's timeout). The cacher therefore cannot
      // make a consistent read wait on an on-demand progress notify, as upstream does with
      // etcd's RequestProgress (storage/feature/feature_support_checker.go).
      supportsRequestWatchProgress: false,
      endpoints: [this.client.server],
    };
  }

  /** Resources the cluster serves with list+watch, with what this user may do. */
  discoverResources(): Promise<DiscoveredResource[]> {
    return discoverResources(this.client);
  }

  /**
   * Binds a resource to a collection key (default: the key kube-apiserver uses in etcd, e.g.
   * `/registry/pods/`). list/watch/currentRevision with that prefix then address this resource.
   */
  register(r: KubeResource, prefix = defaultCollectionKey(r)): string {
    this.byPrefix.set(prefix, r);
    return prefix;
  }

  /** A Source for exactly one resource; keys are built under whatever prefix the caller passes. */
  forResource(r: KubeResource): Source {
    return {
      info: () => this.info(),
      list: (prefix) => this.listResource(r, prefix),
      watch: (prefix, after, h) => this.watchResource(r, prefix, after, h),
      currentRevision: () => this.currentRevision(defaultCollectionKey(r)),
      close: async () => undefined,
    };
  }

  /** The resource a collection key stands for: registered ones, else discovery's. */
  async resolve(prefix: string): Promise<KubeResource> {
    const p = prefix.endsWith('/') ? prefix : `${prefix}/`;
    const known = this.byPrefix.get(p);
    if (known) return known;
    this.served ??= discoverServedResources(this.client);
    let served: KubeResource[];
    try {
      served = await this.served;
    } catch (e) {
      this.served = undefined;
      throw e;
    }
    // First match wins: core before groups (core events before events.k8s.io events, which
    // share /registry/events/ upstream too).
    const r = served.find((x) => defaultCollectionKey(x) === p);
    if (!r) throw new KubeError('http', `no resource served by ${this.server} is stored under ${p}`);
    this.byPrefix.set(p, r);
    return r;
  }

  /**
   * What a prefix addresses: a collection, or one namespace of it ("/registry/pods/<ns>/", the
   * prefix a namespaced watch from storage lists and watches), read through the namespace's URL.
   */
  private async scope(prefix: string): Promise<{ r: KubeResource; collection: string; namespace?: string }> {
    const p = prefix.endsWith('/') ? prefix : `${prefix}/`;
    try {
      return { r: await this.resolve(p), collection: p };
    } catch (e) {
      const parent = p.slice(0, p.lastIndexOf('/', p.length - 2) + 1);
      const namespace = p.slice(parent.length, -1);
      const r = parent && namespace ? await this.resolve(parent).catch(() => undefined) : undefined;
      if (!r?.namespaced) throw e;
      return { r, collection: parent, namespace };
    }
  }

  async list(prefix: string): Promise<SourceListResult> {
    const s = await this.scope(prefix);
    return this.listResource(s.r, s.collection, s.namespace);
  }

  watch(prefix: string, afterRevision: number, handlers: SourceWatchHandlers): SourceWatch {
    let inner: SourceWatch | undefined;
    let stopped = false;
    const outer: SourceWatch = {
      requestProgress: () => inner?.requestProgress(),
      stop: () => {
        stopped = true;
        this.watches.delete(outer);
        inner?.stop();
      },
    };
    this.watches.add(outer);
    this.scope(prefix).then(
      (s) => {
        if (!stopped) inner = this.watchResource(s.r, s.collection, afterRevision, handlers, s.namespace);
      },
      (e: Error) => {
        this.watches.delete(outer);
        if (!stopped) handlers.onEnd({ reason: 'error', message: e.message });
      },
    );
    return outer;
  }

  /**
   * The cluster's current resourceVersion. A LIST without resourceVersion is a quorum read, and
   * its list RV is etcd's current revision (from 1.31, ConsistentListFromCache answers it from
   * the cache after the cache caught up with that revision: still a valid lower bound). limit=1
   * keeps it cheap. Namespaces are small and commonly readable; if RBAC refuses them, the
   * prefix's own resource is used.
   */
  async currentRevision(prefix: string): Promise<number> {
    const attempt = async (r: KubeResource): Promise<number> => {
      const l = await this.client.json<{ metadata?: { resourceVersion?: string } }>('GET', collectionPath(r), {
        query: { limit: 1 },
        timeoutMs: this.timeoutMs,
        verb: 'list',
        resource: qualifiedResource(r),
      });
      const rv = Number(l.metadata?.resourceVersion);
      if (!Number.isFinite(rv)) throw new KubeError('http', `${collectionPath(r)} returned no numeric resourceVersion`);
      this.revisionMethod = `consistent LIST ${collectionPath(r)}?limit=1 (list metadata.resourceVersion)`;
      return rv;
    };
    try {
      return await attempt(NAMESPACES);
    } catch (e) {
      if (!(e instanceof KubeError && e.kind === 'forbidden')) throw e;
      return attempt(await this.resolve(prefix));
    }
  }

  async close(): Promise<void> {
    for (const w of [...this.watches]) w.stop();
    this.watches.clear();
  }

  /** Paginated consistent LIST (limit + continue; every page at the first page's RV). */
  async listResource(r: KubeResource, prefix: string, namespace?: string): Promise<SourceListResult> {
    const apiVersion = r.group ? `${r.group}/${r.version}` : r.version;
    // A continue token can expire (410) when etcd compacts between pages; the pager then
    // starts over, as client-go's pager falls back to a full list.
    for (let round = 0; ; round++) {
      const items: StoredObject[] = [];
      let cont: string | undefined;
      let listRV = 0;
      try {
        do {
          const page = await this.client.json<{ metadata?: { resourceVersion?: string; continue?: string }; items?: KubeObject[] }>(
            'GET',
            collectionPath(r, namespace),
            { query: { limit: this.listPageSize, continue: cont }, timeoutMs: Math.max(this.timeoutMs, 60_000), verb: 'list', resource: qualifiedResource(r) },
          );
          if (!listRV) listRV = Number(page.metadata?.resourceVersion ?? 0);
          for (const it of page.items ?? []) {
            const obj: KubeObject = { apiVersion, kind: r.kind, ...it };
            items.push(toStored(prefix, obj, JSON.stringify(it).length));
          }
          cont = page.metadata?.continue || undefined;
        } while (cont);
      } catch (e) {
        if (e instanceof KubeError && e.kind === 'gone' && round < 3) continue;
        throw e;
      }
      items.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      return { items, resourceVersion: listRV };
    }
  }

  /** WATCH from `afterRevision`, resumed across server timeouts and dropped connections. */
  watchResource(r: KubeResource, prefix: string, afterRevision: number, h: SourceWatchHandlers, namespace?: string): SourceWatch {
    const apiVersion = r.group ? `${r.group}/${r.version}` : r.version;
    const what = qualifiedResource(r);
    let lastRV = afterRevision;
    let stopped = false;
    let ended = false;
    let attempt = 0;
    let timer: NodeJS.Timeout | undefined;
    let stream: { abort(): void } | undefined;

    const end = (e: Parameters<SourceWatchHandlers['onEnd']>[0]) => {
      if (ended) return;
      ended = true;
      stopped = true;
      clearTimeout(timer);
      stream?.abort();
      this.watches.delete(handle);
      h.onEnd(e);
    };
    const retry = (error: string) => {
      if (stopped) return;
      attempt++;
      const base = Math.min(this.maxRetryDelayMs, 500 * 2 ** Math.min(attempt - 1, 10));
      const retryInMs = Math.round(base * (0.8 + Math.random() * 0.4));
      h.onReconnecting?.({ attempt, error, retryInMs });
      timer = setTimeout(start, retryInMs);
    };
    const failed = async (err: KubeError) => {
      if (stopped) return;
      if (err.kind === 'gone') return end({ reason: 'compacted', message: err.message });
      if (err.kind === 'forbidden') {
        // Say what the user *may* do, so "can list but not watch" is obvious.
        const mayList = await canI(this.client, 'list', r).catch(() => false);
        const who = err.message.match(/^user "([^"]*)"/)?.[1] ?? this.client.userName;
        const msg = mayList ? `user "${who}" may list but not watch ${what}` : `user "${who}" may neither list nor watch ${what}`;
        return end({ reason: 'error', message: `${msg} — ask for RBAC watch permission on ${what} or deselect it` });
      }
      if (err.retriable) return retry(err.message);
      end({ reason: 'error', message: err.message });
    };
    const start = () => {
      if (stopped) return;
      // The reflector picks a random timeout in [5m, 10m) so that watches do not all renew at once.
      const timeoutSeconds = this.watchTimeoutSeconds ?? 300 + Math.floor(Math.random() * 300);
      stream = this.client.stream(
        collectionPath(r, namespace),
        {
          query: { watch: 1, resourceVersion: String(lastRV), allowWatchBookmarks: true, timeoutSeconds },
          verb: 'watch',
          resource: what,
          connectTimeoutMs: this.timeoutMs,
        },
        {
          onOpen: () => {
            if (attempt > 0) h.onReconnected?.();
            attempt = 0;
          },
          onObject: (text) => {
            if (stopped) return;
            let ev: WatchLine;
            try {
              ev = JSON.parse(text) as WatchLine;
            } catch {
              return;
            }
            if (ev.type === 'ERROR') {
              const st = ev.object;
              stream?.abort();
              // 410 Expired/Gone: the RV left the server's window or etcd compacted it; only a
              // relist can continue (reflector.go: isExpiredError → relist).
              if (st.code === 410) return end({ reason: 'compacted', message: st.message ?? 'resource version too old' });
              return retry(`watch ${what}: ${st.code ?? ''} ${st.message ?? 'error event'}`.trim());
            }
            const rv = Number(ev.object?.metadata?.resourceVersion);
            if (!Number.isFinite(rv)) return;
            if (ev.type === 'BOOKMARK') {
              if (rv > lastRV) lastRV = rv;
              h.onProgress(rv);
              return;
            }
            // After a resume the server may repeat what we already have; a Source never goes back.
            if (rv <= lastRV) return;
            lastRV = rv;
            const obj: KubeObject = { apiVersion, kind: r.kind, ...ev.object };
            const event: SourceEvent = { type: ev.type, key: keyOf(prefix, obj), object: toStored(prefix, obj, text.length), resourceVersion: rv };
            h.onEvents([event]);
          },
          onClose: (err) => {
            if (stopped) return;
            // A clean end is the server's timeoutSeconds: watch again from where we are.
            if (!err) return start();
            retry(err.message);
          },
          onError: (err) => void failed(err),
        },
      );
    };
    const handle: SourceWatch = {
      // No client-initiated progress on the watch API (see info()).
      requestProgress: () => undefined,
      stop: () => end({ reason: 'stopped', message: 'watch stopped' }),
    };
    this.watches.add(handle);
    start();
    return handle;
  }
}

const NAMESPACES: KubeResource = { group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace', namespaced: false, verbs: ['list'] };

function keyOf(prefix: string, o: KubeObject): string {
  const p = prefix.endsWith('/') ? prefix : `${prefix}/`;
  return o.metadata.namespace ? `${p}${o.metadata.namespace}/${o.metadata.name}` : `${p}${o.metadata.name}`;
}

function toStored(prefix: string, o: KubeObject, size: number): StoredObject {
  return { key: keyOf(prefix, o), object: o, resourceVersion: Number(o.metadata.resourceVersion ?? 0), encoding: 'json', size };
}
