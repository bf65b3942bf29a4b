// What a time-travel check finds: a LIST with resourceVersion=0 (answered from an apiserver's
// watch cache) set beside a consistent LIST taken just before it, N times, so that behind a load
// balancer the answers of each apiserver are seen (kubernetes#59848). Shared by the CLI's JSON
// output and the contract (shared/ipc.ts carries the request).
import { z } from 'zod';

/** Attempts one check may make. */
export const TIME_TRAVEL_MAX_ATTEMPTS = 50;
/** Differing objects named per answer (the rest are counted). */
export const TIME_TRAVEL_MAX_EXAMPLES = 10;
/** Results a session keeps (newest first). */
export const TIME_TRAVEL_KEPT_RESULTS = 10;

/** How an object in the cache's answer differs from the consistent answer. */
export const TimeTravelDiffKind = z.enum([
  /** In the consistent answer only: created (or re-created) after the state the cache served. */
  'missing',
  /** In the cache's answer only: deleted before the consistent LIST, still served. */
  'extra',
  /** In both, the cache's copy has an older resourceVersion. */
  'olderRv',
  /** In both, the cache's copy is newer: written after the consistent LIST (not staleness). */
  'newerRv',
]);
export type TimeTravelDiffKind = z.infer<typeof TimeTravelDiffKind>;

export const TimeTravelExample = z.object({
  kind: TimeTravelDiffKind,
  /** namespace/name, or name for cluster-scoped objects. */
  key: z.string(),
  /** The object's resourceVersion in the cache's answer (absent when missing there). */
  cacheRv: z.string().optional(),
  /** ...and in the consistent answer (absent when extra). */
  consistentRv: z.string().optional(),
});
export type TimeTravelExample = z.infer<typeof TimeTravelExample>;

export const TimeTravelCounts = z.object({
  missing: z.number().int(),
  extra: z.number().int(),
  olderRv: z.number().int(),
  newerRv: z.number().int(),
});
export type TimeTravelCounts = z.infer<typeof TimeTravelCounts>;

/**
 * One answer's verdict. `stale`: the cache's answer is older than the consistent one and objects
 * differ (it lacks changes already committed when it was asked). `olderRv`: its resourceVersion
 * trails but this resource's objects are the same (the consistent LIST's resourceVersion is the
 * whole store's revision, which writes of other resources also move). `current`: not behind.
 */
export const TimeTravelVerdict = z.enum(['stale', 'olderRv', 'current']);
export type TimeTravelVerdict = z.infer<typeof TimeTravelVerdict>;

export const TimeTravelAnswer = z.object({
  attempt: z.number().int(),
  /** Which replica (TimeTravelReplica.id) answered the resourceVersion=0 LIST. */
  replica: z.string().optional(),
  /** ...and the consistent LIST. */
  consistentReplica: z.string().optional(),
  consistentRv: z.string().optional(),
  cacheRv: z.string().optional(),
  /** consistentRv − cacheRv when the cache's answer is older, else 0. */
  rvBehind: z.number().int().optional(),
  verdict: TimeTravelVerdict.optional(),
  counts: TimeTravelCounts.optional(),
  examples: z.array(TimeTravelExample).optional(),
  consistentItems: z.number().int().optional(),
  cacheItems: z.number().int().optional(),
  consistentMs: z.number().optional(),
  cacheMs: z.number().optional(),
  /** The attempt failed: why (the other attempts still count). */
  error: z.string().optional(),
});
export type TimeTravelAnswer = z.infer<typeof TimeTravelAnswer>;

/** One server the answers came from, as far as the client can tell servers apart. */
export const TimeTravelReplica = z.object({
  /** "A", "B", ... in the order first seen. */
  id: z.string(),
  /** What tells it apart, e.g. "serving certificate sha256 AB:CD:… (CN kube-apiserver) at 127.0.0.1:6443". */
  identity: z.string(),
  remoteAddress: z.string(),
  certificateSha256: z.string().optional(),
  answers: z.number().int(),
  stale: z.number().int(),
  maxRvBehind: z.number().int(),
});
export type TimeTravelReplica = z.infer<typeof TimeTravelReplica>;

export const TimeTravelResult = z.object({
  resource: z.string(),
  /** The server URL asked (a load balancer's, possibly). */
  server: z.string(),
  /** What was asked: 'cluster' (the session's kubeconfig context), 'endpoint' (watchscope's own), or "context NAME" (the CLI). */
  target: z.string(),
  startedAt: z.number(),
  durationMs: z.number(),
  attempts: z.number().int(),
  answers: z.array(TimeTravelAnswer),
  replicas: z.array(TimeTravelReplica),
  /** What the client could and could not learn about which server answered. */
  identityNote: z.string(),
  /** apiserver identity leases in kube-system (holder identities), when readable. */
  identityLeases: z.array(z.string()).optional(),
  summary: z.object({
    answered: z.number().int(),
    failed: z.number().int(),
    stale: z.number().int(),
    olderRv: z.number().int(),
    maxRvBehind: z.number().int(),
    /** Replica ids whose answers came from behind. */
    behindReplicas: z.array(z.string()),
  }),
});
export type TimeTravelResult = z.infer<typeof TimeTravelResult>;

/** A session's time-travel state: the periodic check under way, if any, and the last results. */
export const TimeTravelState = z.object({
  periodic: z
    .object({
      resource: z.string(),
      target: z.string(),
      attempts: z.number().int(),
      everySeconds: z.number().int(),
      times: z.number().int(),
      done: z.number().int(),
      nextAt: z.number().optional(),
    })
    .optional(),
  /** Newest first, at most TIME_TRAVEL_KEPT_RESULTS. */
  results: z.array(TimeTravelResult),
  /** The last periodic run's failure, if it failed. */
  lastError: z.string().optional(),
});
export type TimeTravelState = z.infer<typeof TimeTravelState>;
