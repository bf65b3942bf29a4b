// Re-runs a recording under another profile: the recorded etcd events go, in recorded order and
// on the recorded clock, through fresh cachers (the same Cacher the endpoint uses), and each
// recorded request is decided by the router against those cachers' state at its moment — once
// under the recorded profile (how faithfully the re-run reproduces what happened) and once under
// profile X (what would change). Client timing cannot be re-run: a watcher's buffer fills as fast
// as its client reads, which a recording does not hold, so force-closes are reported as recorded
// and only their routing is re-decided; the result says so.
import type { Decision } from '../../shared/model.js';
import { createCacherBackend } from '../storage/apiserver/cacher-backend.js';
import type { StorageDelegate } from '../storage/apiserver/backend.js';
import { FakeClock } from '../storage/cacher/clock.js';
import type { KubeObject, StoredObject } from '../storage/object.js';
import { BUILTIN_RESOURCES, qualifiedResource, type ResourceInfo } from '../storage/resources.js';
import { decide, resolveProfile, withGates, type Profile, type RoutingRequest } from '../storage/routing/index.js';
import type { Source, SourceEvent, SourceInfo, SourceListResult, SourceWatch, SourceWatchHandlers } from '../storage/source.js';
import type { RecordedObject, RecordLine } from './format.js';
import { RecordingReader } from './reader.js';

export interface RerunSide {
  servedBy: Decision['servedBy'];
  reason: string;
  detail?: string;
  /** Served from the cache after waiting for it to catch up (consistent read, RV n). */
  waits?: boolean;
}

export interface RerunRow {
  id: number;
  time: number;
  verb: Decision['verb'];
  resource: string;
  namespace?: string;
  query: Record<string, string>;
  userAgent: string;
  recorded: RerunSide;
  /** Re-decided under the recorded profile: matches `recorded` when the re-run is faithful. */
  baseline: RerunSide;
  rerun: RerunSide;
  /** For reads that would wait under X: how far the cache trailed etcd then, as recorded. */
  recordedLagMs?: number;
}

export interface RerunResult {
  file: string;
  recordedProfile: string;
  profile: string;
  /** Reads and watches re-decided. */
  requests: number;
  /** Writes in the recording: etcd under every profile, not re-decided. */
  writes: number;
  /** Requests whose re-decision under the recorded profile equals what was recorded. */
  reproduced: number;
  /** Requests profile X decides differently from the recorded decision (servedBy or reason). */
  changed: number;
  movedToCache: number;
  movedToEtcd: number;
  /** Consistent/RV-n reads profile X would serve from the cache after waiting for freshness. */
  wouldWait: number;
  /** The changed requests (at most MAX_ROWS, oldest first) and the reads that would wait. */
  rows: RerunRow[];
  rowsOmitted: number;
  /** Decisions per reason, recorded vs re-run. */
  byReason: { reason: string; recorded: number; rerun: number }[];
  watchers: {
    /** Watchers force-closed in the recording (bufferFull). */
    forceClosed: number;
    /** Of the recorded watch requests, how many profile X would serve from etcd instead of the cache. */
    watchesToEtcd: number;
    /** Of the recorded watch requests served by etcd, how many profile X would serve from the cache. */
    watchesToCache: number;
  };
  limitations: string[];
}

const MAX_ROWS = 1000;
const WRITE_VERBS = new Set<Decision['verb']>(['create', 'update', 'patch', 'delete']);

/** A Source that plays recorded lists, events and progress notifications to the cachers. */
class RecordedSource implements Source {
  private readonly lists = new Map<string, SourceListResult>();
  private readonly watches = new Map<string, { after: number; handlers: SourceWatchHandlers }>();
  private revision = 0;

  constructor(private readonly supportsProgress: boolean) {}

  info(): SourceInfo {
    return { kind: 'etcd', version: 'recording', supportsRequestWatchProgress: this.supportsProgress, endpoints: [] };
  }

  setList(prefix: string, rv: number, items: StoredObject[]): void {
    this.lists.set(prefix, { items, resourceVersion: rv });
    this.revision = Math.max(this.revision, rv);
    // A relist in the recording: end the watch so the cacher lists again, as it did then.
    const w = this.watches.get(prefix);
    if (w && rv > w.after) {
      this.watches.delete(prefix);
      w.handlers.onEnd({ reason: 'error', message: 'relist (recorded)' });
    }
  }

