// The generic registry's delete rules (k8s.io/apiserver pkg/registry/rest/delete.go BeforeDelete,
// pkg/registry/generic/registry/store.go Delete / updateForGracefulDeletionAndFinalizers /
// markAsDeleting / deletionFinalizersForGarbageCollection / shouldDeleteDuringUpdate) and the pod
// strategy's graceful deletion (pkg/registry/core/pod/strategy.go CheckGracefulDelete). Pure:
// given the stored object and the DeleteOptions it says what the write must be and which rule
// decided, so the endpoint's decision can name it.
import type { KubeObject } from '../../object.js';
import type { ResourceInfo } from '../../resources.js';
import { StatusError, newConflict, newInvalid } from '../../errors.js';

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  propagationPolicy?: string;
  orphanDependents?: boolean;
}

/** DefaultTerminationGracePeriodSeconds: what pod defaulting stores when the spec sets none. */
export const DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS = 30;

const ORPHAN = 'orphan';
const FOREGROUND = 'foregroundDeletion';

/** Which resources have a graceful delete strategy (RESTGracefulDeleteStrategy). */
export const hasGracefulStrategy = (res: ResourceInfo): boolean => res.group === '' && res.resource === 'pods';

/** The registry returns the deleted object itself rather than a Status (ReturnDeletedObject). */
export const returnsDeletedObject = (res: ResourceInfo): boolean => res.group === '' && res.resource === 'pods';

/** Parses a DeleteOptions body; refuses what ValidateDeleteOptions refuses. */
export function parseDeleteOptions(body: unknown): DeleteOptions {
  if (body === null || body === undefined) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new StatusError(400, 'BadRequest', 'the body of the request was in an unknown format');
  const b = body as Record<string, unknown>;
  const o: DeleteOptions = {};
  if (typeof b.gracePeriodSeconds === 'number') o.gracePeriodSeconds = Math.trunc(b.gracePeriodSeconds);
  if (b.preconditions && typeof b.preconditions === 'object') o.preconditions = b.preconditions as DeleteOptions['preconditions'];
  if (typeof b.propagationPolicy === 'string') o.propagationPolicy = b.propagationPolicy;
  if (typeof b.orphanDependents === 'boolean') o.orphanDependents = b.orphanDependents;
  const errs: { field: string; message: string; type: string }[] = [];
  if (o.orphanDependents !== undefined && o.propagationPolicy !== undefined) {
    errs.push({ field: 'propagationPolicy', message: 'Invalid value: "' + o.propagationPolicy + '": orphanDependents and deletionPropagation cannot be both set', type: 'FieldValueInvalid' });
  }
  if (o.propagationPolicy !== undefined && !['Orphan', 'Background', 'Foreground'].includes(o.propagationPolicy)) {
    errs.push({ field: 'propagationPolicy', message: `Unsupported value: "${o.propagationPolicy}": supported values: "Foreground", "Background", "Orphan", "nil"`, type: 'FieldValueNotSupported' });
  }
  if (errs.length) throw newInvalid('DeleteOptions', '', errs, 'meta.k8s.io');
  return o;
}

export interface BeforeDeleteResult {
  /** The object must be updated (deletionTimestamp / grace period) rather than removed now. */
  graceful: boolean;
  /** A graceful deletion is already under way and this request does not shorten it. */
  pending: boolean;
  /** Which rule decided, in words, for the decision record. */
  rule: string;
}

const metaOf = (o: KubeObject) => o.metadata as KubeObject['metadata'] & {
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  finalizers?: string[];
};

const rfc3339 = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

/** The pod strategy's CheckGracefulDelete: the period it settles on, and why. */
function podGracePeriod(pod: KubeObject, opts: DeleteOptions): { period: number; why: string } {
  const spec = (pod.spec ?? {}) as { nodeName?: string; terminationGracePeriodSeconds?: number };
  const status = (pod.status ?? {}) as { phase?: string };
  if (!spec.nodeName) return { period: 0, why: 'the pod is not scheduled, so it is deleted at once (period 0)' };
  if (status.phase === 'Failed' || status.phase === 'Succeeded') return { period: 0, why: `the pod has terminated (${status.phase}), so period 0` };
  if (opts.gracePeriodSeconds !== undefined) return { period: opts.gracePeriodSeconds, why: `gracePeriodSeconds=${opts.gracePeriodSeconds} from the request` };
  const period = spec.terminationGracePeriodSeconds ?? DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS;
  return { period, why: `the pod's terminationGracePeriodSeconds (${period})` };
}

/**
 * BeforeDelete on `obj` (mutated in place, as upstream mutates the object it was given). `opts`
 * may be mutated too (gracePeriodSeconds settled by the strategy), as upstream does.
 */
