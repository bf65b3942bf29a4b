// DELETE of one object and of a collection (deletecollection), as the generic registry does them:
// one object follows BeforeDelete, graceful deletion and finalizers (../registry/delete.ts); a
// collection is LISTed in pages of 10,000 (routed like any LIST), each item is deleted as above with
// its own copy of the options (an item already gone is not an error), and the answer is the list as
// it was read (Store.DeleteCollection).
import type { ResourceRequestContext } from '../context.js';
import type { DecisionOutcome } from '../context.js';
import type { StoredObject } from '../../object.js';
import { isStatusError, StatusError } from '../../errors.js';
import { groupVersion, type ResourceInfo } from '../../resources.js';
import { successStatus, writeJSON, writeStatus } from '../respond.js';
import { readJSON } from './body.js';
import { refusedPathKey } from './names.js';
import { selectorsOrReject, sendRejected, toClientObject } from './common.js';
import { decideList, readList, type ListAnswer } from './list.js';
import { beforeStorage, checkKey, sendWriteError, writeDecision, writeOutcome } from './write.js';
import type { Preconditions } from '../backend.js';
import { beforeDelete, finalizersForGarbageCollection, markAsDeleting, parseDeleteOptions, returnsDeletedObject, type DeleteOptions } from '../registry/delete.js';
import { deleteFromCachedState, guaranteedUpdate, type UpdateResult } from '../registry/guaranteed_update.js';

/** Store.DeleteCollection's page size when the request sets no limit (deleteCollectionPageSize). */
const DELETE_COLLECTION_PAGE = 10_000;

/** DeleteOptions from the body and the query (the handler decodes both into one). */
async function readDeleteOptions(ctx: ResourceRequestContext): Promise<DeleteOptions> {
  const len = Number(ctx.req.headers['content-length'] ?? 0);
  const body = len > 0 || ctx.req.headers['transfer-encoding'] ? await readJSON(ctx.req) : undefined;
  const q = ctx.info.query;
  const merged: Record<string, unknown> = { ...((body as Record<string, unknown> | null) ?? {}) };
  if (q.gracePeriodSeconds !== undefined && merged.gracePeriodSeconds === undefined) merged.gracePeriodSeconds = Number(q.gracePeriodSeconds);
  if (q.propagationPolicy !== undefined && merged.propagationPolicy === undefined) merged.propagationPolicy = q.propagationPolicy;
  if (q.orphanDependents !== undefined && merged.orphanDependents === undefined) merged.orphanDependents = q.orphanDependents === 'true';
  return parseDeleteOptions(merged);
}

/** finalizeDelete: pods answer with the object itself, everything else with a Success Status. */
function deletedAnswer(res: ResourceInfo, name: string, obj: StoredObject): unknown {
  if (returnsDeletedObject(res)) return toClientObject(res, obj);
  return successStatus({ name, ...(res.group ? { group: res.group } : {}), kind: res.resource, ...(obj.object.metadata.uid ? { uid: obj.object.metadata.uid } : {}) });
}

const ALREADY_DELETING = new Error('already deleting');
const DELETE_NOW = new Error('delete now');

/** What one Store.Delete did: the answer to send and the decision to record. */
interface DeleteResult {
  status: number;
  body: unknown;
  outcome: DecisionOutcome;
  /** The key is gone (not merely marked for deletion). */
  deleted: boolean;
}

