// Every way the CLI can end leaves nothing behind: the demo's etcd child is gone (checked by PID)
// and so are the session directory (kubeconfig with the endpoint token) and etcd's data dir.
// Runs `watchscope demo --no-ui` as a child process against a real etcd binary.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cliEntry = join(repoRoot, 'main/cli.ts');
const thrower = join(repoRoot, 'main/testing/throw-on-signal.ts');

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until(what: string, cond: () => boolean, limitMs = 15_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Running {
  pid: number;
  etcdPid: number;
  etcdDataDir: string;
  sessionDir: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/** Starts `demo --no-ui` and waits for `ready`, returning what it started. */
async function startDemo(extra: string[] = [], preload: string[] = []): Promise<Running> {
  const child = spawn(process.execPath, ['--import', 'tsx', ...preload.flatMap((p) => ['--import', p]), cliEntry, 'demo', '--no-ui', '--writes', '2', '--kubelets', '1', '--informers', '1', ...extra], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((r) =>
    child.on('exit', (code, signal) => r({ code, signal, stdout, stderr })),
  );
  let gone = false;
  void exited.then(() => (gone = true));
  await until('ready', () => /^ready/m.test(stdout) || gone, 60_000);
  if (gone) throw new Error(`demo exited before ready: ${stdout}${stderr}`);
  const etcdPid = Number(/^source: .*pid (\d+)/m.exec(stdout)?.[1]);
  const kubeconfig = /^kubeconfig: (.+)$/m.exec(stdout)![1]!;
  const cmdline = readFileSync(`/proc/${etcdPid}/cmdline`, 'utf8').split('\0');
  const etcdDataDir = cmdline[cmdline.indexOf('--data-dir') + 1]!;
  expect(alive(etcdPid)).toBe(true);
  expect(existsSync(etcdDataDir)).toBe(true);
  expect(existsSync(kubeconfig)).toBe(true);
  return { pid: child.pid!, etcdPid, etcdDataDir, sessionDir: dirname(kubeconfig), exited };
}

async function expectNothingLeft(r: Running): Promise<void> {
  // The watchdog polls twice a second; graceful paths are done before the process exits.
  await until(`etcd pid ${r.etcdPid} to end`, () => !alive(r.etcdPid), 10_000);
  await until('the session directory to go', () => !existsSync(r.sessionDir), 10_000);
  await until("etcd's data dir to go", () => !existsSync(r.etcdDataDir), 10_000);
}

describe('nothing is left behind, whatever ends the CLI', { timeout: 120_000 }, () => {
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    it(`${sig}: stops etcd by PID and removes the session and etcd directories, exit 0`, async () => {
      const r = await startDemo();
      process.kill(r.pid, sig);
      const end = await r.exited;
      expect(end.stdout).toContain(`stopping (${sig})`);
      expect(end.code).toBe(0);
      expect(alive(r.etcdPid)).toBe(false);
      expect(existsSync(r.sessionDir)).toBe(false);
      expect(existsSync(r.etcdDataDir)).toBe(false);
    });
  }

  it('an uncaught error: says so in one line, stops etcd, removes the directories, exit 1', async () => {
    const r = await startDemo([], [thrower]);
    process.kill(r.pid, 'SIGUSR2');
    const end = await r.exited;
    expect(end.code).toBe(1);
    expect(end.stderr).toContain('watchscope: internal error: injected by the test: an uncaught error');
    expect(alive(r.etcdPid)).toBe(false);
    expect(existsSync(r.sessionDir)).toBe(false);
    expect(existsSync(r.etcdDataDir)).toBe(false);
  });

  it('kill -9 of the CLI: the watchdog kills etcd and removes the directories', async () => {
    const r = await startDemo();
    process.kill(r.pid, 'SIGKILL');
    const end = await r.exited;
    expect(end.signal).toBe('SIGKILL');
    await expectNothingLeft(r);
  });

  it('a failure after the session started (the endpoint port is taken): etcd stopped by PID, its data dir removed', async () => {
    const busy: Server = createServer();
    await new Promise<void>((res) => busy.listen(0, '127.0.0.1', res));
    const port = (busy.address() as { port: number }).port;
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', cliEntry, 'demo', '--no-ui', '--listen', `127.0.0.1:${port}`], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      const etcdPids = new Set<number>();
      const dataDirs = new Set<string>();
      child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
      child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
      // Record every etcd this CLI starts while it runs, by walking its children.
      const poll = setInterval(() => {
        try {
          for (const pid of readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)) {
            if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'etcd') continue;
            etcdPids.add(pid);
            const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
            dataDirs.add(cmdline[cmdline.indexOf('--data-dir') + 1]!);
          }
        } catch {
          /* exited */
        }
      }, 50);
      const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
      clearInterval(poll);
      expect(code).not.toBe(0);
      expect(stderr).toMatch(/^watchscope: .*(EADDRINUSE|in use)/m);
      expect(stdout).not.toMatch(/^ready/m);
      expect(etcdPids.size).toBeGreaterThan(0);
      for (const pid of etcdPids) expect(alive(pid)).toBe(false);
      for (const d of dataDirs) expect(existsSync(d)).toBe(false);
    } finally {
      busy.close();
    }
  });
});
