// Typed client-go clientsets (kubectl create namespace|configmap|secret) send their bodies as
// Kubernetes protobuf. Without every type's schema only a few small kinds can be decoded in full;
// those are accepted here, anything else answers 415 so the client knows to send JSON.
import protobuf from 'protobufjs';
import { StatusError } from '../../errors.js';
import type { KubeObject } from '../../object.js';
import { PROTOBUF_MAGIC as MAGIC } from '../../etcd/codec.js';

export const PROTOBUF_CONTENT_TYPE = 'application/vnd.kubernetes.protobuf';

// Field numbers: apimachinery runtime/generated.proto, meta/v1 and core/v1 generated.proto.
const SCHEMA = `
syntax = "proto2";
package wsbody;
message TypeMeta { optional string apiVersion = 1; optional string kind = 2; }
message Unknown { optional TypeMeta typeMeta = 1; optional bytes raw = 2; }
message ObjectMeta {
  optional string name = 1;
  optional string generateName = 2;
  optional string namespace = 3;
  map<string, string> labels = 11;
  map<string, string> annotations = 12;
  repeated string finalizers = 14;
}
message NamespaceSpec { repeated string finalizers = 1; }
message Namespace { optional ObjectMeta metadata = 1; optional NamespaceSpec spec = 2; }
message ConfigMap { optional ObjectMeta metadata = 1; map<string, string> data = 2; map<string, bytes> binaryData = 3; optional bool immutable = 4; }
message Secret { optional ObjectMeta metadata = 1; map<string, bytes> data = 2; optional string type = 3; map<string, string> stringData = 4; optional bool immutable = 5; }
`;

const root = protobuf.parse(SCHEMA, { keepCase: true }).root;
const Unknown = root.lookupType('wsbody.Unknown');
const KINDS: Record<string, protobuf.Type> = {
  'v1/Namespace': root.lookupType('wsbody.Namespace'),
  'v1/ConfigMap': root.lookupType('wsbody.ConfigMap'),
  'v1/Secret': root.lookupType('wsbody.Secret'),
};

const unsupported = () =>
  new StatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf`);

export function decodeProtobufBody(body: Buffer): KubeObject {
  if (body.length < MAGIC.length || !body.subarray(0, MAGIC.length).equals(MAGIC)) throw unsupported();
  const u = Unknown.toObject(Unknown.decode(body.subarray(MAGIC.length)), { bytes: Buffer }) as { typeMeta?: { apiVersion?: string; kind?: string }; raw?: Buffer };
  const apiVersion = u.typeMeta?.apiVersion ?? '';
  const kind = u.typeMeta?.kind ?? '';
  const type = KINDS[`${apiVersion}/${kind}`];
  if (!type) throw unsupported();
  const obj = type.toObject(type.decode(u.raw ?? Buffer.alloc(0)), { bytes: String, defaults: false }) as Record<string, unknown>;
  // Protobuf bytes become base64 strings: the JSON form of []byte fields (Secret.data, binaryData).
  const metadata: Record<string, unknown> = { name: '' };
  // proto2 optional strings arrive as '' when the client set them empty: JSON omits them.
  for (const [k, v] of Object.entries((obj.metadata as object) ?? {})) if (v !== '') metadata[k] = v;
  return { ...obj, apiVersion, kind, metadata } as KubeObject;
}
