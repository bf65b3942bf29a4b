// The demo workload: real HTTP clients against the endpoint, so every one of them is a real
// request, a real cacheWatcher and a real routing Decision in the UI. A controller writes pods;
// kubelets watch their node's pods (fieldSelector spec.nodeName: the indexed case whose watcher
// buffers upstream caps at 10); informers list RV=0 then watch with bookmarks; listers send
// paginated and consistent LISTs; one slow reader lets its buffers fill until it is force-closed.
import type { Snapshot } from '../../shared/model.js';
import { PodController, type PodControllerStats } from './controller.js';
import { PeriodicLister, type PeriodicListerStats } from './lister.js';
import { nodeName, podsPath } from './pods.js';
import { Reflector, type ReflectorStats } from './reflector.js';
import { SlowReader, type SlowReaderStats } from './slow-reader.js';
import { Transport, type EndpointConnection } from './transport.js';

export interface WorkloadOptions {
  writesPerSecond: number;
  kubelets: number;
  informers: number;
  namespaces: number;
  slowReader: boolean;
  /** 0 = off. */
  paginatedListEverySec: number;
  /** 0 = off. */
  consistentListEverySec: number;
}

export const DEFAULT_WORKLOAD_OPTIONS: WorkloadOptions = {
  writesPerSecond: 20, kubelets: 3, informers: 2, namespaces: 3, slowReader: true, paginatedListEverySec: 10, consistentListEverySec: 15,
};

/** Upper bounds on what the UI may ask for, so a slider cannot exhaust the machine. */
export const WORKLOAD_LIMITS = { writesPerSecond: 2000, kubelets: 200, informers: 50, namespaces: 50 } as const;

export interface WorkloadExtras {
  /** Options that are not part of the UI's knobs. */
  maxPods?: number;
  padding?: number;
  /** timeoutSeconds of kubelet/informer watches (default client-go's 5–10 min). */
  watchTimeoutSeconds?: () => number;
  /** Slow reader: how long it stops reading. */
  slowReaderHoldMs?: number;
}

export type WorkloadStats = NonNullable<Snapshot['workload']> & {
  running: boolean;
  namespaces: number;
  slowReader: boolean;
  controller: PodControllerStats;
  kubeletStats: ReflectorStats[];
  informerStats: ReflectorStats[];
  slowReaderStats?: SlowReaderStats;
  paginatedLists: PeriodicListerStats;
  consistentLists: PeriodicListerStats;
  openSockets: number;
  /** Totals over all kubelets and informers. */
  watchEvents: number;
  bookmarks: number;
  rewatches: number;
  relists: number;
  expired: number;
};

const clamp = (v: number, max: number) => Math.max(0, Math.min(max, Math.floor(v)));

export class Workload {
  private o: WorkloadOptions;
  private readonly transport: Transport;
  private readonly controller: PodController;
  private readonly kubelets: Reflector[] = [];
  private readonly informers: Reflector[] = [];
  private readonly paginated: PeriodicLister;
  private readonly consistent: PeriodicLister;
  private slow: SlowReader | undefined;
  private running = false;
  /** Reflectors being stopped after a live scale-down; stop() waits for them too. */
  private readonly stopping = new Set<Promise<void>>();
  scenario: string | undefined;
  scenarioStatus: string | undefined;

  constructor(conn: EndpointConnection, opts: Partial<WorkloadOptions> = {}, private readonly extras: WorkloadExtras = {}) {
    this.o = sanitize({ ...DEFAULT_WORKLOAD_OPTIONS, ...opts });
    this.transport = new Transport(conn);
    this.controller = new PodController(this.transport, {
      writesPerSecond: this.o.writesPerSecond, namespaces: this.o.namespaces, nodes: Math.max(1, this.o.kubelets),
      ...(extras.maxPods ? { maxPods: extras.maxPods } : {}), ...(extras.padding ? { padding: extras.padding } : {}),
    });
    this.paginated = new PeriodicLister(this.transport, { path: podsPath(), userAgent: 'watchscope-demo/paginated-lister', limit: 50 }, this.o.paginatedListEverySec);
    this.consistent = new PeriodicLister(this.transport, { path: podsPath(), userAgent: 'watchscope-demo/consistent-lister' }, this.o.consistentListEverySec);
  }

  get options(): WorkloadOptions {
    return { ...this.o };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.controller.start();
    this.paginated.start();
    this.consistent.start();
    this.reconcile();
  }

  /** Live changes: rate, number of kubelets/informers, namespaces, slow reader, list periods. */
  set(opts: Partial<WorkloadOptions>): void {
    this.o = sanitize({ ...this.o, ...opts });
    this.controller.set({ writesPerSecond: this.o.writesPerSecond, namespaces: this.o.namespaces, nodes: Math.max(1, this.o.kubelets) });
    this.paginated.everySec = this.o.paginatedListEverySec;
    this.consistent.everySec = this.o.consistentListEverySec;
    if (this.running) this.reconcile();
  }

