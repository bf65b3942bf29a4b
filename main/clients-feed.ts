// The session's traffic, per client and as an upgrade report: every decision in the session's log
// (the endpoint's own, and the cluster's audit stream's inferred ones) goes into the session's
// ClientsAggregator, and every read into an UpgradeReportBuilder under the profile it was decided
// under. An endpoint LIST is observed once its answer is written (so its objects and bytes are
// known), a watch when it starts and again when it ends (the audit stream tells a watch's end
// through its ResponseComplete). For the endpoint's reads, what-if is decided here with the
// cache's state at the moment the decision is recorded; an inferred decision carries its own.
import type { Decision } from '../shared/model.js';
import { isConsistentList } from '../shared/clients.js';
import type { DecisionLog, RequestEnd } from './storage/decisions.js';
import { allProfiles, isRecursive, whatIf, type CacheState, type RoutingRequest } from './storage/routing/index.js';
import { qualifiedResource, type ResourceInfo } from './storage/resources.js';
import { ClientsAggregator, type ClientObservation } from './telemetry/clients.js';
import { UpgradeReportBuilder, type RoutedRead, type UpgradeReport } from './cluster/report/upgrade.js';
import type { AuditIngestStats, WatchEnd } from './cluster/audit/ingest.js';
import type { Live } from './live.js';

const READS = new Set(['get', 'list', 'watch']);

/** What the report says of decisions made by the endpoint itself (nothing is inferred). */
const ENDPOINT_ASSUMPTIONS = ['decided by the endpoint as the requests arrived, with its caches\' state at that moment; what-if rows re-decide the same request under each other profile with that state'];

/** Profiles a report is kept for at once (the session's, and the audit stream's cluster's when it differs). */
const MAX_REPORTS = 4;

interface ReportState {
  since: number;
  builder: UpgradeReportBuilder;
  routed: number;
  endpoint: number;
  audit: number;
}

export class ClientsFeed {
  readonly aggregator = new ClientsAggregator();
  /** One upgrade report per profile the reads were decided under. */
  private readonly reports = new Map<string, ReportState>();

  /**
   * Feeds from one connection's decision log until the returned function is called. The
   * connection's storage (for what-if) is looked up per decision: the log records before the
   * connection is complete (the demo's workload starts while it opens).
   */
  attach(decisions: DecisionLog, current: () => Live | undefined): () => void {
    let names: { live: Live; byName: Map<string, ResourceInfo> } | undefined;
    const resourceOf = (name: string): { live: Live; res: ResourceInfo } | undefined => {
      const live = current();
      if (!live) return undefined;
      if (names?.live !== live) names = { live, byName: new Map(live.backend.resources().map((r) => [qualifiedResource(r), r])) };
      const res = names.byName.get(name);
      return res ? { live, res } : undefined;
    };
    const other = (d: Decision, live: Live | undefined, req: RoutingRequest | undefined): ClientObservation['whatIf'] => {
      if (!req || !live) return undefined;
      const cache = live.backend.resource(req.group, req.resource)?.cacheState() ?? fallbackState(live);
      return whatIf(req, cache, allProfiles)
        .filter((w) => w.profile.name !== d.profile)
        .map((w) => ({ profile: w.profile.name, servedBy: w.decision.servedBy, reason: w.decision.reason }));
    };
    const observe = (d: Decision, extra: Partial<ClientObservation> = {}) => {
      const found = resourceOf(d.resource);
      const req = found && READS.has(d.verb) ? routingRequestOf(d, found.res) : undefined;
      const w = other(d, found?.live, req);
      this.aggregator.observe({ ...observationOf(d, 'endpoint'), ...(w ? { whatIf: w } : {}), ...extra });
      if (req && w) this.addRead(d.profile, 'endpoint', { verb: req.verb, group: req.group, resource: req.resource, user: '', userAgent: d.userAgent, servedBy: d.servedBy, reason: d.reason, whatIf: w });
    };
    // A LIST that answered is observed when its answer is written (handleList always tells).
    const waitsForEnd = (d: Decision) => d.verb === 'list' && d.status === 200 && d.servedBy !== 'rejected';
    const offRecord = decisions.subscribe((d) => {
      if (d.source === 'audit') return this.observeInferred(d);
      if (d.reason === 'unauthorized' || waitsForEnd(d)) return;
      observe(d);
    });
    const offEnd = decisions.subscribeEnds((d: Decision, e: RequestEnd) => {
      if ('list' in e) observe(d, { objects: e.list.objects, bytes: e.list.bytes });
      else this.aggregator.observe({ time: Date.now(), source: 'endpoint', userAgent: d.userAgent, verb: 'watch', resource: d.resource, servedBy: d.servedBy, reason: d.reason, status: d.status, watchEnd: e.watch });
    });
    return () => {
      offRecord();
      offEnd();
    };
  }

