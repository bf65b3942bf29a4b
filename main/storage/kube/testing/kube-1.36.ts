// Test oracle: a real kube-apiserver v1.36 (the binary shipped in the shared folder beside the
// repository, unpacked into .cache/ by scripts/setup.sh --test) started on an etcd the test runs,
// through the shared folder's own start script. The differential tests put watchscope on the same
// etcd and compare answers request by request.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findEtcdBinary } from '../../etcd/process.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const sharedKube = resolve(repoRoot, '../shared/kube');
const unpacked = join(repoRoot, '.cache/kube-apiserver-1.36/kube-apiserver');

/** The v1.36 binary: $KUBE_APISERVER_136_BIN, the unpacked copy in .cache/, or unpacked now from the shared folder. */
export function findKubeApiserver136(): string | undefined {
  const explicit = process.env.KUBE_APISERVER_136_BIN;
  if (explicit) return existsSync(explicit) ? explicit : undefined;
  if (existsSync(unpacked)) return unpacked;
  const xz = join(sharedKube, 'kube-apiserver-1.36.xz');
  if (!existsSync(xz)) return undefined;
  try {
    mkdirSync(dirname(unpacked), { recursive: true });
    const tmp = `${unpacked}.${process.pid}.tmp`;
    execFileSync('sh', ['-c', 'xz -dc "$1" > "$2"', 'unxz', xz, tmp]);
    chmodSync(tmp, 0o755);
    renameSync(tmp, unpacked);
    return unpacked;
  } catch {
    return undefined;
  }
}

export const KUBE_136_MISSING_MESSAGE =
  'kube-apiserver v1.36 not found: the shared folder beside the repository must hold kube/kube-apiserver-1.36.xz and kube/start-apiserver.sh (and `xz` must be installed), or set KUBE_APISERVER_136_BIN';

/** Debian trixie's etcd 3.5.16, fetched by scripts/fetch-etcd-3.5.sh (or $ETCD_35_BIN). */
export function findEtcd35(): string | undefined {
  const c = [process.env.ETCD_35_BIN, join(repoRoot, '.cache/etcd-3.5/usr/bin/etcd')];
  return c.find((p): p is string => !!p && existsSync(p));
}

export const ETCD_35_MISSING_MESSAGE = 'etcd 3.5 not found: run `bash scripts/fetch-etcd-3.5.sh` (or `scripts/setup.sh --test`), or set ETCD_35_BIN';

/** The etcd binaries the differential tests run on, by label; a missing one maps to undefined. */
export function etcdBinaries(): { label: string; bin: string | undefined; missing: string }[] {
  return [
    { label: 'etcd 3.4.23 (Debian bookworm)', bin: findEtcdBinary(), missing: 'etcd not found on PATH (apt-get install etcd-server) or ETCD_BIN' },
    { label: 'etcd 3.5.16 (Debian trixie)', bin: findEtcd35(), missing: ETCD_35_MISSING_MESSAGE },
  ];
}

export interface RealApiserver {
  /** https://127.0.0.1:<port> */
  server: string;
  token: string;
  ca: Buffer;
  kubeconfig: string;
  pid: number;
  /** The apiserver's log so far. */
  log(): string;
  stop(): Promise<void>;
}

/**
 * Runs the start script in a process group of its own. The apiserver it starts in the background
 * stays in that group until the script prints its pid, so when the script fails or overruns the
 * whole group is killed: a slow /readyz must not leave an apiserver behind that nobody knows.
 */
function runStartScript(script: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<string> {
  return new Promise((res, rej) => {
    const child = spawn('bash', [script, ...args], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const killGroup = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      killGroup();
      rej(new Error(`start-apiserver.sh did not finish in ${timeoutMs / 1000} s (kube-apiserver killed): ${stderr.trim()}`));
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      rej(new Error(`start-apiserver.sh failed: ${e.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) {
        res(stdout);
        return;
      }
      killGroup();
      rej(new Error(`start-apiserver.sh failed: ${stderr.trim() || `exit ${code}`}`));
    });
  });
}

/** Starts kube-apiserver v1.36 against `etcdUrl`; extra flags are passed through. */
export async function startKube136(etcdUrl: string, extraFlags: string[] = [], o: { startTimeoutMs?: number } = {}): Promise<RealApiserver> {
  const bin = findKubeApiserver136();
  const script = join(sharedKube, 'start-apiserver.sh');
  if (!bin || !existsSync(script)) throw new Error(KUBE_136_MISSING_MESSAGE);
  const work = mkdtempSync(join(tmpdir(), 'watchscope-kube136-'));
  // The script asks node for a free port: a FORCE_COLOR inherited from a test runner (Playwright
  // sets it) would colour that number and break --secure-port.
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.FORCE_COLOR;
  const out = await runStartScript(script, [etcdUrl, work, bin, '--', ...extraFlags], env, o.startTimeoutMs ?? 90_000).catch((e: unknown) => {
    rmSync(work, { recursive: true, force: true });
    throw e;
  });
  const vars = Object.fromEntries(out.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  const pid = Number(vars.KUBE_PID);
  return {
    server: vars.KUBE_SERVER!,
    token: vars.KUBE_ADMIN_TOKEN!,
    ca: readFileSync(vars.KUBE_CA!),
    kubeconfig: vars.KUBE_KUBECONFIG!,
    pid,
    log: () => {
      try {
        return readFileSync(join(work, 'kube-apiserver.log'), 'utf8');
      } catch {
        return '';
      }
    },
    async stop() {
      try {
        process.kill(pid, 'SIGTERM');
        const end = Date.now() + 10_000;
        while (Date.now() < end) {
          try {
            process.kill(pid, 0);
          } catch {
            break;
          }
          await new Promise((r) => setTimeout(r, 100));
        }
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      } catch {
        // already gone
      }
      rmSync(work, { recursive: true, force: true });
    },
  };
}
