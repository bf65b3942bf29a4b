// A session's time-travel checks: one at a time, on demand or periodically (bounded by a count),
// the last few results kept for the UI to read. Each check asks the cluster (kube mode) or the
// endpoint afresh; nothing is sent per event.
import type { TimeTravelRequest } from '../../../shared/ipc.js';
import { TIME_TRAVEL_KEPT_RESULTS, type TimeTravelResult, type TimeTravelState } from '../../../shared/time-travel.js';
import type { KubeClient } from '../../storage/kube/client.js';
import { timeTravelCheck } from './check.js';

export interface TimeTravelTargets {
  /** kube mode: the context's own client. */
  cluster?: KubeClient;
  endpoint: KubeClient;
}

type Periodic = NonNullable<TimeTravelState['periodic']> & { timer?: ReturnType<typeof setTimeout> };

export class TimeTravelRunner {
  private results: TimeTravelResult[] = [];
  private periodic: Periodic | undefined;
  private lastError: string | undefined;
  private running: Promise<TimeTravelResult> | undefined;

  /** `targets` answers undefined when the session is not connected. */
  constructor(private readonly targets: () => TimeTravelTargets | undefined) {}

  async handle(req: TimeTravelRequest): Promise<TimeTravelState> {
    switch (req.action) {
      case 'status':
        return this.state();
      case 'stop':
        this.stop();
        return this.state();
      case 'check':
        await this.runOnce(req.resource, req.attempts, req.target);
        return this.state();
      case 'periodic': {
        this.stop();
        this.client(req.target); // refuse an unavailable target now, not at the first tick
        this.lastError = undefined;
        this.periodic = { resource: req.resource, target: req.target, attempts: req.attempts, everySeconds: req.everySeconds, times: req.times, done: 0, nextAt: Date.now() };
        this.tick(this.periodic);
        return this.state();
      }
    }
  }

  /** Stops a periodic run (the check under way, if any, finishes). */
  stop(): void {
    if (this.periodic?.timer) clearTimeout(this.periodic.timer);
    this.periodic = undefined;
  }

  /** A new connection: the old one's results no longer describe anything. */
  reset(): void {
    this.stop();
    this.results = [];
    this.lastError = undefined;
  }

  state(): TimeTravelState {
    const p = this.periodic;
    return {
      ...(p ? { periodic: { resource: p.resource, target: p.target, attempts: p.attempts, everySeconds: p.everySeconds, times: p.times, done: p.done, ...(p.nextAt ? { nextAt: p.nextAt } : {}) } } : {}),
      results: this.results,
      ...(this.lastError ? { lastError: this.lastError } : {}),
    };
  }

  private client(target: 'cluster' | 'endpoint'): KubeClient {
    const t = this.targets();
    if (!t) throw new Error('Not connected: connect to a cluster, etcd or the demo first.');
    if (target === 'endpoint') return t.endpoint;
    if (!t.cluster) throw new Error("Only a cluster connection (kube mode) has a cluster to ask; in etcd mode and the demo, check watchscope's own endpoint.");
    return t.cluster;
  }

  private async runOnce(resource: string, attempts: number, target: 'cluster' | 'endpoint'): Promise<TimeTravelResult> {
    if (this.running) throw new Error('A time-travel check is under way; wait for it to finish.');
    const client = this.client(target);
    this.running = timeTravelCheck({ client, resource, attempts, target });
    try {
      const r = await this.running;
      this.results = [r, ...this.results].slice(0, TIME_TRAVEL_KEPT_RESULTS);
      return r;
    } finally {
      this.running = undefined;
    }
  }

  private tick(p: Periodic): void {
    p.timer = setTimeout(
      () => {
        if (this.periodic !== p) return;
        p.nextAt = undefined;
        this.runOnce(p.resource, p.attempts, p.target as 'cluster' | 'endpoint')
          .then(() => {
            if (this.periodic === p) this.lastError = undefined;
          })
          .catch((e: unknown) => {
            if (this.periodic === p) this.lastError = e instanceof Error ? e.message : String(e);
          })
          .finally(() => {
            if (this.periodic !== p) return;
            p.done++;
            if (p.done >= p.times) {
              this.periodic = undefined;
              return;
            }
            p.nextAt = Date.now() + p.everySeconds * 1000;
            this.tick(p);
          });
      },
      Math.max(0, (p.nextAt ?? Date.now()) - Date.now()),
    );
  }
}
