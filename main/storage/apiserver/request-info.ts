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

/**
 * The request target's path, percent-decoded as a whole, and its raw query. Go's server decodes
 * the path before anything splits it, so `a%2Fb` is two segments (a path kube-apiserver does not
 * route: 404), and it never resolves dot segments, so `..` stays a segment the handlers refuse —
 * WHATWG URL parsing would do both differently. Throws on a target that is not origin-form or
 * absolute-form, or on bad percent-encoding.
 */
function splitTarget(rawUrl: string): { path: string; search: string } {
  let target = rawUrl;
  if (!target.startsWith('/')) {
    // absolute-form (http://host/path): the host must parse; the path is taken raw.
    const m = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)([^#]*)/i.exec(target);
    if (!m) throw new URIError('request target is neither a path nor an absolute URL');
    new URL(`http://${m[1]}/`);
    target = m[2]!.startsWith('/') ? m[2]! : `/${m[2]!}`;
  }
  const q = target.indexOf('?');
  const rawPath = q < 0 ? target : target.slice(0, q);
  return { path: decodeURIComponent(rawPath), search: q < 0 ? '' : target.slice(q + 1) };
}

export function parseRequestInfo(method: string, rawUrl: string): RequestInfo {
  const { path, search } = splitTarget(rawUrl);
  const query: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(search)) query[k] = v;
  const parts = path.split('/').filter(Boolean);
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
