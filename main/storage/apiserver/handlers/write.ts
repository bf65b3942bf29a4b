// Writes (etcd mode): create, update, patch, delete — always to etcd, as upstream (§2.6). The
// registry's part is kept small: name/namespace checks, uid and creationTimestamp on create,
// optimistic concurrency on metadata.resourceVersion (409 Conflict), delete preconditions.
import { randomUUID, randomBytes } from 'node:crypto';
import type { RequestContext } from '../context.js';
import { decide } from '../../routing/decide.js';
import type { KubeObject, StoredObject } from '../../object.js';
import { StatusError, isStatusError, newBadRequest, newConflict, newInvalid } from '../../errors.js';
import { groupVersion } from '../../resources.js';
import { successStatus, writeJSON } from '../respond.js';
import { readJSON } from './body.js';
import { applyPatch, patchTypeOf } from './patch-apply.js';
import { routingRequest, sendError, sendRejected, toClientObject } from './common.js';
import type { Preconditions } from '../backend.js';

const modifiedMessage = 'the object has been modified; please apply your changes to the latest version and try again';

function asObject(body: unknown): KubeObject {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw newBadRequest('the object provided is unrecognized (must be of type JSON object)');
  const o = body as KubeObject;
  if (!o.metadata || typeof o.metadata !== 'object') o.metadata = { name: '' };
  return o;
}