  deliver(prefix: string, ev: SourceEvent): void {
    this.revision = Math.max(this.revision, ev.resourceVersion);
    const w = this.watches.get(prefix);
    if (w && ev.resourceVersion > w.after) {
      w.after = ev.resourceVersion;
      w.handlers.onEvents([ev]);
    }
  }

  progress(prefix: string, rv: number): void {
    this.revision = Math.max(this.revision, rv);
    const w = this.watches.get(prefix);
    if (w && rv >= w.after) w.handlers.onProgress(rv);
  }

  async list(prefix: string): Promise<SourceListResult> {
    return this.lists.get(prefix) ?? { items: [], resourceVersion: this.revision };
  }

  watch(prefix: string, afterRevision: number, handlers: SourceWatchHandlers): SourceWatch {
    this.watches.set(prefix, { after: afterRevision, handlers });
    return {
      requestProgress: () => undefined,
      stop: () => {
        if (this.watches.get(prefix)?.handlers === handlers) this.watches.delete(prefix);
      },
    };
  }

  async currentRevision(): Promise<number> {
    return this.revision;
  }

  async close(): Promise<void> {
    this.watches.clear();
  }
}

/** The recorded object, or one made from its key when values were not recorded. */
function storedOf(o: RecordedObject, res: ResourceInfo | undefined): StoredObject {
  const parts = o.key.split('/');
  const name = parts[parts.length - 1]!;
  const namespace = res?.namespaced ? parts[parts.length - 2] : undefined;
  const object: KubeObject = (o.value as KubeObject | undefined) ?? {
    apiVersion: res ? (res.group ? `${res.group}/${res.version}` : res.version) : 'v1',
    kind: res?.kind ?? 'Unknown',
    metadata: { name, ...(namespace ? { namespace } : {}), resourceVersion: String(o.rv) },
  };
  return { key: o.key, object, resourceVersion: o.rv, encoding: 'json', size: o.size };
}

const unusedDelegate = (): StorageDelegate =>
  new Proxy({} as StorageDelegate, {
    get: () => () => {
      throw new Error('a re-run never reads storage');
    },
  });

const side = (d: { servedBy: Decision['servedBy']; reason: string; detail?: string; waitUntilFresh?: boolean }): RerunSide => {
  const s: RerunSide = { servedBy: d.servedBy, reason: d.reason };
  if (d.detail) s.detail = d.detail;
  if (d.waitUntilFresh && d.servedBy === 'cache') s.waits = true;
  return s;
};

