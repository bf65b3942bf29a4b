// SYNTHETIC backend for the renderer frame-time bench (row 5). It reuses the e2e fake service for
// everything but the snapshots' content, which it replaces with a model of a busy endpoint: a
// fixed number of live cacheWatchers whose eventsSent grow as if `eventsPerSecond` events were
// flowing into the watch caches, whose buffers fill and drain (slow readers fill up and are
// force-closed as upstream does, "Forcing ... watcher close due to unresponsiveness"; others time
// out and are replaced), a routing-decision stream at a busy endpoint's rate, and one shared etcd
// revision that advances with the events. It proves nothing about the storage layer: rows 1–4
// measure that. It exists so the renderer gets snapshots shaped and paced like a loaded session's.
import { emptyCacheCounters, type CacheInfo, type Decision, type FreshnessPoint, type Snapshot, type WatcherInfo } from '../shared/model.js';
import { Ring } from '../main/util/ring.js';
import { FakeWatchscopeService } from '../e2e/fake-service.js';
import { mulberry32 } from '../main/util/prng.js';

export interface BusyLoadOptions {
  /** Live watchers kept (replacements arrive as others close). */
  watchers?: number;
  /** Events into the watch caches per second, across resources. */
  eventsPerSecond?: number;
  /** Routing decisions recorded per second. */
  decisionsPerSecond?: number;
  /** The session's default snapshot interval (Session snapshotIntervalMs). */
  snapshotIntervalMs?: number;
  /** Mean lifetime of a watch before its timeout closes it (kubelets and informers re-watch every 5–10 min). */
  meanWatchLifetimeMs?: number;
  seed?: number;
}

/** What the model produced, for the bench's details. */
export interface BusyLoadCounters {
  snapshots: number;
  events: number;
  deliveries: number;
  decisions: number;
  closedBufferFull: number;
  closedOther: number;
}

// The telemetry defaults the real session uses (main/telemetry/telemetry.ts), so snapshots have the
// same sizes: 300 freshness points per cache, 200 closed watchers, 200 decisions per snapshot.
const FRESHNESS_POINTS = 300;
const CLOSED_CAPACITY = 200;
const DECISIONS_PER_SNAPSHOT = 200;
const DECISION_RING = 5000;

const RESOURCES = [
  { resource: 'pods', group: '', share: 0.6, objects: 12_000 },
  { resource: 'configmaps', group: '', share: 0.25, objects: 3_000 },
  { resource: 'leases', group: 'coordination.k8s.io', share: 0.15, objects: 1_200 },
] as const;
const NAMESPACES = ['default', 'kube-system', 'payments', 'checkout', 'search', 'ml', 'infra', 'web', 'batch', 'data'];
const NODES = 200;


interface ModelWatcher {
  info: WatcherInfo;
  /** Fraction of its resource's events that match its scope and selectors. */
  selectivity: number;
  /** A slow reader's buffer grows instead of draining. */
  slow: boolean;
  fullTicks: number;
  resourceIndex: number;
}

export class BusyWatchscopeService extends FakeWatchscopeService {
  /** Idle baseline: while paused the model stands still and no snapshot reaches the page. */
  paused = false;
  readonly counters: BusyLoadCounters = { snapshots: 0, events: 0, deliveries: 0, decisions: 0, closedBufferFull: 0, closedOther: 0 };

  readonly #rand: () => number;
  readonly #load: Required<Omit<BusyLoadOptions, 'seed'>>;
  #live: ModelWatcher[] = [];
  readonly #closed = new Ring<WatcherInfo>(CLOSED_CAPACITY);
  readonly #decisionRing = new Ring<Decision>(DECISION_RING);
  readonly #freshness = RESOURCES.map(() => new Ring<FreshnessPoint>(FRESHNESS_POINTS));
  readonly #cacheRV: number[] = RESOURCES.map(() => 0);
  readonly #received: number[] = RESOURCES.map(() => 0);
  readonly #dispatched: number[] = RESOURCES.map(() => 0);
  readonly #terminated: number[] = RESOURCES.map(() => 0);
  #rev = 100_000;
  #nextWatcherId = 1;
  #nextDecisionId = 1;
  #lastAdvance = 0;
  #lastFakeSeq = -1;
  #last: Snapshot | null = null;

