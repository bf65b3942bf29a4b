// The CLI as a user runs it: a child process (`node --import tsx main/cli.ts …`, so no build is
// needed), against a real etcd, with kubectl talking to the endpoint it serves.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Decision } from '../shared/model.js';
import { EtcdSource } from './storage/etcd/source.js';
import { freePort, startEtcd, type EtcdProcess } from './storage/etcd/process.js';
import { endpointFromKubeconfig } from './storage/apiserver/testing.js';
import { generateServingCerts } from './storage/apiserver/certs.js';
import { stringify as stringifyYaml } from 'yaml';

const execFileP = promisify(execFile);
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cliEntry = join(repoRoot, 'main/cli.ts');

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function startCli(args: string[], env: Record<string, string> = {}): { child: ChildProcess; stdout: () => string; stderr: () => string; done: Promise<Finished> } {
  const t0 = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', cliEntry, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  const done = new Promise<Finished>((res) => child.on('exit', (code, signal) => res({ code, signal, stdout, stderr, ms: Date.now() - t0 })));
  return { child, stdout: () => stdout, stderr: () => stderr, done };
}

/** Runs the CLI to completion; SIGKILLs it after limitMs so a hang fails the test instead of the suite. */
async function runCli(args: string[], limitMs = 20_000, env: Record<string, string> = {}): Promise<Finished> {
  const c = startCli(args, env);
  const t = setTimeout(() => c.child.kill('SIGKILL'), limitMs);
  try {
    return await c.done;
  } finally {
    clearTimeout(t);
  }
}

/** The lines a person reads: Node's own start-up noise (none expected) would show up here too. */
const lines = (s: string) => s.split('\n').filter((l) => l.trim() !== '');

// tsx compiles on start-up (~3–5 s on 2 cores); the limits below leave room for that.
const STARTUP_MS = 8_000;

const FLAGS: Record<string, string[]> = {
  serve: [
    'etcd', 'etcd-ca', 'etcd-cert', 'etcd-key', 'etcd-prefix', 'kubeconfig', 'context', 'allow-writes', 'ui',
    'resources', 'profile', 'gate', 'listen', 'write-kubeconfig', 'token', 'insecure-http', 'ui-port',
    'record', 'record-values', 'record-limit', 'record-on-limit',
  ],
  demo: [
    'web', 'no-ui', 'scenario', 'writes', 'kubelets', 'informers', 'etcd-bin', 'resources', 'profile', 'gate', 'listen', 'write-kubeconfig', 'token', 'insecure-http', 'ui-port',
    'record', 'record-values', 'record-limit', 'record-on-limit',
  ],
  replay: ['web', 'ui-port', 'profile', 'gate', 'compare', 'json', 'report'],
  contexts: ['kubeconfig'],
  scenarios: [],
  open: ['pid'],
};

