// LIST: decided by the router, executed exactly as decided — from the watch cache (waiting for
// freshness, consistent reads fetching etcd's revision first, snapshots for exact/continue
// reads) or from etcd — and encoded as a List or a meta.k8s.io Table, streamed in chunks.
import type { ResourceRequestContext } from '../context.js';
import { decide, type ReasonCode, type RoutingDecision } from '../../routing/decide.js';
import type { CacheListOptions, CacheListResult } from '../../cacher/types.js';
import type { DelegateListResult } from '../backend.js';
import { isStatusError, isTooLargeResourceVersion, newTooManyRequests, type StatusError } from '../../errors.js';
import { prepareContinueToken } from '../../continue.js';
import { groupVersion } from '../../resources.js';
import { continueKeyFromToken, scopePrefix } from '../etcd-delegate.js';
import { streamList, writeJSONCounted } from '../respond.js';
import { parseIncludeObject, toTable, wantsTable } from '../table.js';
import { refusedPathKey } from './names.js';
import { cacherOf, routingRequest, selectorsOrReject, sendError, sendRejected, toClientObject, waitReadyOr503, type Selectors } from './common.js';

export interface ListAnswer {
  items: DelegateListResult['items'];
  resourceVersion: number;
  continue?: string;
  remainingItemCount?: number;
  servedBy: 'cache' | 'etcd';
  reason: ReasonCode;
  detail: string;
}

export async function handleList(ctx: ResourceRequestContext): Promise<void> {
  const res = ctx.resource;
  const sel = selectorsOrReject(ctx);
  if (!sel || refusedPathKey(ctx)) return;
  const d = decideList(ctx, sel);
  if (d.error) return sendRejected(ctx, d);

  let answer: ListAnswer;
  try {
    answer = await readList(ctx, d, sel);
  } catch (e) {
    sendError(ctx, e, { servedBy: d.servedBy, reason: d.reason, detail: d.detail });
    return;
  }

  const listMeta: Record<string, unknown> = { resourceVersion: String(answer.resourceVersion) };
  if (answer.continue) listMeta.continue = answer.continue;
  if (answer.remainingItemCount !== undefined) listMeta.remainingItemCount = answer.remainingItemCount;
  ctx.record({ servedBy: answer.servedBy, reason: answer.reason, detail: answer.detail, status: 200, resourceVersion: String(answer.resourceVersion) });

  // What was written is told after the fact (the Clients view's objects and bytes per client).
  let bytes = 0;
  try {
    const objects = answer.items.map((s) => toClientObject(res, s));
    if (wantsTable(ctx.req.headers.accept)) {
      bytes = writeJSONCounted(ctx.res, 200, toTable(res, objects, listMeta, parseIncludeObject(ctx.info.query.includeObject)));
      return;
    }
    bytes = await streamList(ctx.res, { kind: res.listKind, apiVersion: groupVersion(res), metadata: listMeta }, objects);
  } finally {
    ctx.endRecorded({ list: { objects: answer.items.length, bytes } });
  }
}

/** The router's decision for a LIST with `query` (the request's own, or a deletecollection's page). */
export function decideList(ctx: ResourceRequestContext, sel: Selectors, query: Record<string, string> = ctx.info.query): RoutingDecision {
  return decide(routingRequest(ctx, 'list', sel.pinnedName === undefined, query), ctx.backend.cacheState(), ctx.profile);
}

/** The LIST executed exactly as decided: from the watch cache or from etcd. */
export function readList(ctx: ResourceRequestContext, d: RoutingDecision, sel: Selectors, query: Record<string, string> = ctx.info.query): Promise<ListAnswer> {
  return d.servedBy === 'cache' ? listFromCache(ctx, d, sel, query) : listFromStorage(ctx, sel, d.reason, d.detail, query);
}

