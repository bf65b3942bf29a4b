// Starts a real etcd server as a child process on loopback: free ports, a temporary data dir,
// stopped by PID. Used by the tests, the benches and `watchscope demo`.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, delimiter } from 'node:path';

export interface EtcdProcessOptions {
  /** etcd binary; defaults to $ETCD_BIN, then `etcd` on PATH. */
  bin?: string;
  /** Periodic progress-notify interval (etcd default is 10m). */
  progressNotifyInterval?: string;
  /** Reuse this data dir (for restart tests); a temp dir is made otherwise. */
  dataDir?: string;
  /** Reuse this client port (for restart tests). */
  clientPort?: number;
  extraArgs?: string[];
  /**
   * Paths the parent-death watchdog removes besides etcd's own temporary data dir (the owner's
   * session files), should this process die without running any handler (kill -9).
   */
  removeOnParentDeath?: string[];
  /**
   * Serve clients over TLS (https:// client URL). Health is probed on a separate plain-http
   * metrics listener so the probe needs no client certificate.
   */
  tls?: {
    certFile: string;
    keyFile: string;
    /** CA that signs accepted client certificates (--trusted-ca-file). */
    trustedCaFile?: string;
    /** Require client certificates (--client-cert-auth). */
    clientCertAuth?: boolean;
  };
}

export interface EtcdProcess {
  endpoint: string;
  clientPort: number;
  dataDir: string;
  pid: number;
  /** Recent log lines (bounded). */
  log(): string[];
  /** SIGKILL, keep the data dir (for restart tests). */
  kill9(): Promise<void>;
  /** Start again on the same port and data dir. */
  restart(): Promise<void>;
  /** Stop and remove the data dir. */
  stop(): Promise<void>;
  /** Synchronous last resort for exit handlers: SIGKILL etcd and its watchdog, remove the data dir. */
  killNow(): void;
}

// Runs beside etcd, detached, and outlives this process: once our PID is gone while etcd still
// runs (we were killed without a chance to stop it), it kills etcd and removes the files, so no
// unauthenticated etcd is left listening on loopback. It ends by itself when etcd ends first.
const WATCHDOG_SCRIPT = [
  'parent=$1; child=$2; shift 2',
  'while kill -0 "$parent" 2>/dev/null && kill -0 "$child" 2>/dev/null; do sleep 0.5; done',
  'if kill -0 "$child" 2>/dev/null; then kill -9 "$child"; rm -rf -- "$@"; fi',
].join('\n');

function startWatchdog(child: number, paths: string[]): ChildProcess {
  const w = spawn('/bin/sh', ['-c', WATCHDOG_SCRIPT, 'watchscope-etcd-watchdog', String(process.pid), String(child), ...paths], {
    detached: true,
    stdio: 'ignore',
  });
  w.on('error', () => undefined);
  w.unref();
  return w;
}

const killQuietly = (pid: number | undefined, signal: NodeJS.Signals) => {
  if (!pid) return;
  try {
    process.kill(pid, signal);
  } catch {
    /* already gone */
  }
};

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export function findEtcdBinary(explicit?: string): string | undefined {
  const candidates = [explicit, process.env.ETCD_BIN].filter(Boolean) as string[];
  for (const c of candidates) if (existsSync(c)) return c;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const p = join(dir, 'etcd');
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

export const ETCD_MISSING_MESSAGE =
  'etcd was not found: install it (Debian/Ubuntu: `sudo apt-get install etcd-server`) or set ETCD_BIN to an etcd binary.';

export async function startEtcd(opts: EtcdProcessOptions = {}): Promise<EtcdProcess> {
  const bin = findEtcdBinary(opts.bin);
  if (!bin) throw new Error(ETCD_MISSING_MESSAGE);
  const ownDir = !opts.dataDir;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'watchscope-etcd-'));
  const clientPort = opts.clientPort ?? (await freePort());
  const logLines: string[] = [];
  let child: ChildProcess | undefined;
  let watchdog: ChildProcess | undefined;
  const watchdogPaths = [...(ownDir ? [dataDir] : []), ...(opts.removeOnParentDeath ?? [])];
  const scheme = opts.tls ? 'https' : 'http';
  // Peer and metrics ports are kept across restarts so the member's stored peer URL stays valid.
  const peerPort = await freePort();
  const metricsPort = await freePort();
  const tlsArgs = opts.tls
    ? [
        '--cert-file', opts.tls.certFile,
        '--key-file', opts.tls.keyFile,
        ...(opts.tls.trustedCaFile ? ['--trusted-ca-file', opts.tls.trustedCaFile] : []),
        ...(opts.tls.clientCertAuth ? ['--client-cert-auth'] : []),
      ]
    : [];

  const launch = async () => {
    const endpoint = `${scheme}://127.0.0.1:${clientPort}`;
    const args = [
      '--name', 'watchscope',
      '--data-dir', dataDir,
      '--listen-client-urls', endpoint,
      '--advertise-client-urls', endpoint,
      '--listen-peer-urls', `http://127.0.0.1:${peerPort}`,
      '--initial-advertise-peer-urls', `http://127.0.0.1:${peerPort}`,
      '--initial-cluster', `watchscope=http://127.0.0.1:${peerPort}`,
      '--listen-metrics-urls', `http://127.0.0.1:${metricsPort}`,
      ...tlsArgs,
      '--log-level', 'warn',
      '--logger', 'zap',
      ...(opts.progressNotifyInterval ? ['--experimental-watch-progress-notify-interval', opts.progressNotifyInterval] : []),
      ...(opts.extraArgs ?? []),
    ];
    const c = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    const onData = (b: Buffer) => {
      for (const line of b.toString().split('\n')) {
        if (!line) continue;
        logLines.push(line);
        if (logLines.length > 200) logLines.shift();
      }
    };
    c.stdout?.on('data', onData);
    c.stderr?.on('data', onData);
    if (c.pid) {
      killQuietly(watchdog?.pid, 'SIGKILL');
      watchdog = startWatchdog(c.pid, watchdogPaths);
    }
    await waitHealthy(`http://127.0.0.1:${metricsPort}`, c, logLines);
  };

  await launch();
  const proc: EtcdProcess = {
    endpoint: `${scheme}://127.0.0.1:${clientPort}`,
    clientPort,
    dataDir,
    get pid() {
      return child?.pid ?? -1;
    },
    log: () => [...logLines],
    async kill9() {
      const c = child;
      // A child killed by a signal keeps exitCode null: check both or this waits forever.
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGKILL');
      await exited;
    },
    async restart() {
      await proc.kill9();
      await launch();
    },
    async stop() {
      const c = child;
      if (c && c.exitCode === null && c.signalCode === null) {
        const exited = new Promise((r) => c.once('exit', r));
        c.kill('SIGTERM');
        const t = setTimeout(() => c.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(t);
      }
      killQuietly(watchdog?.pid, 'SIGKILL');
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    },
    killNow() {
      const c = child;
      if (c && c.exitCode === null && c.signalCode === null) killQuietly(c.pid, 'SIGKILL');
      killQuietly(watchdog?.pid, 'SIGKILL');
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return proc;
}

async function waitHealthy(endpoint: string, child: ChildProcess, log: string[]): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`etcd exited with code ${child.exitCode}: ${log.slice(-5).join('\n')}`);
    }
    try {
      const r = await fetch(`${endpoint}/health`);
      if (r.ok) {
        const body = (await r.json()) as { health?: string };
        if (body.health === 'true') return;
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`etcd did not become healthy within 15s: ${log.slice(-5).join('\n')}`);
}
