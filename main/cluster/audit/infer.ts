// An audit event becomes the same routing decision the endpoint makes for a live request: the
// event's verb and requestURI are a RoutingRequest, decided by the pure router under the
// cluster's profile and, for what-if, under every other profile. The log does not carry the real
// apiserver's internal state (cache readiness, freshness, its etcd's progress support), so the
// cache state is an assumption, and every inferred decision says which.
import { decide, whatIf, allProfiles, isRecursive, type CacheState, type Profile, type RoutingRequest, type RoutingVerb } from '../../storage/routing/index.js';
import { parseRequestInfo } from '../../storage/apiserver/request-info.js';
import { BUILTIN_RESOURCES } from '../../storage/resources.js';
import { decodeContinue } from '../../storage/continue.js';
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
  /** The same request under every profile (allProfiles order); shared by requests of one shape, so frozen. */
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

/** The query parameters the router reads (ListOptions); every other one leaves its decision alone. */
const ROUTED_PARAMS = ['resourceVersion', 'resourceVersionMatch', 'limit', 'continue', 'labelSelector', 'fieldSelector', 'sendInitialEvents', 'allowWatchBookmarks', 'watch', 'timeoutSeconds'] as const;
/** Numbers whose value, not just presence, never changes which side serves a request or why. */
const CATEGORY_ONLY = new Set<string>(['resourceVersion', 'limit', 'timeoutSeconds']);
const POSITIVE = /^[1-9][0-9]{0,14}$/;
/** Distinct keys remembered before the memo starts over (memory stays bounded whatever the log). */
const MEMO_CAPACITY = 8192;

/**
 * The memo keys of a request. `exact` names everything the router reads, so one decision serves
 * every request with that key. `shape` also folds positive resourceVersion, limit and
 * timeoutSeconds values into one, and a continue token into where its revision lies against the
 * cache's: that changes a decision's wording (its detail names them) but not who serves it or why,
 * so what-if outcomes are shared by shape. A continue request has no exact key (its detail names
 * the cache's moving revision); one whose token does not decode has no keys at all.
 */
export function memoKeys(req: RoutingRequest, cacheRV: number): { exact?: string; shape: string } | undefined {
  const q = req.query;
  let token: string | undefined;
  if (q.continue !== undefined) {
    try {
      const rv = decodeContinue(q.continue).rv;
      token = rv < 0 ? 'latest' : rv > cacheRV ? 'ahead' : 'behind';
    } catch {
      return undefined;
    }
  }
  let exact = `${req.verb}\0${req.group}\0${req.resource}\0${req.recursive ? 1 : 0}`;
  let shape = exact;
  for (const k of ROUTED_PARAMS) {
    const v = q[k];
    // Absent and empty differ (watch= is true, an absent watch is false).
    const text = v === undefined ? '\u0001' : v;
    exact += `\0${text}`;
    shape += `\0${k === 'continue' && token ? token : v !== undefined && CATEGORY_ONLY.has(k) && POSITIVE.test(v) ? '\u0002' : text}`;
  }
  return token ? { shape } : { exact, shape };
}

type Outcome = Pick<InferredRequest, 'servedBy' | 'reason' | 'detail'>;

/** A bounded map that starts over when full. */
class Memo<V> {
  private readonly map = new Map<string, V>();
  get(key: string, make: () => V): V {
    let v = this.map.get(key);
    if (v === undefined) {
      if (this.map.size >= MEMO_CAPACITY) this.map.clear();
      this.map.set(key, (v = make()));
    }
    return v;
  }
}

/**
 * Routes audit events under one cluster profile. Keeps one number across events: the highest
 * resourceVersion any request named, which stands in for the cache's resourceVersion (the
 * assumption that the cache had caught up). A busy log repeats a few request shapes millions of
 * times, so decisions are remembered by memoKeys rather than decided again under every profile.
 */
export class AuditRouter {
  private maxRV = 0;
  private readonly decisions = new Memo<Outcome>();
  private readonly whatIfs = new Memo<WhatIfOutcome[]>();

  constructor(
    readonly profile: Profile,
    readonly assumptions: InferenceAssumptions,
    readonly profiles: readonly Profile[] = allProfiles,
    /** Off: every request decided afresh (the reference the memo is checked against). */
    private readonly memo = true,
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
    const decideHere = (): Outcome => {
      const d = decide(req, cache, this.profile);
      return { servedBy: d.servedBy, reason: d.reason, detail: d.detail };
    };
    const whatIfHere = (): WhatIfOutcome[] =>
      Object.freeze(whatIf(req, cache, this.profiles).map((w) => Object.freeze({ profile: w.profile.name, servedBy: w.decision.servedBy, reason: w.decision.reason }))) as WhatIfOutcome[];
    const keys = this.memo ? memoKeys(req, this.maxRV) : undefined;
    const d = keys?.exact ? this.decisions.get(keys.exact, decideHere) : decideHere();
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
      whatIf: keys ? this.whatIfs.get(keys.shape, whatIfHere) : whatIfHere(),
    };
    if (req.namespace) out.namespace = req.namespace;
    if (req.name) out.name = req.name;
    return out;
  }
}
