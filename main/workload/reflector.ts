// A list-then-watch client that behaves like client-go's Reflector (tools/cache/reflector.go),
// so the endpoint sees what a real kubelet or informer sends:
// - the first LIST uses resourceVersion="0" (served from the watch cache, limit ignored), later
//   ones the last synced RV; a LIST answered 410 Expired / "Too large resource version" is
//   retried with resourceVersion="" (isLastSyncResourceVersionUnavailable);
// - LISTs go through a pager (page size 500); a continue page answered 410 falls back to one full
//   LIST at the same RV (pager FullListIfExpired);
// - WATCH starts at the list RV with allowWatchBookmarks and a timeoutSeconds of 5–10 min;
// - when a watch ends it re-watches from the last RV it saw (events and bookmarks); an ERROR 410
//   ("too old resource version") makes it re-LIST at that RV — client-go deliberately does not
//   fall back to RV="" there, since a LIST at RV=n already means "at least as fresh as n";
// - connection refused / 429 on WATCH back off and re-watch; other failures back off and re-LIST.
import { Backoff, sleep } from './backoff.js';
import { statusOf, type Query, type Transport } from './transport.js';
import type { WatchEventJson, WatchStream } from './watch-stream.js';

export interface ReflectorOptions {
  name: string;
  userAgent: string;
  /** Collection path, e.g. /api/v1/pods or /api/v1/namespaces/x/pods. */
  path: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Pager page size (client-go's default 500); 0 = one unpaged LIST. */
  pageSize?: number;
  allowWatchBookmarks?: boolean;
  /** timeoutSeconds of each WATCH; client-go: minWatchTimeout (5 min) × (1 + rand). */
  watchTimeoutSeconds?: () => number;
  /** Keep key → resourceVersion of every object seen (to check that nothing was lost). */
  keepStore?: boolean;
  onEvent?: (ev: WatchEventJson) => void;
}

export type ReflectorState = 'idle' | 'listing' | 'watching' | 'backoff' | 'stopped';

export interface ReflectorStats {
  name: string;
  userAgent: string;
  state: ReflectorState;
  lists: number;
  listPages: number;
  listErrors: number;
  /** LISTs answered 410 (or 504 too large) that were retried with resourceVersion="". */
  listExpired: number;
  watches: number;
  watchErrors: number;
  events: number;
  bookmarks: number;
  /** ERROR 410 events or 410 answers on WATCH. */
  expired: number;
  /** WATCHes that ended and were re-opened from the last RV without a LIST. */
  rewatches: number;
  relists: number;
  lastSyncResourceVersion: string;
  objects: number;
  lastError?: string;
}

type WatchOutcome = 'rewatch' | 'rewatchAfterBackoff' | 'relist';

export class Reflector {
  private readonly ctl = new AbortController();
  private readonly backoff = new Backoff();
  private loop: Promise<void> | undefined;
  private stream: WatchStream | undefined;
  private lastSyncResourceVersion = '';
  private lastSyncResourceVersionUnavailable = false;
  private readonly s: ReflectorStats;
  private syncedWaiters: (() => void)[] = [];
  private hasSynced = false;
  /** ns/name → resourceVersion (only with keepStore). */
  readonly store = new Map<string, string>();

  constructor(private readonly transport: Transport, private readonly o: ReflectorOptions) {
    this.s = {
      name: o.name, userAgent: o.userAgent, state: 'idle', lists: 0, listPages: 0, listErrors: 0, listExpired: 0,
      watches: 0, watchErrors: 0, events: 0, bookmarks: 0, expired: 0, rewatches: 0, relists: 0,
      lastSyncResourceVersion: '', objects: 0,
    };
  }

  start(): void {
    if (!this.loop) this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.ctl.abort();
    const st = this.stream;
    if (st) await st.close();
    await this.loop;
    this.s.state = 'stopped';
  }

  stats(): ReflectorStats {
    return { ...this.s, lastSyncResourceVersion: this.lastSyncResourceVersion, objects: this.store.size };
  }

