// The field set each resource exposes to field selectors (its registry's GetAttrs /
// SelectableFields, plus the field label conversion funcs that list what a client may select on).
import type { KubeObject } from '../object.js';

type Extractor = (obj: KubeObject) => Record<string, string>;

const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));
const at = (obj: KubeObject, path: string): unknown => {
  let cur: unknown = obj;
  for (const p of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
};
const pick = (paths: string[]): Extractor => (obj) => {
  const out: Record<string, string> = {};
  for (const p of paths) out[p] = str(at(obj, p));
  return out;
};

const extra: Record<string, { fields: string[]; get?: Extractor }> = {
  pods: {
    fields: ['spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'spec.hostNetwork', 'status.phase', 'status.podIP', 'status.nominatedNodeName'],
    get: (obj) => {
      const f = pick(['spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'status.phase', 'status.podIP', 'status.nominatedNodeName'])(obj);
      // hostNetwork is a bool that selects as "true"/"false" even when unset (pod registry GetAttrs).
      f['spec.hostNetwork'] = at(obj, 'spec.hostNetwork') === true ? 'true' : 'false';
      return f;
    },
  },
  secrets: { fields: ['type'] },
  events: {
    fields: ['involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid', 'involvedObject.apiVersion', 'involvedObject.resourceVersion', 'involvedObject.fieldPath', 'reason', 'reportingComponent', 'source', 'type'],
    get: (obj) => {
      const f = pick(['involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid', 'involvedObject.apiVersion', 'involvedObject.resourceVersion', 'involvedObject.fieldPath', 'reason', 'reportingComponent', 'type'])(obj);
      f['source'] = str(at(obj, 'source.component'));
      return f;
    },
  },
  nodes: { fields: ['spec.unschedulable'], get: (obj) => ({ 'spec.unschedulable': at(obj, 'spec.unschedulable') === true ? 'true' : 'false' }) },
  namespaces: { fields: ['status.phase'] },
  replicasets: { fields: ['status.replicas'] },
  replicationcontrollers: { fields: ['status.replicas'] },
  jobs: { fields: ['status.successful'] },
  services: { fields: ['spec.clusterIP', 'spec.type'] },
  certificatesigningrequests: { fields: ['spec.signerName'] },
};

const cache = new Map<string, Set<string>>();

/** Field labels a resource supports in field selectors. */
export function supportedFieldLabels(resource: string): Set<string> {
  let s = cache.get(resource);
  if (!s) {
    s = new Set(['metadata.name', 'metadata.namespace', ...(extra[resource]?.fields ?? [])]);
    cache.set(resource, s);
  }
  return s;
}

/** The field set of one object, computed once per event and shared by every watcher's filter. */
export function objectFields(resource: string, obj: KubeObject): Record<string, string> {
  const base: Record<string, string> = {
    'metadata.name': obj.metadata?.name ?? '',
    'metadata.namespace': obj.metadata?.namespace ?? '',
  };
  const e = extra[resource];
  if (!e) return base;
  return Object.assign(base, (e.get ?? pick(e.fields))(obj));
}
