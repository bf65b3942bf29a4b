// The demo's writer: a controller that creates, updates and deletes Pods across a few namespaces
// at a rate that can change while it runs. Every write goes through the endpoint (writes always
// go to etcd upstream), and each becomes one event for every watcher whose selectors match.
import { sleep } from './backoff.js';
import { APPS, namespaceName, namespaceObject, nodeName, podObject, podPath, podsPath } from './pods.js';
import { statusOf, type Transport } from './transport.js';

export interface PodControllerOptions {
  writesPerSecond: number;
  namespaces: number;
  /** Pods are spread over node-1..node-N (the simulated kubelets watch one node each). */
  nodes: number;
  /** Live pods kept at most; the mix of creates and deletes steers towards about half of it. */
  maxPods: number;
  /** Extra bytes per object (heavier events fill buffers sooner). */
  padding: number;
  /** Writes in flight at most. */
  concurrency: number;
  /** Namespaces are <prefix>-1..<prefix>-N. */
  namespacePrefix: string;
}

export const DEFAULT_CONTROLLER_OPTIONS: PodControllerOptions = {
  writesPerSecond: 20, namespaces: 3, nodes: 3, maxPods: 300, padding: 0, concurrency: 64, namespacePrefix: 'demo',
};

export interface PodControllerStats {
  creates: number;
  updates: number;
  deletes: number;
  conflicts: number;
  errors: number;
  inFlight: number;
  pods: number;
  /** Highest resourceVersion a write answered with. */
  lastWriteResourceVersion: number;
  lastError?: string;
}

interface Pod {
  namespace: string;
  name: string;
  node: string;
  app: string;
  generation: number;
  resourceVersion: string;
}

export type WriteOp = 'create' | 'update' | 'delete';

export class PodController {
  private o: PodControllerOptions;
  private readonly pods = new Map<string, Pod>();
  private readonly keys: string[] = [];
  private readonly pos = new Map<string, number>();
  private readonly busy = new Set<string>();
  private readonly namespacesReady = new Set<string>();
  private readonly inFlightOps = new Set<Promise<void>>();
  private readonly ctl = new AbortController();
  private loop: Promise<void> | undefined;
  private seq = 0;
  private readonly runId = Math.random().toString(36).slice(2, 7);
  private readonly s: PodControllerStats = { creates: 0, updates: 0, deletes: 0, conflicts: 0, errors: 0, inFlight: 0, pods: 0, lastWriteResourceVersion: 0 };

  constructor(
    private readonly transport: Transport,
    opts: Partial<PodControllerOptions> = {},
    readonly userAgent = 'watchscope-demo/controller',
  ) {
    this.o = { ...DEFAULT_CONTROLLER_OPTIONS, ...opts };
  }

  set(opts: Partial<PodControllerOptions>): void {
    this.o = { ...this.o, ...opts };
  }

  get options(): PodControllerOptions {
    return { ...this.o };
  }

  stats(): PodControllerStats {
    return { ...this.s, inFlight: this.inFlightOps.size, pods: this.pods.size };
  }

  /** Namespace/name of every pod this controller believes exists. */
  podKeys(): string[] {
    return [...this.keys];
  }

  start(): void {
    if (!this.loop) this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.ctl.abort();
    await this.loop;
    await Promise.allSettled([...this.inFlightOps]);
  }

  /** Paces writes with a token bucket ticking every 50 ms; the rate is re-read on every tick. */
  private async run(): Promise<void> {
    let credit = 0;
    let last = performance.now();
    while (!this.ctl.signal.aborted) {
      if (!(await sleep(50, this.ctl.signal))) break;
      const now = performance.now();
      const rate = Math.max(0, this.o.writesPerSecond);
      // Cap the credit so a stall (GC, etcd outage) does not turn into a burst afterwards.
      credit = Math.min(credit + (rate * (now - last)) / 1000, Math.max(1, rate / 2));
      last = now;
      while (credit >= 1 && this.inFlightOps.size < this.o.concurrency) {
        credit--;
        this.track(this.writeOnce(this.chooseOp()));
      }
    }
  }

