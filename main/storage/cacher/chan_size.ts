// The cacheWatcher buffer-size heuristic (cacher.go, identical 1.25 → master; the divisor is the
// configurable events history window since 1.33). Input and result buffers get the same size.
// A watcher pinned to one trigger value (a kubelet's pods) sees a small share of events, so 10
// suffices; kubelets' watchers hitting it is what kubernetes/kubernetes#125123 reports.
export const minWatchChanSize = 10;
export const maxWatchChanSizeWithIndexAndTrigger = 10;
export const maxWatchChanSizeWithIndexWithoutTrigger = 1000;
export const maxWatchChanSizeWithoutIndex = 100;

export type CapacityRule = 'indexWithTrigger' | 'indexWithoutTrigger' | 'noIndex';

export function watchChanSize(historyCapacity: number, windowMs: number, hasIndexTrigger: boolean, triggerUsed: boolean): { size: number; rule: CapacityRule } {
  // Float division, as upstream divides by eventFreshDuration.Seconds().
  let size = Math.ceil(historyCapacity / Math.max(0.001, windowMs / 1000));
  size = Math.max(size, minWatchChanSize);
  if (hasIndexTrigger && triggerUsed) return { size: Math.min(size, maxWatchChanSizeWithIndexAndTrigger), rule: 'indexWithTrigger' };
  if (hasIndexTrigger) return { size: Math.min(size, maxWatchChanSizeWithIndexWithoutTrigger), rule: 'indexWithoutTrigger' };
  return { size: Math.min(size, maxWatchChanSizeWithoutIndex), rule: 'noIndex' };
}
