// One audit log file in, one upgrade report out: the cluster's profile from --profile or from the
// version kube-apiserver's own requests name in the log (else 1.34, said so), the file read once.
import { basename } from 'node:path';
import { resolveProfile, withGates, type GateName } from '../../storage/routing/index.js';
import { AuditIngest } from '../audit/ingest.js';
import { AuditRouter, assumptionTexts } from '../audit/infer.js';
import { readAuditFile } from '../audit/file.js';
import { chooseAuditVersion } from '../audit/version.js';
import { UpgradeReportBuilder, type UpgradeReport } from './upgrade.js';

export interface AuditReportOptions {
  profile?: string;
  gates?: Record<string, boolean>;
  /** Whether the cluster's etcd answers RequestWatchProgress (default: assumed yes, etcd ≥3.5.13 is the norm from 1.31). */
  etcdProgress?: boolean;
}

export async function auditReport(path: string, opts: AuditReportOptions = {}): Promise<UpgradeReport> {
  const { version, source } = await chooseAuditVersion(opts.profile, path);
  // The CLI's own words: it has a --profile flag, so the default's hint names it.
  const profileSource = source.replace(/; choose a profile\)$/, '; pass --profile)');
  let profile = resolveProfile(version);
  if (opts.gates && Object.keys(opts.gates).length) profile = withGates(profile, opts.gates as Partial<Record<GateName, boolean>>);
  const assumptions = { etcdSupportsRequestWatchProgress: opts.etcdProgress ?? true, profileSource };
  const ingest = new AuditIngest({ router: new AuditRouter(profile, assumptions) });
  const builder = new UpgradeReportBuilder(profile.name);
  ingest.subscribe((r) => builder.add(r));
  await readAuditFile(path, ingest);
  return builder.build(basename(path), assumptionTexts(assumptions), ingest.snapshot());
}
