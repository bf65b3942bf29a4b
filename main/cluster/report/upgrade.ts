// The upgrade report: reads (LIST, GET, WATCH) of an audit log or of the endpoint's own traffic,
// each already routed under the cluster's profile and every other, folded into per-resource and per-client shares of cache vs
// etcd, and the groups of requests that change side under another profile and why. Memory is
// bounded by the number of distinct resources and clients kept (the rest are folded into
// "(other)"), never by the number of requests.
import type { InferredRequest } from '../audit/infer.js';
import type { AuditIngestStats } from '../audit/ingest.js';
import { clientKey } from '../../../shared/clients.js';

/** What the report needs of one routed request (an audit log's InferredRequest is one). */
export type RoutedRead = Pick<InferredRequest, 'verb' | 'group' | 'resource' | 'user' | 'userAgent' | 'servedBy' | 'reason' | 'whatIf'>;

export type Side = 'cache' | 'etcd' | 'rejected';

export interface Shares {
  requests: number;
  cache: number;
  etcd: number;
  rejected: number;
}

export interface ReportRow {
  /** resource ("pods", "leases.coordination.k8s.io") or client ("kubectl/v1.36.0 · alice"). */
  key: string;
  byVerb: Record<string, number>;
  /** Per profile name: how the rows' reads split. The cluster's profile is `clusterProfile`. */
  byProfile: Record<string, Shares>;
}

export interface SideChange {
  profile: string;
  verb: string;
  resource: string;
  from: Side;
  to: Side;
  fromReason: string;
  toReason: string;
  count: number;
  /** e.g. "1.34: 12,400 LISTs of pods move from etcd to the cache (hasLimit → continueFromSnapshot)". */
  text: string;
}

export interface UpgradeReport {
  source: string;
  clusterProfile: string;
  /** Profile names in column order: the cluster's first. */
  profiles: string[];
  assumptions: string[];
  reads: number;
  stats: AuditIngestStats;
  resources: ReportRow[];
  clients: ReportRow[];
  changes: SideChange[];
  /** Keys folded into "(other)" because the caps were reached. */
  folded: { resources: number; clients: number };
}

const READ_VERBS = new Set(['get', 'list', 'watch']);
export const OTHER = '(other)';

/** The client as the Clients view names it (clientKey: product/version and component), with the user. */
export function clientName(userAgent: string, user: string): string {
  const ua = clientKey(userAgent);
  return user ? `${ua} · ${user}` : ua;
}

export function resourceName(r: Pick<InferredRequest, 'resource' | 'group'>): string {
  return r.group ? `${r.resource}.${r.group}` : r.resource;
}

const emptyShares = (): Shares => ({ requests: 0, cache: 0, etcd: 0, rejected: 0 });

class Rows {
  readonly rows = new Map<string, ReportRow>();
  folded = new Set<string>();
  constructor(private readonly cap: number) {}
  get(key: string): ReportRow {
    let row = this.rows.get(key);
    if (row) return row;
    if (this.rows.size >= this.cap) {
      if (this.folded.size < 100_000) this.folded.add(key);
      key = OTHER;
      row = this.rows.get(key);
      if (row) return row;
    }
    row = { key, byVerb: {}, byProfile: {} };
    this.rows.set(key, row);
    return row;
  }
}

function add(row: ReportRow, r: RoutedRead, clusterProfile: string): void {
  row.byVerb[r.verb] = (row.byVerb[r.verb] ?? 0) + 1;
  const bump = (profile: string, side: Side) => {
    const s = (row.byProfile[profile] ??= emptyShares());
    s.requests++;
    s[side]++;
  };
  bump(clusterProfile, r.servedBy);
  for (const w of r.whatIf) if (w.profile !== clusterProfile) bump(w.profile, w.servedBy);
}

export class UpgradeReportBuilder {
  private readonly resources: Rows;
  private readonly clients: Rows;
  private readonly changes = new Map<string, SideChange>();
  private reads = 0;
  private profileOrder: string[] = [];

  constructor(
    readonly clusterProfile: string,
    opts: { maxResources?: number; maxClients?: number; maxChangeGroups?: number } = {},
  ) {
    this.resources = new Rows(opts.maxResources ?? 256);
    this.clients = new Rows(opts.maxClients ?? 256);
    this.maxChangeGroups = opts.maxChangeGroups ?? 2048;
  }
  private readonly maxChangeGroups: number;

