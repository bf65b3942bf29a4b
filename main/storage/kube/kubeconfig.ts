// Kubeconfig loading with kubectl's rules: $KUBECONFIG may name several files, merged so that the
// first file to define a cluster/user/context name wins and current-context comes from the first
// file that sets one (client-go clientcmd loading rules). Credentials never leave this module:
// what is listed for the UI is names and the server URL only.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { KubeConfig, dumpYaml, loadYaml, type Cluster, type Context, type User } from '@kubernetes/client-node';
import { loginShellPath, mergePaths } from './shell-path.js';
import { checkKubeconfigText, safeKubeconfigError } from './kubeconfig-check.js';
import { clientPairProblem, type PemInput } from '../client-pem.js';

export interface KubeconfigOptions {
  /** One file, or several joined with the path delimiter (like $KUBECONFIG). */
  kubeconfig?: string;
  /** Context to use; the file's current-context when absent. */
  context?: string;
}

/** What the UI may show about a context: never credentials. */
export interface KubeContextInfo {
  name: string;
  current: boolean;
  cluster: string;
  server: string;
  user: string;
  namespace?: string;
  /** How the user authenticates, e.g. 'client certificate', 'token', 'exec: gke-gcloud-auth-plugin'. */
  authMethod: string;
}

export interface LoadedKubeconfig {
  kc: KubeConfig;
  /** The files read, in precedence order. */
  files: string[];
}

/** The files kubectl would read: explicit list, else $KUBECONFIG, else ~/.kube/config. */
export function kubeconfigFiles(explicit?: string): string[] {
  const spec = explicit ?? process.env.KUBECONFIG ?? '';
  const files = spec.split(delimiter).filter(Boolean);
  if (files.length > 0) return files;
  return [join(homedir(), '.kube', 'config')];
}

/** Loads and merges the kubeconfig files (kubectl precedence), without choosing a context. */
export function loadKubeconfigFiles(explicit?: string): LoadedKubeconfig {
  const wanted = kubeconfigFiles(explicit);
  // $KUBECONFIG entries that do not exist are skipped by kubectl; an explicit single file is not.
  const files = wanted.filter((f, i) => existsSync(f) || (explicit !== undefined && wanted.length === 1 && i === 0));
  if (files.length === 0) {
    throw new Error(`no kubeconfig found (looked at ${wanted.join(', ')}): set KUBECONFIG or choose a file`);
  }
  const clusters = new Map<string, Cluster>();
  const users = new Map<string, User>();
  const contexts = new Map<string, Context>();
  let currentContext = '';
  for (const file of files) {
    const one = new KubeConfig();
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (code ?? 'unreadable');
      throw new Error(`cannot read kubeconfig ${file}: ${why}`);
    }
    checkKubeconfigText(file, text);
    try {
      one.loadFromString(withTokenFiles(text, dirname(file)));
      one.makePathsAbsolute(dirname(file));
    } catch (e) {
      throw safeKubeconfigError(file, text, e);
    }
    for (const c of one.getClusters() ?? []) if (!clusters.has(c.name)) clusters.set(c.name, c);
    for (const u of one.getUsers() ?? []) if (!users.has(u.name)) users.set(u.name, cleanUser(u));
    for (const c of one.getContexts() ?? []) if (!contexts.has(c.name)) contexts.set(c.name, c);
    if (!currentContext && one.getCurrentContext()) currentContext = one.getCurrentContext();
  }
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [...clusters.values()],
    users: [...users.values()],
    contexts: [...contexts.values()],
    currentContext,
  });
  return { kc, files };
}

interface RawKubeconfig {
  users?: { name?: string; user?: Record<string, unknown> | null }[] | null;
}

// client-go's field is `tokenFile` (relative paths are relative to the kubeconfig file);
// client-node only knows `token-file`, read relative to the working directory. Read it here the
// way kubectl does (at load time; a reconnect reloads, which picks up a rotated token).
function withTokenFiles(text: string, base: string): string {
  const raw = loadYaml<RawKubeconfig>(text);
  let changed = false;
  for (const u of raw?.users ?? []) {
    const user = u?.user;
    if (!user || user.token) continue;
    const f = (user.tokenFile ?? user['token-file']) as string | undefined;
    if (typeof f !== 'string' || !f) continue;
    const path = isAbsolute(f) ? f : join(base, f);
    try {
      user.token = readFileSync(path, 'utf8').trim();
    } catch (e) {
      throw new Error(`user "${u.name}": cannot read tokenFile ${path}: ${(e as Error).message}`);
    }
    delete user.tokenFile;
    delete user['token-file'];
    changed = true;
  }
  return changed ? dumpYaml(raw) : text;
}

