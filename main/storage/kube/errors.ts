// Every way talking to a cluster can fail, turned into one sentence that says what happened and
// what to do. The UI shows `message` as is; `kind` lets callers decide whether retrying can help
// (a refused connection may heal, rejected credentials will not until the user acts).
import { StatusError, type Status, type StatusReason } from '../errors.js';

export type KubeErrorKind =
  | 'unreachable'
  | 'timeout'
  | 'tls'
  | 'unauthorized'
  | 'forbidden'
  | 'execPluginMissing'
  | 'execPluginFailed'
  | 'authProvider'
  | 'kubeconfig'
  | 'gone'
  | 'http';

export class KubeError extends Error {
  constructor(
    readonly kind: KubeErrorKind,
    message: string,
    /** HTTP status when the server answered. */
    readonly status?: number,
    /** The server's Status body, when it sent one. */
    readonly statusBody?: Status,
  ) {
    super(message);
    this.name = 'KubeError';
  }

  /** Whether retrying the same request later can succeed without the user doing anything. */
  get retriable(): boolean {
    return this.kind === 'unreachable' || this.kind === 'timeout' || (this.kind === 'http' && (this.status ?? 0) >= 500);
  }

  /** The Status to relay to a client of the endpoint. */
  toStatusError(): StatusError {
    const b = this.statusBody;
    if (b) return new StatusError(b.code || this.status || 500, b.reason ?? '', b.message, b.details);
    const code = this.status ?? (this.kind === 'unauthorized' ? 401 : this.kind === 'forbidden' ? 403 : 503);
    const reason: StatusReason = code === 401 ? 'Unauthorized' : code === 403 ? 'Forbidden' : code === 410 ? 'Expired' : 'ServiceUnavailable';
    return new StatusError(code, reason, this.message);
  }
}

export const isKubeError = (e: unknown): e is KubeError => e instanceof KubeError;

interface NodeishError {
  code?: string;
  message?: string;
  syscall?: string;
  path?: string;
  cause?: unknown;
}

const TLS_CA_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_SIGNATURE_FAILURE',
]);

