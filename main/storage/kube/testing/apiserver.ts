// Test harness: a real etcd plus a real kube-apiserver (built by scripts/build-kube-apiserver.sh)
// on loopback, with an openssl-made CA, serving and client certificates, a static token file and
// RBAC, and one kubeconfig whose contexts cover each way of authenticating (and of failing to).
// Everything is stopped by PID and its temp dir removed in stop().
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort, startEtcd, type EtcdProcess } from '../../etcd/process.js';

const run = promisify(execFile);

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

export const KUBE_APISERVER_MISSING_MESSAGE =
  'kube-apiserver binary not found: run `bash scripts/build-kube-apiserver.sh` (builds .cache/kube-apiserver/kube-apiserver) or set KUBE_APISERVER_BIN';

export function findKubeApiserver(): string | undefined {
  const candidates = [process.env.KUBE_APISERVER_BIN, join(repoRoot, '.cache/kube-apiserver/kube-apiserver')];
  return candidates.find((c): c is string => !!c && existsSync(c));
}

/** Context names in the harness kubeconfig. */
export const CONTEXTS = {
  /** client certificate in system:masters */
  admin: 'admin',
  /** static bearer token (system:masters) */
  token: 'token',
  /** token read from a file (with a trailing newline, as `echo` writes it) */
  tokenFile: 'token-file',
  /** exec plugin found by bare name through the login shell's PATH, printing an ExecCredential */
  exec: 'exec',
  /** exec plugin that does not exist */
  execMissing: 'exec-missing',
  /** exec plugin that exits 1 with a message on stderr */
  execFailing: 'exec-failing',
  /** exec plugin that never answers (waits for a login that never comes; exits after 8s) */
  execHanging: 'exec-hanging',
  /** client certificate of a read-only user (own ClusterRole: get/list/watch everything) */
  viewer: 'viewer',
  /** token user that may list+watch configmaps but only list secrets */
  lister: 'lister',
  /** wrong bearer token */
  badToken: 'bad-token',
  /** a CA that did not sign the serving certificate */
  wrongCA: 'wrong-ca',
  /** the right CA, but a host name the serving certificate does not cover */
  wrongHost: 'wrong-host',
  /** a loopback port nobody listens on */
  unreachable: 'unreachable',
} as const;

export interface TestApiserver {
  /** https://127.0.0.1:<port> */
  server: string;
  etcd: EtcdProcess;
  /** Kubeconfig with every context of CONTEXTS; current-context is admin. */
  kubeconfig: string;
  dir: string;
  /** Directory holding the exec plugin script (not on PATH; the fake login shell adds it). */
  pluginDir: string;
  /** A $SHELL stand-in whose `-ilc` runs the command with pluginDir on PATH. */
  fakeLoginShell: string;
  /** Names the apiserver authenticates each context's user as. */
  users: { admin: string; viewer: string; lister: string; exec: string };
  pid: number;
  log(): string[];
  /** kubectl against this apiserver (admin context unless given). */
  kubectl(args: string[], context?: string): Promise<string>;
  /** Stops the apiserver (etcd keeps running); start it again with startAgain(). */
  stopApiserver(): Promise<void>;
  /** Starts the apiserver again on the same port, flags and etcd; resolves when ready. */
  startAgain(): Promise<void>;
  stop(): Promise<void>;
}

export interface TestApiserverOptions {
  extraArgs?: string[];
}

async function openssl(dir: string, args: string[]): Promise<void> {
  await run('openssl', args, { cwd: dir });
}

