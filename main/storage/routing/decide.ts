// The router: one pure function from (request, cache state, profile) to a decision — served by
// the watch cache, delegated to etcd, or rejected — and why, per the release the profile stands
// for. It never throws and never performs I/O; the Cacher and the endpoint act on its answer
// (wait targets, snapshot, progress requests, timeout behaviour).
//
// Upstream shape: ≤1.32 Cacher.GetList / Get / Watch route inline (shouldDelegateList in
// cacher.go); 1.33+ CacheDelegator (cacher/delegator.go) calls delegator.ShouldDelegateList
// (cacher/delegator/interface.go) and the Cacher's ShouldDelegateExactRV / ShouldDelegateContinue
// / ShouldDelegateConsistentRead.
import { StatusError, newBadRequest } from '../errors.js';
import type { Profile } from './profiles.js';
import { parseListOptions, queryFlag } from './options.js';
import { defaultedQuery, setListOptionsDefaults } from './defaults.js';
import { validateListOptions } from './validation.js';
import { reject, type CacheState, type Ctx, type RoutingDecision, type RoutingRequest, type RoutingVerb } from './decision.js';
import { decideWrite } from './write.js';
import { decideGet } from './get.js';
import { decideList } from './list.js';
import { decideWatch } from './watch.js';

export type { ReasonCode } from './reasons.js';
export { reasonText, reasonCodes } from './reasons.js';
export type {
  RoutingVerb,
  RoutingRequest,
  CacheState,
  CompactionState,
  OnTimeout,
  RoutingDecision,
  RejectedDecision,
  StorageErrorDecision,
  EtcdDecision,
  CacheDecision,
  CacheNowDecision,
  CacheWaitDecision,
} from './decision.js';
export { retryAfterForUnreadyCache } from './decision.js';
export { listRow } from './list.js';

const WRITE_VERBS = new Set<RoutingVerb>(['create', 'update', 'patch', 'delete']);

export function decide(req: RoutingRequest, cache: CacheState, profile: Profile): RoutingDecision {
  try {
    return decideInner(req, cache, profile);
  } catch (e) {
    // The router must answer every request; an internal bug still yields a well-formed decision.
    const ctx: Ctx = { req, cache, profile, effectiveQuery: { ...req.query } };
    return reject(ctx, new StatusError(500, 'InternalError', `Internal error occurred: ${String(e)}`), 'router', 'The router failed on this request.');
  }
}

function decideInner(req: RoutingRequest, cache: CacheState, profile: Profile): RoutingDecision {
  const verb: RoutingVerb = req.verb === 'list' && queryFlag(req.query.watch) ? 'watch' : req.verb;
  if (WRITE_VERBS.has(verb)) return decideWrite({ req, cache, profile, effectiveQuery: { ...req.query } }, verb);

  const parsed = parseListOptions(req.query, verb === 'watch');
  if (verb === 'get') return decideGet({ req, cache, profile, effectiveQuery: { ...req.query } }, parsed.options);

  const watchList = profile.gates.WatchList;
  const defaulted = setListOptionsDefaults(parsed.options, watchList);
  const ctx: Ctx = { req, cache, profile, effectiveQuery: defaultedQuery(req.query, defaulted) };
  if (parsed.decodeError) {
    return reject(ctx, newBadRequest(parsed.decodeError), 'handler: query parameter conversion', 'A query parameter could not be decoded.');
  }
  const invalid = validateListOptions(defaulted.options, watchList);
  if (invalid) {
    return reject(ctx, invalid, 'handler: ValidateListOptions (apimachinery internalversion/validation)', `Rejected by the handler's validation: ${invalid.message}`);
  }
  return verb === 'watch' ? decideWatch(ctx, defaulted.options, defaulted.defaulted) : decideList(ctx, defaulted.options);
}
