// The time-travel check against one server URL (a cluster's apiserver, a load balancer in front of
// several, or watchscope's own endpoint), through a KubeClient and so with the kubeconfig's own
// transport and credentials. Each attempt takes a consistent LIST (resourceVersion unset: etcd, or
// a cache read that first waits until it is fresh) and then a LIST with resourceVersion=0, which
// any apiserver answers from its watch cache at once, however far behind that cache is.
//
// Connections are chosen so a load balancer spreads the cache reads: the consistent LISTs share
// one kept-alive connection (a TCP balancer pins it to one apiserver; a consistent read is the
// truth whichever one answers), while every resourceVersion=0 LIST opens a connection of its own.
// Were both on fresh connections, a round-robin balancer over two apiservers would send every
// cache read to the same one.
import http from 'node:http';
import https from 'node:https';
import type { KubeClient, KubeResponse, ConnectionPeer } from '../../storage/kube/client.js';
import { KubeError } from '../../storage/kube/errors.js';
import { collectionPath, discoverServedResources, qualifiedResource, type KubeResource } from '../../storage/kube/discovery.js';
import { BUILTIN_RESOURCES } from '../../storage/resources.js';
import {
  TIME_TRAVEL_MAX_ATTEMPTS,
  type TimeTravelAnswer,
  type TimeTravelReplica,
  type TimeTravelResult,
} from '../../../shared/time-travel.js';
import { compareListings, listingOf } from './compare.js';

/** Objects' metadata is all the check reads; kube-apiserver then sends metadata only. */
const ACCEPT = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';

export interface TimeTravelOptions {
  client: KubeClient;
  /** "pods", "deployments.apps", a short name of a built-in ("cm"), or a served resource's plural. */
  resource: string;
  attempts: number;
  /** What the server is, for the result: 'cluster' or 'endpoint'. */
  target: string;
  /** Per request (default 30 s: a consistent LIST of a large resource takes a while). */
  timeoutMs?: number;
}

/** Finds the resource's group/version: built-ins by name or short name, anything else by discovery. */
export async function resolveResource(client: KubeClient, name: string): Promise<KubeResource> {
  const builtin = BUILTIN_RESOURCES.find((r) => r.resource === name || (r.group && `${r.resource}.${r.group}` === name) || r.shortNames.includes(name));
  if (builtin) {
    return { group: builtin.group, version: builtin.version, resource: builtin.resource, kind: builtin.kind, namespaced: builtin.namespaced, verbs: builtin.verbs };
  }
  const served = await discoverServedResources(client);
  const found = served.find((r) => r.resource === name || qualifiedResource(r) === name);
  if (!found) throw new KubeError('http', `${client.server} serves no resource "${name}" (give its plural, e.g. pods or deployments.apps)`);
  return found;
}

interface Answered {
  res: KubeResponse;
  ms: number;
}

export async function timeTravelCheck(o: TimeTravelOptions): Promise<TimeTravelResult> {
  const attempts = Math.max(1, Math.min(TIME_TRAVEL_MAX_ATTEMPTS, Math.floor(o.attempts)));
  const timeoutMs = o.timeoutMs ?? 30_000;
  const startedAt = Date.now();
  const r = await resolveResource(o.client, o.resource);
  const resource = qualifiedResource(r);
  const path = collectionPath(r);
  const secure = o.client.server.startsWith('https:');
  let pinned = newPinnedAgent(secure);
  const list = async (query: Record<string, string>, agent: http.Agent | false): Promise<Answered> => {
    const t0 = Date.now();
    const res = await o.client.raw('GET', path, { query, accept: ACCEPT, agent, peer: true, timeoutMs, verb: 'list', resource });
    if (res.status < 200 || res.status >= 300) throw o.client.httpError(res.status, res.body, path, { verb: 'list', resource });
    return { res, ms: Date.now() - t0 };
  };
  const consistentList = async (): Promise<Answered> => {
    try {
      return await list({}, pinned);
    } catch (e) {
      // The pinned connection's apiserver may be the one that cannot reach etcd: one more try on
      // a new connection, which a balancer may send elsewhere.
      if (!(e instanceof KubeError) || !e.retriable) throw e;
      pinned.destroy();
      pinned = newPinnedAgent(secure);
      return list({}, pinned);
    }
  };

  const replicas = new ReplicaBook();
  const answers: TimeTravelAnswer[] = [];
  let firstError: unknown;
  try {
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const a: TimeTravelAnswer = { attempt };
      try {
        const consistent = await consistentList();
        a.consistentReplica = replicas.idOf(consistent.res.peer);
        const cache = await list({ resourceVersion: '0' }, false);
        a.replica = replicas.idOf(cache.res.peer);
        const truth = listingOf(JSON.parse(consistent.res.body));
        const seen = listingOf(JSON.parse(cache.res.body));
        const c = compareListings(truth, seen);
        Object.assign(a, {
          consistentRv: truth.resourceVersion,
          cacheRv: seen.resourceVersion,
          rvBehind: c.rvBehind,
          verdict: c.verdict,
          counts: c.counts,
          examples: c.examples,
          consistentItems: truth.items.size,
          cacheItems: seen.items.size,
          consistentMs: consistent.ms,
          cacheMs: cache.ms,
        });
        replicas.count(a);
      } catch (e) {
        // Credentials, permissions and a missing resource fail every attempt alike: stop at once.
        if (e instanceof KubeError && !e.retriable) throw e;
        firstError ??= e;
        a.error = e instanceof Error ? e.message : String(e);
      }
      answers.push(a);
    }
  } finally {
    pinned.destroy();
  }
  const answered = answers.filter((a) => !a.error);
  if (answered.length === 0) throw firstError;
  const leases = await identityLeases(o.client).catch(() => undefined);
  const list_ = replicas.list();
  const stale = answered.filter((a) => a.verdict === 'stale').length;
  return {
    resource,
    server: o.client.server,
    target: o.target,
    startedAt,
    durationMs: Date.now() - startedAt,
    attempts,
    answers,
    replicas: list_,
    identityNote: identityNote(list_, leases),
    ...(leases ? { identityLeases: leases } : {}),
    summary: {
      answered: answered.length,
      failed: answers.length - answered.length,
      stale,
      olderRv: answered.filter((a) => a.verdict === 'olderRv').length,
      maxRvBehind: Math.max(0, ...answered.map((a) => a.rvBehind ?? 0)),
      behindReplicas: list_.filter((x) => x.stale > 0).map((x) => x.id),
    },
  };
}