/** A failure below HTTP: DNS, TCP, TLS, our own timeouts. */
export function explainNetworkError(err: unknown, server: string): KubeError {
  if (err instanceof KubeError) return err;
  const e = (err ?? {}) as NodeishError;
  const inner = (e.cause ?? {}) as NodeishError;
  const code = e.code ?? inner.code ?? '';
  const msg = e.message ?? String(err);
  const reach = `cannot reach ${server}`;
  const hint = 'is the cluster up / is this the right context?';
  switch (code) {
    case 'ECONNREFUSED':
      return new KubeError('unreachable', `${reach}: connection refused — ${hint}`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new KubeError('unreachable', `${reach}: the host name does not resolve — ${hint} (VPN needed?)`);
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new KubeError('unreachable', `${reach}: no route to host — ${hint} (VPN needed?)`);
    case 'ECONNRESET':
    case 'EPIPE':
      return new KubeError('unreachable', `${reach}: the connection was reset — ${hint}`);
    case 'ETIMEDOUT':
    case 'ESOCKETTIMEDOUT':
    case 'WATCHSCOPE_TIMEOUT':
      return new KubeError('timeout', `${reach}: no answer within the timeout — ${hint} (VPN or firewall?)`);
    case 'CERT_HAS_EXPIRED':
      return new KubeError('tls', `TLS to ${server} failed: the server's certificate has expired`);
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return new KubeError(
        'tls',
        `TLS to ${server} failed: the server's certificate is not valid for this host name (${msg.replace(/^.*?: /, '')}) — use the server address from the cluster's kubeconfig or set tls-server-name`,
      );
  }
  if (TLS_CA_CODES.has(code)) {
    return new KubeError(
      'tls',
      `TLS to ${server} failed: the server's certificate is not signed by the kubeconfig's certificate-authority (${code}) — the CA data is wrong or stale for this cluster`,
    );
  }
  if (code === 'EPROTO' || /wrong version number|SSL routines/i.test(msg)) {
    return new KubeError('tls', `TLS to ${server} failed: ${msg} — is the server URL's scheme and port right?`);
  }
  if (/certificate|tls|ssl/i.test(code) || /certificate/i.test(msg)) {
    return new KubeError('tls', `TLS to ${server} failed: ${msg}`);
  }
  return new KubeError('unreachable', `${reach}: ${msg}${code ? ` (${code})` : ''}`);
}

/** A failure while obtaining credentials (exec plugin, auth provider, token file). */
export function explainCredentialError(err: unknown, user: { name: string; exec?: unknown; authProvider?: unknown } | null): KubeError {
  if (err instanceof KubeError) return err;
  const e = (err ?? {}) as NodeishError;
  const exec = (user?.exec ?? (user?.authProvider as { config?: { exec?: unknown } } | undefined)?.config?.exec) as
    | { command?: string }
    | undefined;
  if (exec) {
    const cmd = exec.command ?? '?';
    if (e.code === 'ENOENT') {
      return new KubeError('execPluginMissing', `exec plugin '${cmd}' not found on PATH (login-shell PATH was used) — install it or put its directory on your login shell's PATH`);
    }
    if (e.code === 'EACCES') {
      return new KubeError('execPluginMissing', `exec plugin '${cmd}' is not executable (permission denied)`);
    }
    const text = (e.message ?? String(err)).trim().split('\n').slice(-3).join(' ').slice(0, 400);
    return new KubeError('execPluginFailed', `exec plugin '${cmd}' failed: ${text || 'it exited with an error and printed nothing'} — run your login command and try again`);
  }
  if (user?.authProvider) {
    return new KubeError('authProvider', `auth provider for user "${user.name}" failed: ${e.message ?? String(err)}`);
  }
  return new KubeError('kubeconfig', `cannot prepare credentials for user "${user?.name ?? '?'}": ${e.message ?? String(err)}`);
}

export interface HttpErrorContext {
  server: string;
  /** kubeconfig user name, used until the server names the authenticated user. */
  user: string;
  verb?: string;
  /** e.g. "pods" or "deployments.apps" */
  resource?: string;
  path?: string;
}

export function parseStatus(body: string): Status | undefined {
  try {
    const s = JSON.parse(body) as Partial<Status>;
    if (s && s.kind === 'Status') return s as Status;
  } catch {
    // not JSON
  }
  return undefined;
}

/** The authenticated user named in an RBAC denial: `User "jane" cannot list resource ...`. */
export function userFromForbidden(message: string): string | undefined {
  return message.match(/User "([^"]*)" cannot/)?.[1];
}

/** An HTTP answer that is not a success. */
export function explainHttpError(status: number, body: string, ctx: HttpErrorContext): KubeError {
  const st = parseStatus(body);
  const serverMsg = st?.message ?? body.trim().slice(0, 300);
  if (status === 401) {
    return new KubeError(
      'unauthorized',
      `${ctx.server} rejected the credentials of user "${ctx.user}" (401 Unauthorized: expired or wrong) — run your login command / refresh the token`,
      status,
      st,
    );
  }
  if (status === 403) {
    const who = userFromForbidden(serverMsg) ?? ctx.user;
    const what = ctx.verb && ctx.resource ? `may not ${ctx.verb} ${ctx.resource}` : `may not access ${ctx.path ?? 'this'}`;
    return new KubeError('forbidden', `user "${who}" ${what} (403 Forbidden: ${serverMsg})`, status, st);
  }
  if (status === 410) return new KubeError('gone', serverMsg || 'resource version is too old (410)', status, st);
  return new KubeError('http', `${ctx.verb ?? 'request'} ${ctx.resource ?? ctx.path ?? ''} failed: ${status} ${serverMsg}`.replace(/ +/g, ' '), status, st);
}
