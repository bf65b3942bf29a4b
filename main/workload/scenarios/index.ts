// Every preset, in the order the UI lists them.
import { bigList } from './big-list.js';
import { compaction } from './compaction.js';
import { consistentList } from './consistent-list.js';
import { etcdRestart } from './etcd-restart.js';
import { eventStorm } from './event-storm.js';
import { haTimeTravel } from './ha-time-travel.js';
import { paginatedList } from './paginated-list.js';
import { slowWatcher } from './slow-watcher.js';
import type { Scenario } from './types.js';

export const scenarios: readonly Scenario[] = [
  eventStorm, slowWatcher, paginatedList, consistentList, haTimeTravel, compaction, etcdRestart, bigList,
];

export function findScenario(name: string): Scenario | undefined {
  return scenarios.find((s) => s.name === name);
}

export type { Scenario, ScenarioContext, ScenarioReplica, ScenarioResult } from './types.js';
export { PROFILE_NEW, PROFILE_OLD } from './types.js';