  add(r: RoutedRead): void {
    if (!READ_VERBS.has(r.verb)) return;
    this.reads++;
    if (this.profileOrder.length === 0) this.profileOrder = [this.clusterProfile, ...r.whatIf.map((w) => w.profile).filter((p) => p !== this.clusterProfile)];
    const resource = resourceName(r);
    add(this.resources.get(resource), r, this.clusterProfile);
    add(this.clients.get(clientName(r.userAgent, r.user)), r, this.clusterProfile);
    for (const w of r.whatIf) {
      if (w.profile === this.clusterProfile || w.servedBy === r.servedBy) continue;
      const key = `${w.profile}\0${r.verb}\0${resource}\0${r.servedBy}\0${w.servedBy}\0${r.reason}\0${w.reason}`;
      const c = this.changes.get(key);
      if (c) c.count++;
      else if (this.changes.size < this.maxChangeGroups) {
        this.changes.set(key, { profile: w.profile, verb: r.verb, resource, from: r.servedBy, to: w.servedBy, fromReason: r.reason, toReason: w.reason, count: 1, text: '' });
      }
    }
  }

  build(source: string, assumptions: string[], stats: AuditIngestStats): UpgradeReport {
    const byEtcd = (a: ReportRow, b: ReportRow) => (b.byProfile[this.clusterProfile]?.etcd ?? 0) - (a.byProfile[this.clusterProfile]?.etcd ?? 0) || a.key.localeCompare(b.key);
    const changes = [...this.changes.values()]
      .map((c) => ({ ...c, text: changeText(c) }))
      .sort((a, b) => b.count - a.count || a.profile.localeCompare(b.profile) || a.resource.localeCompare(b.resource));
    return {
      source,
      clusterProfile: this.clusterProfile,
      profiles: this.profileOrder.length ? this.profileOrder : [this.clusterProfile],
      assumptions,
      reads: this.reads,
      stats,
      resources: [...this.resources.rows.values()].sort(byEtcd),
      clients: [...this.clients.rows.values()].sort(byEtcd),
      changes,
      folded: { resources: this.resources.folded.size, clients: this.clients.folded.size },
    };
  }
}

const VERB_NOUN: Record<string, string> = { list: 'LIST', get: 'GET', watch: 'WATCH' };
const place = (s: Side) => (s === 'cache' ? 'the cache' : s === 'etcd' ? 'etcd' : 'rejection');

function changeText(c: SideChange): string {
  const n = c.count.toLocaleString('en-US');
  const noun = `${VERB_NOUN[c.verb] ?? c.verb}${c.count === 1 ? '' : 's'}`;
  return `${c.profile}: ${n} ${noun} of ${c.resource} move from ${place(c.from)} to ${place(c.to)} (${c.fromReason} → ${c.toReason})`;
}

const pct = (n: number, d: number) => (d === 0 ? '–' : `${Math.round((100 * n) / d)}%`);

/** The report as text for a terminal: one table per dimension, then the changes. */
export function renderReportText(r: UpgradeReport, top = 20): string {
  const lines: string[] = [];
  lines.push(`audit log: ${r.source}`);
  lines.push(`cluster profile: ${r.clusterProfile}; reads (LIST/GET/WATCH): ${r.reads.toLocaleString('en-US')} of ${r.stats.routed.toLocaleString('en-US')} routed requests`);
  lines.push('decisions are inferred from the audit log, assuming:');
  for (const a of r.assumptions) lines.push(`  - ${a}`);
  if (r.stats.bad.length) {
    lines.push('bad input (skipped):');
    for (const b of r.stats.bad) lines.push(`  ${b.kind}: ${b.count} — ${b.text}; e.g. ${b.example}`);
  }
  const table = (title: string, rows: ReportRow[]) => {
    lines.push('', `${title} — share served by etcd per profile (cluster's first):`);
    lines.push(`  ${'name'.padEnd(44)}${'reads'.padStart(9)}  ${r.profiles.map((p) => p.padStart(7)).join('')}`);
    for (const row of rows.slice(0, top)) {
      const reads = row.byProfile[r.clusterProfile]?.requests ?? 0;
      const cells = r.profiles.map((p) => {
        const s = row.byProfile[p];
        return (s ? pct(s.etcd, s.requests) : '–').padStart(7);
      });
      lines.push(`  ${row.key.slice(0, 43).padEnd(44)}${String(reads).padStart(9)}  ${cells.join('')}`);
    }
    if (rows.length > top) lines.push(`  … ${rows.length - top} more`);
  };
  table('per resource', r.resources);
  table('per client (user agent · user)', r.clients);
  lines.push('', r.changes.length ? 'requests that change side:' : 'no request changes side under any other profile.');
  for (const c of r.changes.slice(0, top * 2)) lines.push(`  ${c.text}`);
  if (r.changes.length > top * 2) lines.push(`  … ${r.changes.length - top * 2} more groups (see --output json)`);
  return lines.join('\n');
}