/** Store.Delete of one object with `opts` (the caller's own copy: the registry mutates it). */
async function deleteOne(ctx: ResourceRequestContext, ns: string | undefined, name: string, opts: DeleteOptions, reason: DecisionOutcome['reason']): Promise<DeleteResult> {
  const res = ctx.resource;
  const be = ctx.backend;
  const pre: Preconditions | undefined = opts.preconditions ? { ...opts.preconditions } : undefined;
  if (be.store.appliesRegistryRules) {
    // kube mode: the cluster's own registry applies graceful deletion and finalizers.
    const deleted = await be.store.delete(ns, name, pre);
    const outcome = { servedBy: 'etcd' as const, reason, detail: "Forwarded to the cluster's apiserver, whose registry applies graceful deletion and finalizers.", status: 200, resourceVersion: String(deleted.resourceVersion) };
    return { status: 200, body: deletedAnswer(res, name, deleted), outcome, deleted: true };
  }
  // Store.Delete reads the object from etcd first (a quorum Get), then applies BeforeDelete.
  const obj = await be.store.get(ns, name, { resourceVersion: '' });
  const first = beforeDelete(res, structuredClone(obj.object), { ...opts });
  let rule = first.rule;
  if (first.pending) {
    const outcome = { servedBy: 'etcd' as const, reason: 'writeToStorage' as const, detail: `Nothing written: ${rule}.`, status: 200, resourceVersion: String(obj.resourceVersion) };
    return { status: 200, body: deletedAnswer(res, name, obj), outcome, deleted: false };
  }
  const hasFinalizers = ((obj.object.metadata.finalizers as string[] | undefined) ?? []).length > 0;
  const gcChange = finalizersForGarbageCollection(obj.object, opts).changed;
  let steps = '';
  if (first.graceful || hasFinalizers || gcChange) {
    // updateForGracefulDeletionAndFinalizers: one GuaranteedUpdate that sets the deletion
    // fields (and GC finalizers); the object stays while it has finalizers or a grace period.
    let lastGrace = 0;
    let keptByFinalizers = false;
    let r: UpdateResult | undefined;
    try {
      r = await guaranteedUpdate(
        be,
        ns,
        name,
        (cur) => {
          const next = structuredClone(cur.object);
          const o = { ...opts };
          const b = beforeDelete(res, next, o);
          if (b.pending) throw ALREADY_DELETING;
          const gc = finalizersForGarbageCollection(next, o);
          if (gc.changed) next.metadata.finalizers = gc.finalizers;
          keptByFinalizers = ((next.metadata.finalizers as string[] | undefined) ?? []).length > 0;
          if (!b.graceful) {
            if (!keptByFinalizers) throw DELETE_NOW;
            markAsDeleting(next);
            rule = `the object has finalizers (${(next.metadata.finalizers as string[]).join(', ')}): markAsDeleting sets deletionTimestamp and grace period 0, and it stays until they are removed`;
          } else {
            rule = b.rule;
          }
          lastGrace = o.gracePeriodSeconds ?? 0;
          delete next.metadata.resourceVersion;
          return next;
        },
        pre,
      );
    } catch (e) {
      if (e === ALREADY_DELETING) {
        const outcome = { servedBy: 'etcd' as const, reason: 'writeToStorage' as const, detail: 'Nothing written: a graceful deletion is already pending.', status: 200, resourceVersion: String(obj.resourceVersion) };
        return { status: 200, body: deletedAnswer(res, name, obj), outcome, deleted: false };
      }
      if (e !== DELETE_NOW) throw e;
    }
    if (r) {
      const kept = keptByFinalizers || lastGrace > 0;
      const o = writeOutcome(r.origin);
      if (kept) {
        const why = keptByFinalizers && first.graceful ? `${rule}; it also has finalizers, so it stays until they are removed` : rule;
        const outcome = { servedBy: 'etcd' as const, reason: o.reason, detail: `Registry rule: ${why}. ${o.detail}`, status: 200, resourceVersion: String(r.stored.resourceVersion) };
        // Not deleted yet: the answer is the object as updated (202 only for orphanDependents=false).
        return { status: opts.orphanDependents === false ? 202 : 200, body: toClientObject(res, r.stored), outcome, deleted: false };
      }
      steps = `First an update set deletionTimestamp and deletionGracePeriodSeconds=0 (RV ${r.stored.resourceVersion}; ${o.detail}) `;
      if (pre?.resourceVersion !== undefined) pre.resourceVersion = String(r.stored.resourceVersion);
    }
  }
  const { deleted, origin } = await deleteFromCachedState(be, ns, name, pre);
  const o = writeOutcome(origin);
  const outcome = {
    servedBy: 'etcd' as const,
    reason: o.reason,
    detail: `Registry rule: ${rule}. ${steps ? `${steps}then the key was deleted: ` : ''}${o.detail}`,
    status: 200,
    resourceVersion: String(deleted.resourceVersion),
  };
  return { status: 200, body: deletedAnswer(res, name, deleted), outcome, deleted: true };
}

