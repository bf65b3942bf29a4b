// Who costs what: every request the session sees (the endpoint's decisions, the cluster's audit
// stream) folded per user agent and per user into one-minute buckets. Memory is fixed whatever
// the traffic: each client keeps a ring of `minutes` buckets, each bucket's maps are capped, and
// the number of clients is capped, the rest going to one "(other)" row; a client idle for the
// whole window with no watch open gives its row up to a newcomer.
import { CLIENTS_MAX_MINUTES, CLIENTS_MAX_ROWS, OTHER_CLIENT, clientKey, type ClientRow, type ClientsReport } from '../../shared/clients.js';
import type { ServedBy, Verb } from '../../shared/model.js';

export interface ClientObservation {
  /** ms since the epoch. */
  time: number;
  source: 'endpoint' | 'audit';
  userAgent: string;
  user?: string;
  verb: Verb;
  resource: string;
  servedBy: ServedBy;
  reason: string;
  status: number;
  consistentList?: boolean;
  /** LIST only, where the size of the answer is known. */
  objects?: number;
  bytes?: number;
  /**
   * Set on the observation of a watch's end. It does not count as another request: the watch was
   * observed (and counted as open) when it started.
   */
  watchEnd?: { durationMs: number; reason: string };
  /** The same request under other profiles. */
  whatIf?: { profile: string; servedBy: ServedBy; reason: string }[];
}

export interface ClientsAggregatorOptions {
  /** Minutes kept (the most a report can cover). */
  minutes?: number;
  /** Distinct clients per table before folding into "(other)". */
  maxClients?: number;
  now?: () => number;
}

const VERBS: readonly Verb[] = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];
const MAX_REASONS = 16;
const MAX_END_REASONS = 12;
const MAX_PROFILES = 24;
const MAX_WHATIF_REASONS = 4;
const MINUTE = 60_000;

/** Adds to a map that holds at most `cap` keys; later keys count under OTHER_CLIENT. */
function bump(m: Map<string, number>, key: string, cap: number, other = OTHER_CLIENT): void {
  const k = m.has(key) || m.size < cap - 1 ? key : other;
  m.set(k, (m.get(k) ?? 0) + 1);
}

interface Moves {
  toCache: number;
  toEtcd: number;
  reasons: Map<string, number>;
}

class Bucket {
  requests = 0;
  readonly byVerb = new Array<number>(VERBS.length).fill(0);
  cache = 0;
  etcd = 0;
  rejected = 0;
  readonly reasons = new Map<string, number>();
  listRequests = 0;
  listSized = 0;
  listObjects = 0;
  listBytes = 0;
  etcdObjects = 0;
  consistentLists = 0;
  watchStarted = 0;
  watchEnded = 0;
  watchDurationMs = 0;
  readonly endReasons = new Map<string, number>();
  readonly moves = new Map<string, Moves>();
  endpoint = 0;
  audit = 0;
  constructor(readonly minute: number) {}
}

class Row {
  readonly buckets: (Bucket | undefined)[];
  open = 0;
  lastMinute = 0;
  constructor(
    readonly key: string,
    minutes: number,
  ) {
    this.buckets = new Array<Bucket | undefined>(minutes);
  }

  bucket(minute: number): Bucket {
    const i = minute % this.buckets.length;
    let b = this.buckets[i];
    if (!b || b.minute !== minute) this.buckets[i] = b = new Bucket(minute);
    if (minute > this.lastMinute) this.lastMinute = minute;
    return b;
  }
}

class Table {
  readonly rows = new Map<string, Row>();
  private readonly folded = new Set<string>();
  private foldedCount = 0;

  constructor(
    private readonly minutes: number,
    private readonly cap: number,
  ) {}

  row(key: string, minute: number): Row {
    const row = this.rows.get(key);
    if (row) return row;
    if (this.rows.size >= this.cap) {
      // A client idle for the whole window, with nothing open, gives its place up.
      let idle: string | undefined;
      for (const [k, r] of this.rows) {
        if (k !== OTHER_CLIENT && r.open === 0 && r.lastMinute <= minute - this.minutes) {
          idle = k;
          break;
        }
      }
      if (idle === undefined) {
        // Counted once per distinct key while the set is small; beyond that, per request.
        if (this.folded.size < 10_000) {
          if (!this.folded.has(key)) {
            this.folded.add(key);
            this.foldedCount++;
          }
        } else this.foldedCount++;
        return this.otherRow();
      }
      this.rows.delete(idle);
    }
    const r = new Row(key, this.minutes);
    this.rows.set(key, r);
    return r;
  }