export async function rerunRecording(file: string, profileName: string, gates: Record<string, boolean> = {}): Promise<RerunResult> {
  const reader = RecordingReader.open(file);
  try {
    const header = reader.header;
    const profiles = new Map<string, Profile>();
    const profileOf = (name: string): Profile => {
      let p = profiles.get(name);
      if (!p) {
        try {
          p = resolveProfile(name);
        } catch {
          p = resolveProfile(header.profile);
        }
        profiles.set(name, p);
      }
      return p;
    };
    const profile: Profile = withGates(resolveProfile(profileName), gates);
    const resources = BUILTIN_RESOURCES.filter((r) => header.resources.includes(qualifiedResource(r)));
    const byPrefix = new Map<string, ResourceInfo>();
    const source = new RecordedSource(header.source.supportsRequestWatchProgress ?? false);
    const clock = new FakeClock(reader.startTime);
    const backend = createCacherBackend({
      source,
      resources,
      cacherConfig: { log: () => undefined, revisionPollMs: 0, clock },
      delegate: (r, key) => {
        byPrefix.set(key, r);
        return unusedDelegate();
      },
    });
    let started = false;
    const lastRv = new Map<string, number>();
    const lagAt = new Map<string, number>();
    const rows: RerunRow[] = [];
    let rowsOmitted = 0;
    const reasons = new Map<string, { recorded: number; rerun: number }>();
    const count = (reason: string, k: 'recorded' | 'rerun') => {
      const e = reasons.get(reason) ?? { recorded: 0, rerun: 0 };
      e[k]++;
      reasons.set(reason, e);
    };
    let requests = 0;
    let writes = 0;
    let reproduced = 0;
    let changed = 0;
    let movedToCache = 0;
    let movedToEtcd = 0;
    let wouldWait = 0;
    let forceClosed = 0;
    let watchesToEtcd = 0;
    let watchesToCache = 0;
    let lastDecision = 0;
    const closedSeen = new Set<string>();

    /** Lets the cachers apply what was delivered (their dispatch runs on the event loop). */
    const settle = async () => {
      for (let i = 0; i < 50; i++) {
        let behind = false;
        for (const [prefix, rv] of lastRv) {
          const c = [...backend.cachers.values()].find((x) => x.config.collectionKey === prefix);
          if (c && c.resourceVersion < rv) behind = true;
        }
        if (!behind) return;
        await new Promise((r) => setImmediate(r));
      }
    };

    const onRecord = async (r: RecordLine) => {
      if (r.t > clock.now()) clock.advance(r.t - clock.now());
      switch (r.k) {
        case 'list': {
          const res = byPrefix.get(r.prefix);
          source.setList(r.prefix, r.rv, r.items.map((o) => storedOf(o, res)));
          lastRv.set(r.prefix, Math.max(lastRv.get(r.prefix) ?? 0, r.rv));
          return;
        }
        case 'event': {
          if (!started) {
            backend.start();
            started = true;
            await backend.waitReady();
          }
          const res = byPrefix.get(r.prefix);
          const object = storedOf(r.object, res);
          const ev: SourceEvent = { type: r.type, key: r.object.key, object, resourceVersion: r.rv };
          source.deliver(r.prefix, ev);
          lastRv.set(r.prefix, Math.max(lastRv.get(r.prefix) ?? 0, r.rv));
          return;
        }
        case 'progress':
          source.progress(r.prefix, r.rv);
          return;
        case 'tick':
          for (const c of r.caches) lagAt.set(c.group ? `${c.resource}.${c.group}` : c.resource, c.lagMs);
          return;
        case 'closed': {
          const key = `${r.watcher.resource}|${r.watcher.id}|${r.watcher.closedAt}`;
          if (r.watcher.closeReason === 'bufferFull' && !closedSeen.has(key)) forceClosed++;
          closedSeen.add(key);
          return;
        }
        case 'decision': {
          const d = r.d;
          if (d.id <= lastDecision) return; // a keyframe's copy
          lastDecision = d.id;
          if (!started) {
            backend.start();
            started = true;
            await backend.waitReady();
          }
          await settle();
          const info = BUILTIN_RESOURCES.find((x) => qualifiedResource(x) === d.resource || x.resource === d.resource);
          if (!info) return;
          // Writes go to etcd under every profile; their reason (from the cache's copy or a
          // re-read) is settled by the write itself, which a re-run does not perform.
          if (WRITE_VERBS.has(d.verb)) {
            writes++;
            return;
          }
          const pinned = /(^|,)metadata\.name==?[^,]+/.test(d.query.fieldSelector ?? '');
          const req: RoutingRequest = {
            verb: d.verb,
            group: info.group,
            resource: info.resource,
            recursive: d.verb !== 'get' && !pinned,
            query: d.query,
            ...(d.namespace ? { namespace: d.namespace } : {}),
            ...(d.name ? { name: d.name } : {}),
          };
          const state = backend.resource(info.group, info.resource)?.cacheState();
          if (!state) return;
          requests++;
          // The recorded decision's own profile (a scenario may switch profiles mid-recording).
          const baseline = decide(req, state, profileOf(d.profile));
          const x = decide(req, state, profile);
          const recordedSide: RerunSide = { servedBy: d.servedBy, reason: d.reason };
          if (baseline.servedBy === d.servedBy && baseline.reason === d.reason) reproduced++;
          count(d.reason, 'recorded');
          count(x.reason, 'rerun');
          const isChanged = x.servedBy !== d.servedBy || x.reason !== d.reason;
          const waits = x.servedBy === 'cache' && x.waitUntilFresh;
          if (isChanged) changed++;
          if (d.servedBy !== 'cache' && x.servedBy === 'cache') movedToCache++;
          if (d.servedBy === 'cache' && x.servedBy !== 'cache') movedToEtcd++;
          if (waits) wouldWait++;
          if (d.verb === 'watch' || d.query.watch === 'true') {
            if (d.servedBy === 'cache' && x.servedBy === 'etcd') watchesToEtcd++;
            if (d.servedBy === 'etcd' && x.servedBy === 'cache') watchesToCache++;
          }
          if (isChanged || waits) {
            if (rows.length >= MAX_ROWS) {
              rowsOmitted++;
              return;
            }
            const row: RerunRow = {
              id: d.id,
              time: d.time,
              verb: d.verb,
              resource: d.resource,
              query: d.query,
              userAgent: d.userAgent,
              recorded: recordedSide,
              baseline: side(baseline),
              rerun: side(x),
            };
            if (d.namespace) row.namespace = d.namespace;
            const lag = lagAt.get(d.resource);
            if (waits && lag !== undefined) row.recordedLagMs = lag;
            rows.push(row);
          }
          return;
        }
        default:
          return;
      }
    };

    for (let i = 0; i < reader.segments.length; i++) {
      for (const r of reader.readSegment(i).records) await onRecord(r);
    }
    await backend.stop().catch(() => undefined);

    const limitations = [
      'Client timing is not in a recording: how fast each watcher read its stream decided when its buffers filled, so force-closes are reported as recorded; only where their watch requests would be served is re-decided.',
      'The cache state each request is decided against comes from fresh cachers fed with the recorded events on the recorded clock; requests are decided at the moment they were recorded, after every event recorded before them.',
    ];
    if (!header.values) limitations.push('Values were not recorded: the re-run cachers hold objects made from their keys and revisions, which is all routing reads; selector-filtered results are not re-computed.');
    if (reader.segments[0]!.seq > 0) limitations.push(`The recording's ${reader.segments[0]!.seq} oldest segments were dropped at its size limit: the re-run starts from the first kept segment.`);
    if (!reader.ended) limitations.push('The recording was cut short; the re-run covers it up to its last complete record.');
    if (reproduced < requests) limitations.push(`${requests - reproduced} of ${requests} requests were decided differently under their recorded profile than recorded: the re-run's cache state differs from the live one there (e.g. requests decided while the live cache was catching up), or the recorded profile had gate overrides.`);

    return {
      file,
      recordedProfile: header.profile,
      profile: profile.name,
      requests,
      writes,
      reproduced,
      changed,
      movedToCache,
      movedToEtcd,
      wouldWait,
      rows,
      rowsOmitted,
      byReason: [...reasons.entries()].map(([reason, v]) => ({ reason, ...v })).sort((a, b) => b.recorded + b.rerun - (a.recorded + a.rerun)),
      watchers: { forceClosed, watchesToEtcd, watchesToCache },
      limitations,
    };
  } finally {
    reader.close();
  }
}

