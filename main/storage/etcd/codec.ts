// Turns stored etcd values into objects the cacher can index and filter, without the schemas of
// every type: JSON as is; Kubernetes protobuf (apimachinery runtime/serializer/protobuf) down to
// ObjectMeta plus the two Pod fields field selectors need; encrypted or unknown values as
// placeholders that keep name/namespace from the key. Decoding never throws: a bad value must be
// counted and shown, not stop a watch (upstream only panics on decode errors when
// KUBE_PANIC_WATCH_DECODE_ERROR is set).
import protobuf from 'protobufjs';
import type { KubeObject, ObjectMeta, StoredObject, ValueEncoding } from '../object.js';
import { guessKey, parseKey } from './keys.js';

/** "k8s" + NUL: the envelope prefix of protobuf-encoded values (protobuf.go protoEncodingPrefix). */
export const PROTOBUF_MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);
/** Values written through an encryption-at-rest provider start with this (value.Transformer). */
export const ENCRYPTED_PREFIX = 'k8s:enc:';
/** Annotation placed on placeholder objects, naming why the value could not be shown. */
export const ENCRYPTED_ANNOTATION = 'watchscope.io/encrypted';
export const UNDECODABLE_ANNOTATION = 'watchscope.io/undecodable';

// Field numbers from k8s.io/apimachinery runtime/generated.proto and meta/v1/generated.proto and
// k8s.io/api core/v1/generated.proto. Only what the cacher needs; protobufjs skips the rest.
const SCHEMA = `
syntax = "proto2";
package watchscope;
message TypeMeta { optional string apiVersion = 1; optional string kind = 2; }
message Unknown {
  optional TypeMeta typeMeta = 1;
  optional bytes raw = 2;
  optional string contentEncoding = 3;
  optional string contentType = 4;
}
message Time { optional int64 seconds = 1; optional int32 nanos = 2; }
message ObjectMeta {
  optional string name = 1;
  optional string generateName = 2;
  optional string namespace = 3;
  optional string uid = 5;
  optional string resourceVersion = 6;
  optional int64 generation = 7;
  optional Time creationTimestamp = 8;
  optional Time deletionTimestamp = 9;
  optional int64 deletionGracePeriodSeconds = 10;
  map<string, string> labels = 11;
  map<string, string> annotations = 12;
  repeated string finalizers = 14;
}
message ObjectWithMeta { optional ObjectMeta metadata = 1; }
message PodSpec { optional int64 terminationGracePeriodSeconds = 4; optional string nodeName = 10; }
message PodStatus { optional string phase = 1; }
message Pod { optional ObjectMeta metadata = 1; optional PodSpec spec = 2; optional PodStatus status = 3; }
`;

const root = protobuf.parse(SCHEMA, { keepCase: true }).root;
const UnknownType = root.lookupType('watchscope.Unknown');
const ObjectWithMetaType = root.lookupType('watchscope.ObjectWithMeta');
const PodType = root.lookupType('watchscope.Pod');
const toObjectOptions: protobuf.IConversionOptions = { longs: Number, bytes: Buffer, defaults: false };

interface DecodedTime {
  seconds?: number;
  nanos?: number;
}
interface DecodedMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: DecodedTime;
  deletionTimestamp?: DecodedTime;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
}