  /** `n` writes as fast as `concurrency` allows (an event storm); resolves when all are answered. */
  async burst(n: number, op?: WriteOp, concurrency = this.o.concurrency): Promise<void> {
    let left = n;
    const worker = async () => {
      while (left > 0 && !this.ctl.signal.aborted && !this.transport.isClosed) {
        left--;
        await this.writeOnce(op ?? this.chooseOp());
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  }

  /** Deletes every pod this controller created (best effort). */
  async deleteAll(concurrency = this.o.concurrency): Promise<void> {
    const worker = async () => {
      while (this.keys.length > 0 && !this.transport.isClosed) {
        const before = this.keys.length;
        await this.writeOnce('delete');
        if (this.keys.length === before) break;
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  }

  private track(p: Promise<void>): void {
    this.inFlightOps.add(p);
    void p.finally(() => this.inFlightOps.delete(p));
  }

  private chooseOp(): WriteOp {
    const n = this.pods.size;
    const target = this.o.maxPods / 2;
    if (n < Math.min(10, this.o.maxPods) || (n < target && Math.random() < 0.5)) return 'create';
    if (n >= this.o.maxPods) return Math.random() < 0.5 ? 'delete' : 'update';
    const r = Math.random();
    return r < 0.6 ? 'update' : r < 0.8 ? 'create' : 'delete';
  }

  async writeOnce(op: WriteOp): Promise<void> {
    try {
      if (op !== 'create') {
        const key = this.pickIdle();
        if (key) return await (op === 'update' ? this.update(key) : this.remove(key));
      }
      await this.create();
    } catch (e) {
      if (this.transport.isClosed || this.ctl.signal.aborted) return;
      this.s.errors++;
      this.s.lastError = (e as Error).message;
    }
  }

  private pickIdle(): string | undefined {
    for (let tries = 0; tries < 4 && this.keys.length > 0; tries++) {
      const k = this.keys[Math.floor(Math.random() * this.keys.length)]!;
      if (!this.busy.has(k)) return k;
    }
    return undefined;
  }

  private noteRV(rv: string | undefined): void {
    const n = Number(rv);
    if (Number.isFinite(n) && n > this.s.lastWriteResourceVersion) this.s.lastWriteResourceVersion = n;
  }

  private async ensureNamespace(ns: string): Promise<void> {
    if (this.namespacesReady.has(ns)) return;
    const r = await this.transport.request({ method: 'POST', path: '/api/v1/namespaces', body: namespaceObject(ns), userAgent: this.userAgent });
    // 409: exists already; 404/405: this endpoint does not serve namespaces (pods are enough).
    if (r.status < 300 || [404, 405, 409].includes(r.status)) this.namespacesReady.add(ns);
  }

  private async create(): Promise<void> {
    const nsCount = Math.max(1, this.o.namespaces);
    const namespace = namespaceName(1 + (this.seq % nsCount), this.o.namespacePrefix);
    const app = APPS[this.seq % APPS.length]!;
    const name = `${app}-${this.runId}-${(this.seq++).toString(36)}`;
    const node = nodeName(1 + Math.floor(Math.random() * Math.max(1, this.o.nodes)));
    const key = `${namespace}/${name}`;
    this.busy.add(key);
    try {
      await this.ensureNamespace(namespace);
      const pod: Pod = { namespace, name, node, app, generation: 1, resourceVersion: '' };
      const r = await this.transport.request<{ metadata?: { resourceVersion?: string } }>({
        method: 'POST', path: podsPath(namespace), body: podObject({ ...pod, padding: this.o.padding }), userAgent: this.userAgent,
      });
      if (r.status === 201 || r.status === 200) {
        this.s.creates++;
        pod.resourceVersion = r.body.metadata?.resourceVersion ?? '';
        this.noteRV(pod.resourceVersion);
        this.add(key, pod);
      } else this.fail('create', r.status, r.body);
    } finally {
      this.busy.delete(key);
    }
  }

  private async update(key: string): Promise<void> {
    const pod = this.pods.get(key);
    if (!pod) return;
    this.busy.add(key);
    try {
      const next = { ...pod, generation: pod.generation + 1 };
      const r = await this.transport.request<{ metadata?: { resourceVersion?: string } }>({
        method: 'PUT', path: podPath(pod.namespace, pod.name),
        body: podObject({ ...next, padding: this.o.padding }, pod.resourceVersion || undefined), userAgent: this.userAgent,
      });
      if (r.status === 200) {
        this.s.updates++;
        pod.generation = next.generation;
        pod.resourceVersion = r.body.metadata?.resourceVersion ?? '';
        this.noteRV(pod.resourceVersion);
      } else if (r.status === 409) {
        // Optimistic concurrency (the update carried a stale resourceVersion): re-read, try later.
        this.s.conflicts++;
        const g = await this.transport.request<{ metadata?: { resourceVersion?: string } }>({ method: 'GET', path: podPath(pod.namespace, pod.name), userAgent: this.userAgent });
        if (g.status === 200) pod.resourceVersion = g.body.metadata?.resourceVersion ?? '';
        else if (g.status === 404) this.drop(key);
      } else if (r.status === 404) {
        this.drop(key);
      } else this.fail('update', r.status, r.body);
    } finally {
      this.busy.delete(key);
    }
  }

  // The demo runs no kubelet to finish a graceful deletion, so the controller deletes as a
  // kubelet's final delete does (gracePeriodSeconds=0): a bound pod still goes through the
  // MODIFIED (deletionTimestamp) and DELETED events, and does not stay terminating forever.
  private async remove(key: string): Promise<void> {
    const pod = this.pods.get(key);
    if (!pod) return;
    this.busy.add(key);
    try {
      const r = await this.transport.request<{ metadata?: { resourceVersion?: string } }>({ method: 'DELETE', path: `${podPath(pod.namespace, pod.name)}?gracePeriodSeconds=0`, userAgent: this.userAgent });
      if (r.status === 200 || r.status === 202 || r.status === 404) {
        if (r.status !== 404) {
          this.s.deletes++;
          this.noteRV(r.body.metadata?.resourceVersion);
        }
        this.drop(key);
      } else this.fail('delete', r.status, r.body);
    } finally {
      this.busy.delete(key);
    }
  }

  private fail(op: string, status: number, body: unknown): void {
    this.s.errors++;
    this.s.lastError = `${op} ${status}: ${statusOf(body)?.message ?? String(body).slice(0, 160)}`;
  }

  private add(key: string, pod: Pod): void {
    if (this.pods.has(key)) return;
    this.pods.set(key, pod);
    this.pos.set(key, this.keys.length);
    this.keys.push(key);
  }

  private drop(key: string): void {
    if (!this.pods.delete(key)) return;
    const i = this.pos.get(key)!;
    const lastKey = this.keys[this.keys.length - 1]!;
    this.keys[i] = lastKey;
    this.pos.set(lastKey, i);
    this.keys.pop();
    this.pos.delete(key);
  }
}
