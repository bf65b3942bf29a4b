// Writes a kubeconfig pointing at the endpoint: the per-run CA as certificate-authority-data and
// a bearer token, so clients authenticate and verify TLS as they would with a real cluster.
import { writeFile, chmod, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface KubeconfigParams {
  server: string;
  token: string;
  caPem?: string;
  contextName?: string;
  namespace?: string;
}

const q = (s: string) => JSON.stringify(s); // JSON strings are valid YAML scalars

export function renderKubeconfig(p: KubeconfigParams): string {
  const ctx = p.contextName ?? 'watchscope';
  const cluster = p.caPem
    ? `    certificate-authority-data: ${Buffer.from(p.caPem).toString('base64')}\n`
    : p.server.startsWith('http://')
      ? // client-node refuses an http:// server unless verification is explicitly off.
        '    insecure-skip-tls-verify: true\n'
      : '';
  return (
    'apiVersion: v1\n' +
    'kind: Config\n' +
    'clusters:\n' +
    `- name: ${q(ctx)}\n` +
    '  cluster:\n' +
    `    server: ${q(p.server)}\n` +
    cluster +
    'users:\n' +
    `- name: ${q(ctx)}\n` +
    '  user:\n' +
    `    token: ${q(p.token)}\n` +
    'contexts:\n' +
    `- name: ${q(ctx)}\n` +
    '  context:\n' +
    `    cluster: ${q(ctx)}\n` +
    `    user: ${q(ctx)}\n` +
    (p.namespace ? `    namespace: ${q(p.namespace)}\n` : '') +
    `current-context: ${q(ctx)}\n` +
    'preferences: {}\n'
  );
}

/** Written with mode 0600: it holds a bearer token. */
export async function writeKubeconfig(path: string, p: KubeconfigParams): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, renderKubeconfig(p), { mode: 0o600 });
  await chmod(path, 0o600);
}
