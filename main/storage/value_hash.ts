// One hash of an object's value, for comparing a cache's copy with etcd's (the consistency
// checker) and for recordings that leave values out. metadata.resourceVersion is left out, since
// the cache stamps it from the key's revision, and keys are sorted, so two decodings of one value
// hash alike whatever order their fields came in.
import { createHash } from 'node:crypto';
import type { KubeObject } from './object.js';

/** First 16 hex digits of SHA-256 over the object's JSON (keys sorted) without metadata.resourceVersion. */
export function valueHash(obj: KubeObject): string {
  const { resourceVersion: _rv, ...meta } = obj.metadata ?? ({} as KubeObject['metadata']);
  void _rv;
  return createHash('sha256')
    .update(sortedJson({ ...obj, metadata: meta }))
    .digest('hex')
    .slice(0, 16);
}

function sortedJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(sortedJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .filter((k) => o[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${sortedJson(o[k])}`)
    .join(',')}}`;
}
