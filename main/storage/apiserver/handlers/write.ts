// Writes (etcd mode): create, update, patch — always to etcd, as upstream (§2.6); deletes are in
// ./delete.ts. Update and patch start from the watch cache's copy (../registry/guaranteed_update.ts).
// The rest of the registry is kept small: name/namespace checks, uid and creationTimestamp on create, optimistic
// concurrency on metadata.resourceVersion (409 Conflict).
import { randomUUID, randomBytes } from 'node:crypto';
import type { ResourceRequestContext } from '../context.js';
import { decide, type ReasonCode } from '../../routing/decide.js';
import type { KubeObject, StoredObject } from '../../object.js';
import { StatusError, isStatusError, newBadRequest, newConflict, newInvalid } from '../../errors.js';
import { groupVersion } from '../../resources.js';
import { writeJSON } from '../respond.js';
import { readJSON } from './body.js';
import { applyPatch, patchTypeOf } from './patch-apply.js';
import { dns1123LabelProblems, objectMetaCauses, pathKeyError } from './names.js';
import { routingRequest, sendError, sendRejected, toClientObject } from './common.js';
import { shouldDeleteDuringUpdate } from '../registry/delete.js';
import { DELETE_INSTEAD, describeOrigin, guaranteedUpdate, type TryUpdate, type UpdateResult, type WriteOrigin } from '../registry/guaranteed_update.js';

const modifiedMessage = 'the object has been modified; please apply your changes to the latest version and try again';

const goJsonType = (v: unknown) => (Array.isArray(v) ? 'array' : typeof v === 'boolean' ? 'bool' : typeof v === 'object' ? 'object' : typeof v);

/**
 * The decoder's refusal of ObjectMeta fields of the wrong JSON type, worded as Go's
 * encoding/json says it ("json: cannot unmarshal number into Go struct field …").
 */
function checkDecodable(ctx: ResourceRequestContext, body: unknown): void {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return;
  const res = ctx.resource;
  const cannot = (what: string) => newBadRequest(`${res.kind} in version ${JSON.stringify(res.version)} cannot be handled as a ${res.kind}: json: cannot unmarshal ${what}`);
  const meta = (body as { metadata?: unknown }).metadata;
  if (meta === undefined || meta === null) return;
  if (typeof meta !== 'object' || Array.isArray(meta)) throw cannot(`${goJsonType(meta)} into Go struct field ${res.kind}.metadata of type v1.ObjectMeta`);
  for (const f of ['name', 'generateName', 'namespace', 'resourceVersion', 'uid'] as const) {
    const v = (meta as Record<string, unknown>)[f];
    if (v !== undefined && v !== null && typeof v !== 'string') throw cannot(`${goJsonType(v)} into Go struct field ObjectMeta.metadata.${f} of type string`);
  }
}

function asObject(body: unknown): KubeObject {
  // JSON null decodes into an empty object, as Go's decoder leaves the target untouched.
  if (body === null) body = {};
  if (typeof body !== 'object' || Array.isArray(body)) throw newBadRequest('the object provided is unrecognized (must be of type JSON object)');
  const o = body as KubeObject;
  if (!o.metadata || typeof o.metadata !== 'object') o.metadata = { name: '' };
  return o;
}

