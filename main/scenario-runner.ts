// Runs the demo's scenario presets (main/workload/scenarios) one at a time against the live demo:
// builds the context a scenario acts through (the endpoint, the demo's etcd, compaction, the
// profile, the HA replica when it needs one) and reports its progress on the workload's status.
import type { CacherView } from './storage/cacher/types.js';
import type { Profile } from './storage/routing/index.js';
import { scenarios, findScenario, type ScenarioContext, type ScenarioResult } from './workload/scenarios/index.js';
import { openReplica, replicaHandle } from './ha-replica.js';
import { endpointConnection, type EtcdStack, type Live } from './live.js';

export interface ScenarioHost {
  live(): Live | undefined;
  profile(): Profile;
  /** A scenario may switch the session's profile (by name; the user's gate overrides stay). */
  setProfile(name: string): void;
}

export class ScenarioRunner {
  private running: Promise<ScenarioResult> | undefined;
  private replica: EtcdStack | undefined;

  constructor(private readonly host: ScenarioHost) {}

  async run(name: string, opts: { scale?: number } = {}): Promise<ScenarioResult> {
    const live = this.host.live();
    const sc = findScenario(name);
    if (!sc) throw new Error(`unknown scenario "${name}" (known: ${scenarios.map((s) => s.name).join(', ')})`);
    if (!live?.etcd || !live.stack || !live.workload) throw new Error('Scenarios run in the demo: connect to "Demo" first.');
    if (this.running) throw new Error('A scenario is already running; wait for it to finish.');
    const workload = live.workload;
    const stack = live.stack;
    workload.scenario = sc.name;
    workload.scenarioStatus = 'starting';
    const ctx: ScenarioContext = {
      connection: endpointConnection(live.server),
      etcd: live.etcd,
      compact: async (revision) => {
        const rev = revision ?? (await stack.source.currentRevision('/'));
        await stack.source.client.compact(rev, true);
        return rev;
      },
      currentRevision: () => stack.source.currentRevision('/'),
      decisions: live.decisions,
      caches: () => live.caches(),
      setProfile: (n) => this.host.setProfile(n),
      profile: () => this.host.profile().name,
      source: () => {
        const i = live.sourceInfo();
        return { version: i.version, supportsRequestWatchProgress: i.supportsRequestWatchProgress };
      },
      report: (s) => {
        workload.scenarioStatus = s;
      },
      ...(opts.scale ? { scale: opts.scale } : {}),
    };
    if (sc.needsReplica) {
      this.replica ??= await openReplica(live, stack, () => this.host.profile());
      ctx.replica = replicaHandle(this.replica);
    }
    const run = sc.run(ctx);
    this.running = run;
    try {
      const r = await run;
      workload.scenarioStatus = `${r.ok ? 'done' : 'did not show its signature'}: ${r.summary}`;
      return r;
    } catch (e) {
      workload.scenarioStatus = `failed: ${e instanceof Error ? e.message : String(e)}`;
      throw e;
    } finally {
      this.running = undefined;
    }
  }

  /** The HA replica's caches, shown beside the demo's own. */
  replicaCaches(): CacherView[] {
    return this.replica ? [...this.replica.backend.cachers.values()] : [];
  }

  /** Closes the HA replica (on disconnect). */
  async close(): Promise<void> {
    const replica = this.replica;
    this.replica = undefined;
    await replica?.close().catch(() => undefined);
  }
}
