// Pieces shared by the verb handlers: building the router's request, parsing selectors the way
// the registry does, and turning StoredObjects into what clients receive.
import type { KubeObject, StoredObject } from '../../object.js';
import type { RoutingRequest, RoutingVerb, RoutingDecision, ReasonCode, RejectedDecision, StorageErrorDecision } from '../../routing/decide.js';
import { singleKeyName } from '../../routing/recursive.js';
import { parseLabelSelector } from '../../selectors/label_selector.js';
import { parseFieldSelector } from '../../selectors/field_selector.js';
import type { Selector } from '../../cacher/types.js';
import type { ResourceInfo } from '../../resources.js';
import type { CacherLike } from '../backend.js';
import { groupVersion } from '../../resources.js';
import type { RequestContext, ResourceRequestContext } from '../context.js';
import { StatusError, newServiceUnavailable } from '../../errors.js';
import { writeStatus, toStatusError } from '../respond.js';
import { setLongTimeout, type LongTimeout } from '../../../util/long-timeout.js';

export interface Selectors {
  label: Selector;
  field: Selector;
  /** metadata.name pinned by the field selector: upstream makes the read non-recursive. */
  pinnedName?: string;
}

export function parseSelectors(ctx: ResourceRequestContext): Selectors {
  const label = parseLabelSelector(ctx.info.query.labelSelector);
  const field = parseFieldSelector(ctx.info.query.fieldSelector, ctx.resource.resource);
  const pinnedName = singleKeyName(field, { namespaced: ctx.resource.namespaced, namespace: ctx.info.namespace });
  return pinnedName !== undefined ? { label, field, pinnedName } : { label, field };
}

/** parseSelectors for a LIST or WATCH; a selector that does not parse is answered (400) and recorded. */
export function selectorsOrReject(ctx: ResourceRequestContext): Selectors | undefined {
  try {
    return parseSelectors(ctx);
  } catch (e) {
    sendError(ctx, e, { servedBy: 'rejected', reason: 'invalidRequest', detail: 'The selector did not parse.' });
    return undefined;
  }
}

/** The router's view of the request; `query` stands in for the request's own (a deletecollection's pages). */
export function routingRequest(ctx: ResourceRequestContext, verb: RoutingVerb, recursive: boolean, query: Record<string, string> = ctx.info.query): RoutingRequest {
  const r: RoutingRequest = {
    verb,
    group: ctx.resource.group,
    resource: ctx.resource.resource,
    recursive,
    query,
  };
  if (ctx.info.namespace) r.namespace = ctx.info.namespace;
  if (ctx.info.name) r.name = ctx.info.name;
  return r;
}

/** The object as clients see it: typed, with metadata.resourceVersion = the key's mod revision. */
export function toClientObject(res: ResourceInfo, s: StoredObject): KubeObject {
  const o = s.object;
  const rv = String(s.resourceVersion);
  const apiVersion = o.apiVersion ?? groupVersion(res);
  const kind = o.kind ?? res.kind;
  if (o.apiVersion === apiVersion && o.kind === kind && o.metadata?.resourceVersion === rv) return o;
  return { ...o, apiVersion, kind, metadata: { ...o.metadata, resourceVersion: rv } };
}

/**
 * Sends an error the decision already carries — a refusal before storage, or an error storage
 * itself answers (the Cacher's parse error) — and records it as served by whoever answered.
 */
export function sendRejected(ctx: RequestContext, d: RejectedDecision | StorageErrorDecision): void {
  ctx.record({ servedBy: d.servedBy, reason: d.reason, detail: d.detail, status: d.error.code });
  writeStatus(ctx.res, d.error);
}

/**
 * The resource's Cacher, for a request the router gave to the cache. The router answers 'cache'
 * only for a resource whose cache is on, so a missing one is a bug, answered as a 500.
 */
export function cacherOf(ctx: ResourceRequestContext): CacherLike {
  const c = ctx.backend.cacher;
  if (!c) throw new StatusError(500, 'InternalError', `the router chose the watch cache, but ${ctx.resource.resource} has none`);
  return c;
}

/** Records an error answer (when nothing was recorded yet) and sends its Status. */
export function sendError(ctx: RequestContext, e: unknown, fallback: { servedBy: 'cache' | 'etcd' | 'rejected'; reason: ReasonCode; detail: string }): void {
  const err = toStatusError(e);
  ctx.record({ ...fallback, status: err.code, detail: `${fallback.detail} Answered ${err.code}${err.reason ? ` ${err.reason}` : ''}: ${err.message}` });
  writeStatus(ctx.res, err);
}

/**
 * Where upstream blocks until the cache is Ready (≤1.30, or ResilientWatchCacheInitialization
 * off), wait for it until the request's context ends — the request timeout (60 s) for reads, the
 * whole watch timeout for a watch — then give up with 503, as ready.wait(ctx) does.
 */
export async function waitReadyOr503(ctx: ResourceRequestContext, d: RoutingDecision, timeoutMs = 60_000): Promise<void> {
  if (d.notReadyBehaviour !== 'block' || !ctx.backend.cacher) return;
  let timer: LongTimeout | undefined;
  const gone = new Promise<never>((_, reject) => {
    timer = setLongTimeout(() => reject(newServiceUnavailable('the watch cache did not become ready in time')), timeoutMs);
    ctx.res.once('close', () => reject(newServiceUnavailable('request ended while waiting for the cache')));
  });
  gone.catch(() => undefined);
  try {
    await Promise.race([ctx.backend.cacher.waitReady(), gone]);
  } finally {
    timer?.clear();
  }
}
