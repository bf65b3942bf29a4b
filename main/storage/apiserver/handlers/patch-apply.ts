// Patch application for PATCH requests.
//  - application/merge-patch+json: RFC 7386 JSON merge patch.
//  - application/strategic-merge-patch+json: a merge patch for maps. Without the Go types'
//    patchMergeKey tags, a list of objects is merged element by element when every element on
//    both sides carries one of the well-known merge keys (MERGE_KEYS below), honouring
//    $patch: delete/replace and $setElementOrder; $deleteFromPrimitiveList removes values from a
//    list of scalars; any other list is replaced whole, and $retainKeys is ignored.
//  - application/json-patch+json: RFC 6902 operations.
import { StatusError, newBadRequest } from '../../errors.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const isObject = (v: unknown): v is Record<string, Json> => v !== null && typeof v === 'object' && !Array.isArray(v);

// Merge keys of the built-in lists kubectl patches most (containers, env, volumes, ports,
// volumeMounts...): without schemas, a list of objects that all carry one of these keys is merged
// element by element as strategic merge patch would; any other list is replaced.
const MERGE_KEYS = ['name', 'containerPort', 'mountPath', 'devicePath', 'ip', 'topologyKey'];

function mergeKeyOf(target: Json[], patch: Json[]): string | undefined {
  const objs = (a: Json[]) => a.every(isObject);
  if (!objs(target) || !objs(patch) || patch.length === 0) return undefined;
  return MERGE_KEYS.find((k) => patch.every((e) => (e as Record<string, Json>)[k] !== undefined) && target.every((e) => (e as Record<string, Json>)[k] !== undefined));
}

function mergeList(target: Json[], patch: Json[], key: string, order: Json[] | undefined): Json[] {
  const id = (e: Json) => JSON.stringify((e as Record<string, Json>)[key]);
  const out = new Map<string, Json>(target.map((e) => [id(e), e]));
  for (const p of patch) {
    const k = id(p);
    const pr = p as Record<string, Json>;
    if (pr.$patch === 'delete') out.delete(k);
    else if (pr.$patch === 'replace') out.set(k, mergePatch(null, p, true));
    else out.set(k, mergePatch(out.get(k) ?? null, p, true));
  }
  if (!order) return [...out.values()];
  // $setElementOrder lists the wanted order; elements it does not name keep their place after.
  const ordered: Json[] = [];
  for (const o of order) {
    const k = id(o);
    if (out.has(k)) {
      ordered.push(out.get(k)!);
      out.delete(k);
    }
  }
  return [...ordered, ...out.values()];
}

export function mergePatch(target: Json, patch: Json, strategic = false): Json {
  if (!isObject(patch)) return patch;
  if (strategic && patch.$patch === 'replace') {
    const { $patch: _p, ...rest } = patch;
    return mergePatch(null, rest, true);
  }
  const out: Record<string, Json> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (strategic && k.startsWith('$')) {
      const del = /^\$deleteFromPrimitiveList\/(.+)$/.exec(k);
      if (del && Array.isArray(v) && Array.isArray(out[del[1]!])) {
        out[del[1]!] = (out[del[1]!] as Json[]).filter((x) => !v.some((d) => JSON.stringify(d) === JSON.stringify(x)));
      }
      continue;
    }
    if (v === null) {
      delete out[k];
      continue;
    }
    const cur = out[k];
    if (strategic && Array.isArray(v) && Array.isArray(cur)) {
      const key = mergeKeyOf(cur, v);
      const order = patch[`$setElementOrder/${k}`];
      if (key) {
        out[k] = mergeList(cur, v, key, Array.isArray(order) ? order : undefined);
        continue;
      }
    }
    out[k] = mergePatch(cur ?? null, v, strategic);
  }
  return out;
}

function unescapePointer(seg: string): string {
  return seg.replace(/~1/g, '/').replace(/~0/g, '~');
}

function parsePointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw newBadRequest(`the server rejected our request due to an error in our request: invalid JSON pointer "${path}"`);
  return path.slice(1).split('/').map(unescapePointer);
}

function getAt(doc: Json, segs: string[]): Json | undefined {
  let cur: Json | undefined = doc;
  for (const s of segs) {
    if (Array.isArray(cur)) cur = cur[Number(s)];
    else if (isObject(cur)) cur = cur[s];
    else return undefined;
  }
  return cur;
}

function container(doc: Json, segs: string[], path: string): { parent: Json; key: string } {
  const parent = getAt(doc, segs.slice(0, -1));
  if (parent === undefined || (typeof parent !== 'object') || parent === null) {
    throw new StatusError(422, 'Invalid', `the server rejected our request due to an error in our request: doc is missing path: "${path}"`);
  }
  return { parent, key: segs[segs.length - 1]! };
}

export function jsonPatch(doc: Json, ops: unknown): Json {
  if (!Array.isArray(ops)) throw newBadRequest('json patch must be an array of operations');
  let root: Json = structuredClone(doc);
  for (const raw of ops) {
    const op = raw as { op?: string; path?: string; from?: string; value?: Json };
    const path = op.path ?? '';
    const segs = parsePointer(path);
    const set = (value: Json, insert: boolean) => {
      if (segs.length === 0) {
        root = value;
        return;
      }
      const { parent, key } = container(root, segs, path);
      if (Array.isArray(parent)) {
        const i = key === '-' ? parent.length : Number(key);
        if (insert) parent.splice(i, 0, value);
        else parent[i] = value;
      } else (parent as Record<string, Json>)[key] = value;
    };
    const remove = (p: string[], text: string): Json => {
      const { parent, key } = container(root, p, text);
      if (Array.isArray(parent)) return parent.splice(Number(key), 1)[0]!;
      const obj = parent as Record<string, Json>;
      if (!(key in obj)) throw new StatusError(422, 'Invalid', `the server rejected our request due to an error in our request: unable to remove nonexistent key: ${key}`);
      const v = obj[key]!;
      delete obj[key];
      return v;
    };
    switch (op.op) {
      case 'add':
        set(structuredClone(op.value ?? null), true);
        break;
      case 'replace':
        if (getAt(root, segs) === undefined) throw new StatusError(422, 'Invalid', `the server rejected our request due to an error in our request: replace operation does not apply: doc is missing key: ${path}`);
        set(structuredClone(op.value ?? null), false);
        break;
      case 'remove':
        remove(segs, path);
        break;
      case 'test':
        if (JSON.stringify(getAt(root, segs)) !== JSON.stringify(op.value)) throw new StatusError(422, 'Invalid', `the server rejected our request due to an error in our request: testing value ${path} failed`);
        break;
      case 'move': {
        const v = remove(parsePointer(op.from ?? ''), op.from ?? '');
        set(v, true);
        break;
      }
      case 'copy':
        set(structuredClone(getAt(root, parsePointer(op.from ?? '')) ?? null), true);
        break;
      default:
        throw newBadRequest(`the server rejected our request due to an error in our request: Unexpected kind: ${op.op}`);
    }
  }
  return root;
}

export type PatchType = 'merge' | 'strategic' | 'json' | 'apply';

export function patchTypeOf(contentType: string | undefined): PatchType | undefined {
  const ct = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (ct === 'application/merge-patch+json') return 'merge';
  if (ct === 'application/strategic-merge-patch+json') return 'strategic';
  if (ct === 'application/json-patch+json') return 'json';
  if (ct === 'application/apply-patch+yaml' || ct === 'application/apply-patch+cbor') return 'apply';
  return undefined;
}

export function applyPatch(type: Exclude<PatchType, 'apply'>, current: unknown, patch: unknown): unknown {
  if (type === 'json') return jsonPatch(current as Json, patch);
  return mergePatch(current as Json, patch as Json, type === 'strategic');
}
