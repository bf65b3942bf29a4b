// Soak (outside CI): the embedded cacher's endpoint on a real etcd that is killed with SIGKILL and
// restarted SOAK_CYCLES times and compacted SOAK_COMPACTIONS times (as kube-apiserver's compactor
// does) under a steady write load, while SOAK_WATCHERS informer-like clients of mixed kinds
// (resource × namespace × label selector × bookmarks) list and watch. Every delivered stream is
// checked against etcd's own history, read by an independent etcd watch: in order, no gap, no
// duplicate, the right event type for the watcher's selector; every watch the server ended
// early must carry a reason (an ERROR Status, or a close reason on the cacher's side). RSS is
// sampled throughout. Prints one summary line; exits 1 on any violation.
import { request as httpsRequest } from 'node:https';
import { createInterface } from 'node:readline';
import { startEtcd } from '../main/storage/etcd/process.js';
import { EtcdSource } from '../main/storage/etcd/source.js';
import { compactLikeKubeApiserver } from '../main/storage/etcd/compact.js';
import type { EtcdClient, WatchResponse } from '../main/storage/etcd/client.js';
import { prefixRangeEnd } from '../main/storage/etcd/keys.js';
import { startTestApiServer, type TestApiServer } from '../main/storage/apiserver/testing.js';
import type { WatcherInfo } from '../shared/model.js';
import { sleep } from './lib.js';

const env = (k: string, d: number) => (process.env[k] ? Number(process.env[k]) : d);
const CYCLES = env('SOAK_CYCLES', 50);
const COMPACTIONS = env('SOAK_COMPACTIONS', 20);
const WATCHERS = env('SOAK_WATCHERS', 50);
const WRITES_PER_SECOND = env('SOAK_WRITES_PER_SECOND', 40);
const CYCLE_MS = env('SOAK_CYCLE_MS', 3000);

const RESOURCES = ['configmaps', 'secrets'] as const;
const NAMESPACES = ['soak-0', 'soak-1', 'soak-2'];
const TIERS = ['a', 'b'];

// ---------------------------------------------------------------------------------------------
// etcd's history, as an independent watch on etcd sees it (reopened after each kill).

interface TruthEvent {
  rev: number;
  resource: string;
  namespace: string;
  name: string;
  deleted: boolean;
  tier: string | undefined;
  prevTier: string | undefined;
  /** The key existed before this event. */
  existed: boolean;
}

class History {
  readonly events = new Map<number, TruthEvent[]>();
  lastRev = 0;
  private stopped = false;
  private stream: ReturnType<EtcdClient['openWatch']> | undefined;

  constructor(private readonly client: EtcdClient) {}

  start(): void {
    void this.loop();
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      await new Promise<void>((resolve) => {
        const s = this.client.openWatch();
        this.stream = s;
        const done = () => resolve();
        s.on('data', (r: WatchResponse) => {
          if (r.canceled || r.compact_revision) {
            console.error(`history watch cancelled: ${r.cancel_reason} (compacted at ${r.compact_revision})`);
            process.exitCode = 2;
          }
          for (const e of r.events) this.add(e);
        });
        s.on('error', done);
        s.on('end', done);
        s.on('close', done);
        const key = Buffer.from('/registry/');
        s.write({ create_request: { key, range_end: prefixRangeEnd(key), start_revision: this.lastRev + 1, prev_kv: true } });
      });
      if (!this.stopped) await sleep(200);
    }
  }

  private add(e: WatchResponse['events'][number]): void {
    const rev = Number(e.kv.mod_revision);
    const [, , resource, namespace, name] = e.kv.key.toString('utf8').split('/');
    const tierOf = (v: Buffer | undefined) => {
      if (!v || v.length === 0) return undefined;
      try {
        return (JSON.parse(v.toString('utf8')) as { metadata?: { labels?: Record<string, string> } }).metadata?.labels?.tier;
      } catch {
        return undefined;
      }
    };
    const deleted = e.type === 'DELETE';
    const ev: TruthEvent = {
      rev,
      resource: resource!,
      namespace: namespace!,
      name: name!,
      deleted,
      tier: deleted ? undefined : tierOf(e.kv.value),
      prevTier: tierOf(e.prev_kv?.value),
      existed: Boolean(e.prev_kv) || (!deleted && Number(e.kv.version) > 1),
    };
    const list = this.events.get(rev) ?? [];
    list.push(ev);
    this.events.set(rev, list);
    if (rev > this.lastRev) this.lastRev = rev;
  }

  stop(): void {
    this.stopped = true;
    this.stream?.cancel();
  }
}