  constructor(opts: BusyLoadOptions = {}) {
    const load = {
      watchers: opts.watchers ?? 1000,
      eventsPerSecond: opts.eventsPerSecond ?? 5000,
      decisionsPerSecond: opts.decisionsPerSecond ?? 200,
      snapshotIntervalMs: opts.snapshotIntervalMs ?? 250,
      meanWatchLifetimeMs: opts.meanWatchLifetimeMs ?? 450_000,
    };
    // The fake keeps no watchers of its own: this class supplies them.
    super({ watchers: 0, snapshotIntervalMs: load.snapshotIntervalMs });
    this.#load = load;
    this.#rand = mulberry32(opts.seed ?? 42);
    const now = Date.now();
    for (let i = 0; i < load.watchers; i++) this.#live.push(this.#newWatcher(now - this.#rand() * load.meanWatchLifetimeMs, 'live'));
    this.#cacheRV.fill(this.#rev);
    // Seed the freshness series and the closed list so the views start in their steady shape.
    for (let k = FRESHNESS_POINTS; k > 0; k--) {
      for (let r = 0; r < RESOURCES.length; r++) {
        this.#freshness[r]!.push({ t: now - k * load.snapshotIntervalMs, sourceRevision: this.#rev - k * 1250, cacheRevision: this.#rev - k * 1250 - 3, lagMs: 0 });
      }
    }
  }