/** Checks the body's type and namespace against the URL, as the REST handlers do. */
function checkIdentity(ctx: ResourceRequestContext, o: KubeObject): void {
  const res = ctx.resource;
  const gv = groupVersion(res);
  if (o.apiVersion !== undefined && o.apiVersion !== gv) {
    throw newBadRequest(`the API version in the data (${o.apiVersion}) does not match the expected API version (${gv})`);
  }
  if (o.kind !== undefined && o.kind !== res.kind) {
    throw newBadRequest(`the kind in the data (${o.kind}) does not match the expected kind (${res.kind})`);
  }
  o.apiVersion = gv;
  o.kind = res.kind;
  if (res.namespaced) {
    const ns = ctx.info.namespace;
    if (!ns) throw newBadRequest('the namespace of the object must be set');
    if (o.metadata.namespace && o.metadata.namespace !== ns) {
      throw newBadRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    o.metadata.namespace = ns;
  } else {
    delete o.metadata.namespace;
  }
}

/** ValidateObjectMeta's name and namespace rules (a Namespace's own name is a DNS-1123 label). */
function validateObjectMeta(ctx: ResourceRequestContext, name: string): void {
  const res = ctx.resource;
  const causes =
    res.resource === 'namespaces' && res.group === '' && name
      ? dns1123LabelProblems(name).map((m) => ({ field: 'metadata.name', message: `Invalid value: ${JSON.stringify(name)}: ${m}`, type: 'FieldValueInvalid' }))
      : objectMetaCauses(name, res.namespaced ? ctx.info.namespace : undefined);
  if (causes.length) throw newInvalid(res.kind, name, causes);
}

/** The key function's refusals (bad name segment, `.`/`..` namespace), after the body checks as upstream. */
export function checkKey(ctx: ResourceRequestContext): void {
  const err = pathKeyError(ctx);
  if (err) throw err;
}

export function writeDecision(ctx: ResourceRequestContext, verb: 'create' | 'update' | 'patch' | 'delete') {
  return decide(routingRequest(ctx, verb, false), ctx.backend.cacheState(), ctx.profile);
}

/** A request refused before it reached etcd (bad body, bad name, wrong kind). */
class Refused extends Error {
  constructor(readonly inner: unknown) {
    super('refused');
  }
}

export async function beforeStorage<T>(f: () => Promise<T> | T): Promise<T> {
  try {
    return await f();
  } catch (e) {
    throw new Refused(e);
  }
}

export function sendWriteError(ctx: ResourceRequestContext, e: unknown, d: { reason: ReasonCode; detail: string }): void {
  if (e instanceof Refused) {
    sendError(ctx, e.inner, { servedBy: 'rejected', reason: 'invalidRequest', detail: 'Refused by the handler before reaching storage.' });
    return;
  }
  sendError(ctx, e, { servedBy: 'etcd', reason: d.reason, detail: d.detail });
}

export async function handleCreate(ctx: ResourceRequestContext): Promise<void> {
  const d = writeDecision(ctx, 'create');
  if (d.servedBy === 'rejected') return sendRejected(ctx, d);
  const res = ctx.resource;
  try {
    const o = await beforeStorage(async () => {
      const body = await readJSON(ctx.req);
      checkDecodable(ctx, body);
      const o = asObject(body);
      checkIdentity(ctx, o);
      const meta = o.metadata;
      if (!meta.name && typeof meta.generateName === 'string' && meta.generateName) {
        // names.SimpleNameGenerator: 5 random lowercase alphanumerics.
        const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
        meta.name = meta.generateName + [...randomBytes(5)].map((b) => alphabet[b % alphabet.length]).join('');
      }
      meta.name ??= '';
      validateObjectMeta(ctx, meta.name);
      return o;
    });
    const meta = o.metadata;
    // Create ignores any resourceVersion sent (BeforeCreate clears it) and assigns identity.
    delete meta.resourceVersion;
    meta.uid = randomUUID();
    meta.creationTimestamp = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
    // generation is kept for kinds with a spec (their strategies bump it on spec changes).
    if (meta.generation === undefined && o.spec !== undefined) meta.generation = 1;
    if (res.resource === 'namespaces') o.status = { phase: 'Active', ...((o.status as object) ?? {}) };
    const stored = await ctx.backend.store.create(ctx.info.namespace, meta.name, o);
    ctx.record({ servedBy: 'etcd', reason: d.reason, detail: d.detail, status: 201, resourceVersion: String(stored.resourceVersion) });
    writeJSON(ctx.res, 201, toClientObject(res, stored));
  } catch (e) {
    sendWriteError(ctx, e, d);
  }
}

/** Carries over what clients may not change and what the server owns. */
function carryOver(next: KubeObject, cur: StoredObject): void {
  const m = cur.object.metadata;
  next.metadata.uid = m.uid;
  next.metadata.creationTimestamp = m.creationTimestamp;
  if (typeof m.generation === 'number') next.metadata.generation = m.generation;
  // generation tracks spec changes (most built-in strategies' PrepareForUpdate).
  if (typeof m.generation === 'number' && JSON.stringify(next.spec) !== JSON.stringify(cur.object.spec)) next.metadata.generation = m.generation + 1;
  // Only the registry's delete sets these; an update keeps them (BeforeUpdate).
  for (const f of ['deletionTimestamp', 'deletionGracePeriodSeconds'] as const) {
    if (m[f] !== undefined) next.metadata[f] = m[f];
    else delete next.metadata[f];
  }
}

/** The decision of a write that went through GuaranteedUpdate or a cached-copy delete. */
export function writeOutcome(origin: WriteOrigin): { reason: ReasonCode; detail: string } {
  const reason: ReasonCode = origin.retries > 0 ? 'writeRetriedFromStorage' : origin.from === 'cache' ? 'writeFromCachedObject' : 'writeToStorage';
  return { reason, detail: describeOrigin(origin) };
}

/** An update emptied the finalizers of an object being deleted: it is deleted instead (Store.Update). */
function deleteIfFinalized(ctx: ResourceRequestContext, next: KubeObject, cur: StoredObject): KubeObject | typeof DELETE_INSTEAD {
  if (!ctx.backend.store.appliesRegistryRules && shouldDeleteDuringUpdate(next, cur.object)) return DELETE_INSTEAD;
  return next;
}

/** GuaranteedUpdate with `tryUpdate`, then the decision and the 200 answer; every conflict reads as upstream's. */
async function updateAndAnswer(ctx: ResourceRequestContext, ns: string | undefined, name: string, tryUpdate: TryUpdate): Promise<void> {
  const res = ctx.resource;
  const r = await guaranteedUpdate(ctx.backend, ns, name, tryUpdate).catch((e: unknown) => {
    if (isStatusError(e) && e.code === 409) throw newConflict(res.group, res.resource, name, modifiedMessage);
    throw e;
  });
  recordUpdate(ctx, r, 200);
  writeJSON(ctx.res, 200, toClientObject(res, r.stored));
}

function recordUpdate(ctx: ResourceRequestContext, r: UpdateResult, status: number): void {
  const o = writeOutcome(r.origin);
  const what = r.deleted
    ? ' The update removed the last finalizer of an object being deleted, so the object was deleted (Store.Update: shouldDeleteDuringUpdate).'
    : r.unchanged
      ? ' The update changed nothing, so nothing was written.'
      : '';
  ctx.record({ servedBy: 'etcd', reason: o.reason, detail: `${o.detail}${what}`, status, resourceVersion: String(r.stored.resourceVersion) });
}

export async function handleUpdate(ctx: ResourceRequestContext): Promise<void> {
  const d = writeDecision(ctx, 'update');
  if (d.servedBy === 'rejected') return sendRejected(ctx, d);
  const res = ctx.resource;
  const name = ctx.info.name!;
  try {
    const o = await beforeStorage(async () => {
      const body = await readJSON(ctx.req);
      checkDecodable(ctx, body);
      const o = asObject(body);
      checkIdentity(ctx, o);
      if (o.metadata.name && o.metadata.name !== name) {
        throw newBadRequest(`the name of the object (${o.metadata.name}) does not match the name on the URL (${name})`);
      }
      const rvText = o.metadata.resourceVersion;
      if (rvText) {
        const n = Number(rvText);
        if (!Number.isSafeInteger(n) || n <= 0) throw newBadRequest(`invalid resourceVersion: ${rvText}`);
      }
      checkKey(ctx);
      return o;
    });
    o.metadata.name = name;
    const ns = res.namespaced ? ctx.info.namespace : undefined;
    const rvText = o.metadata.resourceVersion;
    await updateAndAnswer(ctx, ns, name, (cur) => {
      // With a resourceVersion the update applies only to that version; without one
      // (AllowUnconditionalUpdate) to whatever is current.
      if (rvText && Number(rvText) !== cur.resourceVersion) throw newConflict(res.group, res.resource, name, modifiedMessage);
      const next = structuredClone(o);
      carryOver(next, cur);
      delete next.metadata.resourceVersion;
      return deleteIfFinalized(ctx, next, cur);
    });
  } catch (e) {
    sendWriteError(ctx, e, d);
  }
}

export async function handlePatch(ctx: ResourceRequestContext): Promise<void> {
  const d = writeDecision(ctx, 'patch');
  if (d.servedBy === 'rejected') return sendRejected(ctx, d);
  const res = ctx.resource;
  const name = ctx.info.name!;
  const ns = res.namespaced ? ctx.info.namespace : undefined;
  try {
    const { type, patch } = await beforeStorage(async () => {
      const type = patchTypeOf(ctx.req.headers['content-type']);
      if (!type || type === 'apply') {
        throw new StatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json`);
      }
      const patch = await readJSON(ctx.req);
      checkKey(ctx);
      return { type, patch };
    });
    // GuaranteedUpdate: apply the patch to the cached copy, compare-and-swap on its mod revision,
    // re-read etcd and apply again on conflict. A patch that pins a resourceVersion conflicts
    // when etcd's copy is at another one.
    await updateAndAnswer(ctx, ns, name, (cur) => {
      const next = asObject(applyPatch(type, structuredClone(toClientObject(res, cur)), patch));
      const pinned = next.metadata.resourceVersion;
      if (pinned && pinned !== String(cur.resourceVersion)) throw newConflict(res.group, res.resource, name, modifiedMessage);
      if (next.metadata.name !== name) throw newBadRequest(`the name of the object (${next.metadata.name}) does not match the name on the URL (${name})`);
      checkIdentity(ctx, next);
      carryOver(next, cur);
      delete next.metadata.resourceVersion;
      return deleteIfFinalized(ctx, next, cur);
    });
  } catch (e) {
    sendWriteError(ctx, e, d);
  }
}