// ---------------------------------------------------------------------------------------------
// Watchers: list, then watch from the list's resourceVersion; rewatch from the last one seen
// when a watch ends, relist on 410, as a reflector does.

interface Kind {
  resource: (typeof RESOURCES)[number];
  namespace: string | undefined;
  tier: string | undefined;
  bookmarks: boolean;
}

interface Segment {
  watcher: number;
  kind: Kind;
  startRv: number;
  /** Highest RV the stream vouched for: its last event or bookmark. */
  endRv: number;
  events: { type: string; namespace: string; name: string; rv: number }[];
  end: 'timeout' | 'error' | 'early' | 'stopped' | 'open';
  errorStatus?: { code: number; reason: string; message: string };
  timeoutSeconds: number;
  startedAt: number;
  endedAt: number;
  /** Wall clock (Date.now()) at start and end, to find the cacher's record of the close. */
  wallStart: number;
  wallEnd: number;
  userAgent: string;
}

const matches = (kind: Kind, namespace: string, tier: string | undefined) => (kind.namespace === undefined || kind.namespace === namespace) && (kind.tier === undefined || kind.tier === tier);

function collectionPath(kind: Kind): string {
  return kind.namespace ? `/api/v1/namespaces/${kind.namespace}/${kind.resource}` : `/api/v1/${kind.resource}`;
}

function selectorQuery(kind: Kind): string {
  return kind.tier ? `labelSelector=${encodeURIComponent(`tier=${kind.tier}`)}` : '';
}

class SoakWatcher {
  readonly segments: Segment[] = [];
  relists = 0;
  listFailures = 0;
  private stopped = false;
  private current: { destroy(): void } | undefined;

  constructor(
    readonly id: number,
    readonly kind: Kind,
    private readonly h: TestApiServer,
  ) {}

  get userAgent(): string {
    return `soak-watcher-${this.id}`;
  }

  async run(): Promise<void> {
    let rv = 0;
    while (!this.stopped) {
      if (rv === 0) {
        const q = selectorQuery(this.kind);
        const r = await this.h.request('GET', `${collectionPath(this.kind)}${q ? `?${q}` : ''}`, { headers: { 'User-Agent': this.userAgent } }).catch(() => undefined);
        if (!r || r.status !== 200) {
          this.listFailures++;
          await sleep(300);
          continue;
        }
        rv = Number(r.json.metadata.resourceVersion);
        this.relists++;
      }
      const seg = await this.watch(rv);
      this.segments.push(seg);
      if (seg.end === 'error') {
        if (seg.errorStatus?.code === 410) rv = 0;
        else await sleep(200);
        if (seg.errorStatus?.code !== 410) rv = seg.endRv;
      } else {
        rv = seg.endRv;
        // Some watchers are slow to come back, as a client paused or restarting: after a long
        // pause the cache's history window has moved past their RV (410, relist).
        if (this.id % 10 === 9) await sleep(80_000);
        else if (this.id % 4 === 3) await sleep(8000);
      }
    }
  }