/** The comparison as text for the terminal. */
export function formatRerun(r: RerunResult): string {
  const lines = [
    `re-run of ${r.file} under ${r.profile} (recorded under ${r.recordedProfile})`,
    `reads and watches: ${r.requests} (writes: ${r.writes}, etcd under every profile); reproduced under ${r.recordedProfile}: ${r.reproduced}; decided differently under ${r.profile}: ${r.changed}`,
    `moved etcd → cache: ${r.movedToCache}; moved cache → etcd: ${r.movedToEtcd}; reads that would wait for the cache to catch up: ${r.wouldWait}`,
    `watchers force-closed in the recording: ${r.watchers.forceClosed}; watches ${r.profile} would serve from etcd instead: ${r.watchers.watchesToEtcd}; from the cache instead: ${r.watchers.watchesToCache}`,
    '',
    'reason                              recorded   re-run',
    ...r.byReason.map((b) => `${b.reason.padEnd(36)}${String(b.recorded).padStart(8)} ${String(b.rerun).padStart(8)}`),
    '',
    `changed requests${r.rowsOmitted ? ` (first ${r.rows.length}; ${r.rowsOmitted} more)` : ''}:`,
    ...r.rows.map(
      (x) =>
        `  #${x.id} ${x.verb} ${x.resource}${x.namespace ? ` -n ${x.namespace}` : ''} ${new URLSearchParams(x.query).toString()} [${x.userAgent}]: ` +
        `${x.recorded.servedBy}/${x.recorded.reason} → ${x.rerun.servedBy}/${x.rerun.reason}${x.rerun.waits ? ` (waits${x.recordedLagMs !== undefined ? `; the cache trailed by ${Math.round(x.recordedLagMs)} ms then` : ''})` : ''}`,
    ),
    '',
    'what a re-run cannot reproduce:',
    ...r.limitations.map((l) => `  - ${l}`),
  ];
  return lines.join('\n');
}
