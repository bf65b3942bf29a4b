// The router's memo must be invisible: every request of a long random stream, routed with the
// memo, equals the same request routed afresh — decision, wording and every what-if — under each
// cluster profile, with etcd progress trusted or not. The stream mixes every query parameter the
// router reads with valid, odd and invalid values, continue tokens behind, at and ahead of the
// cache's revision, and resourceVersions that move the cache's revision as it goes.
import { describe, expect, it } from 'vitest';
import { allProfiles, resolveProfile } from '../../storage/routing/index.js';
import { encodeContinue } from '../../storage/continue.js';
import { AuditRouter, memoKeys } from './infer.js';
import type { AuditEvent } from './event.js';
import { mulberry32 } from '../../util/prng.js';

const RESOURCES = [
  ['/api/v1/namespaces/default', 'pods'],
  ['/api/v1', 'pods'],
  ['/api/v1', 'nodes'],
  ['/apis/apps/v1/namespaces/kube-system', 'deployments'],
  ['/apis/coordination.k8s.io/v1/namespaces/kube-node-lease', 'leases'],
] as const;
const VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'];

function stream(seed: number, n: number): AuditEvent[] {
  const r = mulberry32(seed);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  let rev = 1000;
  const events: AuditEvent[] = [];
  // Most requests repeat an earlier one's shape with fresh numbers (new revisions, another
  // timeout, a token at another revision), which is what the memo folds.
  type Shape = { params: [string, number][]; resource: number; name: number; verb: number };
  const shapes: Shape[] = [];
  for (let i = 0; i < n; i++) {
    rev += Math.floor(r() * 20);
    const limits = ['500', String(1 + Math.floor(r() * 1000)), '0', '-3', 'x', ''];
    const timeouts = [String(1 + Math.floor(r() * 600)), '0', '-5', 'x', ''];
    const rvs = ['0', '', String(rev - Math.floor(r() * 50)), String(rev + 5), '007', 'abc', '-1', '1e3', '99999999999999999999', String(rev)];
    const tokenRV = pick([rev - 30, rev, rev + 40, -1]);
    const params: Record<string, string[]> = {
      resourceVersion: rvs,
      resourceVersionMatch: ['Exact', 'NotOlderThan', 'Bogus', ''],
      limit: limits,
      continue: [encodeContinue(tokenRV, 'default/web-1\u0000'), encodeContinue(tokenRV, '/a'), 'not-a-token', ''],
      labelSelector: ['app=web', 'app in (a,b),tier!=x', '!!bad', ''],
      fieldSelector: ['metadata.name=web-1', 'spec.nodeName=n1', 'bad==', ''],
      sendInitialEvents: ['true', 'false', ''],
      allowWatchBookmarks: ['true', 'false', ''],
      watch: ['true', '1', 'false', ''],
      timeoutSeconds: timeouts,
      timeout: ['8m42s'],
    };
    const index = (k: number) => Math.floor(r() * k);
    let shape: Shape;
    const x = r();
    if (shapes.length > 0 && x < 0.5) shape = shapes[index(shapes.length)]!;
    else if (shapes.length > 0 && x < 0.8) {
      // A near twin of an earlier shape: one value differs, e.g. limit=0 where it had limit=500.
      const twin = shapes[index(shapes.length)]!;
      const params = twin.params.map(([k, at]) => [k, at] as [string, number]);
      if (params.length) params[index(params.length)]![1] = index(6);
      shape = { ...twin, params };
      shapes.push(shape);
    } else {
      const chosen = Object.entries(params).filter(() => r() < 0.3);
      shape = { params: chosen.map(([k, vs]) => [k, index(vs.length)]), resource: index(RESOURCES.length), name: index(3), verb: index(VERBS.length) };
      shapes.push(shape);
    }
    const q = shape.params.map(([k, at]) => `${k}=${encodeURIComponent(params[k]![at % params[k]!.length]!)}`);
    const [prefix, resource] = RESOURCES[shape.resource]!;
    const name = shape.name === 0 ? '/web-1' : shape.name === 1 ? '/node-7' : '';
    const verb = VERBS[shape.verb]!;
    events.push({
      auditID: `id-${i}`,
      stage: 'ResponseComplete',
      level: 'Metadata',
      verb,
      requestURI: `${prefix}/${resource}${name}${q.length ? `?${q.join('&')}` : ''}`,
      user: 'u',
      userAgent: 'ua',
      code: 200,
      requestReceivedMs: i,
      stageMs: i + 3,
    });
  }
  // And requests the memo must tell apart although their shapes look alike: continue tokens
  // behind and ahead of the cache's revision (which moves as the stream goes on), twice each.
  for (const [i, uri] of [
    `/api/v1/pods?resourceVersion=${rev}`,
    `/api/v1/pods?continue=${encodeContinue(rev - 10, 'default/a\u0000')}&limit=500`,
    `/api/v1/pods?continue=${encodeContinue(rev + 10, 'default/a\u0000')}&limit=500`,
    `/api/v1/pods?continue=${encodeContinue(rev - 20, 'default/b\u0000')}&limit=500`,
    `/api/v1/pods?continue=${encodeContinue(rev + 20, 'default/b\u0000')}&limit=500`,
    `/api/v1/pods?limit=500&resourceVersion=${rev + 30}`,
    `/api/v1/pods?continue=${encodeContinue(rev + 20, 'default/b\u0000')}&limit=500`,
  ].entries()) {
    events.push({ auditID: `fixed-${i}`, stage: 'ResponseComplete', level: 'Metadata', verb: 'list', requestURI: uri, user: 'u', userAgent: 'ua', code: 200 });
  }
  return events;
}