  get resourceVersion(): string {
    return this.lastSyncResourceVersion;
  }

  /** Resolves after the first successful LIST. */
  synced(): Promise<void> {
    if (this.hasSynced) return Promise.resolve();
    return new Promise((r) => this.syncedWaiters.push(r));
  }

  private get stopped(): boolean {
    return this.ctl.signal.aborted;
  }

  private async run(): Promise<void> {
    let first = true;
    while (!this.stopped) {
      if (!first) {
        this.s.relists++;
        this.s.state = 'backoff';
        if (!(await sleep(this.backoff.next(), this.ctl.signal))) break;
      }
      first = false;
      if (!(await this.list())) continue;
      for (;;) {
        if (this.stopped) return;
        const outcome = await this.watch();
        if (outcome === 'relist') break;
        if (outcome === 'rewatchAfterBackoff') {
          this.s.state = 'backoff';
          if (!(await sleep(this.backoff.next(), this.ctl.signal))) return;
        }
      }
    }
  }

  private relistResourceVersion(): string {
    if (this.lastSyncResourceVersionUnavailable) return '';
    return this.lastSyncResourceVersion === '' ? '0' : this.lastSyncResourceVersion;
  }

  private baseQuery(): Query {
    return { labelSelector: this.o.labelSelector || undefined, fieldSelector: this.o.fieldSelector || undefined };
  }

  private async list(): Promise<boolean> {
    this.s.state = 'listing';
    this.s.lists++;
    let rv = this.relistResourceVersion();
    try {
      let r = await this.listPaged(rv);
      if (r.kind === 'expired' && rv !== '') {
        // reflector.list: Expired or TooLargeResourceVersion ⇒ the RV we hold is unusable here;
        // LIST again "at the latest" (a consistent read).
        this.s.listExpired++;
        this.lastSyncResourceVersionUnavailable = true;
        rv = '';
        r = await this.listPaged(rv);
      }
      if (r.kind !== 'ok') {
        this.s.listErrors++;
        this.s.lastError = r.message;
        return false;
      }
      this.lastSyncResourceVersionUnavailable = false;
      this.lastSyncResourceVersion = r.resourceVersion;
      if (this.o.keepStore) {
        this.store.clear();
        for (const it of r.items) this.store.set(itemKey(it), it.metadata?.resourceVersion ?? '');
      }
      if (!this.hasSynced) {
        this.hasSynced = true;
        for (const w of this.syncedWaiters.splice(0)) w();
      }
      return true;
    } catch (e) {
      if (!this.stopped) {
        this.s.listErrors++;
        this.s.lastError = (e as Error).message;
      }
      return false;
    }
  }

  private async listPaged(rv: string): Promise<
    | { kind: 'ok'; items: ListItem[]; resourceVersion: string }
    | { kind: 'expired' | 'error'; message: string }
  > {
    const limit = this.o.pageSize ?? 500;
    const items: ListItem[] = [];
    let cont: string | undefined;
    let listRV = '';
    for (let page = 0; ; page++) {
      const query: Query = cont
        ? { ...this.baseQuery(), limit: limit || undefined, continue: cont }
        : { ...this.baseQuery(), resourceVersion: rv === '' ? undefined : rv, limit: limit || undefined };
      const res = await this.transport.request<ListBody>({ method: 'GET', path: this.o.path, query, userAgent: this.o.userAgent, signal: this.ctl.signal });
      this.s.listPages++;
      if (res.status !== 200) {
        const st = statusOf(res.body);
        const msg = `LIST ${res.status}: ${st?.message ?? String(res.body).slice(0, 200)}`;
        if (cont && res.status === 410) {
          // pager.go: "the list expired while we were processing, fall back to a full list".
          const full = await this.transport.request<ListBody>({
            method: 'GET', path: this.o.path, query: { ...this.baseQuery(), resourceVersion: rv === '' ? undefined : rv },
            userAgent: this.o.userAgent, signal: this.ctl.signal,
          });
          this.s.listPages++;
          if (full.status !== 200) return { kind: full.status === 410 ? 'expired' : 'error', message: `LIST ${full.status}` };
          return { kind: 'ok', items: full.body.items ?? [], resourceVersion: full.body.metadata?.resourceVersion ?? '' };
        }
        const tooLarge = res.status === 504 && !!st?.details?.causes?.some((c) => c.reason === 'ResourceVersionTooLarge');
        return { kind: res.status === 410 || tooLarge ? 'expired' : 'error', message: msg };
      }
      for (const it of res.body.items ?? []) items.push(it);
      if (page === 0) listRV = res.body.metadata?.resourceVersion ?? '';
      cont = res.body.metadata?.continue || undefined;
      if (!cont) return { kind: 'ok', items, resourceVersion: listRV };
    }
  }