  private watch(startRv: number): Promise<Segment> {
    const timeoutSeconds = 5 + ((this.id * 7) % 20);
    const q = [`watch=1`, `resourceVersion=${startRv}`, `timeoutSeconds=${timeoutSeconds}`, this.kind.bookmarks ? 'allowWatchBookmarks=true' : '', selectorQuery(this.kind)].filter(Boolean).join('&');
    const seg: Segment = { watcher: this.id, kind: this.kind, startRv, endRv: startRv, events: [], end: 'open', timeoutSeconds, startedAt: performance.now(), endedAt: 0, wallStart: Date.now(), wallEnd: 0, userAgent: this.userAgent };
    const url = new URL(this.h.server.url);
    return new Promise((resolve) => {
      let finished = false;
      const finish = (end: Segment['end']) => {
        if (finished) return;
        finished = true;
        seg.end = seg.end === 'error' ? 'error' : end;
        seg.endedAt = performance.now();
        seg.wallEnd = Date.now();
        resolve(seg);
      };
      const req = httpsRequest(
        { hostname: url.hostname, port: url.port, path: `${collectionPath(this.kind)}?${q}`, ca: this.h.server.caPem, agent: false, headers: { Authorization: `Bearer ${this.h.server.token}`, 'User-Agent': this.userAgent } },
        (res) => {
          if (res.statusCode !== 200) {
            res.resume();
            seg.end = 'error';
            seg.errorStatus = { code: res.statusCode ?? 0, reason: 'http', message: `HTTP ${res.statusCode}` };
            res.on('end', () => finish('error'));
            return;
          }
          res.on('error', () => undefined);
          const lines = createInterface({ input: res });
          lines.on('error', () => undefined);
          lines.on('line', (line) => {
            if (!line) return;
            const ev = JSON.parse(line) as { type: string; object: { metadata?: { name?: string; namespace?: string; resourceVersion?: string }; code?: number; reason?: string; message?: string } };
            if (ev.type === 'ERROR') {
              seg.end = 'error';
              seg.errorStatus = { code: ev.object.code ?? 0, reason: ev.object.reason ?? '', message: ev.object.message ?? '' };
              return;
            }
            const rv = Number(ev.object.metadata?.resourceVersion);
            if (ev.type !== 'BOOKMARK') seg.events.push({ type: ev.type, namespace: ev.object.metadata?.namespace ?? '', name: ev.object.metadata?.name ?? '', rv });
            if (rv > seg.endRv) seg.endRv = rv;
          });
          res.on('close', () => {
            const elapsed = (performance.now() - seg.startedAt) / 1000;
            finish(this.stopped ? 'stopped' : elapsed >= seg.timeoutSeconds - 0.5 ? 'timeout' : 'early');
          });
        },
      );
      req.on('error', () => finish(this.stopped ? 'stopped' : 'early'));
      req.end();
      this.current = req;
    });
  }

  stop(): void {
    this.stopped = true;
    this.current?.destroy();
  }
}

// ---------------------------------------------------------------------------------------------

/** What the watcher of `kind` must be sent for one etcd event (cacheWatcher.convertToWatchEvent). */
function expected(kind: Kind, e: TruthEvent): string | undefined {
  if (e.resource !== kind.resource) return undefined;
  const cur = !e.deleted && matches(kind, e.namespace, e.tier);
  const prev = e.existed && matches(kind, e.namespace, e.prevTier);
  if (e.deleted) return prev ? 'DELETED' : undefined;
  if (cur && prev) return 'MODIFIED';
  if (cur) return 'ADDED';
  if (prev) return 'DELETED';
  return undefined;
}

function check(seg: Segment, history: History, violations: string[]): number {
  const where = `watcher ${seg.watcher} (${seg.kind.resource} ns=${seg.kind.namespace ?? '*'} tier=${seg.kind.tier ?? '*'}) from RV ${seg.startRv}`;
  let last = seg.startRv;
  for (const ev of seg.events) {
    if (ev.rv <= last) violations.push(`${where}: RV ${ev.rv} after ${last} (out of order or duplicate)`);
    last = Math.max(last, ev.rv);
  }
  // Every event etcd made in (startRv, endRv] that the watcher's selector needs, in order, exactly once.
  const want: { type: string; namespace: string; name: string; rv: number }[] = [];
  for (let rev = seg.startRv + 1; rev <= seg.endRv; rev++) {
    for (const e of history.events.get(rev) ?? []) {
      const type = expected(seg.kind, e);
      if (type) want.push({ type, namespace: e.namespace, name: e.name, rv: rev });
    }
  }
  const key = (x: { type: string; namespace: string; name: string; rv: number }) => `${x.rv} ${x.type} ${x.namespace}/${x.name}`;
  const got = seg.events.map(key);
  const exp = want.map(key);
  if (got.join('\n') !== exp.join('\n')) {
    const missing = exp.filter((x) => !got.includes(x));
    const extra = got.filter((x) => !exp.includes(x));
    violations.push(`${where} to ${seg.endRv}: ${missing.length} missing (${missing.slice(0, 3).join('; ')}), ${extra.length} unexpected (${extra.slice(0, 3).join('; ')})`);
  }
  if (seg.end === 'error' && !seg.errorStatus?.message) violations.push(`${where}: ERROR event without a Status message`);
  return seg.events.length;
}