export async function handleDelete(ctx: ResourceRequestContext): Promise<void> {
  const d = writeDecision(ctx, 'delete');
  if (d.servedBy === 'rejected') return sendRejected(ctx, d);
  const ns = ctx.resource.namespaced ? ctx.info.namespace : undefined;
  try {
    const opts = await beforeStorage(async () => {
      const o = await readDeleteOptions(ctx);
      checkKey(ctx);
      return o;
    });
    const r = await deleteOne(ctx, ns, ctx.info.name!, opts, d.reason);
    ctx.record(r.outcome);
    writeJSON(ctx.res, r.status, r.body);
  } catch (e) {
    sendWriteError(ctx, e, d);
  }
}

const isNotFound = (e: unknown) => isStatusError(e) && e.code === 404;

export async function handleDeleteCollection(ctx: ResourceRequestContext): Promise<void> {
  const res = ctx.resource;
  // kube-apiserver installs deletecollection on a namespaced resource's namespaced path only.
  if (res.namespaced && !ctx.info.namespace) {
    ctx.record({ servedBy: 'rejected', reason: 'methodNotAllowed', detail: 'DELETE of a namespaced collection needs a namespace in the path.', status: 405 });
    return writeStatus(ctx.res, new StatusError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource'));
  }
  const d = writeDecision(ctx, 'delete');
  if (d.servedBy === 'rejected') return sendRejected(ctx, d);
  const sel = selectorsOrReject(ctx);
  if (!sel || refusedPathKey(ctx)) return;
  const ns = res.namespaced ? ctx.info.namespace : undefined;
  try {
    const opts = await beforeStorage(() => readDeleteOptions(ctx));
    // The LIST half, page by page, each routed as a LIST with that page's query.
    const hasLimit = Number(ctx.info.query.limit ?? 0) > 0;
    let query: Record<string, string> = { ...ctx.info.query, ...(hasLimit ? {} : { limit: String(DELETE_COLLECTION_PAGE) }) };
    const items: StoredObject[] = [];
    const reads: string[] = [];
    let first: ListAnswer | undefined;
    for (;;) {
      const ld = decideList(ctx, sel, query);
      if (ld.error) return sendRejected(ctx, ld);
      const page = await readList(ctx, ld, sel, query);
      first ??= page;
      items.push(...page.items);
      reads.push(`${page.items.length} from ${page.servedBy === 'cache' ? 'the watch cache' : 'etcd'} (${page.reason})`);
      if (hasLimit || !page.continue) break;
      query = { ...query, continue: page.continue };
      delete query.resourceVersion;
      delete query.resourceVersionMatch;
    }
    // The DELETE half: each item as Store.Delete does it, with its own copy of the options.
    let deleted = 0;
    let kept = 0;
    let gone = 0;
    for (const it of items) {
      const name = it.object.metadata.name;
      try {
        const r = await deleteOne(ctx, ns, name, structuredClone(opts), d.reason);
        if (r.deleted) deleted++;
        else kept++;
      } catch (e) {
        if (!isNotFound(e)) throw e;
        gone++;
      }
    }
    const listMeta: Record<string, unknown> = { resourceVersion: String(first!.resourceVersion) };
    if (first!.continue) listMeta.continue = first!.continue;
    const tally = [`${deleted} deleted`, ...(kept ? [`${kept} marked for deletion (finalizers or a grace period)`] : []), ...(gone ? [`${gone} already gone`] : [])].join(', ');
    ctx.record({
      servedBy: 'etcd',
      reason: d.reason,
      detail: `deletecollection: listed ${reads.join(', then ')}; then each item deleted in etcd as Store.Delete does: ${tally}.`,
      status: 200,
      resourceVersion: String(first!.resourceVersion),
    });
    // Store.DeleteCollection answers with the list as read, before the deletes.
    writeJSON(ctx.res, 200, { kind: res.listKind, apiVersion: groupVersion(res), metadata: listMeta, items: items.map((s) => toClientObject(res, s)) });
  } catch (e) {
    sendWriteError(ctx, e, d);
  }
}
