// A realistic kube-apiserver audit log, generated from a seed (same seed, same bytes): JSON lines
// as --audit-log-path writes them (audit.k8s.io/v1 Event, Go's encoder: struct field order, `&`,
// `<`, `>` escaped as \u0026 etc.), at Metadata level for reads and Request level for writes (the
// request body, with kubectl's last-applied annotation as an escaped JSON string). A request is
// logged at RequestReceived and ResponseComplete a few lines apart, as concurrent requests
// interleave; a watch at ResponseStarted and, minutes later, ResponseComplete. Clients are the
// usual ones: kubelets, controller-manager informers (LIST RV 0 then WATCH from its RV, or a
// watch-list with sendInitialEvents), the scheduler, kubectl, an operator paginating consistent
// LISTs with continue tokens, kube-apiserver itself, and health probes. A small share of lines has
// its fields in another order, as log shippers re-serialize them.
import { openSync, writeSync, closeSync } from 'node:fs';
import { mulberry32 } from '../main/util/prng.js';

/** What the generator wrote, to check readers against. */
export interface GeneratedLog {
  bytes: number;
  lines: number;
  /** Requests (one auditID each). */
  requests: number;
  /** Lines at stage ResponseComplete. */
  responseComplete: number;
  /** Requests a reader should route: resource requests, no subresource, a storage verb. */
  routable: number;
  nonResource: number;
  subresource: number;
  /** Lines whose fields are not in the apiserver's order. */
  reordered: number;
}

export interface GenerateOptions {
  /** Stop after the first line that reaches this size. */
  bytes: number;
  seed?: number;
  /** Share of lines with reordered fields (default 0.02). */
  reorderShare?: number;
}

/** A string as Go's encoding/json writes it (HTML-safe escaping on, as the audit backend has it). */
export function goJSONString(s: string): string {
  return NEEDS_ESCAPE.test(s) ? `"${s.replace(ESCAPED, escapeChar)}"` : `"${s}"`;
}

// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /["\\\u0000-\u001f&<>\u2028\u2029]/;
// eslint-disable-next-line no-control-regex
const ESCAPED = /["\\\u0000-\u001f&<>\u2028\u2029]/g;
const SHORT: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
const escapeChar = (c: string) => SHORT[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** A JSON value serialized the way Go does (object keys in the order given). */
function goJSON(v: unknown): string {
  if (typeof v === 'string') return goJSONString(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(goJSON).join(',')}]`;
  let s = '';
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (x === undefined) continue;
    s += `${s ? ',' : ''}${goJSONString(k)}:${goJSON(x)}`;
  }
  return `{${s}}`;
}

const K8S = 'v1.36.0';
const BUILD = '(linux/amd64) kubernetes/a1b2c3d';
const CONTROLLERS = ['replicaset-controller', 'deployment-controller', 'endpointslice-controller', 'namespace-controller', 'garbage-collector', 'job-controller', 'daemon-set-controller', 'statefulset-controller', 'node-controller', 'resourcequota-controller'];
const NAMESPACES = ['default', 'kube-system', 'monitoring', 'ingress-nginx', 'payments', 'search', 'checkout', 'cert-manager', 'argocd', 'logging'];
const APPS = ['web', 'api', 'worker', 'cache', 'db-proxy', 'frontend', 'ledger', 'indexer'];

/** group/version path prefix, resource, namespaced. */
const RESOURCES: readonly [string, string, boolean][] = [
  ['/api/v1', 'pods', true],
  ['/api/v1', 'configmaps', true],
  ['/api/v1', 'secrets', true],
  ['/api/v1', 'services', true],
  ['/api/v1', 'endpoints', true],
  ['/api/v1', 'nodes', false],
  ['/api/v1', 'namespaces', false],
  ['/api/v1', 'events', true],
  ['/api/v1', 'serviceaccounts', true],
  ['/api/v1', 'persistentvolumeclaims', true],
  ['/apis/apps/v1', 'deployments', true],
  ['/apis/apps/v1', 'replicasets', true],
  ['/apis/apps/v1', 'statefulsets', true],
  ['/apis/apps/v1', 'daemonsets', true],
  ['/apis/batch/v1', 'jobs', true],
  ['/apis/coordination.k8s.io/v1', 'leases', true],
  ['/apis/discovery.k8s.io/v1', 'endpointslices', true],
  ['/apis/rbac.authorization.k8s.io/v1', 'clusterroles', false],
  ['/apis/networking.k8s.io/v1', 'ingresses', true],
];

const LEASES = RESOURCES.find((q) => q[1] === 'leases')!;
const NODES = RESOURCES.find((q) => q[1] === 'nodes')!;
const DEPLOYMENTS = RESOURCES.find((q) => q[1] === 'deployments')!;
const MOUNTED = RESOURCES.filter((q) => q[1] === 'configmaps' || q[1] === 'secrets');
const NAMESPACED = RESOURCES.filter((q) => q[2]);

interface Req {
  verb: string;
  uri: string;
  user: { username: string; uid?: string; groups: string[] };
  userAgent: string;
  sourceIP: string;
  objectRef?: { resource: string; namespace?: string; name?: string; apiGroup?: string; apiVersion: string; subresource?: string };
  code: number;
  level: 'Metadata' | 'Request';
  body?: unknown;
  /** ms from RequestReceived to the last stage. */
  latencyMs: number;
  kind: 'routable' | 'nonResource' | 'subresource';
  watch: boolean;
}

/** Writes the log to `path` and says what it wrote. */
export function generateAuditLog(path: string, opts: GenerateOptions): GeneratedLog {
  const r = mulberry32(opts.seed ?? 1);
  const reorderShare = opts.reorderShare ?? 0.02;
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const hex = (n: number) => {
    let s = '';
    while (s.length < n) s += ((r() * 0x100000000) >>> 0).toString(16).padStart(8, '0');
    return s.slice(0, n);
  };
  const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
  const nodes = Array.from({ length: 50 }, (_, i) => `node-${String(i).padStart(3, '0')}`);
  const podName = () => `${pick(APPS)}-${hex(10)}-${hex(5)}`;

  let nowUs = Date.UTC(2026, 11, 3, 8, 0, 0) * 1000;
  let now = nowUs / 1000;
  let rev = 4_000_000;
  const out: GeneratedLog = { bytes: 0, lines: 0, requests: 0, responseComplete: 0, routable: 0, nonResource: 0, subresource: 0, reordered: 0 };

  // RFC 3339 with microseconds, as Go writes metav1.MicroTime; the second's text is reused.
  let tsSecond = -1;
  let tsPrefix = '';
  const ts = (us: number) => {
    const sec = Math.floor(us / 1e6);
    if (sec !== tsSecond) {
      tsSecond = sec;
      tsPrefix = new Date(sec * 1000).toISOString().slice(0, 19);
    }
    return `${tsPrefix}.${String(us - sec * 1e6).padStart(6, '0')}Z`;
  };
  const sa = (ns: string, name: string) => ({ username: `system:serviceaccount:${ns}:${name}`, uid: uuid(), groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'] });

  const ref = (res: readonly [string, string, boolean], ns?: string, name?: string, subresource?: string) => {
    const group = res[0] === '/api/v1' ? '' : res[0].split('/')[2]!;
    return { resource: res[1], ...(ns ? { namespace: ns } : {}), ...(name ? { name } : {}), ...(group ? { apiGroup: group } : {}), apiVersion: res[0].split('/').pop()!, ...(subresource ? { subresource } : {}) };
  };
  const collection = (res: readonly [string, string, boolean], ns?: string) => (res[2] && ns ? `${res[0]}/namespaces/${ns}/${res[1]}` : `${res[0]}/${res[1]}`);

  const continueToken = (rv: number, start: string) => Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start: `${start}\u0000` })).toString('base64url');

  const pod = (ns: string, name: string) => ({
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: {
      name,
      namespace: ns,
      labels: { app: name.split('-')[0]!, 'pod-template-hash': hex(10) },
      annotations: { 'kubectl.kubernetes.io/restartedAt': ts((now - 3_600_000) * 1000), note: 'line one\nline "two" <b>&</b>\ttab \\ backslash' },
    },
    spec: { nodeName: pick(nodes), containers: [{ name: 'main', image: `registry.example/${name.split('-')[0]}:1.${int(0, 40)}`, args: ['--listen=:8080', '--config={"a":1}'], resources: { requests: { cpu: '100m', memory: '128Mi' } } }] },
  });
  const applied = (ns: string, name: string) => {
    const obj = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: ns, annotations: {} }, spec: { replicas: int(1, 9), selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name, image: `registry.example/${name}:2.${int(0, 30)}` }] } } } };
    return { metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(obj) + '\n' } }, spec: { replicas: obj.spec.replicas } };
  };

  // Informer state: a list, then a watch from its resourceVersion that ends after minutes.
  const openWatches: { at: number; line: () => string }[] = [];

  function request(): Req {
    const x = r();
    const ns = pick(NAMESPACES);
    if (x < 0.22) {
      // kubelet: its pods (watch by field selector), GETs of what its pods mount, its lease, node status.
      const node = pick(nodes);
      const user = { username: `system:node:${node}`, groups: ['system:nodes', 'system:authenticated'] };
      const userAgent = `kubelet/${K8S} ${BUILD}`;
      const y = r();
      const base = { user, userAgent, sourceIP: `10.0.${int(0, 3)}.${int(2, 250)}`, code: 200, level: 'Metadata' as const, latencyMs: int(1, 15), kind: 'routable' as const, watch: false };
      if (y < 0.35) {
        const res = pick(MOUNTED);
        const name = `${pick(APPS)}-${pick(['config', 'tls', 'env'])}`;
        return { ...base, verb: 'get', uri: `${collection(res, ns)}/${name}?resourceVersion=${pick(['0', ''])}`.replace(/\?resourceVersion=$/, ''), objectRef: ref(res, ns, name), code: pick([200, 200, 200, 404]) };
      }
      if (y < 0.55) {
        const lease = LEASES;
        return { ...base, verb: 'update', uri: `${collection(lease, 'kube-node-lease')}/${node}?timeout=10s`, objectRef: ref(lease, 'kube-node-lease', node), level: 'Request', body: { kind: 'Lease', apiVersion: 'coordination.k8s.io/v1', metadata: { name: node, namespace: 'kube-node-lease', resourceVersion: String(rev - int(0, 50_000)) }, spec: { holderIdentity: node, leaseDurationSeconds: 40, renewTime: ts(nowUs) } } };
      }
      if (y < 0.7) {
        const nodesRes = NODES;
        return { ...base, verb: 'patch', uri: `/api/v1/nodes/${node}/status?timeout=10s`, objectRef: ref(nodesRes, undefined, node, 'status'), kind: 'subresource', level: 'Request', body: { status: { conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: ts(nowUs) }] } } };
      }
      if (y < 0.85) {
        const pods = RESOURCES[0]!;
        return { ...base, verb: 'watch', uri: `/api/v1/pods?allowWatchBookmarks=true&fieldSelector=spec.nodeName%3D${node}&resourceVersion=${rev - int(0, 500)}&timeout=${int(5, 9)}m${int(0, 59)}s&timeoutSeconds=${int(300, 599)}&watch=true`, objectRef: ref(pods), latencyMs: int(300_000, 600_000), watch: true };
      }
      const pods = RESOURCES[0]!;
      const name = podName();
      return { ...base, verb: 'get', uri: `/api/v1/namespaces/${ns}/pods/${name}`, objectRef: ref(pods, ns, name) };
    }
    if (x < 0.5) {
      // controller-manager informers and their writes.
      const c = pick(CONTROLLERS);
      const user = sa('kube-system', c);
      const userAgent = `kube-controller-manager/${K8S} ${BUILD}/system:serviceaccount:kube-system:${c}`;
      const res = pick(RESOURCES);
      const base = { user, userAgent, sourceIP: '10.0.0.2', code: 200, level: 'Metadata' as const, latencyMs: int(1, 40), kind: 'routable' as const, watch: false };
      const y = r();
      if (y < 0.12) return { ...base, verb: 'list', uri: `${res[0]}/${res[1]}?limit=500&resourceVersion=0`, objectRef: ref(res), latencyMs: int(5, 400) };
      if (y < 0.4) {
        return { ...base, verb: 'watch', uri: `${res[0]}/${res[1]}?allowWatchBookmarks=true&resourceVersion=${rev - int(0, 2000)}&timeout=${int(5, 9)}m${int(0, 59)}s&timeoutSeconds=${int(300, 599)}&watch=true`, objectRef: ref(res), latencyMs: int(300_000, 600_000), watch: true };
      }
      if (y < 0.5) {
        // A watch-list (WatchList gate): the initial state streamed, then the watch.
        return { ...base, verb: 'watch', uri: `${res[0]}/${res[1]}?allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&sendInitialEvents=true&timeoutSeconds=${int(300, 599)}&watch=true`, objectRef: ref(res), latencyMs: int(300_000, 600_000), watch: true };
      }
      if (y < 0.7) {
        const name = res[1] === 'pods' ? podName() : `${pick(APPS)}-${hex(5)}`;
        const n = res[2] ? ns : undefined;
        return { ...base, verb: 'get', uri: `${collection(res, n)}/${name}`, objectRef: ref(res, n, name), code: pick([200, 200, 404]) };
      }
      const name = podName();
      const pods = RESOURCES[0]!;
      const w = r();
      if (w < 0.5) return { ...base, verb: 'create', uri: `/api/v1/namespaces/${ns}/pods`, objectRef: ref(pods, ns), code: 201, level: 'Request', body: pod(ns, name) };
      if (w < 0.8) return { ...base, verb: 'patch', uri: `/api/v1/namespaces/${ns}/pods/${name}/status`, objectRef: ref(pods, ns, name, 'status'), kind: 'subresource', level: 'Request', body: { status: { phase: 'Running' } } };
      return { ...base, verb: 'delete', uri: `/api/v1/namespaces/${ns}/pods/${name}`, objectRef: ref(pods, ns, name), level: 'Request', body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' } };
    }
    if (x < 0.6) {
      // An operator that paginates consistent LISTs (RV "") with label selectors.
      const user = sa('monitoring', 'inventory-operator');
      const userAgent = 'inventory-operator/v0.9.2 (linux/amd64) go-client/v0.31.1';
      const res = pick(NAMESPACED);
      const sel = `labelSelector=${encodeURIComponent(`app in (${pick(APPS)},${pick(APPS)}),tier!=test`)}`;
      const base = { verb: 'list', user, userAgent, sourceIP: '10.2.1.7', code: 200, level: 'Metadata' as const, latencyMs: int(20, 900), kind: 'routable' as const, watch: false, objectRef: ref(res) };
      if (r() < 0.6) return { ...base, uri: `${res[0]}/${res[1]}?${sel}&limit=500` };
      const tokenRV = rev - int(0, 3000);
      return { ...base, uri: `${res[0]}/${res[1]}?continue=${continueToken(tokenRV, `${ns}/${pick(APPS)}-${hex(6)}`)}&${sel}&limit=500` };
    }
    if (x < 0.68) {
      // The scheduler: binds pods (a subresource), watches unscheduled pods.
      const user = { username: 'system:kube-scheduler', groups: ['system:authenticated'] };
      const userAgent = `kube-scheduler/${K8S} ${BUILD}/scheduler`;
      const pods = RESOURCES[0]!;
      const base = { user, userAgent, sourceIP: '10.0.0.3', code: 201, level: 'Request' as const, latencyMs: int(2, 30), watch: false };
      if (r() < 0.7) {
        const name = podName();
        return { ...base, verb: 'create', uri: `/api/v1/namespaces/${ns}/pods/${name}/binding`, objectRef: ref(pods, ns, name, 'binding'), kind: 'subresource', body: { kind: 'Binding', apiVersion: 'v1', metadata: { name, namespace: ns }, target: { kind: 'Node', name: pick(nodes) } } };
      }
      return { ...base, verb: 'watch', code: 200, level: 'Metadata', uri: `/api/v1/pods?allowWatchBookmarks=true&fieldSelector=status.phase%21%3DSucceeded%2Cstatus.phase%21%3DFailed&resourceVersion=${rev - int(0, 100)}&timeoutSeconds=${int(300, 599)}&watch=true`, objectRef: ref(pods), latencyMs: int(300_000, 600_000), kind: 'routable', watch: true };
    }
    if (x < 0.76) {
      // People with kubectl: gets, lists with selectors, apply, logs.
      const who = pick(['alice@example.com', 'bob@example.com', 'ci-deployer']);
      const user = { username: who, groups: ['system:authenticated', 'developers'] };
      const userAgent = `kubectl/${K8S} (linux/amd64) kubernetes/a1b2c3d`;
      const base = { user, userAgent, sourceIP: `192.168.${int(1, 9)}.${int(2, 250)}`, code: 200, level: 'Metadata' as const, latencyMs: int(3, 120), kind: 'routable' as const, watch: false };
      const y = r();
      const dep = DEPLOYMENTS;
      if (y < 0.3) return { ...base, verb: 'list', uri: `/api/v1/namespaces/${ns}/pods?limit=500`, objectRef: ref(RESOURCES[0]!, ns) };
      if (y < 0.45) return { ...base, verb: 'list', uri: `/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent(`app=${pick(APPS)}`)}&limit=500`, objectRef: ref(RESOURCES[0]!, ns) };
      if (y < 0.6) {
        const name = pick(APPS);
        return { ...base, verb: 'get', uri: `/apis/apps/v1/namespaces/${ns}/deployments/${name}`, objectRef: ref(dep, ns, name), code: pick([200, 404]) };
      }
      if (y < 0.75) {
        const name = pick(APPS);
        return { ...base, verb: 'patch', uri: `/apis/apps/v1/namespaces/${ns}/deployments/${name}?fieldManager=kubectl-client-side-apply&fieldValidation=Strict`, objectRef: ref(dep, ns, name), level: 'Request', body: applied(ns, name) };
      }
      if (y < 0.85) {
        const name = podName();
        return { ...base, verb: 'get', uri: `/api/v1/namespaces/${ns}/pods/${name}/log?container=main&follow=true&tailLines=100`, objectRef: ref(RESOURCES[0]!, ns, name, 'log'), kind: 'subresource', latencyMs: int(1000, 60_000) };
      }
      if (y < 0.92) {
        // An exact-revision read (resourceVersionMatch=Exact), as some tools page through history.
        return { ...base, verb: 'list', uri: `/api/v1/namespaces/${ns}/configmaps?limit=100&resourceVersion=${rev - int(0, 900)}&resourceVersionMatch=Exact`, objectRef: ref(RESOURCES[1]!, ns) };
      }
      return { ...base, verb: 'list', uri: `/api/v1/namespaces/${ns}/events?fieldSelector=${encodeURIComponent(`involvedObject.name=${pick(APPS)},type!=Normal`)}&limit=500&resourceVersion=${rev - int(0, 50)}&resourceVersionMatch=NotOlderThan`, objectRef: ref(RESOURCES[7]!, ns) };
    }
    if (x < 0.84) {
      // kube-apiserver itself (its loopback client): the kubernetes service endpoints, its lease.
      const user = { username: 'system:apiserver', uid: 'b1d2c3e4-0000-4000-a000-000000000001', groups: ['system:authenticated', 'system:masters'] };
      const userAgent = `kube-apiserver/${K8S} ${BUILD}`;
      const base = { user, userAgent, sourceIP: '::1', code: 200, level: 'Metadata' as const, latencyMs: int(1, 8), kind: 'routable' as const, watch: false };
      if (r() < 0.5) return { ...base, verb: 'get', uri: '/api/v1/namespaces/default/endpoints/kubernetes', objectRef: ref(RESOURCES[4]!, 'default', 'kubernetes') };
      const lease = LEASES;
      const name = `apiserver-${hex(26)}`;
      return { ...base, verb: 'get', uri: `/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/${name}`, objectRef: ref(lease, 'kube-system', name) };
    }
    // Probes and discovery: not resources.
    const user = pick([{ username: 'system:anonymous', groups: ['system:unauthenticated'] }, { username: 'system:serviceaccount:monitoring:prometheus', groups: ['system:serviceaccounts', 'system:authenticated'] }]);
    const uri = pick(['/healthz', '/readyz', '/livez', '/metrics', '/version', '/api', '/apis', '/openapi/v2?timeout=32s', '/readyz?verbose=true&exclude=etcd']);
    return { verb: 'get', uri, user, userAgent: pick(['kube-probe/1.36', 'Prometheus/2.53.0', 'Go-http-client/2.0']), sourceIP: `10.0.${int(0, 3)}.${int(2, 250)}`, code: 200, level: 'Metadata', latencyMs: int(0, 5), kind: 'nonResource', watch: false };
  }

  const encoded = new Map<string, string>();
  const once = (key: string, make: () => string) => {
    let v = encoded.get(key);
    if (v === undefined) encoded.set(key, (v = make()));
    return v;
  };

  /** The request's fields, each already encoded: a stage's line is their concatenation. */
  function encode(q: Req, id: string): [string, string][] {
    const who = q.user.username.split(':').pop();
    return [
      ['kind', '"Event"'],
      ['apiVersion', '"audit.k8s.io/v1"'],
      ['level', `"${q.level}"`],
      ['auditID', `"${id}"`],
      ['stage', ''],
      ['requestURI', goJSONString(q.uri)],
      ['verb', `"${q.verb}"`],
      // A user's uid differs per token; the rest of the identity repeats.
      ['user', q.user.uid ? goJSON(q.user) : once(`u${q.user.username}`, () => goJSON(q.user))],
      ['sourceIPs', `["${q.sourceIP}"]`],
      ['userAgent', once(`a${q.userAgent}`, () => goJSONString(q.userAgent))],
      ['objectRef', q.objectRef ? goJSON(q.objectRef) : ''],
      ['responseStatus', ''],
      ['requestObject', q.level === 'Request' && q.body !== undefined ? goJSON(q.body) : ''],
      ['requestReceivedTimestamp', ''],
      ['stageTimestamp', ''],
      ['annotations', once(`r${q.user.username}`, () => goJSON({ 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': `RBAC: allowed by ClusterRoleBinding "system:${who}" of ClusterRole "system:${who}" to User "${q.user.username}"` }))],
    ];
  }

  function line(q: Req, fields: [string, string][], stage: string, receivedUs: number, atUs: number): string {
    const first = stage === 'RequestReceived';
    const status = first
      ? ''
      : q.code >= 400
        ? goJSON({ metadata: {}, status: 'Failure', message: `${q.objectRef?.resource ?? 'object'} "${q.objectRef?.name ?? ''}" not found`, reason: 'NotFound', details: { name: q.objectRef?.name, kind: q.objectRef?.resource }, code: q.code })
        : `{"metadata":{},"code":${q.code}}`;
    const values: Record<string, string> = { stage: `"${stage}"`, responseStatus: status, requestReceivedTimestamp: `"${ts(receivedUs)}"`, stageTimestamp: `"${ts(atUs)}"` };
    const parts: string[] = [];
    for (const [k, v0] of fields) {
      const v = values[k] ?? (k === 'annotations' && first ? '' : v0);
      if (v !== '') parts.push(`"${k}":${v}`);
    }
    if (r() < reorderShare) {
      out.reordered++;
      for (let i = parts.length - 1; i > 0; i--) {
        const j = Math.floor(r() * (i + 1));
        [parts[i], parts[j]] = [parts[j]!, parts[i]!];
      }
    }
    return `{${parts.join(',')}}`;
  }

  const fd = openSync(path, 'w');
  try {
    let chunk: string[] = [];
    let chunkChars = 0;
    const emit = (l: string) => {
      chunk.push(l);
      chunkChars += l.length + 1;
      out.lines++;
      if (chunkChars > 1 << 22) flush();
    };
    const flush = () => {
      if (chunk.length === 0) return;
      const b = Buffer.from(chunk.join('\n') + '\n');
      writeSync(fd, b);
      out.bytes += b.length;
      chunk = [];
      chunkChars = 0;
    };
    // Lines of short requests wait a few lines before their last stage, as concurrent requests interleave.
    const pending: { due: number; text: () => string }[] = [];
    while (out.bytes + chunkChars < opts.bytes) {
      nowUs += int(0, 3000);
      now = Math.floor(nowUs / 1000);
      const q = request();
      if (q.verb !== 'get' && q.verb !== 'list' && q.verb !== 'watch' && q.kind === 'routable') rev += int(1, 3);
      const id = uuid();
      const received = nowUs;
      out.requests++;
      out[q.kind]++;
      const fields = encode(q, id);
      const done = received + q.latencyMs * 1000 + int(0, 999);
      emit(line(q, fields, 'RequestReceived', received, received));
      if (q.watch) {
        emit(line(q, fields, 'ResponseStarted', received, received + int(1000, 30_000)));
        openWatches.push({ at: done, line: () => line(q, fields, 'ResponseComplete', received, done) });
      } else {
        pending.push({ due: out.lines + int(1, 8), text: () => line(q, fields, 'ResponseComplete', received, done) });
      }
      for (let i = 0; i < pending.length; ) {
        if (pending[i]!.due <= out.lines) {
          emit(pending[i]!.text());
          out.responseComplete++;
          pending.splice(i, 1);
        } else i++;
      }
      // Watches end in time order, minutes after they began.
      if (openWatches.length > 64) {
        openWatches.sort((a, b) => a.at - b.at);
        while (openWatches.length > 32) {
          emit(openWatches.shift()!.line());
          out.responseComplete++;
        }
      }
    }
    for (const p of pending) {
      emit(p.text());
      out.responseComplete++;
    }
    for (const w of openWatches.sort((a, b) => a.at - b.at)) {
      emit(w.line());
      out.responseComplete++;
    }
    flush();
  } finally {
    closeSync(fd);
  }
  return out;
}