export function beforeDelete(res: ResourceInfo, obj: KubeObject, opts: DeleteOptions, nowMs = Date.now()): BeforeDeleteResult {
  const m = metaOf(obj);
  const pre = opts.preconditions;
  if (pre?.uid !== undefined && pre.uid !== (m.uid ?? '')) {
    throw newConflict(res.group, res.kind, m.name, `the UID in the precondition (${pre.uid}) does not match the UID in record (${m.uid ?? ''}). The object might have been deleted and then recreated`);
  }
  if (pre?.resourceVersion !== undefined && pre.resourceVersion !== (m.resourceVersion ?? '')) {
    throw newConflict(res.group, res.kind, m.name, `the ResourceVersion in the precondition (${pre.resourceVersion}) does not match the ResourceVersion in record (${m.resourceVersion ?? ''}). The object might have been modified`);
  }
  // Negative periods mean "as short as possible": 1 s.
  if (opts.gracePeriodSeconds !== undefined && opts.gracePeriodSeconds < 0) opts.gracePeriodSeconds = 1;
  if (m.deletionGracePeriodSeconds !== undefined && m.deletionGracePeriodSeconds < 0) m.deletionGracePeriodSeconds = 1;

  if (!hasGracefulStrategy(res)) return { graceful: false, pending: false, rule: `generic registry: ${res.resource} have no graceful delete strategy` };

  if (m.deletionTimestamp !== undefined) {
    const cur = m.deletionGracePeriodSeconds;
    if (cur === undefined || cur === 0) return { graceful: false, pending: false, rule: 'BeforeDelete: already being deleted with grace period 0, so it is deleted now' };
    if (opts.gracePeriodSeconds !== undefined) {
      let period = opts.gracePeriodSeconds;
      if (period >= cur) return { graceful: false, pending: true, rule: `BeforeDelete: a graceful deletion (${cur}s) is pending and ${period}s does not shorten it` };
      let ts = Date.parse(m.deletionTimestamp) - cur * 1000 + period * 1000;
      if (ts < nowMs) {
        ts = nowMs;
        if (period !== 0) period = 1;
      }
      m.deletionTimestamp = rfc3339(ts);
      m.deletionGracePeriodSeconds = period;
      return { graceful: true, pending: false, rule: `BeforeDelete: the pending graceful deletion is shortened from ${cur}s to ${period}s` };
    }
    opts.gracePeriodSeconds = cur;
    return { graceful: false, pending: true, rule: `BeforeDelete: a graceful deletion (${cur}s) is pending` };
  }

  const { period, why } = podGracePeriod(obj, opts);
  opts.gracePeriodSeconds = period;
  m.deletionTimestamp = rfc3339(nowMs + period * 1000);
  m.deletionGracePeriodSeconds = period;
  if (typeof m.generation === 'number' && m.generation > 0) m.generation += 1;
  return { graceful: true, pending: false, rule: `pod strategy CheckGracefulDelete: ${why}; deletionTimestamp and deletionGracePeriodSeconds are set first` };
}

/** deletionFinalizersForGarbageCollection: the finalizers after this request, and whether they changed. */
export function finalizersForGarbageCollection(obj: KubeObject, opts: DeleteOptions): { changed: boolean; finalizers: string[] } {
  const current = metaOf(obj).finalizers ?? [];
  let orphan: boolean;
  let foreground: boolean;
  if (opts.orphanDependents !== undefined) {
    orphan = opts.orphanDependents;
    foreground = false;
  } else if (opts.propagationPolicy !== undefined) {
    orphan = opts.propagationPolicy === 'Orphan';
    foreground = opts.propagationPolicy === 'Foreground';
  } else {
    orphan = current.includes(ORPHAN) && !current.includes(FOREGROUND) ? true : false;
    foreground = !orphan && current.includes(FOREGROUND);
  }
  const next = current.filter((f) => f !== ORPHAN && f !== FOREGROUND);
  if (orphan) next.push(ORPHAN);
  if (foreground) next.push(FOREGROUND);
  const same = next.length === current.length && next.every((f) => current.includes(f));
  return same ? { changed: false, finalizers: current } : { changed: true, finalizers: next };
}

/** markAsDeleting: an object kept by finalizers gets a deletionTimestamp (not later than now) and grace 0. */
export function markAsDeleting(obj: KubeObject, nowMs = Date.now()): void {
  const m = metaOf(obj);
  if (m.deletionTimestamp === undefined && typeof m.generation === 'number' && m.generation > 0) m.generation += 1;
  if (m.deletionTimestamp === undefined || Date.parse(m.deletionTimestamp) > nowMs) m.deletionTimestamp = rfc3339(nowMs);
  m.deletionGracePeriodSeconds = 0;
}

/** shouldDeleteDuringUpdate: an update that empties the finalizers of an object being deleted with grace 0 deletes it. */
export function shouldDeleteDuringUpdate(next: KubeObject, existing: KubeObject): boolean {
  if ((metaOf(next).finalizers ?? []).length > 0) return false;
  const old = metaOf(existing);
  if (old.deletionTimestamp === undefined) return false;
  return old.deletionGracePeriodSeconds === undefined || old.deletionGracePeriodSeconds === 0;
}
