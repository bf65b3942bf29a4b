// Whether a watch begins with the current state as synthetic ADDED events: the one copy of the
// rule, used by the router, the cacher and the etcd delegate's watch (upstream's
// areInitialEventsRequired in storage/etcd3/watcher.go, and getAllEventsSinceLocked in the
// cacher). When the client sent sendInitialEvents (KEP-3157, watch-list) it decides. Without it,
// resourceVersion 0 (or none, which the cache serves as 0) still replays the state first, for
// compatibility: upstream keeps that until a v2 API (kubernetes/kubernetes#13969). Any other RV
// only resumes after it.

/**
 * `sendInitialEvents` is the client's parameter as the request carries it after the WatchList
 * gate: undefined when it was not sent (or the gate is off).
 */
export function areInitialEventsRequired(resourceVersion: number, sendInitialEvents: boolean | undefined): boolean {
  return sendInitialEvents ?? resourceVersion === 0;
}

/**
 * The annotation on the bookmark that ends a watch-list's initial events (metav1's
 * InitialEventsAnnotationKey).
 */
export const initialEventsAnnotationKey = 'k8s.io/initial-events-end';