function newPinnedAgent(secure: boolean): http.Agent {
  return secure ? new https.Agent({ keepAlive: true, maxSockets: 1 }) : new http.Agent({ keepAlive: true, maxSockets: 1 });
}

/** Tells the servers apart by what each connection showed: its serving certificate and address. */
class ReplicaBook {
  private readonly byKey = new Map<string, TimeTravelReplica>();

  idOf(peer: ConnectionPeer | undefined): string | undefined {
    if (!peer) return undefined;
    const address = peer.remoteAddress.includes(':') ? `[${peer.remoteAddress}]:${peer.remotePort}` : `${peer.remoteAddress}:${peer.remotePort}`;
    const fp = peer.certificate?.fingerprint256;
    const key = `${fp ?? ''}|${address}`;
    let r = this.byKey.get(key);
    if (!r) {
      const id = String.fromCharCode(65 + (this.byKey.size % 26)) + (this.byKey.size >= 26 ? String(Math.floor(this.byKey.size / 26)) : '');
      r = {
        id,
        identity: fp ? `serving certificate sha256 ${fp.slice(0, 23)}… (CN ${peer.certificate!.subjectCN || '?'}) at ${address}` : `connection to ${address}`,
        remoteAddress: address,
        ...(fp ? { certificateSha256: fp } : {}),
        answers: 0,
        stale: 0,
        maxRvBehind: 0,
      };
      this.byKey.set(key, r);
    }
    return r.id;
  }

  count(a: TimeTravelAnswer): void {
    const r = [...this.byKey.values()].find((x) => x.id === a.replica);
    if (!r) return;
    r.answers++;
    if (a.verdict === 'stale') r.stale++;
    r.maxRvBehind = Math.max(r.maxRvBehind, a.rvBehind ?? 0);
  }

  list(): TimeTravelReplica[] {
    return [...this.byKey.values()];
  }
}

/** What the client could learn about who answered, and what it could not. */
export function identityNote(replicas: TimeTravelReplica[], leases: string[] | undefined): string {
  const leaseText =
    leases === undefined
      ? ''
      : leases.length === 0
        ? ' No apiserver identity leases were found in kube-system (kube-apiserver publishes them from 1.26).'
        : ` The apiserver identity leases in kube-system name ${leases.length} holder${leases.length === 1 ? '' : 's'}; a lease says which apiservers exist, not which one answered a request.`;
  if (replicas.length > 1) {
    const byCert = new Set(replicas.map((r) => r.certificateSha256 ?? '')).size > 1;
    return (
      (byCert
        ? 'Servers told apart by the serving certificate each connection presented (a TCP load balancer passes it through).'
        : "Servers told apart by the connection's remote address only; a balancer that keeps one address may hide more.") + leaseText
    );
  }
  return (
    'Every answer came over the same serving certificate and address, so the client cannot tell whether one apiserver or several answered: ' +
    'a balancer that terminates TLS hides them, and kube-apiserver names itself in no response header (Audit-Id is per request; ' +
    'X-Kubernetes-PF-FlowSchema-UID and -PriorityLevel-UID name API Priority and Fairness objects that every replica shares).' +
    leaseText
  );
}

/** Holder identities of the apiserver identity leases (1.26+), or undefined where not readable. */
async function identityLeases(client: KubeClient): Promise<string[] | undefined> {
  const res = await client.raw('GET', '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases', {
    query: { labelSelector: 'apiserver.kubernetes.io/identity=kube-apiserver' },
    timeoutMs: 5000,
  });
  if (res.status !== 200) return undefined;
  const body = JSON.parse(res.body) as { items?: { spec?: { holderIdentity?: string }; metadata?: { name?: string } }[] };
  return (body.items ?? []).slice(0, 16).map((l) => l.spec?.holderIdentity ?? l.metadata?.name ?? '?');
}
