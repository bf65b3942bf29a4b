// Server-side printing (meta.k8s.io/v1 Table), enough for `kubectl get`: NAME, a few
// per-resource columns as kubectl users know them, AGE. kubectl asks for it with
// Accept: application/json;as=Table;v=v1;g=meta.k8s.io and includeObject defaults to Metadata.
import type { KubeObject } from '../object.js';
import type { ResourceInfo } from '../resources.js';

export interface TableColumn {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export function wantsTable(accept: string | undefined): boolean {
  if (!accept) return false;
  // The first acceptable media type wins; kubectl lists the Table form first.
  for (const part of accept.split(',')) {
    const p = part.trim().toLowerCase();
    if (p.includes('as=table') && p.includes('g=meta.k8s.io') && (p.includes('v=v1;') || p.endsWith('v=v1') || p.includes('v=v1beta1'))) return true;
    if (p.startsWith('application/json') || p.startsWith('*/*')) return false;
  }
  return false;
}

const col = (name: string, type = 'string', description = '', priority = 0, format = ''): TableColumn => ({
  name,
  type,
  format,
  description,
  priority,
});

function age(ts: unknown, now: number): string {
  if (typeof ts !== 'string') return '<unknown>';
  const s = Math.max(0, Math.floor((now - Date.parse(ts)) / 1000));
  if (!Number.isFinite(s)) return '<unknown>';
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return `${m}m${s % 60 ? `${s % 60}s` : ''}`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h`;
  return `${Math.floor(h / 24)}d`;
}

const get = (o: unknown, ...path: string[]): unknown => {
  let cur: unknown = o;
  for (const p of path) {
    if (!cur || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
};

interface Printer {
  columns: TableColumn[];
  cells(o: KubeObject, now: number): unknown[];
}

const NAME = col('Name', 'string', 'Name must be unique within a namespace.', 0, 'name');
const AGE = col('Age', 'string', 'CreationTimestamp is a timestamp representing the server time when this object was created.');

function podCells(o: KubeObject, now: number): unknown[] {
  const statuses = (get(o, 'status', 'containerStatuses') as { ready?: boolean; restartCount?: number }[] | undefined) ?? [];
  const containers = (get(o, 'spec', 'containers') as unknown[] | undefined) ?? [];
  const ready = statuses.filter((s) => s.ready).length;
  const restarts = statuses.reduce((a, s) => a + (s.restartCount ?? 0), 0);
  const phase = (get(o, 'metadata', 'deletionTimestamp') ? 'Terminating' : (get(o, 'status', 'reason') ?? get(o, 'status', 'phase'))) ?? 'Unknown';
  return [
    o.metadata.name,
    `${ready}/${Math.max(containers.length, statuses.length)}`,
    phase,
    restarts,
    age(o.metadata.creationTimestamp, now),
    get(o, 'status', 'podIP') ?? '<none>',
    get(o, 'spec', 'nodeName') ?? '<none>',
  ];
}

const PRINTERS: Record<string, Printer> = {
  pods: {
    columns: [
      NAME,
      col('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
      col('Status', 'string', 'The aggregate status of the containers in this pod.'),
      col('Restarts', 'string', 'The number of times the containers in this pod have been restarted.'),
      AGE,
      col('IP', 'string', 'IP address allocated to the pod.', 1),
      col('Node', 'string', 'Name of the node the pod is scheduled on.', 1),
    ],
    cells: podCells,
  },
  configmaps: {
    columns: [NAME, col('Data', 'string', 'Number of data entries.'), AGE],
    cells: (o, now) => [o.metadata.name, Object.keys((o.data as object) ?? {}).length + Object.keys((o.binaryData as object) ?? {}).length, age(o.metadata.creationTimestamp, now)],
  },
  secrets: {
    columns: [NAME, col('Type'), col('Data'), AGE],
    cells: (o, now) => [o.metadata.name, o.type ?? 'Opaque', Object.keys((o.data as object) ?? {}).length, age(o.metadata.creationTimestamp, now)],
  },
  namespaces: {
    columns: [NAME, col('Status', 'string', 'The status of the namespace'), AGE],
    cells: (o, now) => [o.metadata.name, get(o, 'status', 'phase') ?? 'Active', age(o.metadata.creationTimestamp, now)],
  },
  nodes: {
    columns: [NAME, col('Status'), AGE, col('Version')],
    cells: (o, now) => {
      const conds = (get(o, 'status', 'conditions') as { type?: string; status?: string }[] | undefined) ?? [];
      const ready = conds.find((c) => c.type === 'Ready');
      return [o.metadata.name, ready ? (ready.status === 'True' ? 'Ready' : 'NotReady') : 'Unknown', age(o.metadata.creationTimestamp, now), get(o, 'status', 'nodeInfo', 'kubeletVersion') ?? ''];
    },
  },
  deployments: {
    columns: [NAME, col('Ready'), col('Up-to-date', 'integer'), col('Available', 'integer'), AGE],
    cells: (o, now) => [
      o.metadata.name,
      `${get(o, 'status', 'readyReplicas') ?? 0}/${get(o, 'spec', 'replicas') ?? 1}`,
      get(o, 'status', 'updatedReplicas') ?? 0,
      get(o, 'status', 'availableReplicas') ?? 0,
      age(o.metadata.creationTimestamp, now),
    ],
  },
  services: {
    columns: [NAME, col('Type'), col('Cluster-IP'), AGE],
    cells: (o, now) => [o.metadata.name, get(o, 'spec', 'type') ?? 'ClusterIP', get(o, 'spec', 'clusterIP') ?? '<none>', age(o.metadata.creationTimestamp, now)],
  },
  leases: {
    columns: [NAME, col('Holder'), AGE],
    cells: (o, now) => [o.metadata.name, get(o, 'spec', 'holderIdentity') ?? '', age(o.metadata.creationTimestamp, now)],
  },
};

const DEFAULT_PRINTER: Printer = { columns: [NAME, AGE], cells: (o, now) => [o.metadata.name, age(o.metadata.creationTimestamp, now)] };

function rowObject(res: ResourceInfo, o: KubeObject, include: IncludeObject): unknown {
  if (include === 'None') return undefined;
  if (include === 'Object') return o;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
}

export function tableColumns(res: ResourceInfo): TableColumn[] {
  return (PRINTERS[res.resource] ?? DEFAULT_PRINTER).columns;
}

export function tableRow(res: ResourceInfo, o: KubeObject, include: IncludeObject, now = Date.now()): unknown {
  const row: Record<string, unknown> = { cells: (PRINTERS[res.resource] ?? DEFAULT_PRINTER).cells(o, now) };
  const obj = rowObject(res, o, include);
  if (obj) row.object = obj;
  return row;
}

/** A Table for one object or a page; `withColumns` false omits headers (later watch events). */
export function toTable(
  res: ResourceInfo,
  objects: KubeObject[],
  listMeta: Record<string, unknown>,
  include: IncludeObject,
  withColumns = true,
): Record<string, unknown> {
  const now = Date.now();
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: withColumns ? tableColumns(res) : [],
    rows: objects.map((o) => tableRow(res, o, include, now)),
  };
}

export function parseIncludeObject(v: string | undefined): IncludeObject {
  return v === 'None' || v === 'Object' ? v : 'Metadata';
}
