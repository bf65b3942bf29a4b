// Who costs what: the per-client aggregate of requests (by user agent and by user) that the
// Clients view, `GET /debug/watchscope/clients` and the contract share, and the two rules both
// sides apply to a request (which client it belongs to, whether a LIST is a consistent read).
import { z } from 'zod';
import { ServedBy, Verb } from './model.js';

/** Minutes of history the aggregate keeps (the most `minutes` can ask for). */
export const CLIENTS_MAX_MINUTES = 60;
/** Distinct clients per table; the rest are folded into one "(other)" row. */
export const CLIENTS_MAX_ROWS = 200;
export const OTHER_CLIENT = '(other)';
export const NO_USER_AGENT = '(no user agent)';

/**
 * The client a user agent names: its product/version, plus the component name client-go appends
 * after the commit (kube-controller-manager's "…kubernetes/abc1234/replicaset-controller"), which
 * is what tells one controller from another. The platform and commit are dropped.
 */
export function clientKey(userAgent: string): string {
  const ua = userAgent.trim();
  if (!ua) return NO_USER_AGENT;
  const product = ua.split(/\s+/)[0]!;
  const component = /\skubernetes\/[0-9a-f]+\/(\S.*)$/.exec(ua)?.[1];
  return component ? `${product} ${component}` : product;
}

/** A LIST without a resourceVersion (and not a continuation) is a consistent read: the most expensive kind. */
export function isConsistentList(verb: string, query: Record<string, string | undefined>): boolean {
  return verb === 'list' && !query.resourceVersion && !query.continue;
}

const count = z.number().int().nonnegative();

export const ClientRow = z.object({
  /** clientKey(userAgent) in the user-agent table, the user's name in the user table. */
  key: z.string(),
  /** Where the requests were seen: the embedded endpoint, the cluster's audit stream, or both. */
  sources: z.array(z.enum(['endpoint', 'audit'])),
  requests: count,
  byVerb: z.record(Verb, count),
  cache: count,
  etcd: count,
  rejected: count,
  /** The most frequent (servedBy, reason) pairs, most first (at most 5). */
  topReasons: z.array(z.object({ servedBy: ServedBy, reason: z.string(), count })),
  list: z.object({
    requests: count,
    /** Objects and bytes of the LISTs whose size is known (the endpoint's own; the audit log does not say). */
    sized: count,
    objects: count,
    bytes: count,
  }),
  consistentLists: count,
  /** Consistent LISTs per minute over the window, oldest minute first. */
  consistentListsPerMinute: z.array(count),
  watches: z.object({
    /** Open now (started and not yet ended, whenever they started). */
    open: count,
    started: count,
    ended: count,
    /** How the watches that ended in the window ended, most first. */
    endReasons: z.array(z.object({ reason: z.string(), count })),
    meanDurationMs: z.number().nonnegative().optional(),
  }),
  /** Per other profile: reads that would change side (from etcd to the cache, or the reverse). */
  whatIf: z.array(z.object({ profile: z.string(), toCache: count, toEtcd: count, topReason: z.string().optional() })),
});
export type ClientRow = z.infer<typeof ClientRow>;

export const ClientsReport = z.object({
  minutes: z.number().int().min(1).max(CLIENTS_MAX_MINUTES),
  /** The window: [from, to) in ms since the epoch, whole minutes. */
  from: z.number(),
  to: z.number(),
  /** Requests observed in the window from each source. */
  sources: z.object({ endpoint: count, audit: count }),
  /** Sorted by etcd load: requests served by etcd, then objects listed from etcd, most first. */
  userAgents: z.array(ClientRow).max(CLIENTS_MAX_ROWS + 1),
  users: z.array(ClientRow).max(CLIENTS_MAX_ROWS + 1),
  /** Distinct keys folded into "(other)" since the session started. */
  folded: z.object({ userAgents: count, users: count }),
});
export type ClientsReport = z.infer<typeof ClientsReport>;

export const ClientsRequest = z.strictObject({ minutes: z.number().int().min(1).max(CLIENTS_MAX_MINUTES).optional() });
export type ClientsRequest = z.infer<typeof ClientsRequest>;