describe('watchscope CLI (child process)', () => {
  it('--help documents every command and every flag; `help serve` documents serve', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    for (const [cmd, flags] of Object.entries(FLAGS)) {
      expect(r.stdout).toMatch(new RegExp(`^  ${cmd} +\\S`, 'm'));
      // Each command's section lists its flags with a description after the placeholder.
      const section = r.stdout.slice(r.stdout.indexOf(`watchscope ${cmd}\nusage:`));
      const end = section.indexOf('\n\n');
      const body = end < 0 ? section : section.slice(0, end);
      for (const f of flags) expect(body, `--${f} in the ${cmd} section`).toMatch(new RegExp(`^  --${f}(?: \\S+)? +\\S`, 'm'));
    }
    expect(r.stdout).toContain('`endpoint: <url>`, `kubeconfig: <path>`');

    const serve = await runCli(['help', 'serve']);
    expect(serve.code).toBe(0);
    expect(serve.stdout).toMatch(/^usage: watchscope serve --etcd URL/m);
    expect(serve.stdout).toMatch(/^ {7}watchscope serve --kubeconfig F --context C \[--allow-writes\]/m);
    for (const f of FLAGS.serve!) expect(serve.stdout).toContain(`--${f}`);
  });

  it.each([
    [['serve', '--bogus'], /^watchscope: unknown flag --bogus for serve \(see `watchscope help serve`\)$/],
    [['serve', '--etcd', 'ftp://x'], /^watchscope: --etcd wants http:\/\/ or https:\/\/ URLs, got "ftp:\/\/x" \(see `watchscope --help`\)$/],
    [['serve', '--etcd', 'http://127.0.0.1:1', '--context', 'c'], /^watchscope: serve takes either --etcd or --kubeconfig\/--context, not both/],
    [['serve', '--listen', '0.0.0.0:80', '--etcd', 'http://127.0.0.1:1'], /^watchscope: --listen must be a loopback address/],
    [['frobnicate'], /^watchscope: unknown command "frobnicate"/],
    [['serve', '--token', 'abc', '--etcd', 'http://127.0.0.1:1'], /^watchscope: --token must be at least 16 characters, got 3 \(leave it out for a generated one\)/],
  ])('bad usage %j → one clear line on stderr, exit 2, quickly', async (args, re) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(lines(r.stderr)[0]).toMatch(re);
    expect(r.stdout).toBe('');
    expect(r.ms).toBeLessThan(STARTUP_MS);
  });

  it('`scenarios | head -1` (reader closes the pipe early) exits 0 without a stack trace', async () => {
    const c = startCli(['scenarios']);
    c.child.stdout!.once('data', () => c.child.stdout!.destroy());
    const r = await c.done;
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
  });

  it('serve --etcd on a closed port → "connection refused" in one line, non-zero exit within ~10 s', async () => {
    const port = await freePort();
    const r = await runCli(['serve', '--etcd', `http://127.0.0.1:${port}`]);
    expect(r.code).not.toBe(0);
    expect(r.code).not.toBeNull();
    expect(lines(r.stderr)).toEqual([`watchscope: cannot reach etcd at http://127.0.0.1:${port}: connection refused — is etcd running / is the URL right?`]);
    expect(r.stdout).not.toContain('endpoint:');
    expect(r.ms).toBeLessThan(10_000 + STARTUP_MS / 2);
  });

  it('serve --kubeconfig /nonexistent → a clear error naming the file, non-zero exit', async () => {
    const r = await runCli(['serve', '--kubeconfig', '/nonexistent/kubeconfig']);
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^watchscope: could not read the kubeconfig: .*\/nonexistent\/kubeconfig: no such file/);
  });

  it('a certificate where the client key belongs → one line saying so (kubeconfig data, etcd file), never an OpenSSL code', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'watchscope-cli-certkey-'));
    try {
      const { certPem } = generateServingCerts();
      const b64 = Buffer.from(certPem).toString('base64');
      const kc = join(dir, 'kubeconfig');
      writeFileSync(
        kc,
        stringifyYaml({
          apiVersion: 'v1',
          kind: 'Config',
          clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:1' } }],
          users: [{ name: 'u', user: { 'client-certificate-data': b64, 'client-key-data': b64 } }],
          contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
          'current-context': 'x',
        }),
      );
      const kube = await runCli(['serve', '--kubeconfig', kc]);
      expect(kube.code).toBe(1);
      expect(lines(kube.stderr)).toEqual(['watchscope: user "u" of context "x": client-key-data holds a certificate, not a private key (-----BEGIN … PRIVATE KEY-----)']);

      const pem = join(dir, 'client.crt');
      writeFileSync(pem, certPem);
      const etcd = await runCli(['serve', '--etcd', 'https://127.0.0.1:1', '--etcd-cert', pem, '--etcd-key', pem]);
      expect(etcd.code).toBe(1);
      expect(lines(etcd.stderr)).toEqual([`watchscope: client key file "${pem}" holds a certificate, not a private key (-----BEGIN … PRIVATE KEY-----)`]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('TLS to etcd', () => {
    let dir: string;
    let tlsEtcd: EtcdProcess;
    let plainEtcd: EtcdProcess;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'watchscope-cli-pki-'));
      const ssl = (...a: string[]) => execFileSync('openssl', a, { cwd: dir, stdio: 'pipe' });
      for (const ca of ['ca', 'other-ca']) ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${ca}.key`, '-out', `${ca}.crt`, '-days', '2', '-subj', `/CN=${ca}`);
      writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
      ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=etcd');
      ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'server.ext');
      [tlsEtcd, plainEtcd] = await Promise.all([startEtcd({ tls: { certFile: join(dir, 'server.crt'), keyFile: join(dir, 'server.key') } }), startEtcd()]);
    });
    afterAll(async () => {
      await Promise.all([tlsEtcd?.stop(), plainEtcd?.stop()]);
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('https:// against a plain-text etcd → one TLS line, non-zero exit', async () => {
      const url = plainEtcd.endpoint.replace('http://', 'https://');
      const r = await runCli(['serve', '--etcd', url]);
      expect(r.code).toBe(1);
      expect(lines(r.stderr)).toEqual([`watchscope: cannot talk TLS to etcd at ${url}: the server answered in plain text — use an http:// URL (or enable TLS on the server)`]);
    });

    it('https:// with a CA that did not sign etcd\'s certificate → one "not trusted" line; the right CA serves', async () => {
      const wrongCa = join(dir, 'other-ca.crt');
      const r = await runCli(['serve', '--etcd', tlsEtcd.endpoint, '--etcd-ca', wrongCa]);
      expect(r.code).toBe(1);
      expect(lines(r.stderr)).toEqual([
        `watchscope: etcd at ${tlsEtcd.endpoint} presented a certificate not trusted by the CA in "${wrongCa}" — pass the CA that signed etcd's serving certificate (caFile)`,
      ]);

      // The same etcd with the right CA: the CLI gets as far as serving.
      const ok = startCli(['serve', '--etcd', tlsEtcd.endpoint, '--etcd-ca', join(dir, 'ca.crt'), '--resources', 'configmaps']);
      try {
        await until(() => ok.stdout().includes('ready') || ok.child.exitCode !== null, 20_000, 'serve over TLS to get ready');
        expect(ok.stderr()).toBe('');
        expect(ok.stdout()).toMatch(new RegExp(`^source: etcd ${tlsEtcd.endpoint.replace(/[.]/g, '\\.')} \\(3\\.4\\.`, 'm'));
      } finally {
        ok.child.kill('SIGINT');
        expect((await ok.done).code).toBe(0);
      }
    });
  });

  it('serve --listen 127.0.0.2:0 binds that address (not 127.0.0.1) and kubectl reaches it over verified TLS', async () => {
    const etcd = await startEtcd();
    const dir = mkdtempSync(join(tmpdir(), 'watchscope-cli-listen-'));
    const token = 'listen-test-token-0123456789';
    const kc = join(dir, 'kubeconfig');
    const c = startCli(['serve', '--etcd', etcd.endpoint, '--listen', '127.0.0.2:0', '--token', token, '--resources', 'configmaps', '--write-kubeconfig', kc]);
    try {
      await until(() => c.stdout().includes('ready (Ctrl-C to stop)') || c.child.exitCode !== null, 30_000, 'serve --listen to print ready');
      expect(c.stderr()).toBe('');
      const endpoint = /^endpoint: (\S+)$/m.exec(c.stdout())![1]!;
      expect(endpoint).toMatch(/^https:\/\/127\.0\.0\.2:\d+$/);
      expect(endpointFromKubeconfig(kc)).toMatchObject({ server: endpoint, token });
      // kubectl verifies the serving certificate against the written CA: the address is in its SANs.
      const { stdout } = await execFileP('kubectl', ['--kubeconfig', kc, 'get', 'configmaps', '-A', '-o', 'name']);
      expect(stdout).toBe('');
      // Nothing answers on 127.0.0.1 at that port.
      const port = Number(new URL(endpoint).port);
      const refused = await new Promise<string>((res) => {
        const s = connect(port, '127.0.0.1');
        s.on('connect', () => (s.destroy(), res('connected')));
        s.on('error', (e: NodeJS.ErrnoException) => res(e.code ?? 'error'));
      });
      expect(refused).toBe('ECONNREFUSED');
    } finally {
      c.child.kill('SIGINT');
      await c.done;
      await etcd.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('`watchscope open` gets a fresh one-time link from the running web UI; a spent link says to run it', async () => {
    const etcd = await startEtcd();
    const runtime = mkdtempSync(join(tmpdir(), 'watchscope-cli-runtime-'));
    const env = { XDG_RUNTIME_DIR: runtime };
    const c = startCli(['serve', '--etcd', etcd.endpoint, '--ui', '--resources', 'configmaps'], env);
    const status = (url: string) =>
      new Promise<{ status: number; body: string }>((res, rej) => {
        http
          .get(url, (r) => {
            let body = '';
            r.on('data', (b: Buffer) => (body += b.toString()));
            r.on('end', () => res({ status: r.statusCode ?? 0, body }));
          })
          .on('error', rej);
      });
    try {
      await until(() => c.stdout().includes('ready (Ctrl-C to stop)') || c.child.exitCode !== null, 30_000, 'serve --ui to print ready');
      expect(c.stderr()).toBe('');
      const first = /^ui: (\S+)$/m.exec(c.stdout())![1]!;
      expect(c.stdout()).toContain('note: the ui: link opens once; `watchscope open` prints a fresh one');
      const file = join(runtime, 'watchscope', `ui-${c.child.pid}.json`);
      expect(statSync(join(runtime, 'watchscope')).mode & 0o777).toBe(0o700);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(readFileSync(file, 'utf8')).not.toContain(new URL(first).searchParams.get('token'));

      expect((await status(first)).status).toBe(302);
      const spent = await status(first);
      expect(spent.status).toBe(401);
      expect(spent.body).toContain('run `watchscope open`');

      const opened = await runCli(['open'], 20_000, env);
      expect(opened.stderr).toBe('');
      expect(opened.code).toBe(0);
      const fresh = /^ui: (\S+)$/m.exec(opened.stdout)![1]!;
      expect(new URL(fresh).origin).toBe(new URL(first).origin);
      expect(fresh).not.toBe(first);
      expect((await status(fresh)).status).toBe(302);
      expect((await status(fresh)).status).toBe(401);

      const wrongPid = await runCli(['open', '--pid', '1'], 20_000, env);
      expect(wrongPid.code).toBe(1);
      expect(lines(wrongPid.stderr)).toEqual([`watchscope: no running watchscope with pid 1 serves a web UI (running: pid ${c.child.pid} at ${new URL(first).origin})`]);

      c.child.kill('SIGINT');
      expect((await c.done).code).toBe(0);
      expect(existsSync(file)).toBe(false);
      const none = await runCli(['open'], 20_000, env);
      expect(none.code).toBe(1);
      expect(lines(none.stderr)).toEqual(['watchscope: no running watchscope of yours serves a web UI (start one with `watchscope demo --web` or `watchscope serve … --ui`)']);
    } finally {
      if (c.child.exitCode === null && c.child.signalCode === null) {
        c.child.kill('SIGKILL');
        await c.done;
      }
      await etcd.stop();
      rmSync(runtime, { recursive: true, force: true });
    }
  }, 90_000);

  describe('serve --etcd on a real etcd', () => {
    let etcd: EtcdProcess;
    let cli: ReturnType<typeof startCli>;
    let kubeconfig: string;
    let endpoint: string;
    let workDir: string;

    beforeAll(async () => {
      etcd = await startEtcd();
      workDir = mkdtempSync(join(tmpdir(), 'watchscope-cli-'));
      // A pod written straight into etcd, as a kube-apiserver would store it, before watchscope starts.
      const src = await EtcdSource.connect({ endpoints: [etcd.endpoint] });
      await src.client.put(
        '/registry/pods/kube-system/seeded',
        JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'seeded', namespace: 'kube-system', uid: 'u-seeded', creationTimestamp: '2024-01-01T00:00:00Z' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } }),
      );
      await src.close();
      // --write-kubeconfig so the file outlives the process (the default one is removed on exit).
      cli = startCli(['serve', '--etcd', etcd.endpoint, '--write-kubeconfig', join(workDir, 'kubeconfig')]);
      await until(() => cli.stdout().includes('ready (Ctrl-C to stop)') || cli.child.exitCode !== null, 30_000, 'serve --etcd to print ready');
      if (cli.child.exitCode !== null) throw new Error(`serve exited early: ${cli.stderr()}`);
      endpoint = /^endpoint: (\S+)$/m.exec(cli.stdout())![1]!;
      kubeconfig = /^kubeconfig: (\S+)$/m.exec(cli.stdout())![1]!;
    }, 60_000);
    afterAll(async () => {
      if (cli && cli.child.exitCode === null && cli.child.signalCode === null) {
        cli.child.kill('SIGKILL');
        await cli.done;
      }
      await etcd?.stop();
      if (workDir) rmSync(workDir, { recursive: true, force: true });
    });

    const kubectl = async (...args: string[]) => (await execFileP('kubectl', ['--kubeconfig', kubeconfig, ...args])).stdout;

    it('prints endpoint:, kubeconfig:, profile: and source: lines', () => {
      expect(endpoint).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(kubeconfig).toBe(join(workDir, 'kubeconfig'));
      expect(endpointFromKubeconfig(kubeconfig).server).toBe(endpoint);
      expect(cli.stdout()).toMatch(/^profile: 1\.34$/m);
      expect(cli.stdout()).toContain(`source: etcd ${etcd.endpoint} (3.4.23; RequestWatchProgress not trusted)`);
      expect(cli.stderr()).toBe('');
    });

    it('kubectl get pods -A, create configmap, get configmap -o json work through the endpoint', async () => {
      const pods = JSON.parse(await kubectl('get', 'pods', '-A', '-o', 'json')) as { items: { metadata: { name: string; namespace: string } }[] };
      expect(pods.items.map((p) => `${p.metadata.namespace}/${p.metadata.name}`)).toEqual(['kube-system/seeded']);
      expect(await kubectl('get', 'pods', '-A')).toMatch(/^kube-system +seeded +/m);

      expect(await kubectl('create', 'configmap', 'x', '--from-literal=k=v')).toContain('configmap/x created');
      const cm = JSON.parse(await kubectl('get', 'configmap', 'x', '-o', 'json')) as { kind: string; data: Record<string, string>; metadata: { name: string; namespace: string; resourceVersion: string } };
      expect(cm).toMatchObject({ kind: 'ConfigMap', data: { k: 'v' }, metadata: { name: 'x', namespace: 'default' } });
      expect(Number(cm.metadata.resourceVersion)).toBeGreaterThan(1);
      // The cache sees the write too: an RV=0 list is served from it.
      const cached = JSON.parse(await kubectl('get', '--raw', '/api/v1/namespaces/default/configmaps?resourceVersion=0')) as { items: { metadata: { name: string } }[] };
      expect(cached.items.map((i) => i.metadata.name)).toContain('x');
    });

    it('/debug/watchscope/decisions (with the kubeconfig\'s token) shows each request\'s routing decision', async () => {
      const { token, ca } = endpointFromKubeconfig(kubeconfig);
      const get = (path: string, auth?: string) =>
        new Promise<{ status: number; body: string }>((res, rej) => {
          https
            .get(`${endpoint}${path}`, { ca, headers: auth ? { authorization: `Bearer ${auth}` } : {} }, (r) => {
              let body = '';
              r.on('data', (b: Buffer) => (body += b.toString()));
              r.on('end', () => res({ status: r.statusCode ?? 0, body }));
            })
            .on('error', rej);
        });
      expect((await get('/debug/watchscope/decisions')).status).toBe(401);
      const r = await get('/debug/watchscope/decisions', token);
      expect(r.status).toBe(200);
      const ds = JSON.parse(r.body) as Decision[];
      const kubectlDs = ds.filter((d) => d.userAgent.startsWith('kubectl/'));
      const find = (verb: string, resource: string, pred: (d: Decision) => boolean = () => true) => kubectlDs.find((d) => d.verb === verb && d.resource === resource && pred(d));
      // No RV on an etcd 3.4.23 source: upstream cannot trust RequestWatchProgress, so etcd serves it.
      expect(find('list', 'pods', (d) => !d.namespace)).toMatchObject({ servedBy: 'etcd', reason: 'consistentReadFromStorage', status: 200, profile: '1.34' });
      expect(find('create', 'configmaps')).toMatchObject({ servedBy: 'etcd', reason: 'writeToStorage', status: 201, namespace: 'default' });
      expect(find('get', 'configmaps', (d) => d.name === 'x')).toMatchObject({ servedBy: 'etcd', reason: 'getQuorumRead', status: 200 });
      expect(find('list', 'configmaps', (d) => d.query.resourceVersion === '0')).toMatchObject({ servedBy: 'cache', status: 200 });
    });

    it('SIGINT stops it and it exits 0 within a few seconds', async () => {
      const t0 = Date.now();
      cli.child.kill('SIGINT');
      const r = await cli.done;
      expect(r.code).toBe(0);
      expect(Date.now() - t0).toBeLessThan(5_000);
      expect(r.stdout).toMatch(/stopping \(SIGINT\)\nstopped\n$/);
      // The endpoint is gone with it.
      await expect(execFileP('kubectl', ['--kubeconfig', kubeconfig, '--request-timeout=2s', 'get', 'pods'])).rejects.toThrow();
    });
  });
});

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}
