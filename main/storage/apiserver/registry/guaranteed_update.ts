// Writes that start from the watch cache's copy, as upstream's CacheDelegator does: Delete and
// GuaranteedUpdate take the object from watchCache.GetByKey and hand it to the etcd3 store as
// cachedExistingObject; the store only reads etcd again when that copy proves stale (the
// compare on the mod revision fails, or a check made against it fails). Each write reports where
// it started and whether it had to re-read, for the request's decision.
import type { KubeObject, StoredObject } from '../../object.js';
import { isStatusError, newConflict as conflict } from '../../errors.js';
import { encodeJSON } from '../../etcd/codec.js';
import type { Preconditions, ResourceBackend } from '../backend.js';

/** Where a write's starting state came from, and what it took. */
export interface WriteOrigin {
  /** 'cache': the watch cache's copy; 'etcd': the cache had none (or no cache), so etcd was read. */
  from: 'cache' | 'etcd';
  /** Re-reads of etcd after the starting state proved stale. */
  retries: number;
  /** The revision of the stale copy, when there was one. */
  staleResourceVersion?: number;
}

/** Returned by a tryUpdate to ask for the object's deletion instead (shouldDeleteDuringUpdate). */
export const DELETE_INSTEAD = Symbol('delete instead');

export type TryUpdate = (current: StoredObject) => KubeObject | typeof DELETE_INSTEAD;

export interface UpdateResult {
  /** The object written (or, unchanged, the current one; or the deleted one). */
  stored: StoredObject;
  /** Nothing was written: the update changed nothing (no new revision, no event). */
  unchanged: boolean;
  deleted: boolean;
  origin: WriteOrigin;
}

const MAX_RETRIES = 10;

async function startingState(be: ResourceBackend, ns: string | undefined, name: string): Promise<{ state: StoredObject; origin: WriteOrigin; current: boolean }> {
  const cached = be.cacher ? (await be.cacher.get(ns, name, 0)).item : undefined;
  if (cached) return { state: cached, origin: { from: 'cache', retries: 0 }, current: false };
  return { state: await be.store.get(ns, name, { resourceVersion: '' }), origin: { from: 'etcd', retries: 0 }, current: true };
}

const isConflict = (e: unknown) => isStatusError(e) && e.code === 409;

/**
 * GuaranteedUpdate: applies `tryUpdate` to the cached copy and writes with a compare on its mod
 * revision; on a failed compare (or an error from tryUpdate while the state is not known to be
 * current) re-reads etcd and tries again.
 */
export async function guaranteedUpdate(be: ResourceBackend, ns: string | undefined, name: string, tryUpdate: TryUpdate, preconditions?: Preconditions): Promise<UpdateResult> {
  const start = await startingState(be, ns, name);
  let { state, current } = start;
  const origin = start.origin;
  const refresh = async () => {
    origin.staleResourceVersion ??= state.resourceVersion;
    origin.retries++;
    if (origin.retries > MAX_RETRIES) throw new Error('too many retries');
    state = await be.store.get(ns, name, { resourceVersion: '' });
    current = true;
  };
  for (;;) {
    let next: KubeObject | typeof DELETE_INSTEAD;
    try {
      checkPreconditions(be, name, state, preconditions);
      next = tryUpdate(state);
    } catch (e) {
      if (!current) {
        await refresh();
        continue;
      }
      throw e;
    }
    if (next === DELETE_INSTEAD) {
      try {
        const deleted = await be.store.delete(ns, name, undefined, state.resourceVersion);
        return { stored: deleted, unchanged: false, deleted: true, origin };
      } catch (e) {
        if (isConflict(e)) {
          await refresh();
          continue;
        }
        throw e;
      }
    }
    // An update that changes nothing writes nothing; a stale copy must be confirmed first.
    if (encodeJSON(next).equals(encodeJSON(state.object))) {
      if (!current) {
        await refresh();
        continue;
      }
      return { stored: state, unchanged: true, deleted: false, origin };
    }
    try {
      const stored = await be.store.update(ns, name, next, state.resourceVersion);
      return { stored, unchanged: false, deleted: false, origin };
    } catch (e) {
      if (isConflict(e)) {
        await refresh();
        continue;
      }
      throw e;
    }
  }
}

/** storage.Preconditions.Check against the state in hand. */
function checkPreconditions(be: ResourceBackend, name: string, state: StoredObject, p: Preconditions | undefined): void {
  if (!p) return;
  const { group, resource } = be.info;
  if (p.uid !== undefined && p.uid !== (state.object.metadata.uid ?? '')) {
    throw conflict(group, resource, name, `Precondition failed: UID in precondition: ${p.uid}, UID in object meta: ${state.object.metadata.uid ?? ''}`);
  }
  if (p.resourceVersion !== undefined && p.resourceVersion !== String(state.resourceVersion)) {
    throw conflict(group, resource, name, `Precondition failed: ResourceVersion in precondition: ${p.resourceVersion}, ResourceVersion in object meta: ${state.resourceVersion}`);
  }
}

/**
 * Storage Delete from the cached copy (etcd3 store conditionalDelete with cachedExistingObject):
 * preconditions are checked against the copy in hand and the delete compares its mod revision.
 */
export async function deleteFromCachedState(be: ResourceBackend, ns: string | undefined, name: string, preconditions: Preconditions | undefined): Promise<{ deleted: StoredObject; origin: WriteOrigin }> {
  const start = await startingState(be, ns, name);
  let { state, current } = start;
  const origin = start.origin;
  for (;;) {
    try {
      checkPreconditions(be, name, state, preconditions);
      return { deleted: await be.store.delete(ns, name, undefined, state.resourceVersion), origin };
    } catch (e) {
      if (!isConflict(e)) throw e;
      if (current && !isCompareFailure(e)) throw e;
      origin.staleResourceVersion ??= state.resourceVersion;
      origin.retries++;
      if (origin.retries > MAX_RETRIES) throw e;
      state = await be.store.get(ns, name, { resourceVersion: '' });
      current = true;
    }
  }
}

const isCompareFailure = (e: unknown) => isStatusError(e) && e.code === 409 && !e.message.includes('Precondition failed');

/** One sentence for the decision: where the write started and what it took. */
export function describeOrigin(o: WriteOrigin): string {
  if (o.from === 'etcd') {
    return o.retries ? `The cache had no copy, so etcd was read; the write was retried ${o.retries} time(s) after conflicting writes.` : 'The cache had no copy of the object, so etcd was read first.';
  }
  if (!o.retries) return "Started from the watch cache's copy, which was current: etcd's compare on the mod revision succeeded at once.";
  return `The watch cache's copy (RV ${o.staleResourceVersion}) was stale: etcd's compare on the mod revision (or a check made on that copy) failed, so etcd was read again and the write retried (${o.retries} re-read${o.retries > 1 ? 's' : ''}).`;
}