  private otherRow(): Row {
    let r = this.rows.get(OTHER_CLIENT);
    if (!r) this.rows.set(OTHER_CLIENT, (r = new Row(OTHER_CLIENT, this.minutes)));
    return r;
  }

  /** A watch that ended: its own row if it was counted open there, else the "(other)" row it was folded into. */
  closeWatch(row: Row): void {
    if (row.open > 0) row.open--;
    else {
      const other = this.rows.get(OTHER_CLIENT);
      if (other && other.open > 0) other.open--;
    }
  }

  get foldedKeys(): number {
    return this.foldedCount;
  }
}

export class ClientsAggregator {
  readonly minutes: number;
  private readonly byAgent: Table;
  private readonly byUser: Table;
  private readonly now: () => number;

  constructor(opts: ClientsAggregatorOptions = {}) {
    this.minutes = Math.min(Math.max(1, Math.floor(opts.minutes ?? CLIENTS_MAX_MINUTES)), CLIENTS_MAX_MINUTES);
    const cap = Math.max(2, opts.maxClients ?? CLIENTS_MAX_ROWS);
    this.byAgent = new Table(this.minutes, cap);
    this.byUser = new Table(this.minutes, cap);
    this.now = opts.now ?? Date.now;
  }

  observe(o: ClientObservation): void {
    const minute = Math.floor(o.time / MINUTE);
    this.add(this.byAgent, clientKey(o.userAgent), minute, o);
    if (o.user) this.add(this.byUser, o.user, minute, o);
  }

  private add(table: Table, key: string, minute: number, o: ClientObservation): void {
    const row = table.row(key, minute);
    const b = row.bucket(minute);
    if (o.watchEnd) {
      table.closeWatch(row);
      b.watchEnded++;
      b.watchDurationMs += Math.max(0, o.watchEnd.durationMs);
      bump(b.endReasons, o.watchEnd.reason, MAX_END_REASONS);
      return;
    }
    b.requests++;
    if (o.source === 'endpoint') b.endpoint++;
    else b.audit++;
    const v = VERBS.indexOf(o.verb);
    if (v >= 0) b.byVerb[v]!++;
    b[o.servedBy]++;
    bump(b.reasons, `${o.servedBy}\0${o.reason}`, MAX_REASONS, `${o.servedBy}\0${OTHER_CLIENT}`);
    if (o.verb === 'list') {
      b.listRequests++;
      if (o.objects !== undefined) {
        b.listSized++;
        b.listObjects += o.objects;
        b.listBytes += o.bytes ?? 0;
        if (o.servedBy === 'etcd') b.etcdObjects += o.objects;
      }
      if (o.consistentList) b.consistentLists++;
    }
    // A watch that started (a refused one never opens).
    if (o.verb === 'watch' && o.servedBy !== 'rejected' && o.status < 300) {
      b.watchStarted++;
      row.open++;
    }
    for (const w of o.whatIf ?? []) {
      const toCache = o.servedBy === 'etcd' && w.servedBy === 'cache';
      const toEtcd = o.servedBy === 'cache' && w.servedBy === 'etcd';
      if (!toCache && !toEtcd) continue;
      let m = b.moves.get(w.profile);
      if (!m) {
        if (b.moves.size >= MAX_PROFILES) continue;
        b.moves.set(w.profile, (m = { toCache: 0, toEtcd: 0, reasons: new Map() }));
      }
      if (toCache) m.toCache++;
      else m.toEtcd++;
      bump(m.reasons, w.reason, MAX_WHATIF_REASONS);
    }
  }

  /** The last `minutes` whole minutes, up to and including the current one. */
  report(minutes = this.minutes): ClientsReport {
    const n = Math.min(Math.max(1, Math.floor(minutes)), this.minutes);
    const current = Math.floor(this.now() / MINUTE);
    const first = current - n + 1;
    const sources = { endpoint: 0, audit: 0 };
    const rowsOf = (t: Table, countSources: boolean) => {
      const out: (ClientRow & { etcdObjects: number })[] = [];
      for (const row of t.rows.values()) {
        const r = summarize(row, first, current);
        if (!r) continue;
        if (countSources) {
          sources.endpoint += r.sourceCounts.endpoint;
          sources.audit += r.sourceCounts.audit;
        }
        out.push(r.row);
      }
      out.sort((a, b) => b.etcd - a.etcd || b.etcdObjects - a.etcdObjects || b.requests - a.requests || a.key.localeCompare(b.key));
      return out.map(({ etcdObjects: _e, ...row }) => row);
    };
    const userAgents = rowsOf(this.byAgent, true);
    const users = rowsOf(this.byUser, false);
    return {
      minutes: n,
      from: first * MINUTE,
      to: (current + 1) * MINUTE,
      sources,
      userAgents,
      users,
      folded: { userAgents: this.byAgent.foldedKeys, users: this.byUser.foldedKeys },
    };
  }
}

