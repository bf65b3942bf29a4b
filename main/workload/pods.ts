// The demo's objects: plain v1 Pods spread over namespaces and simulated nodes, labelled app=…,
// so that kubelet-style watches (fieldSelector=spec.nodeName=<node>, upstream's one indexed
// field for pods) and label selectors have something to select.

export const DEMO_LABEL = 'watchscope.dev/demo';

export interface PodSpecInput {
  namespace: string;
  name: string;
  node: string;
  app: string;
  generation: number;
  /** Extra annotation bytes, to make events heavier (fills watcher and socket buffers sooner). */
  padding?: number;
}

export const nodeName = (i: number): string => `node-${i}`;
export const namespaceName = (i: number, prefix = 'demo'): string => `${prefix}-${i}`;
export const APPS = ['web', 'api', 'worker', 'cache', 'batch'] as const;

export function podObject(p: PodSpecInput, resourceVersion?: string): Record<string, unknown> {
  const annotations: Record<string, string> = { 'watchscope.dev/generation': String(p.generation) };
  if (p.padding && p.padding > 0) annotations['watchscope.dev/padding'] = 'x'.repeat(p.padding);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: p.name,
      namespace: p.namespace,
      labels: { app: p.app, [DEMO_LABEL]: 'true' },
      annotations,
      ...(resourceVersion ? { resourceVersion } : {}),
    },
    spec: {
      nodeName: p.node,
      containers: [{ name: p.app, image: 'registry.k8s.io/pause:3.9' }],
    },
    status: { phase: 'Running' },
  };
}

export function namespaceObject(name: string): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { [DEMO_LABEL]: 'true' } } };
}

export const podsPath = (namespace?: string): string => (namespace ? `/api/v1/namespaces/${namespace}/pods` : '/api/v1/pods');
export const podPath = (namespace: string, name: string): string => `/api/v1/namespaces/${namespace}/pods/${name}`;