// metav1.Time marshals to RFC3339 with second precision in JSON, which is what clients compare.
function rfc3339(t: DecodedTime | undefined): string | undefined {
  if (!t || t.seconds === undefined) return undefined;
  const ms = Number(t.seconds) * 1000;
  if (!Number.isFinite(ms)) return undefined;
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function metaFromProto(m: DecodedMeta | undefined): ObjectMeta {
  const meta: ObjectMeta = { name: m?.name ?? '' };
  if (!m) return meta;
  if (m.generateName) meta.generateName = m.generateName;
  if (m.namespace) meta.namespace = m.namespace;
  if (m.uid) meta.uid = m.uid;
  if (m.resourceVersion) meta.resourceVersion = m.resourceVersion;
  if (m.generation) meta.generation = Number(m.generation);
  const created = rfc3339(m.creationTimestamp);
  if (created) meta.creationTimestamp = created;
  const deleted = rfc3339(m.deletionTimestamp);
  if (deleted) meta.deletionTimestamp = deleted;
  if (m.deletionGracePeriodSeconds !== undefined) meta.deletionGracePeriodSeconds = Number(m.deletionGracePeriodSeconds);
  if (m.labels && Object.keys(m.labels).length) meta.labels = { ...m.labels };
  if (m.annotations && Object.keys(m.annotations).length) meta.annotations = { ...m.annotations };
  if (m.finalizers?.length) meta.finalizers = [...m.finalizers];
  return meta;
}

function decodeProtobuf(value: Buffer): KubeObject {
  const unknown = UnknownType.toObject(UnknownType.decode(value.subarray(PROTOBUF_MAGIC.length)), toObjectOptions) as {
    typeMeta?: { apiVersion?: string; kind?: string };
    raw?: Buffer;
  };
  const kind = unknown.typeMeta?.kind;
  const apiVersion = unknown.typeMeta?.apiVersion;
  const raw = unknown.raw ?? Buffer.alloc(0);
  const obj: KubeObject = { metadata: { name: '' } };
  if (apiVersion) obj.apiVersion = apiVersion;
  if (kind) obj.kind = kind;
  // Pod's spec.nodeName and status.phase back the field selectors kubelets and controllers use
  // (pkg/registry/core/pod/strategy.go ToSelectableFields); terminationGracePeriodSeconds is what
  // the pod strategy's graceful deletion reads.
  if (kind === 'Pod' && (apiVersion ?? 'v1') === 'v1') {
    const pod = PodType.toObject(PodType.decode(raw), toObjectOptions) as {
      metadata?: DecodedMeta;
      spec?: { nodeName?: string; terminationGracePeriodSeconds?: number };
      status?: { phase?: string };
    };
    obj.metadata = metaFromProto(pod.metadata);
    const spec: Record<string, unknown> = {};
    if (pod.spec?.terminationGracePeriodSeconds !== undefined) spec.terminationGracePeriodSeconds = Number(pod.spec.terminationGracePeriodSeconds);
    if (pod.spec?.nodeName) spec.nodeName = pod.spec.nodeName;
    obj.spec = spec;
    obj.status = pod.status?.phase ? { phase: pod.status.phase } : {};
    return obj;
  }
  const generic = ObjectWithMetaType.toObject(ObjectWithMetaType.decode(raw), toObjectOptions) as { metadata?: DecodedMeta };
  obj.metadata = metaFromProto(generic.metadata);
  return obj;
}

function placeholder(key: string, annotation: string, why: string, collectionKey?: string): KubeObject {
  const where = (collectionKey && parseKey(key, collectionKey)) || guessKey(key);
  const metadata: ObjectMeta = { name: where.name, annotations: { [annotation]: why } };
  if (where.namespace) metadata.namespace = where.namespace;
  return { metadata };
}

// The provider part of an encrypted value, e.g. "k8s:enc:aescbc:v1:key1" or "k8s:enc:kms:v2:kms1":
// colon-separated printable segments before the ciphertext.
function encryptionProvider(value: Buffer): string {
  const head = value.subarray(0, 256).toString('latin1');
  const parts = head.split(':');
  const out: string[] = [];
  for (const p of parts.slice(0, 5)) {
    if (!/^[\x21-\x7e]*$/.test(p) || p === '') break;
    out.push(p);
  }
  return out.join(':');
}

const isJSONObjectStart = (value: Buffer): boolean => {
  for (let i = 0; i < value.length; i++) {
    const b = value[i]!;
    if (b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09) continue;
    return b === 0x7b; // '{'
  }
  return false;
};

const ENCRYPTED_PREFIX_BYTES = Buffer.from(ENCRYPTED_PREFIX, 'latin1');

/** Whether `value` starts with `prefix`, without the views and strings a slice would make per value. */
function startsWith(value: Buffer, prefix: Buffer): boolean {
  if (value.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (value[i] !== prefix[i]) return false;
  return true;
}

/**
 * Decodes one stored value. `modRevision` becomes metadata.resourceVersion (stored objects carry
 * an empty one; the key's mod revision is the RV, as etcd3 store's versioner sets it).
 * `collectionKey`, when known, lets placeholders take namespace/name from the key exactly.
 */
export function decodeValue(key: string, value: Buffer, modRevision: number, collectionKey?: string): StoredObject {
  let object: KubeObject;
  let encoding: ValueEncoding;
  try {
    if (startsWith(value, PROTOBUF_MAGIC)) {
      object = decodeProtobuf(value);
      encoding = 'protobuf';
    } else if (startsWith(value, ENCRYPTED_PREFIX_BYTES)) {
      object = placeholder(key, ENCRYPTED_ANNOTATION, encryptionProvider(value), collectionKey);
      encoding = 'encrypted';
    } else if (isJSONObjectStart(value)) {
      const parsed: unknown = JSON.parse(value.toString('utf8'));
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not a JSON object');
      object = parsed as KubeObject;
      if (!object.metadata || typeof object.metadata !== 'object' || Array.isArray(object.metadata)) {
        object.metadata = { name: '' };
      }
      encoding = 'json';
    } else {
      object = placeholder(key, UNDECODABLE_ANNOTATION, describeUnknown(value), collectionKey);
      encoding = 'undecodable';
    }
  } catch (e) {
    object = placeholder(key, UNDECODABLE_ANNOTATION, `decode failed: ${(e as Error)?.message ?? String(e)}`, collectionKey);
    encoding = 'undecodable';
  }
  if (!object.metadata.name || !object.metadata.namespace) {
    const where = (collectionKey && parseKey(key, collectionKey)) || guessKey(key);
    if (!object.metadata.name) object.metadata.name = where.name;
    if (!object.metadata.namespace && where.namespace && encoding !== 'json' && encoding !== 'protobuf') {
      object.metadata.namespace = where.namespace;
    }
    // A decoded object without a namespace is cluster-scoped unless the key says otherwise; only
    // trust the key's namespace when the collection is known.
    if (!object.metadata.namespace && collectionKey && where.namespace) object.metadata.namespace = where.namespace;
  }
  object.metadata.resourceVersion = String(modRevision);
  return { key, object, resourceVersion: modRevision, encoding, size: value.length };
}

function describeUnknown(value: Buffer): string {
  if (value.length === 0) return 'empty value';
  if (value[0] === 0xd9 && value[1] === 0xd9 && value[2] === 0xf7) return 'CBOR value (self-described)';
  return `unrecognised value of ${value.length} bytes starting ${value.subarray(0, 8).toString('hex')}`;
}

/**
 * The JSON bytes to store for an object, with the fields etcd3 store blanks before writing
 * (APIObjectVersioner.PrepareObjectForStorage: resourceVersion and selfLink are not persisted).
 */
export function encodeJSON(object: KubeObject): Buffer {
  const { resourceVersion: _rv, selfLink: _sl, ...meta } = object.metadata;
  return Buffer.from(JSON.stringify({ ...object, metadata: meta }));
}
