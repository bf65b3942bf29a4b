// Names and namespaces as kube-apiserver checks them: a name in the path is a path segment
// (content.IsPathSegmentName, checked by the registry's key function on every verb), a namespace
// that is `.` or `..` makes the storage key invalid (storage.PrepareKey: a 500 without reason),
// and a created object's name and namespace pass ValidateObjectMeta (DNS-1123 subdomain / label).
import { DNS1123_LABEL, DNS1123_SUBDOMAIN } from '../../dns1123.js';
import { StatusError, newBadRequest } from '../../errors.js';
import type { ResourceRequestContext } from '../context.js';
import { writeStatus } from '../respond.js';

const quote = (s: string) => JSON.stringify(s);

/** content.IsPathSegmentName: the messages for a name that cannot be one segment of a key. */
export function pathSegmentNameProblems(name: string): string[] {
  if (name === '.' || name === '..') return [`may not be '${name}'`];
  const problems: string[] = [];
  for (const c of ['/', '%']) if (name.includes(c)) problems.push(`may not contain '${c}'`);
  return problems;
}

/** validation.IsDNS1123Label's messages (namespace names). */
export function dns1123LabelProblems(v: string): string[] {
  const problems: string[] = [];
  if (v.length > 63) problems.push('must be no more than 63 characters');
  if (!DNS1123_LABEL.test(v)) {
    problems.push(
      DNS1123_SUBDOMAIN.test(v)
        ? 'must not contain dots'
        : "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
    );
  }
  return problems;
}

/** validation.IsDNS1123Subdomain's messages (most objects' names). */
export function dns1123SubdomainProblems(v: string): string[] {
  const problems: string[] = [];
  if (v.length > 253) problems.push('must be no more than 253 characters');
  if (!DNS1123_SUBDOMAIN.test(v)) {
    problems.push(
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    );
  }
  return problems;
}

/** field.Invalid causes for metadata.name (subdomain) and, for namespaced kinds, metadata.namespace (label). */
export function objectMetaCauses(name: string, namespace: string | undefined): { field: string; message: string; type: string }[] {
  const causes: { field: string; message: string; type: string }[] = [];
  if (!name) causes.push({ field: 'metadata.name', message: 'Required value: name or generateName is required', type: 'FieldValueRequired' });
  else for (const m of dns1123SubdomainProblems(name)) causes.push({ field: 'metadata.name', message: `Invalid value: ${quote(name)}: ${m}`, type: 'FieldValueInvalid' });
  if (namespace !== undefined) for (const m of dns1123LabelProblems(namespace)) causes.push({ field: 'metadata.namespace', message: `Invalid value: ${quote(namespace)}: ${m}`, type: 'FieldValueInvalid' });
  return causes;
}

const isDotSegment = (s: string) => s === '.' || s === '..';

/**
 * What the registry's key function and storage.PrepareKey refuse for this request's path, in
 * their order: a name that is not a path segment (400), then a namespace of `.` or `..` (500
 * "invalid key", the key named as upstream's storage sees it, without the etcd prefix).
 */
export function pathKeyError(ctx: ResourceRequestContext): StatusError | undefined {
  const { name, namespace } = ctx.info;
  if (name !== undefined) {
    const problems = pathSegmentNameProblems(name);
    if (problems.length) return newBadRequest(`Name parameter invalid: ${quote(name)}: ${problems.join(';')}`);
  }
  const res = ctx.resource;
  if (res.namespaced && namespace !== undefined && isDotSegment(namespace)) {
    const key = `/${res.etcdResourcePrefix}/${namespace}${name !== undefined ? `/${name}` : ''}`;
    return new StatusError(500, '', `invalid key: ${quote(key)}`);
  }
  return undefined;
}

/** pathKeyError answered and recorded as refused before storage; true when the request is done. */
export function refusedPathKey(ctx: ResourceRequestContext): boolean {
  const err = pathKeyError(ctx);
  if (!err) return false;
  ctx.record({ servedBy: 'rejected', reason: 'invalidRequest', detail: `Refused before storage: ${err.message}`, status: err.code });
  writeStatus(ctx.res, err);
  return true;
}
