// Property test: thousands of random requests, a seeded PRNG, every profile (and gate variants):
// each gets exactly one well-formed decision and the router never throws.
import { describe, expect, it } from 'vitest';
import { decide, reasonCodes, type CacheState, type RoutingDecision, type RoutingRequest, type RoutingVerb } from './index.js';
import { allProfiles, resolveProfile, withGates, type Profile } from './profiles.js';
import { encodeContinue } from '../continue.js';
import { mulberry32 } from '../../util/prng.js';


const SEED = 0x5eed2026;
const N = 1500;

function generator(seed: number) {
  const rnd = mulberry32(seed);
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const maybe = <T,>(xs: readonly T[]): T | undefined => (rnd() < 0.4 ? undefined : pick(xs));
  const verbs: RoutingVerb[] = ['get', 'list', 'list', 'list', 'watch', 'watch', 'create', 'update', 'patch', 'delete'];
  const tokens = [encodeContinue(50, 'default/a\u0000'), encodeContinue(-1, 'x\u0000'), encodeContinue(500, '/ns/b\u0000'), '!!', 'e30', encodeContinue(5, '../x')];
  const request = (): RoutingRequest => {
    const query: Record<string, string> = {};
    const set = (k: string, v: string | undefined) => {
      if (v !== undefined) query[k] = v;
    };
    const verb = pick(verbs);
    const watchy = verb === 'watch' || (verb === 'list' && rnd() < 0.1);
    set('resourceVersion', maybe(['', '0', '10', '50', '100', '150', '50', '150', 'abc', '18446744073709551616']));
    set('resourceVersionMatch', rnd() < 0.7 ? undefined : pick(['Exact', 'NotOlderThan', 'NotOlderThan', 'Foo']));
    set('limit', maybe(['0', '10', '10', '-1', '500', 'x']));
    if (rnd() < 0.15) set('continue', pick(tokens));
    set('labelSelector', maybe(['', 'app=web']));
    set('fieldSelector', maybe(['', 'spec.nodeName=n1', 'metadata.name=a']));
    if (watchy) {
      set('sendInitialEvents', maybe(['true', 'true', 'false', '']));
      if (query.sendInitialEvents !== undefined && rnd() < 0.8) query.resourceVersionMatch = 'NotOlderThan';
      set('allowWatchBookmarks', maybe(['true', 'false']));
      if (verb === 'list') query.watch = pick(['true', '1']);
    } else if (rnd() < 0.05) {
      set('sendInitialEvents', 'true');
    }
    set('timeoutSeconds', rnd() < 0.05 ? 'y' : maybe(['30']));
    return { verb, group: pick(['', 'apps']), resource: pick(['pods', 'deployments']), namespace: maybe(['default']), recursive: verb === 'get' ? false : rnd() < 0.8, query };
  };
  const cache = (): CacheState => ({
    enabled: rnd() < 0.9,
    ready: rnd() < 0.75,
    resourceVersion: Math.floor(rnd() * 200),
    unreadyForMs: rnd() < 0.5 ? undefined : Math.floor(rnd() * 200_000),
    etcdSupportsRequestWatchProgress: rnd() < 0.5,
    oldestResourceVersion: rnd() < 0.5 ? undefined : Math.floor(rnd() * 100),
    snapshotAvailableFor: rnd() < 0.3 ? (rv) => rv % 2 === 0 : undefined,
    snapshottingEnabled: rnd() < 0.2 ? false : undefined,
    lastError: rnd() < 0.2 ? 'boom' : undefined,
  });
  return { request, cache };
}

const profiles: Profile[] = [
  ...allProfiles,
  withGates(allProfiles[1]!, { ConsistentListFromCache: true, WatchList: true }),
  withGates(allProfiles[2]!, { WatchFromStorageWithoutResourceVersion: true, ResilientWatchCacheInitialization: false }),
  withGates(allProfiles[3]!, { ListFromCacheSnapshot: true, WatchList: true }),
  withGates(allProfiles[5]!, { ConsistentListFromCacheSkipTimeoutFallback: true }),
  resolveProfile('v1.28.3'),
  resolveProfile('1.30'),
  resolveProfile('1.32'),
  resolveProfile('v1.20.2'),
];

// Plain checks (vitest's expect is too slow for ~100k assertions on two cores).
function must(cond: boolean, what: string): asserts cond {
  if (!cond) throw new Error(what);
}