async function listFromCache(ctx: ResourceRequestContext, d: RoutingDecision, sel: Selectors, query: Record<string, string>): Promise<ListAnswer> {
  const backend = ctx.backend;
  const cacher = cacherOf(ctx);
  await waitReadyOr503(ctx, d);
  const opts: CacheListOptions = {
    labelSelector: sel.label,
    fieldSelector: sel.field,
    minResourceVersion: d.minResourceVersion ?? 0,
    requestProgress: d.requestProgress,
  };
  if (ctx.info.namespace) opts.namespace = ctx.info.namespace;
  if (sel.pinnedName !== undefined) opts.name = sel.pinnedName;
  if (d.snapshotResourceVersion !== undefined) opts.snapshotResourceVersion = d.snapshotResourceVersion;
  if (d.limit) opts.limit = d.limit;
  const ns = ctx.resource.namespaced ? ctx.info.namespace : undefined;
  if (d.continueToken && query.continue) {
    opts.continueKey = continueKeyFromToken(query.continue, backend.collectionKey, ns).continueKey;
  }
  let detail = d.detail;
  if (d.consistentRead) {
    // Consistent read from cache (KEP-2340): etcd's current revision first, then wait for it.
    const rev = await backend.store.currentRevision();
    opts.minResourceVersion = rev;
    detail += ` etcd was at revision ${rev}.`;
  }
  let r: CacheListResult;
  try {
    r = await cacher.list(opts);
  } catch (e) {
    if (isTooLargeResourceVersion(e) && d.consistentRead) {
      if (d.onTimeout === 'fallback') {
        return listFromStorage(ctx, sel, d.reason, `${detail} The cache did not catch up within 3s, so the list fell back to etcd.`, query);
      }
      // ConsistentListFromCacheSkipTimeoutFallback: the 504's own text, as a 429 with Retry-After 1.
      if (d.onTimeout === '429') throw newTooManyRequests((e as StatusError).message, 1);
    }
    // Snapshot no longer held (410 from the cache): etcd serves the exact revision (1.34+).
    if (isStatusError(e) && e.code === 410 && d.snapshotResourceVersion !== undefined) {
      return listFromStorage(ctx, sel, 'snapshotUnavailable', `${detail} The snapshot was gone by the time the cache looked, so etcd served it.`, query);
    }
    throw e;
  }
  if (r.waitedMs > 0) detail += ` Waited ${Math.round(r.waitedMs)}ms for the cache.`;
  if (r.index) detail += ` Used index ${r.index}.`;
  const a: ListAnswer = { items: r.items, resourceVersion: r.resourceVersion, servedBy: 'cache', reason: d.reason, detail };
  if (r.continueKey !== undefined) {
    // Pages served by the cache carry the RV the page was read at (cache RV or snapshot RV).
    const tokenRV = d.snapshotResourceVersion ?? (d.continueToken && d.continueToken.rv > 0 ? d.continueToken.rv : r.resourceVersion);
    // The cacher encodes against the request's key prefix without its trailing '/', so its
    // tokens' start begins with '/' (etcd-made tokens do not); both decode the same.
    a.continue = prepareContinueToken(backend.collectionKey + r.continueKey, scopePrefix(backend.collectionKey, ns).slice(0, -1), tokenRV);
  }
  if (r.remainingItemCount !== undefined) a.remainingItemCount = r.remainingItemCount;
  return a;
}

async function listFromStorage(ctx: ResourceRequestContext, sel: Selectors, reason: ReasonCode, detail: string, q: Record<string, string>): Promise<ListAnswer> {
  const r = await ctx.backend.store.getList({
    namespace: ctx.info.namespace,
    ...(sel.pinnedName !== undefined ? { name: sel.pinnedName } : {}),
    labelSelector: sel.label,
    fieldSelector: sel.field,
    resourceVersion: q.resourceVersion ?? '',
    resourceVersionMatch: q.resourceVersionMatch ?? '',
    limit: Math.max(0, Number(q.limit ?? 0) || 0),
    continue: q.continue ?? '',
  });
  const a: ListAnswer = { items: r.items, resourceVersion: r.resourceVersion, servedBy: 'etcd', reason, detail };
  if (r.continue) a.continue = r.continue;
  if (r.remainingItemCount !== undefined) a.remainingItemCount = r.remainingItemCount;
  return a;
}
