// How an object enters a recording: key, resourceVersion, size and a hash of its value; the value
// itself only when the user asked for values, and even then never a Secret's data.
import type { KubeObject, StoredObject } from '../storage/object.js';
import { valueHash } from '../storage/value_hash.js';
import type { RecordedObject } from './format.js';

const SECRET_FIELDS = ['data', 'stringData'];
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** A Secret's values (and kubectl's copy of them in last-applied) replaced by a placeholder. */
export function redact(obj: KubeObject): KubeObject {
  if (obj.kind !== 'Secret' && !/\/secrets\//.test(String(obj.metadata?.selfLink ?? ''))) return obj;
  return redactSecret(obj);
}

function redactSecret(obj: KubeObject): KubeObject {
  const out: KubeObject = { ...obj, metadata: { ...obj.metadata } };
  for (const f of SECRET_FIELDS) {
    const v = out[f];
    if (v && typeof v === 'object') out[f] = Object.fromEntries(Object.keys(v).map((k) => [k, '<redacted>']));
  }
  if (out.metadata.annotations?.[LAST_APPLIED]) out.metadata.annotations = { ...out.metadata.annotations, [LAST_APPLIED]: '<redacted>' };
  return out;
}

export function recordObject(s: StoredObject, values: boolean): RecordedObject {
  const r: RecordedObject = { key: s.key, rv: s.resourceVersion, size: s.size, hash: valueHash(s.object) };
  if (values) r.value = /\/secrets\//.test(s.key) ? redactSecret(s.object) : redact(s.object);
  return r;
}
