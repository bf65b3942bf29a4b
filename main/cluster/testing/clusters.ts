// Test harness: the two real kube-apiservers the cluster features are proven on, each on a temp
// etcd, with the audit log file and the audit webhook turned on at Request level. v1.20.2 is the
// Debian-source build (main/storage/kube/testing/apiserver.ts); v1.36 is the build in the shared
// folder beside the repo (kube-1.36.ts). Everything is stopped by PID.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startEtcd, type EtcdProcess } from '../../storage/etcd/process.js';
import { findKubeApiserver, startTestApiserver } from '../../storage/kube/testing/apiserver.js';
import { KUBE_136_MISSING_MESSAGE, findKubeApiserver136, startKube136 } from '../../storage/kube/testing/kube-1.36.js';

const run = promisify(execFile);

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
  return findKubeApiserver136() ? undefined : KUBE_136_MISSING_MESSAGE;
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
  try {
    etcd = await startEtcd();
    const api = await startKube136(etcd.endpoint, args);
    const e = etcd;
    return {
      version,
      server: api.server,
      kubeconfig: api.kubeconfig,
      auditLog: log,
      kubectl: async (a) => (await run('kubectl', ['--kubeconfig', api.kubeconfig, ...a], { maxBuffer: 64 * 1024 * 1024 })).stdout,
      async stop() {
        await api.stop();
        await e.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await etcd?.stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
