// Writes a kubeconfig pointing at the endpoint: the per-run CA as certificate-authority-data and
// a bearer token, so clients authenticate and verify TLS as they would with a real cluster.
import { constants } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { stringify } from 'yaml';

export interface KubeconfigParams {
  server: string;
  token: string;
  caPem?: string;
  contextName?: string;
  namespace?: string;
}

export function renderKubeconfig(p: KubeconfigParams): string {
  const ctx = p.contextName ?? 'watchscope';
  const cluster: Record<string, unknown> = { server: p.server };
  if (p.caPem) cluster['certificate-authority-data'] = Buffer.from(p.caPem).toString('base64');
  // client-node refuses an http:// server unless verification is explicitly off.
  else if (p.server.startsWith('http://')) cluster['insecure-skip-tls-verify'] = true;
  const context: Record<string, unknown> = { cluster: ctx, user: ctx };
  if (p.namespace) context.namespace = p.namespace;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: ctx, cluster }],
    users: [{ name: ctx, user: { token: p.token } }],
    contexts: [{ name: ctx, context }],
    'current-context': ctx,
    preferences: {},
  });
}

/**
 * Written with mode 0600 from the start (it holds a bearer token) to a fresh temporary file that
 * is then renamed over `path`: a symlink planted at `path` is replaced, never followed, and no
 * moment exists where the token sits in a file others can read.
 */
export async function writeKubeconfig(path: string, p: KubeconfigParams): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    await fh.writeFile(renderKubeconfig(p));
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