  private async watch(): Promise<WatchOutcome> {
    this.s.state = 'watching';
    const timeoutSeconds = this.o.watchTimeoutSeconds?.() ?? Math.floor(300 * (1 + Math.random()));
    let opened;
    try {
      opened = await this.transport.watch({
        path: this.o.path,
        query: {
          ...this.baseQuery(),
          resourceVersion: this.lastSyncResourceVersion,
          allowWatchBookmarks: (this.o.allowWatchBookmarks ?? true) ? 'true' : undefined,
          timeoutSeconds,
        },
        userAgent: this.o.userAgent,
        signal: this.ctl.signal,
      });
    } catch (e) {
      if (this.stopped) return 'relist';
      this.s.watchErrors++;
      this.s.lastError = (e as Error).message;
      return /ECONNREFUSED|ECONNRESET|socket hang up/.test((e as Error).message) ? 'rewatchAfterBackoff' : 'relist';
    }
    if ('error' in opened) {
      this.s.watchErrors++;
      const st = statusOf(opened.error.body);
      this.s.lastError = `WATCH ${opened.error.status}: ${st?.message ?? ''}`;
      if (opened.error.status === 410) {
        this.s.expired++;
        return 'relist';
      }
      return opened.error.status === 429 ? 'rewatchAfterBackoff' : 'relist';
    }
    const stream = opened.stream;
    this.stream = stream;
    this.s.watches++;
    const started = Date.now();
    let n = 0;
    try {
      for await (const ev of stream) {
        n++;
        if (ev.type === 'ERROR') {
          this.s.watchErrors++;
          const code = ev.object.code;
          this.s.lastError = `watch ERROR ${code ?? ''}: ${ev.object.message ?? ''}`;
          if (code === 410) this.s.expired++;
          await stream.close();
          return 'relist';
        }
        const rv = ev.object.metadata?.resourceVersion;
        if (ev.type === 'BOOKMARK') this.s.bookmarks++;
        else {
          this.s.events++;
          if (this.o.keepStore) {
            const key = itemKey(ev.object as ListItem);
            if (ev.type === 'DELETED') this.store.delete(key);
            else this.store.set(key, rv ?? '');
          }
        }
        if (rv) this.lastSyncResourceVersion = rv;
        this.o.onEvent?.(ev);
      }
    } finally {
      this.stream = undefined;
    }
    if (this.stopped) return 'relist';
    this.backoff.reset();
    if (stream.ended === 'error') {
      // The connection broke (server gone, proxy cut): client-go re-watches from its last RV.
      this.s.rewatches++;
      return 'rewatchAfterBackoff';
    }
    if (n === 0 && Date.now() - started < 1000) {
      // reflector.watchHandler: "very short watch" is an error and ends ListAndWatch.
      this.s.lastError = 'very short watch: watch lasted less than a second and no items received';
      return 'relist';
    }
    this.s.rewatches++;
    return 'rewatch';
  }
}

interface ListItem {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
}

interface ListBody {
  metadata?: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  items?: ListItem[];
}

export const itemKey = (it: ListItem): string => `${it.metadata?.namespace ?? ''}/${it.metadata?.name ?? ''}`;
