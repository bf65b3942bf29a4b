// GET of one object: RV "" is a quorum read from etcd; RV "0"/n are served by the watch cache
// (after waiting for n), per the router. A missing object is kube's NotFound Status.
import type { ResourceRequestContext } from '../context.js';
import { decide } from '../../routing/decide.js';
import { newNotFound } from '../../errors.js';
import type { StoredObject } from '../../object.js';
import { writeJSON } from '../respond.js';
import { parseIncludeObject, toTable, wantsTable } from '../table.js';
import { refusedPathKey } from './names.js';
import { cacherOf, routingRequest, sendError, sendRejected, toClientObject, waitReadyOr503 } from './common.js';

export async function handleGet(ctx: ResourceRequestContext): Promise<void> {
  const backend = ctx.backend;
  const res = ctx.resource;
  const name = ctx.info.name!;
  const ns = res.namespaced ? ctx.info.namespace : undefined;
  // The registry's key function runs before the storage parses resourceVersion.
  if (refusedPathKey(ctx)) return;
  const d = decide(routingRequest(ctx, 'get', false), backend.cacheState(), ctx.profile);
  if (d.error) return sendRejected(ctx, d);

  let stored: StoredObject;
  let detail = d.detail;
  try {
    if (d.servedBy === 'cache') {
      await waitReadyOr503(ctx, d);
      const r = await cacherOf(ctx).get(ns, name, d.minResourceVersion ?? 0, { requestProgress: d.requestProgress });
      if (r.waitedMs > 0) detail += ` Waited ${Math.round(r.waitedMs)}ms for the cache.`;
      if (!r.item) throw newNotFound(res.group, res.resource, name);
      stored = r.item;
    } else {
      stored = await backend.store.get(ns, name, { resourceVersion: ctx.info.query.resourceVersion ?? '' });
    }
  } catch (e) {
    sendError(ctx, e, { servedBy: d.servedBy, reason: d.reason, detail });
    return;
  }
  const obj = toClientObject(res, stored);
  ctx.record({ servedBy: d.servedBy, reason: d.reason, detail, status: 200, resourceVersion: String(stored.resourceVersion) });
  if (wantsTable(ctx.req.headers.accept)) {
    writeJSON(ctx.res, 200, toTable(res, [obj], { resourceVersion: String(stored.resourceVersion) }, parseIncludeObject(ctx.info.query.includeObject)));
    return;
  }
  writeJSON(ctx.res, 200, obj);
}