const rssMiB = () => Math.round(process.memoryUsage().rss / 1048576);
/** Heap in use after a full collection when --expose-gc is on (npm run soak turns it on). */
const heapMiB = () => {
  (globalThis as { gc?: () => void }).gc?.();
  return Math.round(process.memoryUsage().heapUsed / 1048576);
};

async function main(): Promise<void> {
  const t0 = performance.now();
  const etcd = await startEtcd({ progressNotifyInterval: '1s' });
  // A history of 256 events (upstream's bounds are 100 to 100 × 1024): at the soak's write rate
  // it spans well under the slow watchers' 80 s pause, so their resumes meet 410 and relist.
  const h = await startTestApiServer({ etcd, profile: '1.34', cacherConfig: { upperBoundCapacity: 256 } });
  const historySource = await EtcdSource.connect({ endpoints: [etcd.endpoint] });
  const history = new History(historySource.client);
  history.start();
  const rss: number[] = [rssMiB()];
  const heapStart = heapMiB();
  const rssTimer = setInterval(() => rss.push(rssMiB()), 1000);

  // Server-side close reasons, gathered before the cachers' bounded rings drop them.
  const closed = new Map<string, WatcherInfo>();
  const closedTimer = setInterval(() => {
    for (const r of RESOURCES) for (const w of h.backend.cachers.get(r)?.closedWatchers() ?? []) closed.set(`${r}/${w.id}`, w);
  }, 200);

  for (const ns of NAMESPACES) await h.request('POST', '/api/v1/namespaces', { body: { metadata: { name: ns } } });

  let writes = 0;
  let writeErrors = 0;
  const refusedBy: Record<string, number> = {};
  let writing = true;
  const writer = (async () => {
    let seq = 0;
    const live = new Map<string, number>();
    while (writing) {
      const tick = performance.now();
      seq++;
      const resource = RESOURCES[seq % 2]!;
      const ns = NAMESPACES[seq % 3]!;
      const name = `obj-${seq % 40}`;
      const k = `${resource}/${ns}/${name}`;
      const tier = TIERS[(seq >> 2) % 2]!;
      const body = { metadata: { name, labels: { tier } }, data: { seq: resource === 'secrets' ? Buffer.from(String(seq)).toString('base64') : String(seq) } };
      const base = `/api/v1/namespaces/${ns}/${resource}`;
      const op = !live.has(k) ? 'create' : seq % 5 === 0 ? 'delete' : 'update';
      const r =
        op === 'create'
          ? await h.request('POST', base, { body }).catch(() => undefined)
          : op === 'delete'
            ? await h.request('DELETE', `${base}/${name}`).catch(() => undefined)
            : await h.request('PUT', `${base}/${name}`, { body }).catch(() => undefined);
      const ok = r && r.status < 300;
      if (ok) {
        writes++;
        if (op === 'delete') live.delete(k);
        else live.set(k, seq);
      } else {
        writeErrors++;
        const why = r ? String(r.status) : 'no answer';
        refusedBy[why] = (refusedBy[why] ?? 0) + 1;
        if (r?.status === 409) live.set(k, seq);
        if (r?.status === 404) live.delete(k);
      }
      await sleep(Math.max(0, 1000 / WRITES_PER_SECOND - (performance.now() - tick)));
    }
  })();

  const kinds: Kind[] = [];
  for (const resource of RESOURCES) for (const namespace of [undefined, 'soak-1']) for (const tier of [undefined, 'a']) for (const bookmarks of [false, true]) kinds.push({ resource, namespace, tier, bookmarks });
  const watchers = Array.from({ length: WATCHERS }, (_, i) => new SoakWatcher(i, kinds[i % kinds.length]!, h));
  const running = watchers.map((w) => w.run());

  // Compactions like kube-apiserver's compactor: compact_rev_key, then etcd, a little behind
  // the history so some watchers resume below it (410 and a relist).
  let compactVersion = 0;
  let compactions = 0;
  const compactAt = new Set(Array.from({ length: COMPACTIONS }, (_, i) => Math.floor(((i + 0.5) * CYCLES) / COMPACTIONS)));
  let kills = 0;
  for (let cycle = 0; cycle < CYCLES; cycle++) {
    await sleep(CYCLE_MS);
    if (compactAt.has(cycle)) {
      const rev = Math.max(1, history.lastRev - 20);
      for (let attempt = 0; attempt < 3; attempt++) {
        const r = await compactLikeKubeApiserver(historySource.client, compactVersion, rev).catch(() => undefined);
        if (!r) break;
        const won = r.currentVersion === compactVersion + 1 && r.compactRev === rev;
        compactVersion = r.currentVersion;
        if (won) {
          compactions++;
          break;
        }
      }
    }
    await etcd.kill9();
    kills++;
    await sleep(300 + ((cycle * 137) % 700));
    await etcd.restart();
    process.stdout.write(`\rcycle ${cycle + 1}/${CYCLES}, compactions ${compactions}, writes ${writes} (${writeErrors} refused), rss ${rss.at(-1)} MiB   `);
  }
  // Settle: etcd up, writes stopped, every watcher's open stream given time to catch up.
  await sleep(CYCLE_MS);
  writing = false;
  await writer;
  await sleep(3000);
  for (const w of watchers) w.stop();
  await Promise.all(running);
  clearInterval(rssTimer);
  clearInterval(closedTimer);
  for (const r of RESOURCES) for (const w of h.backend.cachers.get(r)?.closedWatchers() ?? []) closed.set(`${r}/${w.id}`, w);

  const heapEnd = heapMiB();
  const violations: string[] = [];
  let checked = 0;
  let segments = 0;
  const endings: Record<string, number> = {};
  for (const w of watchers) {
    for (const seg of w.segments) {
      segments++;
      checked += check(seg, history, violations);
      const label = seg.end === 'error' ? `error ${seg.errorStatus?.code}` : seg.end;
      endings[label] = (endings[label] ?? 0) + 1;
      if (seg.end === 'early') {
        // Ended by the server before its timeout without an ERROR: the cacher must have recorded why.
        const told = [...closed.values()].some(
          (c) => c.userAgent === seg.userAgent && c.closeReason && c.closeReason !== 'clientGone' && c.closedAt !== undefined && c.closedAt >= seg.wallStart - 50 && c.closedAt <= seg.wallEnd + 50,
        );
        if (!told) violations.push(`watcher ${seg.watcher}: stream from RV ${seg.startRv} ended early with no close reason recorded`);
      }
    }
  }
  const reasons: Record<string, number> = {};
  for (const c of closed.values()) if (c.userAgent.startsWith('soak-')) reasons[c.closeReason ?? 'none'] = (reasons[c.closeReason ?? 'none'] ?? 0) + 1;
  if (reasons.none) violations.push(`${reasons.none} closed watchers without a close reason`);
  const relists = watchers.reduce((n, w) => n + w.relists, 0);

  history.stop();
  historySource.client.close();
  await h.close();
  await etcd.stop();

  for (const v of violations.slice(0, 20)) console.error(`VIOLATION ${v}`);
  const minutes = ((performance.now() - t0) / 60000).toFixed(1);
  console.log(
    `\nsoak: ${kills} etcd kill -9/restart cycles, ${compactions} compactions, ${writes} writes (${writeErrors} refused: ${Object.entries(refusedBy).map(([k, v]) => `${v}× ${k}`).join(', ')}), ${WATCHERS} watchers, ${segments} watch streams (${Object.entries(endings).map(([k, v]) => `${v} ${k}`).join(', ')}), ${relists} lists, ${checked} events checked against etcd history (rev ${history.lastRev}), ${violations.length} violations; server close reasons: ${Object.entries(reasons).map(([k, v]) => `${k} ${v}`).join(', ')}; RSS start ${rss[0]} MiB, max ${Math.max(...rss)} MiB, end ${rss.at(-1)} MiB (heap after GC ${heapStart} → ${heapEnd} MiB, the checker's own record of every event included); ${minutes} min`,
  );
  process.exit(violations.length ? 1 : (process.exitCode ?? 0));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
