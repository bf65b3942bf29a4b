// The HA demo's second apiserver: another cacher set on the demo's etcd connection behind an
// endpoint of its own, whose source can be delayed so it trails the first (the stale-read-across-
// replicas story). Its decisions go to the same log, tagged with the replica's name.
import type { Profile } from './storage/routing/index.js';
import { qualifiedResource } from './storage/resources.js';
import type { ScenarioContext } from './workload/scenarios/index.js';
import { openEtcdStack } from './etcd-mode.js';
import { endpointConnection, type EtcdStack, type Live } from './live.js';

export const REPLICA_NAME = 'replica-b';

/** Opens the replica beside the demo's stack (`primary`) and waits until its caches are ready. */
export async function openReplica(live: Live, primary: EtcdStack, profile: () => Profile): Promise<EtcdStack> {
  const replica = await openEtcdStack({
    etcd: { endpoints: [] },
    source: primary.source,
    resources: live.backend.resources().map(qualifiedResource),
    profile,
    decisions: live.decisions,
    replica: REPLICA_NAME,
  });
  try {
    await replica.backend.waitReady();
  } catch (e) {
    await replica.close().catch(() => undefined);
    throw e;
  }
  return replica;
}

/** What a scenario may do with the replica. */
export function replicaHandle(replica: EtcdStack): NonNullable<ScenarioContext['replica']> {
  return {
    name: REPLICA_NAME,
    connection: endpointConnection(replica.server),
    setDelay: (ms) => replica.delayed.setDelay(ms),
  };
}
