// Turns a request path + method into what upstream's RequestInfoFactory produces: API group,
// version, resource, namespace, name and verb (list vs get, watch from ?watch=).
import type { Verb } from '../../../shared/model.js';

export interface RequestInfo {
  isResourceRequest: boolean;
  path: string;
  group: string;
  version: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  verb: Verb | 'deletecollection' | 'unknown';
  query: Record<string, string>;
}

const truthy = (v: string | undefined) => v === '1' || v === 'true';

export function parseRequestInfo(method: string, rawUrl: string): RequestInfo {
  const url = new URL(rawUrl, 'http://x');
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = v;
  const path = url.pathname;
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const info: RequestInfo = { isResourceRequest: false, path, group: '', version: '', resource: '', verb: 'unknown', query };

  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 2) {
    info.version = parts[1]!;
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 3) {
    info.group = parts[1]!;
    info.version = parts[2]!;
    rest = parts.slice(3);
  } else {
    return info;
  }
  if (rest.length === 0) return info;

  // /namespaces/{ns}/{resource}... is namespaced; /namespaces and /namespaces/{name} are the
  // namespace resource itself (and /namespaces/{name}/status its subresource).
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    info.namespace = rest[1];
    rest = rest.slice(2);
  }
  info.resource = rest[0]!;
  if (rest.length >= 2) info.name = rest[1];
  if (rest.length >= 3) info.subresource = rest.slice(2).join('/');
  info.isResourceRequest = true;

  const m = method.toUpperCase();
  switch (m) {
    case 'GET':
    case 'HEAD':
      info.verb = truthy(query.watch) ? 'watch' : info.name ? 'get' : 'list';
      break;
    case 'POST':
      info.verb = 'create';
      break;
    case 'PUT':
      info.verb = 'update';
      break;
    case 'PATCH':
      info.verb = 'patch';
      break;
    case 'DELETE':
      info.verb = info.name ? 'delete' : 'deletecollection';
      break;
  }
  return info;
}