describe('AuditRouter memo', () => {
  const events = stream(7, 2000);

  it('the stream covers what the memo folds: shared shapes, continue tokens on both sides of the cache', () => {
    const router = new AuditRouter(resolveProfile('1.34'), { etcdSupportsRequestWatchProgress: true, profileSource: 'test' });
    const shapes = new Set<string>();
    let continued = 0;
    let folded = 0;
    for (const ev of events) {
      const r = router.route(ev);
      if (typeof r === 'string') continue;
      const k = memoKeys({ verb: r.verb, group: r.group, resource: r.resource, recursive: true, query: r.query }, 1000);
      if (!k) continue;
      if (shapes.has(k.shape)) folded++;
      shapes.add(k.shape);
      if (r.query.continue !== undefined && !k.exact) continued++;
    }
    expect(folded).toBeGreaterThan(1000);
    expect(continued).toBeGreaterThan(50);
    const fresh = new AuditRouter(resolveProfile('1.34'), { etcdSupportsRequestWatchProgress: false, profileSource: 'test' });
    const decided = events.map((ev) => fresh.route(ev)).flatMap((r) => (typeof r === 'string' ? [] : [r]));
    const reasons = new Set(decided.map((r) => r.reason));
    for (const reason of ['futureRVFromStorage', 'exactRVFromSnapshot', 'servedFromCache', 'invalidRequest', 'consistentReadFromStorage', 'writeToStorage']) {
      expect(reasons, reason).toContain(reason);
    }
    // The fixed tail: behind the cache from its snapshot, ahead of it from etcd (no progress
    // notifications to wait with), and a token that was ahead is behind once a later request
    // has named a higher revision.
    expect(decided.slice(-6).map((r) => r.reason)).toEqual(['continueFromSnapshot', 'futureRVFromStorage', 'continueFromSnapshot', 'futureRVFromStorage', 'exactRVFromSnapshot', 'continueFromSnapshot']);
  });

  for (const profile of ['1.20', '1.28', '1.31', '1.33', '1.36']) {
    for (const etcdProgress of [true, false]) {
      it(`memo on equals memo off, cluster profile ${profile}, etcd progress ${etcdProgress ? 'trusted' : 'not trusted'}`, () => {
        const assumptions = { etcdSupportsRequestWatchProgress: etcdProgress, profileSource: 'test' };
        const memo = new AuditRouter(resolveProfile(profile), assumptions, allProfiles);
        const fresh = new AuditRouter(resolveProfile(profile), assumptions, allProfiles, false);
        let routed = 0;
        for (const ev of events) {
          const a = memo.route(ev);
          const b = fresh.route(ev);
          expect(a, ev.requestURI).toEqual(b);
          if (typeof a !== 'string') routed++;
        }
        expect(routed).toBeGreaterThan(1000);
      });
    }
  }
});