  override onSnapshot(fn: (s: Snapshot) => void): () => boolean {
    return super.onSnapshot((base) => {
      if (this.paused) return;
      // Several subscribers share one model step per fake tick.
      if (base.seq !== this.#lastFakeSeq || !this.#last) {
        this.#lastFakeSeq = base.seq;
        this.#last = this.#step(base);
      }
      fn(this.#last);
    });
  }

  override async getDecisions(req: { since: number; max?: number }) {
    const out = this.#decisionRing.toArray().filter((d) => d.id > req.since);
    return { decisions: out.slice(-(req.max ?? 2000)), lastDecisionId: this.#nextDecisionId - 1 };
  }

  // --- the model ----------------------------------------------------------------------------

  #newWatcher(createdAt: number, state: 'live' | 'initializing'): ModelWatcher {
    const u = this.#rand();
    const resourceIndex = u < 0.6 ? 0 : u < 0.85 ? 1 : 2;
    const resource = RESOURCES[resourceIndex]!.resource;
    const id = this.#nextWatcherId++;
    const kind = this.#rand();
    // Kubelets watch their node's pods (capacity 10 under upstream's indexed-trigger rule),
    // controllers watch a namespace, a few informers watch everything.
    const byNode = resource === 'pods' && kind < 0.6;
    const clusterWide = !byNode && kind > 0.9;
    const ns = NAMESPACES[Math.floor(this.#rand() * NAMESPACES.length)]!;
    const capacity = byNode ? 10 : clusterWide ? 1000 : 100;
    const info: WatcherInfo = {
      id,
      resource,
      ...(byNode || clusterWide ? {} : { namespace: ns }),
      labelSelector: !byNode && this.#rand() < 0.3 ? `app=svc-${Math.floor(this.#rand() * 50)}` : '',
      fieldSelector: byNode ? `spec.nodeName=node-${Math.floor(this.#rand() * NODES)}` : '',
      startResourceVersion: this.#rand() < 0.2 ? '' : String(this.#rev),
      userAgent: byNode ? 'kubelet/v1.34.1 (linux/amd64)' : clusterWide ? 'kube-controller-manager/v1.34.1' : ['argocd-application-controller', 'cert-manager/v1.15', 'kubectl/v1.32.3', 'prometheus/2.53'][id % 4]!,
      createdAt,
      eventsSent: 0,
      bookmarksSent: 0,
      lastResourceVersion: this.#rev,
      inputLen: 0,
      resultLen: 0,
      capacity,
      capacityRule: byNode ? 'indexWithTrigger' : clusterWide ? 'indexWithoutTrigger' : 'noIndex',
      state,
    };
    return {
      info,
      selectivity: byNode ? 1 / NODES : clusterWide ? 1 : (1 / NAMESPACES.length) * (info.labelSelector ? 0.1 : 1),
      slow: this.#rand() < 0.01,
      fullTicks: 0,
      resourceIndex,
    };
  }

  /** Stochastic rounding: integer counts whose mean is x. */
  #count(x: number): number {
    const f = Math.floor(x);
    return f + (this.#rand() < x - f ? 1 : 0);
  }

  #close(m: ModelWatcher, now: number, reason: 'bufferFull' | 'timeout' | 'clientGone'): void {
    const message =
      reason === 'bufferFull' ? 'Forcing watcher close due to unresponsiveness' : reason === 'timeout' ? 'timeoutSeconds reached' : 'client disconnected';
    this.#closed.push({ ...m.info, state: 'closed', closedAt: now, closeReason: reason, closeMessage: message });
    this.#terminated[m.resourceIndex]!++;
    if (reason === 'bufferFull') this.counters.closedBufferFull++;
    else this.counters.closedOther++;
  }

  #record(now: number): void {
    const i = this.#nextDecisionId;
    const k = i % 10;
    const r = RESOURCES[i % 3]!.resource;
    const ns = NAMESPACES[i % NAMESPACES.length]!;
    // A busy endpoint's mix: mostly watches and RV="0" lists from informers, some consistent
    // lists (served from the cache since consistent reads from cache, 1.31+), a few GETs (quorum).
    const [verb, query, servedBy, reason, detail]: [Decision['verb'], Record<string, string>, Decision['servedBy'], string, string] =
      k < 4 ? ['watch', { resourceVersion: String(this.#rev - 5), allowWatchBookmarks: 'true', timeoutSeconds: '480' }, 'cache', 'servedFromCache', 'Watch served from the watch cache.']
      : k < 6 ? ['list', { resourceVersion: '0' }, 'cache', 'servedFromCache', 'RV "0" list answered from the cache.']
      : k < 8 ? ['list', { limit: '500' }, 'cache', 'consistentReadFromCache', 'Consistent list served from the cache after it caught up.']
      : k < 9 ? ['get', {}, 'etcd', 'getQuorumRead', 'GET without resourceVersion is a quorum read from etcd.']
      : ['list', { limit: '500', continue: 'token' }, 'cache', 'continueFromSnapshot', "Served from the cache's snapshot."];
    const d: Decision = {
      id: this.#nextDecisionId++,
      time: now,
      verb,
      resource: r,
      namespace: ns,
      query,
      profile: '1.34',
      servedBy,
      reason,
      detail,
      status: 200,
      latencyMs: servedBy === 'cache' ? 0.4 + this.#rand() * 3 : 6 + this.#rand() * 20,
      userAgent: ['kubelet/v1.34.1 (linux/amd64)', 'kube-controller-manager/v1.34.1', 'kubectl/v1.32.3'][i % 3]!,
      resourceVersion: String(this.#rev),
    };
    this.#decisionRing.push(d);
    this.counters.decisions++;
  }

  /** Advances the model by the wall-clock time since the last step and builds the snapshot. */
  #step(base: Snapshot): Snapshot {
    const now = base.time;
    const dtMs = this.#lastAdvance ? Math.min(2000, now - this.#lastAdvance) : this.#load.snapshotIntervalMs;
    this.#lastAdvance = now;
    const dt = dtMs / 1000;

    // Events into each cache; the etcd revision advances once per event (one revision per write).
    const perResource = RESOURCES.map((r) => this.#count(this.#load.eventsPerSecond * dt * r.share));
    const events = perResource.reduce((a, b) => a + b, 0);
    this.#rev += events;
    this.counters.events += events;
    for (let r = 0; r < RESOURCES.length; r++) {
      this.#received[r]! += perResource[r]!;
      // The cache trails etcd by what is still in flight: a few ms of events.
      this.#cacheRV[r] = this.#rev - this.#count(this.#rand() * 0.004 * this.#load.eventsPerSecond);
      this.#freshness[r]!.push({ t: now, sourceRevision: this.#rev, cacheRevision: this.#cacheRV[r]!, lagMs: this.#rev > this.#cacheRV[r]! ? Math.round(this.#rand() * 8) : 0 });
    }

    const pClose = dtMs / this.#load.meanWatchLifetimeMs;
    const survivors: ModelWatcher[] = [];
    for (const m of this.#live) {
      const w = m.info;
      const delivered = this.#count(perResource[m.resourceIndex]! * m.selectivity);
      w.eventsSent += delivered;
      this.#dispatched[m.resourceIndex]! += delivered;
      this.counters.deliveries += delivered;
      if (delivered > 0) w.lastResourceVersion = this.#rev;
      if (this.#rand() < dt / 60) w.bookmarksSent++; // upstream sends a bookmark about once a minute
      if (w.state === 'initializing') w.state = 'live';
      if (m.slow) {
        // A client that stopped reading: everything delivered stays in its buffers.
        w.inputLen = Math.min(w.capacity, w.inputLen + Math.max(1, Math.ceil(delivered * 0.5)));
        w.resultLen = Math.min(w.capacity, w.resultLen + Math.max(1, Math.ceil(delivered * 0.5)));
      } else {
        // A healthy reader drains between bursts: fill moves around a small share of capacity.
        const burst = Math.min(w.capacity, delivered) * this.#rand();
        w.inputLen = Math.min(w.capacity, Math.round(burst * 0.5 + this.#rand() * w.capacity * 0.15));
        w.resultLen = Math.min(w.capacity, Math.round(w.inputLen * (0.2 + this.#rand() * 0.6)));
      }
      m.fullTicks = w.inputLen >= w.capacity ? m.fullTicks + 1 : 0;
      // Upstream blocks on a full input buffer for a bounded time, then closes the watcher.
      if (m.fullTicks >= 2) this.#close(m, now, 'bufferFull');
      else if (this.#rand() < pClose) this.#close(m, now, this.#rand() < 0.9 ? 'timeout' : 'clientGone');
      else survivors.push(m);
    }
    while (survivors.length < this.#load.watchers) survivors.push(this.#newWatcher(now, 'initializing'));
    this.#live = survivors;

    // Like the telemetry: a snapshot carries what was decided since the previous one, capped.
    const recorded = this.#count(this.#load.decisionsPerSecond * dt);
    for (let n = recorded; n > 0; n--) this.#record(now);
    const decisions: Decision[] = [];
    const take = Math.min(recorded, DECISIONS_PER_SNAPSHOT);
    for (let j = this.#decisionRing.length - take; j < this.#decisionRing.length; j++) decisions.push(this.#decisionRing.at(j)!);

    const watchers = this.#live.map((m) => ({ ...m.info }));
    const caches: CacheInfo[] = RESOURCES.map((r, i) => ({
      resource: r.resource,
      group: r.group,
      ready: 'Ready',
      generation: 1,
      resourceVersion: this.#cacheRV[i]!,
      sourceRevision: this.#rev,
      lagRevisions: this.#rev - this.#cacheRV[i]!,
      lagMs: this.#rev > this.#cacheRV[i]! ? 5 : 0,
      objects: r.objects,
      historyLen: Math.min(this.#received[i]!, 102_400),
      historyCapacity: 102_400,
      oldestResourceVersion: this.#rev - Math.min(this.#received[i]!, 102_400),
      watchers: watchers.filter((w) => w.resource === r.resource).length,
      counters: {
        ...emptyCacheCounters(),
        eventsReceived: this.#received[i]!,
        eventsDispatched: this.#dispatched[i]!,
        terminatedWatchers: this.#terminated[i]!,
        consistentReads: Math.floor(this.counters.decisions * 0.2),
        initializations: 1,
      },
    }));
    this.counters.snapshots++;
    return {
      ...base,
      caches,
      watchers,
      watchersTotal: watchers.length,
      closedWatchers: this.#closed.toArray(),
      freshness: Object.fromEntries(RESOURCES.map((r, i) => [r.resource, this.#freshness[i]!.toArray()])),
      decisions,
      lastDecisionId: this.#nextDecisionId - 1,
    };
  }
}