const top = <T>(m: Map<string, number>, k: number, f: (key: string, count: number) => T): T[] =>
  [...m.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, k)
    .map(([key, c]) => f(key, c));

function summarize(row: Row, first: number, last: number): { row: ClientRow & { etcdObjects: number }; sourceCounts: { endpoint: number; audit: number } } | undefined {
  const inWindow = row.buckets.filter((b): b is Bucket => b !== undefined && b.minute >= first && b.minute <= last);
  if (inWindow.length === 0 && row.open === 0) return undefined;
  const byVerb = Object.fromEntries(VERBS.map((v) => [v, 0])) as Record<Verb, number>;
  const reasons = new Map<string, number>();
  const endReasons = new Map<string, number>();
  const moves = new Map<string, { toCache: number; toEtcd: number; reasons: Map<string, number> }>();
  const perMinute = new Array<number>(last - first + 1).fill(0);
  const sourceCounts = { endpoint: 0, audit: 0 };
  const r = { requests: 0, cache: 0, etcd: 0, rejected: 0, listRequests: 0, listSized: 0, listObjects: 0, listBytes: 0, etcdObjects: 0, consistent: 0, started: 0, ended: 0, durationMs: 0 };
  for (const b of inWindow) {
    r.requests += b.requests;
    VERBS.forEach((v, i) => (byVerb[v] += b.byVerb[i]!));
    r.cache += b.cache;
    r.etcd += b.etcd;
    r.rejected += b.rejected;
    for (const [k, c] of b.reasons) reasons.set(k, (reasons.get(k) ?? 0) + c);
    r.listRequests += b.listRequests;
    r.listSized += b.listSized;
    r.listObjects += b.listObjects;
    r.listBytes += b.listBytes;
    r.etcdObjects += b.etcdObjects;
    r.consistent += b.consistentLists;
    perMinute[b.minute - first] = b.consistentLists;
    r.started += b.watchStarted;
    r.ended += b.watchEnded;
    r.durationMs += b.watchDurationMs;
    for (const [k, c] of b.endReasons) endReasons.set(k, (endReasons.get(k) ?? 0) + c);
    for (const [p, m] of b.moves) {
      let t = moves.get(p);
      if (!t) moves.set(p, (t = { toCache: 0, toEtcd: 0, reasons: new Map() }));
      t.toCache += m.toCache;
      t.toEtcd += m.toEtcd;
      for (const [k, c] of m.reasons) t.reasons.set(k, (t.reasons.get(k) ?? 0) + c);
    }
    sourceCounts.endpoint += b.endpoint;
    sourceCounts.audit += b.audit;
  }
  const sources: ClientRow['sources'] = [];
  if (sourceCounts.endpoint) sources.push('endpoint');
  if (sourceCounts.audit) sources.push('audit');
  const out: ClientRow & { etcdObjects: number } = {
    key: row.key,
    sources,
    requests: r.requests,
    byVerb,
    cache: r.cache,
    etcd: r.etcd,
    rejected: r.rejected,
    topReasons: top(reasons, 5, (k, count) => {
      const [servedBy, reason] = k.split('\0');
      return { servedBy: servedBy as ServedBy, reason: reason!, count };
    }),
    list: { requests: r.listRequests, sized: r.listSized, objects: r.listObjects, bytes: r.listBytes },
    consistentLists: r.consistent,
    consistentListsPerMinute: perMinute,
    watches: { open: row.open, started: r.started, ended: r.ended, endReasons: top(endReasons, MAX_END_REASONS, (reason, count) => ({ reason, count })) },
    whatIf: [...moves.entries()]
      .sort((a, b) => a[0].localeCompare(b[0], undefined, { numeric: true }))
      .map(([profile, m]) => {
        const reason = top(m.reasons, 1, (k) => k)[0];
        return { profile, toCache: m.toCache, toEtcd: m.toEtcd, ...(reason ? { topReason: reason } : {}) };
      }),
    etcdObjects: r.etcdObjects,
  };
  if (r.ended > 0) out.watches.meanDurationMs = Math.round(r.durationMs / r.ended);
  return { row: out, sourceCounts };
}
