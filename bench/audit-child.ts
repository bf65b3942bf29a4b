// One measured read of an audit log in a process of its own, so its peak RSS is the reader's:
//   audit-child.ts run FILE      the path `watchscope audit FILE` takes (auditReport: version
//                                probe, file reader, ingest, router, report), timed around it
//   audit-child.ts check FILE    the same, then the plain reference on the same file: every line
//                                through JSON.parse and the router without its memo
// Prints one JSON line (ChildResult).
import { auditReport } from '../main/cluster/report/run.js';
import { DEFAULT_AUDIT_PROFILE } from '../main/cluster/audit/version.js';
import { AuditIngest } from '../main/cluster/audit/ingest.js';
import { AuditRouter } from '../main/cluster/audit/infer.js';
import { resolveProfile } from '../main/storage/routing/index.js';
import { UpgradeReportBuilder, type Shares, type UpgradeReport } from '../main/cluster/report/upgrade.js';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

export interface Tally {
  linesRead: number;
  events: number;
  routed: number;
  skipped: Record<string, number>;
  bad: Record<string, number>;
  reads: number;
  profile: string;
  /** Reads (LIST/GET/WATCH) per profile: served by the cache, etcd, or rejected. */
  byProfile: Record<string, Shares>;
}

export interface ChildResult {
  ms: number;
  cpuMs: number;
  maxRssMB: number;
  tally: Tally;
  /** check mode: the JSON.parse reference on the same file. */
  reference?: Tally;
}

function tallyOf(r: UpgradeReport): Tally {
  const byProfile: Record<string, Shares> = {};
  for (const row of r.resources) {
    for (const [p, s] of Object.entries(row.byProfile)) {
      const t = (byProfile[p] ??= { requests: 0, cache: 0, etcd: 0, rejected: 0 });
      t.requests += s.requests;
      t.cache += s.cache;
      t.etcd += s.etcd;
      t.rejected += s.rejected;
    }
  }
  return {
    linesRead: r.stats.linesRead,
    events: r.stats.events,
    routed: r.stats.routed,
    skipped: { ...r.stats.skipped },
    bad: Object.fromEntries(r.stats.bad.map((b) => [b.kind, b.count])),
    reads: r.reads,
    profile: r.clusterProfile,
    byProfile,
  };
}

/** Line by line as text, JSON.parse, every request decided afresh under every profile. */
async function reference(file: string, profileName: string): Promise<Tally> {
  const ingest = new AuditIngest({ router: new AuditRouter(resolveProfile(profileName), { etcdSupportsRequestWatchProgress: true, profileSource: 'reference' }, undefined, false) });
  const builder = new UpgradeReportBuilder(profileName);
  ingest.subscribe((r) => builder.add(r));
  let n = 0;
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) ingest.line(line, `ref:${++n}`);
  return tallyOf(builder.build(file, [], ingest.snapshot()));
}

const [mode, file] = process.argv.slice(2);
if ((mode !== 'run' && mode !== 'check') || !file) throw new Error('usage: audit-child.ts run|check FILE');
const t0 = performance.now();
const c0 = process.cpuUsage();
const report = await auditReport(file);
const ms = performance.now() - t0;
const cpu = process.cpuUsage(c0);
const out: ChildResult = { ms, cpuMs: (cpu.user + cpu.system) / 1000, maxRssMB: process.resourceUsage().maxRSS / 1024, tally: tallyOf(report) };
if (mode === 'check') out.reference = await reference(file, report.clusterProfile ?? DEFAULT_AUDIT_PROFILE);
process.stdout.write(JSON.stringify(out) + '\n');