  /** Stops every loop and waits until every socket is closed. */
  async stop(): Promise<void> {
    this.running = false;
    const all: Promise<unknown>[] = [
      this.controller.stop(), this.paginated.stop(), this.consistent.stop(),
      ...this.kubelets.splice(0).map((r) => r.stop()), ...this.informers.splice(0).map((r) => r.stop()),
      ...this.stopping,
    ];
    if (this.slow) all.push(this.slow.stop());
    this.slow = undefined;
    // Close the transport first so nothing waits on a server that no longer answers.
    await this.transport.close();
    await Promise.allSettled(all);
  }

  /** The pod writer, for scenarios that need bursts or cleanup. */
  get writer(): PodController {
    return this.controller;
  }

  stats(): WorkloadStats {
    const kubeletStats = this.kubelets.map((r) => r.stats());
    const informerStats = this.informers.map((r) => r.stats());
    const all = [...kubeletStats, ...informerStats];
    const sum = (f: (s: ReflectorStats) => number) => all.reduce((a, s) => a + f(s), 0);
    const out: WorkloadStats = {
      writesPerSecond: this.o.writesPerSecond,
      kubelets: this.kubelets.length,
      informers: this.informers.length,
      running: this.running,
      namespaces: this.o.namespaces,
      slowReader: this.o.slowReader,
      controller: this.controller.stats(),
      kubeletStats,
      informerStats,
      paginatedLists: this.paginated.stats(),
      consistentLists: this.consistent.stats(),
      openSockets: this.transport.openSockets,
      watchEvents: sum((s) => s.events),
      bookmarks: sum((s) => s.bookmarks),
      rewatches: sum((s) => s.rewatches),
      relists: sum((s) => s.relists),
      expired: sum((s) => s.expired),
    };
    if (this.slow) out.slowReaderStats = this.slow.stats();
    if (this.scenario) out.scenario = this.scenario;
    if (this.scenarioStatus) out.scenarioStatus = this.scenarioStatus;
    return out;
  }

  /** Just the part of stats() that the Snapshot schema carries. */
  snapshotStats(): NonNullable<Snapshot['workload']> {
    const w: NonNullable<Snapshot['workload']> = { writesPerSecond: this.o.writesPerSecond, kubelets: this.kubelets.length, informers: this.informers.length };
    if (this.scenario) w.scenario = this.scenario;
    if (this.scenarioStatus) w.scenarioStatus = this.scenarioStatus;
    return w;
  }

  private reconcile(): void {
    const watchTimeoutSeconds = this.extras.watchTimeoutSeconds;
    while (this.kubelets.length < this.o.kubelets) {
      const node = nodeName(this.kubelets.length + 1);
      const r = new Reflector(this.transport, {
        name: `kubelet/${node}`,
        userAgent: `kubelet/${node} (watchscope-demo)`,
        path: podsPath(),
        fieldSelector: `spec.nodeName=${node}`,
        allowWatchBookmarks: true,
        ...(watchTimeoutSeconds ? { watchTimeoutSeconds } : {}),
      });
      this.kubelets.push(r);
      r.start();
    }
    while (this.kubelets.length > this.o.kubelets) this.retire(this.kubelets.pop()!);
    while (this.informers.length < this.o.informers) {
      const i = this.informers.length + 1;
      const r = new Reflector(this.transport, {
        name: `informer-${i}/pods`,
        userAgent: `informer-${i}/pods (watchscope-demo)`,
        path: podsPath(),
        allowWatchBookmarks: true,
        ...(watchTimeoutSeconds ? { watchTimeoutSeconds } : {}),
      });
      this.informers.push(r);
      r.start();
    }
    while (this.informers.length > this.o.informers) this.retire(this.informers.pop()!);
    if (this.o.slowReader && !this.slow) {
      this.slow = new SlowReader(this.transport, { path: podsPath(), ...(this.extras.slowReaderHoldMs ? { holdMs: this.extras.slowReaderHoldMs } : {}) });
      this.slow.start();
    } else if (!this.o.slowReader && this.slow) {
      const s = this.slow;
      this.slow = undefined;
      this.track(s.stop());
    }
  }

  private retire(r: Reflector): void {
    this.track(r.stop());
  }

  private track(p: Promise<void>): void {
    this.stopping.add(p);
    void p.finally(() => this.stopping.delete(p));
  }
}

function sanitize(o: WorkloadOptions): WorkloadOptions {
  return {
    writesPerSecond: Math.max(0, Math.min(WORKLOAD_LIMITS.writesPerSecond, Number(o.writesPerSecond) || 0)),
    kubelets: clamp(o.kubelets, WORKLOAD_LIMITS.kubelets),
    informers: clamp(o.informers, WORKLOAD_LIMITS.informers),
    namespaces: Math.max(1, clamp(o.namespaces, WORKLOAD_LIMITS.namespaces)),
    slowReader: !!o.slowReader,
    paginatedListEverySec: Math.max(0, Number(o.paginatedListEverySec) || 0),
    consistentListEverySec: Math.max(0, Number(o.consistentListEverySec) || 0),
  };
}