// token-file contents keep their trailing newline in client-node; kubectl trims it, and a
// newline inside an Authorization header would make every request fail.
function cleanUser(u: User): User {
  if (u.token && u.token !== u.token.trim()) return { ...u, token: u.token.trim() };
  return u;
}

export function describeAuthMethod(u: User | null | undefined): string {
  if (!u) return 'none';
  if (u.exec) return `exec: ${String((u.exec as { command?: string }).command ?? '?')}`;
  if (u.authProvider) return `auth-provider: ${String((u.authProvider as { name?: string }).name ?? '?')}`;
  if (u.certData || u.certFile) return 'client certificate';
  if (u.token) return 'token';
  if (u.username) return 'basic auth';
  return 'anonymous';
}

/** Contexts of the merged kubeconfig, current one marked. */
export function listContexts(opts: { kubeconfig?: string } = {}): KubeContextInfo[] {
  const { kc } = loadKubeconfigFiles(opts.kubeconfig);
  const current = kc.getCurrentContext();
  return kc.getContexts().map((ctx) => {
    const cluster = kc.getCluster(ctx.cluster);
    const info: KubeContextInfo = {
      name: ctx.name,
      current: ctx.name === current,
      cluster: ctx.cluster,
      server: cluster?.server ?? '',
      user: ctx.user,
      authMethod: describeAuthMethod(kc.getUser(ctx.user)),
    };
    if (ctx.namespace) info.namespace = ctx.namespace;
    return info;
  });
}

/**
 * Loads the kubeconfig with `context` selected. Exec credential plugins get the login shell's
 * PATH (merged before the process's own) unless the kubeconfig sets PATH for them itself.
 */
export async function loadContext(opts: KubeconfigOptions = {}): Promise<LoadedKubeconfig & { context: Context; cluster: Cluster; user: User | null }> {
  const loaded = loadKubeconfigFiles(opts.kubeconfig);
  const { kc } = loaded;
  const name = opts.context ?? kc.getCurrentContext();
  if (!name) throw new Error(`the kubeconfig (${loaded.files.join(', ')}) has no current-context: choose a context`);
  const context = kc.getContextObject(name);
  if (!context) {
    const known = kc.getContexts().map((c) => c.name);
    throw new Error(`context "${name}" is not in the kubeconfig (${loaded.files.join(', ')}); known contexts: ${known.join(', ') || 'none'}`);
  }
  kc.setCurrentContext(name);
  const cluster = kc.getCluster(context.cluster);
  if (!cluster) throw new Error(`context "${name}" refers to cluster "${context.cluster}", which the kubeconfig does not define`);
  const user = kc.getUser(context.user);
  const pairProblem = user ? clientCertificateProblem(user) : undefined;
  if (pairProblem) throw new Error(`user "${user!.name}" of context "${name}": ${pairProblem}`);
  if (user?.exec || user?.authProvider?.config?.exec) {
    await withLoginShellPath(user);
  }
  return { ...loaded, context, cluster, user: kc.getUser(context.user) };
}

/** What is wrong with the user's client certificate and key, checked before any connection. */
function clientCertificateProblem(u: User): string | undefined {
  const read = (field: string, file: string | undefined, data: string | undefined): PemInput | string | undefined => {
    if (file) {
      try {
        return { where: `${field} file "${file}"`, data: readFileSync(file) };
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        return `cannot read the ${field} file "${file}": ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (code ?? 'unreadable')}`;
      }
    }
    return data ? { where: `${field}-data`, data: Buffer.from(data, 'base64') } : undefined;
  };
  const cert = read('client-certificate', u.certFile, u.certData);
  const key = read('client-key', u.keyFile, u.keyData);
  if (typeof cert === 'string') return cert;
  if (typeof key === 'string') return key;
  if (!cert && !key) return undefined;
  if (!key) return 'client-certificate is set but client-key is not: a client certificate needs its key';
  if (!cert) return 'client-key is set but client-certificate is not: a client key needs its certificate';
  return clientPairProblem(cert, key);
}

async function withLoginShellPath(user: User): Promise<void> {
  const exec = (user.exec ?? user.authProvider?.config?.exec) as { env?: { name: string; value: string }[] | null } | undefined;
  if (!exec) return;
  const env = exec.env ?? [];
  if (env.some((e) => e.name === 'PATH')) return;
  const shellPath = await loginShellPath();
  const path = mergePaths(shellPath, process.env.PATH);
  // client-node only passes an environment to the plugin when exec.env is set, and then passes
  // process.env plus these entries.
  exec.env = [...env, { name: 'PATH', value: path }];
}
