// Writes always go to etcd (storage-layer reference §2.6): the router only names the path, so
// the decision log shows that an update starts from the cache's copy of the object.
import { base, type Ctx, type RoutingDecision, type RoutingVerb } from './decision.js';

export function decideWrite(ctx: Ctx, verb: RoutingVerb): RoutingDecision {
  const optimistic = verb !== 'create' && ctx.cache.enabled;
  return {
    ...base(ctx),
    servedBy: 'etcd',
    reason: 'writeToStorage',
    detail: optimistic
      ? `${verb} goes to etcd; the cache's copy of the object is passed as the optimistic starting state and etcd is re-read if the compare-and-swap fails.`
      : `${verb} goes to etcd.`,
    rule: `WRITE (§2.6): ${verb === 'create' ? 'Create' : verb === 'delete' ? 'Delete' : 'GuaranteedUpdate'} → etcd3 store`,
  };
}
