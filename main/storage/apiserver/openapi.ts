// A minimal OpenAPI v3 discovery. kubectl (1.27+) asks /openapi/v3 whether the server validates
// fields itself (the fieldValidation query parameter on each kind's PATCH); when it finds that,
// it sends fieldValidation=Strict and skips client-side validation, which would otherwise need
// full schemas (`kubectl apply` fails with "failed to download openapi" on a bare 404). The
// documents carry paths and the GVK extension but no schemas: kubectl then computes apply's
// strategic merge patch from its compiled-in types, as it does for a server without OpenAPI.
// The server accepts fieldValidation but does not check unknown fields (no schemas).
import { createHash } from 'node:crypto';
import type { ResourceRegistry, ResourceInfo } from '../resources.js';

const gvPath = (group: string, version: string) => (group ? `apis/${group}/${version}` : `api/${version}`);

function operationParams(): unknown[] {
  return ['dryRun', 'fieldManager', 'fieldValidation', 'force'].map((name) => ({
    name,
    in: 'query',
    description: name,
    schema: { type: name === 'force' ? 'boolean' : 'string', uniqueItems: true },
  }));
}

function paths(res: ResourceInfo): Record<string, unknown> {
  const gvk = { group: res.group, version: res.version, kind: res.kind };
  const base = `/${gvPath(res.group, res.version)}${res.namespaced ? '/namespaces/{namespace}' : ''}/${res.resource}`;
  const op = (action: string) => ({
    description: `${action} ${res.kind}`,
    operationId: `${action}${res.kind}`,
    parameters: operationParams(),
    responses: { '200': { description: 'OK' } },
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk,
  });
  return {
    [base]: { post: op('post'), get: op('list') },
    [`${base}/{name}`]: { get: op('get'), put: op('put'), patch: op('patch'), delete: op('delete') },
  };
}

export function openAPIV3Doc(reg: ResourceRegistry, group: string, version: string, gitVersion: string): unknown | undefined {
  const rs = reg.inGroupVersion(group, version);
  if (rs.length === 0) return undefined;
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: gitVersion },
    paths: Object.assign({}, ...rs.map(paths)),
    components: { schemas: {} },
  };
}

export function openAPIV3Root(reg: ResourceRegistry, gitVersion: string): unknown {
  const out: Record<string, { serverRelativeURL: string }> = {};
  for (const g of reg.groups()) {
    for (const v of g.versions) {
      const p = gvPath(g.group, v);
      const hash = createHash('sha512').update(JSON.stringify(openAPIV3Doc(reg, g.group, v, gitVersion))).digest('hex').slice(0, 32).toUpperCase();
      out[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${hash}` };
    }
  }
  return { paths: out };
}
