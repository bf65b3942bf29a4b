// The object model the storage layer works with. Values come from etcd as JSON or as
// Kubernetes protobuf (only metadata decodable without schemas), or from a cluster as JSON.

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [k: string]: unknown;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [k: string]: unknown;
}

/** How a stored value was understood. Anything but json/protobuf is kept and counted, never fatal. */
export type ValueEncoding = 'json' | 'protobuf' | 'encrypted' | 'undecodable';

/** One key's value at one revision, as the storage layer sees it. */
export interface StoredObject {
  /** Full etcd key, e.g. /registry/pods/default/nginx. */
  key: string;
  object: KubeObject;
  /** The key's mod revision; becomes metadata.resourceVersion for clients. */
  resourceVersion: number;
  encoding: ValueEncoding;
  /** Size of the raw stored value in bytes. */
  size: number;
}
