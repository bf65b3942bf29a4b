// An audit event becomes the same routing decision the endpoint makes for a live request: the
// event's verb and requestURI are a RoutingRequest, decided by the pure router under the
// cluster's profile and, for what-if, under every other profile. The log does not carry the real
// apiserver's internal state (cache readiness, freshness, its etcd's progress support), so the
// cache state is an assumption, and every inferred decision says which.
import { decide, whatIf, allProfiles, isRecursive, type CacheState, type Profile, type RoutingRequest, type RoutingVerb } from '../../storage/routing/index.js';
import { parseRequestInfo } from '../../storage/apiserver/request-info.js';
import { BUILTIN_RESOURCES } from '../../storage/resources.js';
import type { AuditEvent } from './event.js';

export interface InferenceAssumptions {
  /** Whether the cluster's etcd answers RequestWatchProgress (≥3.4.31 / ≥3.5.13). */
  etcdSupportsRequestWatchProgress: boolean;
  /** How the cluster's profile was chosen, in words (e.g. "--profile 1.31", "kube-apiserver/v1.36.2 in the log"). */
  profileSource: string;
}

/** What every inferred decision takes for granted, in words (shown beside each one). */
export function assumptionTexts(a: InferenceAssumptions): string[] {
  return [
    `profile from ${a.profileSource}`,
    'every resource has its watch cache enabled and ready (the log does not say otherwise)',
    'the cache had caught up with etcd: no freshness wait timed out',
    a.etcdSupportsRequestWatchProgress
      ? 'etcd answers RequestWatchProgress (≥3.4.31 / ≥3.5.13)'
      : 'etcd does not answer RequestWatchProgress (below 3.4.31 / 3.5.13)',
    'exact-revision reads fall inside the cache\'s snapshot window',
  ];
}

export interface WhatIfOutcome {
  profile: string;
  servedBy: 'cache' | 'etcd' | 'rejected';
  reason: string;
}

/** One request of the audit log, routed. */
export interface InferredRequest {
  time: number;
  auditID: string;
  verb: RoutingVerb;
  group: string;
  resource: string;
  namespace?: string;
  name?: string;
  query: Record<string, string>;
  user: string;
  userAgent: string;
  /** HTTP status the real apiserver answered (0 when the stage carried none). */
  status: number;
  latencyMs: number;
  profile: string;
  servedBy: 'cache' | 'etcd' | 'rejected';
  reason: string;
  detail: string;
  /** The same request under every profile (allProfiles order). */
  whatIf: WhatIfOutcome[];
}

/** Why an event was not routed (not an error: these requests never reach the storage layer's read path). */
export type SkipKind = 'nonResource' | 'subresource' | 'otherVerb';

const VERBS: Readonly<Record<string, RoutingVerb>> = {
  get: 'get',
  list: 'list',
  watch: 'watch',
  create: 'create',
  update: 'update',
  patch: 'patch',
  delete: 'delete',
  deletecollection: 'delete',
};

const clusterScoped = new Set(BUILTIN_RESOURCES.filter((r) => r.namespaced === false).map((r) => `${r.group}/${r.resource}`));

/** Upstream reads one key when the field selector pins metadata.name and the key can be built. */
export function routingRequestOf(ev: AuditEvent): { req: RoutingRequest } | { skip: SkipKind } {
  const verb = VERBS[ev.verb];
  const info = parseRequestInfo('GET', ev.requestURI);
  if (!info.isResourceRequest) return { skip: 'nonResource' };
  if (info.subresource || ev.objectRef?.subresource) return { skip: 'subresource' };
  if (!verb) return { skip: 'otherVerb' };
  const query = { ...info.query };
  const req: RoutingRequest = {
    verb,
    group: info.group,
    resource: info.resource,
    recursive: isRecursive(verb, query.fieldSelector, { namespaced: !clusterScoped.has(`${info.group}/${info.resource}`), ...(info.namespace ? { namespace: info.namespace } : {}), ...(info.name ? { name: info.name } : {}) }),
    query,
  };
  if (info.namespace) req.namespace = info.namespace;
  if (info.name) req.name = info.name;
  return { req };
}

/**
 * Routes audit events under one cluster profile. Keeps one number across events: the highest
 * resourceVersion any request named, which stands in for the cache's resourceVersion (the
 * assumption that the cache had caught up).
 */
export class AuditRouter {
  private maxRV = 0;

  constructor(
    readonly profile: Profile,
    readonly assumptions: InferenceAssumptions,
    readonly profiles: readonly Profile[] = allProfiles,
  ) {}

  route(ev: AuditEvent): InferredRequest | SkipKind {
    const r = routingRequestOf(ev);
    if ('skip' in r) return r.skip;
    const req = r.req;
    const rv = Number(req.query.resourceVersion);
    if (Number.isSafeInteger(rv) && rv > this.maxRV) this.maxRV = rv;
    const cache: CacheState = {
      enabled: true,
      ready: true,
      resourceVersion: this.maxRV,
      etcdSupportsRequestWatchProgress: this.assumptions.etcdSupportsRequestWatchProgress,
      snapshotAvailableFor: () => true,
    };
    const d = decide(req, cache, this.profile);
    const out: InferredRequest = {
      time: ev.requestReceivedMs ?? ev.stageMs ?? 0,
      auditID: ev.auditID,
      verb: req.verb,
      group: req.group,
      resource: req.resource,
      query: req.query,
      user: ev.user,
      userAgent: ev.userAgent,
      status: ev.code ?? 0,
      latencyMs: ev.stageMs !== undefined && ev.requestReceivedMs !== undefined ? Math.max(0, ev.stageMs - ev.requestReceivedMs) : 0,
      profile: this.profile.name,
      servedBy: d.servedBy,
      reason: d.reason,
      detail: d.detail,
      whatIf: whatIf(req, cache, this.profiles).map((w) => ({ profile: w.profile.name, servedBy: w.decision.servedBy, reason: w.decision.reason })),
    };
    if (req.namespace) out.namespace = req.namespace;
    if (req.name) out.name = req.name;
    return out;
  }
}
