// Errors carry the Kubernetes Status a real kube-apiserver would send for the same condition
// (apimachinery pkg/api/errors), so the endpoint can answer with the right code and body.

export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'Expired'
  | 'Invalid'
  | 'Timeout'
  | 'TooManyRequests'
  | 'InternalError'
  | 'ServiceUnavailable'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'UnsupportedMediaType'
  | '';

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message: string;
  reason?: StatusReason;
  details?: StatusDetails;
  code: number;
}

export class StatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: StatusReason,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
    this.name = 'StatusError';
  }

  toStatus(): Status {
    const s: Status = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      code: this.code,
    };
    if (this.reason) s.reason = this.reason;
    if (this.details) s.details = this.details;
    return s;
  }

  get retryAfterSeconds(): number | undefined {
    return this.details?.retryAfterSeconds;
  }
}

export const isStatusError = (e: unknown): e is StatusError => e instanceof StatusError;

const qualified = (group: string, resource: string) => (group ? `${resource}.${group}` : resource);

export function newNotFound(group: string, resource: string, name: string): StatusError {
  return new StatusError(404, 'NotFound', `${qualified(group, resource)} "${name}" not found`, {
    name,
    group: group || undefined,
    kind: resource,
  });
}

export function newAlreadyExists(group: string, resource: string, name: string): StatusError {
  return new StatusError(409, 'AlreadyExists', `${qualified(group, resource)} "${name}" already exists`, {
    name,
    group: group || undefined,
    kind: resource,
  });
}

export function newConflict(group: string, resource: string, name: string, why: string): StatusError {
  return new StatusError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualified(group, resource)} "${name}": ${why}`,
    { name, group: group || undefined, kind: resource },
  );
}

export function newBadRequest(message: string): StatusError {
  return new StatusError(400, 'BadRequest', message);
}

/** HTTP 410 Expired, e.g. "too old resource version: 5 (10)". */
export function newResourceExpired(message: string): StatusError {
  return new StatusError(410, 'Expired', message);
}

/** HTTP 410 Gone as etcd3 storage reports a compacted list/continue revision. */
export function newGone(message: string): StatusError {
  return new StatusError(410, 'Expired', message);
}

/** storage.NewTooLargeResourceVersionError: 504 Timeout with a ResourceVersionTooLarge cause. */
export function newTooLargeResourceVersion(requested: number, current: number, retryAfterSeconds: number): StatusError {
  const details: StatusDetails = {
    causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
  };
  if (retryAfterSeconds > 0) details.retryAfterSeconds = retryAfterSeconds;
  return new StatusError(
    504,
    'Timeout',
    `Timeout: Too large resource version: ${requested}, current: ${current}`,
    details,
  );
}

export const isTooLargeResourceVersion = (e: unknown): boolean =>
  e instanceof StatusError &&
  e.code === 504 &&
  !!e.details?.causes?.some((c) => c.reason === 'ResourceVersionTooLarge');

export function newTooManyRequests(message: string, retryAfterSeconds: number): StatusError {
  return new StatusError(429, 'TooManyRequests', message, { retryAfterSeconds });
}

export function newServiceUnavailable(message: string): StatusError {
  return new StatusError(503, 'ServiceUnavailable', message);
}

export function newInternalError(message: string): StatusError {
  return new StatusError(500, 'InternalError', `Internal error occurred: ${message}`, {
    causes: [{ message }],
  });
}

/**
 * NewInvalid for kind ListOptions etc.: 422 with one cause per field error. With `group` the
 * message names the qualified kind (`ListOptions.meta.k8s.io "" is invalid: ...`) and the
 * details carry the group, as upstream's NewInvalid(GroupKind, ...) does.
 */
export function newInvalid(
  kind: string,
  name: string,
  causes: { field: string; message: string; type?: string }[],
  group?: string,
): StatusError {
  const text = causes.map((c) => `${c.field}: ${c.message}`).join(', ');
  const msg = causes.length === 1 ? text : `[${text}]`;
  const qualifiedKind = group ? `${kind}.${group}` : kind;
  // Go's field order (name, group, kind, causes); an empty name is omitted (omitempty), so
  // ListOptions errors carry none.
  const details: StatusDetails = {
    ...(name ? { name } : {}),
    ...(group ? { group } : {}),
    kind,
    causes: causes.map((c) => ({ reason: c.type ?? 'FieldValueForbidden', message: c.message, field: c.field })),
  };
  return new StatusError(422, 'Invalid', `${qualifiedKind} ${JSON.stringify(name)} is invalid: ${msg}`, details);
}