async function makeCert(dir: string, name: string, subj: string, ext: string, ca = 'ca'): Promise<void> {
  await openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subj]);
  writeFileSync(join(dir, `${name}.ext`), ext);
  await openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`]);
}

const b64 = (dir: string, f: string) => readFileSync(join(dir, f)).toString('base64');

export async function startTestApiserver(opts: TestApiserverOptions = {}): Promise<TestApiserver> {
  const bin = findKubeApiserver();
  if (!bin) throw new Error(KUBE_APISERVER_MISSING_MESSAGE);
  const dir = mkdtempSync(join(tmpdir(), 'watchscope-kube-'));
  let etcd: EtcdProcess | undefined;
  let child: ChildProcess | undefined;
  const logLines: string[] = [];
  try {
    // --- PKI
    await openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=watchscope-test-ca']);
    await openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'other-ca.key', '-out', 'other-ca.crt', '-days', '2', '-subj', '/CN=some-other-ca']);
    await makeCert(dir, 'serving', '/CN=kube-apiserver', 'subjectAltName=IP:127.0.0.1,DNS:kubernetes,DNS:kubernetes.default\nextendedKeyUsage=serverAuth\n');
    await makeCert(dir, 'admin', '/O=system:masters/CN=watchscope-admin', 'extendedKeyUsage=clientAuth\n');
    await makeCert(dir, 'viewer', '/CN=watchscope-viewer', 'extendedKeyUsage=clientAuth\n');
    await openssl(dir, ['genrsa', '-out', 'sa.key', '2048']);
    await openssl(dir, ['rsa', '-in', 'sa.key', '-pubout', '-out', 'sa.pub']);
    writeFileSync(
      join(dir, 'tokens.csv'),
      [
        'admin-token,token-admin,uid-1,"system:masters"',
        'exec-token,exec-user,uid-2,"system:masters"',
        'lister-token,watchscope-lister,uid-3',
      ].join('\n') + '\n',
    );
    writeFileSync(join(dir, 'token-file'), 'admin-token\n');

    // --- exec plugins
    const pluginDir = join(dir, 'plugins');
    await run('mkdir', ['-p', pluginDir]);
    const plugin = join(pluginDir, 'watchscope-test-auth');
    writeFileSync(
      plugin,
      '#!/bin/sh\nprintf \'%s\' \'{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"exec-token"}}\'\n',
    );
    chmodSync(plugin, 0o755);
    const failing = join(dir, 'failing-auth');
    writeFileSync(failing, '#!/bin/sh\necho "error: the refresh token has expired, run: login --again" >&2\nexit 1\n');
    chmodSync(failing, 0o755);
    const hanging = join(dir, 'hanging-auth');
    writeFileSync(hanging, '#!/bin/sh\nsleep 8\n');
    chmodSync(hanging, 0o755);
    const fakeLoginShell = join(dir, 'fake-login-shell');
    // Stands in for `$SHELL -ilc '<cmd>'`: the command is the last argument.
    writeFileSync(fakeLoginShell, `#!/bin/sh\nfor a; do cmd="$a"; done\nPATH="${pluginDir}:$PATH" exec /bin/sh -c "$cmd"\n`);
    chmodSync(fakeLoginShell, 0o755);

    // --- etcd + apiserver
    etcd = await startEtcd();
    const port = await freePort();
    const server = `https://127.0.0.1:${port}`;
    const args = [
      `--etcd-servers=${etcd.endpoint}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${port}`,
      '--insecure-port=0',
      `--cert-dir=${dir}`,
      `--tls-cert-file=${join(dir, 'serving.crt')}`,
      `--tls-private-key-file=${join(dir, 'serving.key')}`,
      `--client-ca-file=${join(dir, 'ca.crt')}`,
      `--token-auth-file=${join(dir, 'tokens.csv')}`,
      '--authorization-mode=RBAC',
      `--service-account-key-file=${join(dir, 'sa.pub')}`,
      `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      '--service-cluster-ip-range=10.96.0.0/24',
      // No controller manager runs, so nobody creates the default ServiceAccount pods need.
      '--disable-admission-plugins=ServiceAccount',
      '--endpoint-reconciler-type=none',
      '--enable-priority-and-fairness=false',
      '--profiling=false',
      // Compaction only when a test asks for it (etcd Compact), never on a timer mid-test.
      '--etcd-compaction-interval=0',
      // podtemplates without a watch cache: watches go straight to etcd, so a compaction turns a
      // watch from an old RV into the 410 a relist must follow.
      '--watch-cache-sizes=podtemplates#0',
      '-v=1',
      ...(opts.extraArgs ?? []),
    ];
    const onData = (b: Buffer) => {
      for (const line of b.toString().split('\n')) {
        if (!line) continue;
        logLines.push(line);
        if (logLines.length > 300) logLines.shift();
      }
    };
    const launch = async (): Promise<ChildProcess> => {
      const c = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      child = c;
      c.stdout?.on('data', onData);
      c.stderr?.on('data', onData);
      await waitReady(server, dir, c, logLines);
      return c;
    };
    await launch();

    // --- kubeconfig
    const unreachablePort = await freePort();
    const caData = b64(dir, 'ca.crt');
    const kubeconfig = join(dir, 'kubeconfig');
    const cluster = (name: string, srv: string, ca: string) => `- name: ${name}\n  cluster:\n    server: ${srv}\n    certificate-authority-data: ${ca}\n`;
    const ctx = (name: string, cl: string, user: string) => `- name: ${name}\n  context:\n    cluster: ${cl}\n    user: ${user}\n`;
    const execUser = (name: string, command: string) =>
      `- name: ${name}\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: ${command}\n      args: []\n      interactiveMode: Never\n`;
    const yaml =
      'apiVersion: v1\nkind: Config\n' +
      'clusters:\n' +
      cluster('test', server, caData) +
      cluster('test-wrong-ca', server, b64(dir, 'other-ca.crt')) +
      cluster('test-wrong-host', `https://localhost:${port}`, caData) +
      cluster('nowhere', `https://127.0.0.1:${unreachablePort}`, caData) +
      'users:\n' +
      `- name: admin\n  user:\n    client-certificate-data: ${b64(dir, 'admin.crt')}\n    client-key-data: ${b64(dir, 'admin.key')}\n` +
      `- name: viewer\n  user:\n    client-certificate: ${join(dir, 'viewer.crt')}\n    client-key: ${join(dir, 'viewer.key')}\n` +
      '- name: token\n  user:\n    token: admin-token\n' +
      `- name: token-file\n  user:\n    tokenFile: ${join(dir, 'token-file')}\n` +
      '- name: lister\n  user:\n    token: lister-token\n' +
      '- name: bad-token\n  user:\n    token: not-a-valid-token\n' +
      execUser('exec', 'watchscope-test-auth') +
      execUser('exec-missing', 'watchscope-no-such-auth-plugin') +
      execUser('exec-failing', failing) +
      execUser('exec-hanging', hanging) +
      'contexts:\n' +
      ctx(CONTEXTS.admin, 'test', 'admin') +
      ctx(CONTEXTS.token, 'test', 'token') +
      ctx(CONTEXTS.tokenFile, 'test', 'token-file') +
      ctx(CONTEXTS.exec, 'test', 'exec') +
      ctx(CONTEXTS.execMissing, 'test', 'exec-missing') +
      ctx(CONTEXTS.execFailing, 'test', 'exec-failing') +
      ctx(CONTEXTS.execHanging, 'test', 'exec-hanging') +
      ctx(CONTEXTS.viewer, 'test', 'viewer') +
      ctx(CONTEXTS.lister, 'test', 'lister') +
      ctx(CONTEXTS.badToken, 'test', 'bad-token') +
      ctx(CONTEXTS.wrongCA, 'test-wrong-ca', 'admin') +
      ctx(CONTEXTS.wrongHost, 'test-wrong-host', 'admin') +
      ctx(CONTEXTS.unreachable, 'nowhere', 'admin') +
      `current-context: ${CONTEXTS.admin}\n`;
    writeFileSync(kubeconfig, yaml, { mode: 0o600 });

    const kubectl = async (a: string[], context: string = CONTEXTS.admin): Promise<string> => {
      const { stdout } = await run('kubectl', ['--kubeconfig', kubeconfig, '--context', context, ...a], { maxBuffer: 64 * 1024 * 1024 });
      return stdout;
    };

    // --- RBAC: the built-in view role is aggregated and stays empty without a controller
    // manager, so the read-only users get roles of their own.
    const rbac = join(dir, 'rbac.yaml');
    writeFileSync(
      rbac,
      `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: watchscope-test-read}
rules:
- apiGroups: ["*"]
  resources: ["*"]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: watchscope-test-read}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: watchscope-test-read}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: watchscope-viewer}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: watchscope-test-lister}
rules:
- apiGroups: [""]
  resources: [configmaps, namespaces]
  verbs: [get, list, watch]
- apiGroups: [""]
  resources: [secrets]
  verbs: [get, list]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: watchscope-test-lister}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: watchscope-test-lister}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: watchscope-lister}
`,
    );
    await kubectl(['apply', '-f', rbac]);

    const e = etcd;
    return {
      server,
      etcd: e,
      kubeconfig,
      dir,
      pluginDir,
      fakeLoginShell,
      users: { admin: 'watchscope-admin', viewer: 'watchscope-viewer', lister: 'watchscope-lister', exec: 'exec-user' },
      get pid() {
        return child?.pid ?? -1;
      },
      log: () => [...logLines],
      kubectl,
      async stopApiserver() {
        if (child) await stopChild(child);
      },
      async startAgain() {
        if (child) await stopChild(child);
        await launch();
      },
      async stop() {
        if (child) await stopChild(child);
        await e.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    if (child) await stopChild(child);
    await etcd?.stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

async function stopChild(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const exited = new Promise((r) => c.once('exit', r));
  c.kill('SIGTERM');
  const t = setTimeout(() => c.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(t);
}

async function waitReady(server: string, dir: string, c: ChildProcess, log: string[]): Promise<void> {
  const ca = readFileSync(join(dir, 'ca.crt'));
  const cert = readFileSync(join(dir, 'admin.crt'));
  const key = readFileSync(join(dir, 'admin.key'));
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (c.exitCode !== null) throw new Error(`kube-apiserver exited with code ${c.exitCode}: ${log.slice(-15).join('\n')}`);
    const ok = await new Promise<boolean>((res) => {
      const req = https.get(`${server}/readyz`, { ca, cert, key, timeout: 2000 }, (r) => {
        r.resume();
        r.on('end', () => res(r.statusCode === 200));
      });
      req.on('error', () => res(false));
      req.on('timeout', () => req.destroy());
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`kube-apiserver not ready within 60s: ${log.slice(-15).join('\n')}`);
}
