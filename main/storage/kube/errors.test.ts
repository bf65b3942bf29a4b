import { describe, expect, it } from 'vitest';
import { explainCredentialError, explainHttpError, explainNetworkError } from './errors.js';

const server = 'https://10.0.0.1:6443';

describe('explainNetworkError', () => {
  it.each([
    ['ECONNREFUSED', 'unreachable', /cannot reach https:\/\/10\.0\.0\.1:6443: connection refused — is the cluster up \/ is this the right context\?/],
    ['WATCHSCOPE_TIMEOUT', 'timeout', /no answer within the timeout/],
    ['ENOTFOUND', 'unreachable', /does not resolve/],
    ['SELF_SIGNED_CERT_IN_CHAIN', 'tls', /not signed by the kubeconfig's certificate-authority/],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'tls', /not signed by the kubeconfig's certificate-authority/],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'tls', /not valid for this host name/],
    ['CERT_HAS_EXPIRED', 'tls', /expired/],
  ])('%s → %s', (code, kind, re) => {
    const e = explainNetworkError(Object.assign(new Error('x'), { code }), server);
    expect(e.kind).toBe(kind);
    expect(e.message).toMatch(re);
  });

  it('retries only what can heal by itself', () => {
    expect(explainNetworkError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), server).retriable).toBe(true);
    expect(explainNetworkError(Object.assign(new Error('x'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' }), server).retriable).toBe(false);
  });
});

describe('explainHttpError', () => {
  it('401 says to log in again', () => {
    const e = explainHttpError(401, '{"kind":"Status","code":401,"message":"Unauthorized"}', { server, user: 'jane' });
    expect(e.kind).toBe('unauthorized');
    expect(e.message).toContain('run your login command / refresh the token');
    expect(e.toStatusError().code).toBe(401);
  });

  it('403 names the authenticated user, the verb and the resource', () => {
    const body = JSON.stringify({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      reason: 'Forbidden',
      code: 403,
      message: 'pods is forbidden: User "system:serviceaccount:x:y" cannot watch resource "pods" in API group "" at the cluster scope',
    });
    const e = explainHttpError(403, body, { server, user: 'kubeconfig-user', verb: 'watch', resource: 'pods' });
    expect(e.kind).toBe('forbidden');
    expect(e.message).toMatch(/^user "system:serviceaccount:x:y" may not watch pods/);
    expect(e.toStatusError().toStatus().reason).toBe('Forbidden');
  });
});

describe('explainCredentialError', () => {
  const user = { name: 'gke', exec: { command: 'gke-gcloud-auth-plugin' } };
  it('missing plugin', () => {
    const e = explainCredentialError(Object.assign(new Error('spawn gke-gcloud-auth-plugin ENOENT'), { code: 'ENOENT' }), user);
    expect(e.kind).toBe('execPluginMissing');
    expect(e.message).toContain("exec plugin 'gke-gcloud-auth-plugin' not found on PATH (login-shell PATH was used)");
  });
  it('failing plugin carries its stderr', () => {
    const e = explainCredentialError(new Error('ERROR: Reauthentication failed. cannot prompt during non-interactive execution.\n'), user);
    expect(e.kind).toBe('execPluginFailed');
    expect(e.message).toContain('Reauthentication failed');
  });
});
