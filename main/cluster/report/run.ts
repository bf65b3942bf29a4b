// One audit log file in, one upgrade report out: the cluster's profile from --profile or from the
// version kube-apiserver's own requests name in the log (else 1.34, said so), the file read once.
import { basename } from 'node:path';
import { resolveProfile, withGates, type GateName } from '../../storage/routing/index.js';
import { AuditIngest } from '../audit/ingest.js';
import { AuditRouter, assumptionTexts } from '../audit/infer.js';
import { readAuditFile } from '../audit/file.js';
import { probeClusterVersion } from '../audit/version.js';
import { UpgradeReportBuilder, type UpgradeReport } from './upgrade.js';

export interface AuditReportOptions {
  profile?: string;
  gates?: Record<string, boolean>;
  /** Whether the cluster's etcd answers RequestWatchProgress (default: assumed yes, etcd ≥3.5.13 is the norm from 1.31). */
  etcdProgress?: boolean;
}

export const DEFAULT_AUDIT_PROFILE = '1.34';

export async function auditReport(path: string, opts: AuditReportOptions = {}): Promise<UpgradeReport> {
  let profileSource: string;
  let version: string;
  if (opts.profile) {
    version = opts.profile;
    profileSource = `--profile ${opts.profile}`;
  } else {
    const found = await probeClusterVersion(path);
    version = found ?? DEFAULT_AUDIT_PROFILE;
    profileSource = found ? `kube-apiserver/${found} in the log's own requests` : `the default ${DEFAULT_AUDIT_PROFILE} (the log names no kube-apiserver version; pass --profile)`;
  }
  let profile = resolveProfile(version);
  if (opts.gates && Object.keys(opts.gates).length) profile = withGates(profile, opts.gates as Partial<Record<GateName, boolean>>);
  const assumptions = { etcdSupportsRequestWatchProgress: opts.etcdProgress ?? true, profileSource };
  const ingest = new AuditIngest({ router: new AuditRouter(profile, assumptions) });
  const builder = new UpgradeReportBuilder(profile.name);
  ingest.subscribe((r) => builder.add(r));
  await readAuditFile(path, ingest);
  return builder.build(basename(path), assumptionTexts(assumptions), ingest.snapshot());
}