const reasonSet = new Set<string>(reasonCodes);

function wellFormed(d: RoutingDecision, req: RoutingRequest): void {
  must(['cache', 'etcd', 'rejected'].includes(d.servedBy), `servedBy ${d.servedBy}`);
  must(reasonSet.has(d.reason), `unknown reason ${d.reason}`);
  must(d.detail.length > 10, 'detail missing');
  must(d.rule !== 'router', `router failed: ${d.error?.message}`);
  must(typeof d.consistentRead === 'boolean' && typeof d.requestProgress === 'boolean', 'boolean fields');
  // What a timeout becomes is a property of a wait, and only a consistent read may fall back
  // to etcd or answer 429 instead of 504.
  if (d.onTimeout !== undefined) must(d.waitUntilFresh, 'onTimeout without wait');
  if (d.onTimeout === 'fallback' || d.onTimeout === '429') must(d.consistentRead, `onTimeout ${d.onTimeout} on a read that is not consistent`);
  // Errors storage itself answers (the Cacher's parse error, the watch-list ERROR) count as
  // served by it; every other error is a refusal before storage.
  const storageAnswered = ['invalidResourceVersion', 'etcdLacksProgress'].includes(d.reason);
  if (d.servedBy === 'rejected' || storageAnswered) {
    must(d.error !== undefined, `${d.servedBy} ${d.reason} without error`);
    must([400, 422, 429, 500].includes(d.error.code), `error code ${d.error.code}`);
    must(d.error.message.length > 0, 'empty error message');
    must(storageAnswered === (d.servedBy !== 'rejected'), `${d.reason} recorded as ${d.servedBy}`);
  } else {
    must(d.error === undefined, 'error on a served decision');
  }
  if (d.error?.code === 429) {
    const ra = d.error.retryAfterSeconds ?? 0;
    must(ra >= 1 && ra <= 30, `Retry-After ${ra}`);
  }
  if (d.servedBy === 'etcd') {
    must(!d.waitUntilFresh && d.snapshotResourceVersion === undefined && d.minResourceVersion === undefined, 'etcd decision with cache wait/snapshot');
  }
  if (d.snapshotResourceVersion !== undefined) must(d.servedBy === 'cache', 'snapshot not from cache');
  if (d.minResourceVersion !== undefined) must(d.waitUntilFresh, 'wait target without wait');
  if (d.requestProgress) must(d.waitUntilFresh, 'progress without wait');
  if (['create', 'update', 'patch', 'delete'].includes(req.verb)) must(d.servedBy === 'etcd' && d.reason === 'writeToStorage', 'write not to etcd');
  if (d.servedBy === 'cache') must(!['cacheDisabled', 'writeToStorage', 'getQuorumRead', 'watchFromStorage'].includes(d.reason), `cache with ${d.reason}`);
}

const canonical = (d: RoutingDecision) => JSON.stringify({ ...d, error: d.error?.toStatus() });

describe('decide: random requests under every profile', () => {
  it(`${N} seeded requests × ${profiles.length} profiles each get one well-formed decision`, () => {
    const gen = generator(SEED);
    const seen = new Set<string>();
    for (let i = 0; i < N; i++) {
      const req = gen.request();
      const cache = gen.cache();
      for (const p of profiles) {
        try {
          const d = decide(req, cache, p); // throwing here fails the test too
          wellFormed(d, req);
          // Pure: the same input gives the same answer.
          must(canonical(decide(req, cache, p)) === canonical(d), 'not deterministic');
          seen.add(d.reason);
        } catch (e) {
          throw new Error(`seed ${SEED} request #${i} profile ${p.name}: ${JSON.stringify({ req, cache })}\n${(e as Error).message}`);
        }
      }
    }
    // The generator reaches nearly every branch of the router.
    for (const r of ['servedFromCache', 'consistentReadFromCache', 'consistentReadFromStorage', 'hasContinuation', 'hasLimit', 'legacyExactMatch', 'exactRVFromSnapshot', 'continueFromSnapshot', 'unsupportedMatch', 'cacheNotReady', 'cacheNotReadyDelegate', 'cacheDisabled', 'etcdLacksProgress', 'watchFromStorage', 'writeToStorage', 'getQuorumRead', 'invalidRequest', 'singleKeyExactFromStorage', 'snapshotUnavailable', 'futureRVFromStorage']) {
      expect(seen, r).toContain(r);
    }
  });
});