  /** A request of the cluster's audit stream, as the session recorded it (an inferred decision). */
  private observeInferred(d: Decision): void {
    const w = (d.whatIf ?? []).filter((x) => x.profile !== d.profile);
    this.aggregator.observe({ ...observationOf(d, 'audit'), ...(d.user ? { user: d.user } : {}), whatIf: w });
    // The report keys resources as "resource.group", which the decision's resource already is.
    this.addRead(d.profile, 'audit', { verb: d.verb as RoutedRead['verb'], group: '', resource: d.resource, user: d.user ?? '', userAgent: d.userAgent, servedBy: d.servedBy, reason: d.reason, whatIf: w });
  }

  /**
   * A watch's end as the audit stream saw it (its ResponseComplete). The log names no reason the
   * watch ended, only the response code; the end is placed at the moment it was read.
   */
  observeAuditWatchEnd(w: WatchEnd): void {
    this.aggregator.observe({
      time: Date.now(),
      source: 'audit',
      userAgent: w.userAgent,
      ...(w.user ? { user: w.user } : {}),
      verb: 'watch',
      resource: w.resource,
      servedBy: 'cache',
      reason: '',
      status: w.status,
      watchEnd: { durationMs: w.durationMs, reason: `responseComplete ${w.status}` },
    });
  }

  private addRead(profile: string, source: 'endpoint' | 'audit', r: RoutedRead): void {
    if (!READS.has(r.verb)) return;
    let s = this.reports.get(profile);
    if (!s) {
      if (this.reports.size >= MAX_REPORTS) this.reports.delete(this.reports.keys().next().value!);
      this.reports.set(profile, (s = { since: Date.now(), builder: new UpgradeReportBuilder(profile), routed: 0, endpoint: 0, audit: 0 }));
    }
    s.routed++;
    s[source]++;
    s.builder.add(r);
  }

  /** The upgrade report of the reads the session decided (or inferred) under `profile`. */
  upgradeReport(profile: string, auditAssumptions: string[] = []): UpgradeReport {
    const s = this.reports.get(profile);
    const stats: AuditIngestStats = { linesRead: 0, events: 0, routed: s?.routed ?? 0, stagesFolded: 0, skipped: { nonResource: 0, subresource: 0, otherVerb: 0 }, bad: [] };
    const parts = [s?.endpoint ? `${s.endpoint} reads through the endpoint` : '', s?.audit ? `${s.audit} reads from the cluster's audit stream` : ''].filter(Boolean);
    const source = `this session${s ? ` since ${new Date(s.since).toISOString()}` : ''}: ${parts.join(', ') || 'no reads yet'}`;
    const assumptions = [...(s?.endpoint || !s ? ENDPOINT_ASSUMPTIONS : []), ...(s?.audit ? auditAssumptions : [])];
    return (s?.builder ?? new UpgradeReportBuilder(profile)).build(source, assumptions, stats);
  }
}

function fallbackState(live: Live): CacheState {
  return { enabled: false, ready: false, resourceVersion: 0, etcdSupportsRequestWatchProgress: live.sourceInfo().supportsRequestWatchProgress };
}

/** The decision's request again, as the router took it (the endpoint's own rule for `recursive`). */
function routingRequestOf(d: Decision, res: ResourceInfo): RoutingRequest {
  const verb = d.verb as RoutingRequest['verb'];
  const scope = { namespaced: res.namespaced !== false, ...(d.namespace ? { namespace: d.namespace } : {}), ...(d.name ? { name: d.name } : {}) };
  const req: RoutingRequest = { verb, group: res.group, resource: res.resource, recursive: isRecursive(verb, d.query.fieldSelector, scope), query: d.query };
  if (d.namespace) req.namespace = d.namespace;
  if (d.name) req.name = d.name;
  return req;
}

/** What every observation takes from a recorded decision, whichever source it came from. */
function observationOf(d: Decision, source: ClientObservation['source']): ClientObservation {
  return {
    time: d.time,
    source,
    userAgent: d.userAgent,
    verb: d.verb,
    resource: d.resource,
    servedBy: d.servedBy,
    reason: d.reason,
    status: d.status,
    ...(d.verb === 'list' ? { consistentList: isConsistentList(d.verb, d.query) } : {}),
  };
}
