// Legacy (non-aggregated) discovery: /version, /api, /api/v1, /apis, /apis/<g>/<v>. Clients that
// ask for aggregated discovery (application/json;g=apidiscovery.k8s.io;v=v2) list application/json
// as a fallback in Accept; answering the plain form with Content-Type application/json makes
// client-go's discovery fall back to per-group-version requests, which kubectl 1.27+ handles.
import type { ResourceRegistry } from '../resources.js';

export interface VersionInfo {
  major: string;
  minor: string;
  gitVersion: string;
  gitCommit: string;
  gitTreeState: string;
  buildDate: string;
  goVersion: string;
  compiler: string;
  platform: string;
}

/** `minor` like "34" → v1.34.0-watchscope. */
export function versionInfo(minor: string | number): VersionInfo {
  const m = String(minor).replace(/^1\./, '').replace(/\..*$/, '');
  return {
    major: '1',
    minor: m,
    gitVersion: `v1.${m}.0-watchscope`,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '1970-01-01T00:00:00Z',
    goVersion: `node${process.versions.node}`,
    compiler: 'gc',
    platform: `${process.platform}/${process.arch}`,
  };
}

export function apiVersions(serverAddress: string): unknown {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

export function apiGroupList(reg: ResourceRegistry): unknown {
  const groups = reg
    .groups()
    .filter((g) => g.group !== '')
    .map((g) => {
      const versions = g.versions.map((v) => ({ groupVersion: `${g.group}/${v}`, version: v }));
      return { name: g.group, versions, preferredVersion: versions[0] };
    });
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}

export function apiGroup(reg: ResourceRegistry, group: string): unknown | undefined {
  const g = reg.groups().find((x) => x.group === group);
  if (!g || group === '') return undefined;
  const versions = g.versions.map((v) => ({ groupVersion: `${g.group}/${v}`, version: v }));
  return { kind: 'APIGroup', apiVersion: 'v1', name: g.group, versions, preferredVersion: versions[0] };
}

export function apiResourceList(reg: ResourceRegistry, group: string, version: string): unknown | undefined {
  const rs = reg.inGroupVersion(group, version);
  if (rs.length === 0) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group ? `${group}/${version}` : version,
    resources: rs.map((r) => {
      const out: Record<string, unknown> = {
        name: r.resource,
        singularName: r.singularName,
        namespaced: r.namespaced,
        kind: r.kind,
        verbs: r.verbs,
      };
      if (r.shortNames.length) out.shortNames = r.shortNames;
      if (r.categories?.length) out.categories = r.categories;
      return out;
    }),
  };
}
