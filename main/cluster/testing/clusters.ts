// Test harness: the two real kube-apiservers the cluster features are proven on, each on a temp
// etcd, with the audit log file and the audit webhook turned on at Request level. v1.20.2 is the
// Debian-source build (main/storage/kube/testing/apiserver.ts); v1.36 is the build in the shared
// folder beside the repo, started by its own script. Everything is stopped by PID.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startEtcd, type EtcdProcess } from '../../storage/etcd/process.js';
import { findKubeApiserver, startTestApiserver } from '../../storage/kube/testing/apiserver.js';

const run = promisify(execFile);
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const sharedKube = join(repoRoot, '../shared/kube');

export type ClusterVersion = '1.20' | '1.36';

export interface AuditedCluster {
  version: ClusterVersion;
  server: string;
  kubeconfig: string;
  /** The audit log the apiserver writes (JSON lines, Request level). */
  auditLog: string;
  kubectl(args: string[]): Promise<string>;
  stop(): Promise<void>;
}

/** Why a version cannot start here, or undefined when it can. */
export function clusterMissing(v: ClusterVersion): string | undefined {
  if (v === '1.20') return findKubeApiserver() ? undefined : 'kube-apiserver v1.20.2 not built: run `bash scripts/build-kube-apiserver.sh`';
  return existsSync(join(sharedKube, 'start-apiserver.sh')) ? undefined : 'the shared kube-apiserver v1.36 (../shared/kube/start-apiserver.sh) is not beside the repo';
}

/** Request level for every request: requestURI, user, user agent and status are what routing needs. */
export const REQUEST_LEVEL_POLICY = 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Request\n';

export interface AuditedClusterOptions {
  /** A kubeconfig for --audit-webhook-config-file; the webhook batches at most 1 s. */
  webhookKubeconfig?: string;
}

function auditFlags(dir: string, opts: AuditedClusterOptions): { args: string[]; log: string } {
  const policy = join(dir, 'audit-policy.yaml');
  writeFileSync(policy, REQUEST_LEVEL_POLICY);
  const log = join(dir, 'audit.log');
  const args = [`--audit-policy-file=${policy}`, `--audit-log-path=${log}`, '--audit-log-format=json', '--audit-log-maxbackup=0'];
  if (opts.webhookKubeconfig) {
    const wh = join(dir, 'audit-webhook.kubeconfig');
    writeFileSync(wh, opts.webhookKubeconfig, { mode: 0o600 });
    args.push(`--audit-webhook-config-file=${wh}`, '--audit-webhook-batch-max-wait=1s', '--audit-webhook-mode=batch');
  }
  return { args, log };
}

export async function startAuditedCluster(version: ClusterVersion, opts: AuditedClusterOptions = {}): Promise<AuditedCluster> {
  const dir = mkdtempSync(join(tmpdir(), `watchscope-audit-${version}-`));
  const { args, log } = auditFlags(dir, opts);
  if (version === '1.20') {
    const api = await startTestApiserver({ extraArgs: args }).catch((e) => {
      rmSync(dir, { recursive: true, force: true });
      throw e;
    });
    return {
      version,
      server: api.server,
      kubeconfig: api.kubeconfig,
      auditLog: log,
      kubectl: (a) => api.kubectl(a),
      async stop() {
        await api.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  let etcd: EtcdProcess | undefined;
  let pid: number | undefined;
  try {
    etcd = await startEtcd();
    const work = join(dir, 'kube');
    const cached = join(repoRoot, '.cache/kube-apiserver-1.36/kube-apiserver');
    const bin = existsSync(cached) ? [cached] : [];
    const { stdout } = await run('bash', [join(sharedKube, 'start-apiserver.sh'), etcd.endpoint, work, ...bin, '--', ...args], { timeout: 120_000 });
    const vars = Object.fromEntries(stdout.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    pid = Number(vars.KUBE_PID);
    const kubeconfig = vars.KUBE_KUBECONFIG!;
    const e = etcd;
    const p = pid;
    return {
      version,
      server: vars.KUBE_SERVER!,
      kubeconfig,
      auditLog: log,
      kubectl: async (a) => (await run('kubectl', ['--kubeconfig', kubeconfig, ...a], { maxBuffer: 64 * 1024 * 1024 })).stdout,
      async stop() {
        await stopPid(p);
        await e.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    if (pid) await stopPid(pid);
    await etcd?.stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

async function stopPid(pid: number): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* gone */
  }
}
