// The upgrade report as it crosses the contract and is exported as JSON: per resource and per
// client, how reads split between cache and etcd under the cluster's profile and every other,
// and the groups of requests that change side (main/cluster/report/upgrade.ts builds it).
import { z } from 'zod';

const Side = z.enum(['cache', 'etcd', 'rejected']);
const count = z.number().int().nonnegative();
const Shares = z.object({ requests: count, cache: count, etcd: count, rejected: count });

export const UpgradeReportRow = z.object({
  key: z.string(),
  byVerb: z.record(z.string(), count),
  byProfile: z.record(z.string(), Shares),
});

export const UpgradeReport = z.object({
  source: z.string(),
  clusterProfile: z.string(),
  profiles: z.array(z.string()),
  assumptions: z.array(z.string()),
  reads: count,
  stats: z.object({
    linesRead: count,
    events: count,
    routed: count,
    stagesFolded: count,
    skipped: z.record(z.string(), count),
    bad: z.array(z.object({ kind: z.string(), count, text: z.string(), example: z.string() })),
  }),
  resources: z.array(UpgradeReportRow),
  clients: z.array(UpgradeReportRow),
  changes: z.array(
    z.object({
      profile: z.string(),
      verb: z.string(),
      resource: z.string(),
      from: Side,
      to: Side,
      fromReason: z.string(),
      toReason: z.string(),
      count,
      text: z.string(),
    }),
  ),
  folded: z.object({ resources: count, clients: count }),
});
export type UpgradeReport = z.infer<typeof UpgradeReport>;