/** Checks the body's type and namespace against the URL, as the REST handlers do. */
function checkIdentity(ctx: RequestContext, o: KubeObject): void {
  const res = ctx.resource!;
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

const NAME_RE = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

function validateName(res: { kind: string }, name: string): void {
  if (!name) throw newInvalid(res.kind, '', [{ field: 'metadata.name', message: 'Required value: name or generateName is required', type: 'FieldValueRequired' }]);
  if (name.length > 253 || !NAME_RE.test(name)) {
    throw newInvalid(res.kind, name, [
      {
        field: 'metadata.name',
        message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
        type: 'FieldValueInvalid',
      },
    ]);
  }
}

function writeDecision(ctx: RequestContext, verb: 'create' | 'update' | 'patch' | 'delete') {
  return decide(routingRequest(ctx, verb, false), ctx.backend!.cacheState(), ctx.profile);
}

/** A request refused before it reached etcd (bad body, bad name, wrong kind). */
class Refused extends Error {
  constructor(readonly inner: unknown) {
    super('refused');
  }
}

async function beforeStorage<T>(f: () => Promise<T> | T): Promise<T> {
  try {
    return await f();
  } catch (e) {
    throw new Refused(e);
  }
}

function sendWriteError(ctx: RequestContext, e: unknown, d: { reason: string; detail: string }): void {
  if (e instanceof Refused) {
    sendError(ctx, e.inner, { servedBy: 'rejected', reason: 'invalidRequest', detail: 'Refused by the handler before reaching storage.' });
    return;
  }
  sendError(ctx, e, { servedBy: 'etcd', reason: d.reason, detail: d.detail });
}

export async function handleCreate(ctx: RequestContext): Promise<void> {
  const d = writeDecision(ctx, 'create');
  if (d.servedBy === 'rejected') return sendRejected(ctx, d);
  const res = ctx.resource!;
  try {
    const o = await beforeStorage(async () => {
      if (ctx.info.name) throw new StatusError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
      const o = asObject(await readJSON(ctx.req));
      checkIdentity(ctx, o);
      const meta = o.metadata;
      if (!meta.name && typeof meta.generateName === 'string' && meta.generateName) {
        // names.SimpleNameGenerator: 5 random lowercase alphanumerics.
        const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
        meta.name = meta.generateName + [...randomBytes(5)].map((b) => alphabet[b % alphabet.length]).join('');
      }
      validateName(res, meta.name);
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
    const stored = await ctx.backend!.store.create(ctx.info.namespace, meta.name, o);
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
}

export async function handleUpdate(ctx: RequestContext): Promise<void> {
  const d = writeDecision(ctx, 'update');
  if (d.servedBy === 'rejected') return sendRejected(ctx, d);
  const res = ctx.resource!;
  const name = ctx.info.name!;
  try {
    const o = await beforeStorage(async () => {
      const o = asObject(await readJSON(ctx.req));
      checkIdentity(ctx, o);
      if (o.metadata.name && o.metadata.name !== name) {
        throw newBadRequest(`the name of the object (${o.metadata.name}) does not match the name on the URL (${name})`);
      }
      return o;
    });
    o.metadata.name = name;
    const ns = res.namespaced ? ctx.info.namespace : undefined;
    const rvText = o.metadata.resourceVersion;
    const cur = await ctx.backend!.store.get(ns, name, { resourceVersion: '' });
    let expected: number | undefined;
    if (rvText) {
      expected = Number(rvText);
      if (!Number.isSafeInteger(expected) || expected <= 0) throw newBadRequest(`invalid resourceVersion: ${rvText}`);
      if (expected !== cur.resourceVersion) throw newConflict(res.group, res.resource, name, modifiedMessage);
    } else {
      // AllowUnconditionalUpdate: without a resourceVersion the update applies to the current copy.
      expected = cur.resourceVersion;
    }
    carryOver(o, cur);
    delete o.metadata.resourceVersion;
    const stored = await ctx.backend!.store.update(ns, name, o, expected).catch((e: unknown) => {
      if (isStatusError(e) && e.code === 409) throw newConflict(res.group, res.resource, name, modifiedMessage);
      throw e;
    });
    ctx.record({ servedBy: 'etcd', reason: d.reason, detail: d.detail, status: 200, resourceVersion: String(stored.resourceVersion) });
    writeJSON(ctx.res, 200, toClientObject(res, stored));
  } catch (e) {
    sendWriteError(ctx, e, d);
  }
}

export async function handlePatch(ctx: RequestContext): Promise<void> {
  const d = writeDecision(ctx, 'patch');
  if (d.servedBy === 'rejected') return sendRejected(ctx, d);
  const res = ctx.resource!;
  const name = ctx.info.name!;
  const ns = res.namespaced ? ctx.info.namespace : undefined;
  try {
    const { type, patch } = await beforeStorage(async () => {
      const type = patchTypeOf(ctx.req.headers['content-type']);
      if (!type || type === 'apply') {
        throw new StatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json`);
      }
      return { type, patch: await readJSON(ctx.req) };
    });
    // GuaranteedUpdate: read, apply, compare-and-swap on the mod revision; retry on conflict
    // unless the patch itself pins a resourceVersion (then a mismatch is the client's conflict).
    for (let attempt = 0; ; attempt++) {
      const cur = await ctx.backend!.store.get(ns, name, { resourceVersion: '' });
      const current = toClientObject(res, cur);
      const next = asObject(applyPatch(type, structuredClone(current), patch));
      const pinned = next.metadata.resourceVersion;
      if (pinned && pinned !== String(cur.resourceVersion)) throw newConflict(res.group, res.resource, name, modifiedMessage);
      if (next.metadata.name !== name) throw newBadRequest(`the name of the object (${next.metadata.name}) does not match the name on the URL (${name})`);
      checkIdentity(ctx, next);
      carryOver(next, cur);
      delete next.metadata.resourceVersion;
      try {
        const stored = await ctx.backend!.store.update(ns, name, next, cur.resourceVersion);
        const detail = attempt > 0 ? `${d.detail} Retried ${attempt} time(s) after a conflicting write.` : d.detail;
        ctx.record({ servedBy: 'etcd', reason: d.reason, detail, status: 200, resourceVersion: String(stored.resourceVersion) });
        writeJSON(ctx.res, 200, toClientObject(res, stored));
        return;
      } catch (e) {
        if (isStatusError(e) && e.code === 409 && !pinned && attempt < 5) continue;
        if (isStatusError(e) && e.code === 409) throw newConflict(res.group, res.resource, name, modifiedMessage);
        throw e;
      }
    }
  } catch (e) {
    sendWriteError(ctx, e, d);
  }
}

export async function handleDelete(ctx: RequestContext): Promise<void> {
  const d = writeDecision(ctx, 'delete');
  if (d.servedBy === 'rejected') return sendRejected(ctx, d);
  const res = ctx.resource!;
  const name = ctx.info.name!;
  const ns = res.namespaced ? ctx.info.namespace : undefined;
  try {
    const pre = await beforeStorage(async (): Promise<Preconditions | undefined> => {
      const len = Number(ctx.req.headers['content-length'] ?? 0);
      if (len > 0 || ctx.req.headers['transfer-encoding']) {
        const body = (await readJSON(ctx.req)) as { preconditions?: Preconditions } | null;
        return body?.preconditions;
      }
      return undefined;
    });
    const deleted = await ctx.backend!.store.delete(ns, name, pre);
    ctx.record({ servedBy: 'etcd', reason: d.reason, detail: d.detail, status: 200, resourceVersion: String(deleted.resourceVersion) });
    // Deletion without graceful termination: kube answers a Success Status naming the object.
    writeJSON(
      ctx.res,
      200,
      successStatus({ name, ...(res.group ? { group: res.group } : {}), kind: res.resource, ...(deleted.object.metadata.uid ? { uid: deleted.object.metadata.uid } : {}) }),
    );
  } catch (e) {
    sendWriteError(ctx, e, d);
  }
}
