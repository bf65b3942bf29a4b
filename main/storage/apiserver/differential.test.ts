// Differential test: watchscope (profile 1.34, which stands for 1.34–1.36) and a real
// kube-apiserver v1.36 on the SAME etcd answer the same matrix of LIST / GET / WATCH requests, and
// the answers are compared field by field: status, Status reason and message, items (namespace,
// name, resourceVersion, in order), the list's resourceVersion, continue tokens (byte for byte),
// remainingItemCount, watch events and bookmarks — and, for LISTs, whether the cache served it
// (the real server's apiserver_cache_list_total against watchscope's decision). Run once on etcd
// 3.4.23 (RequestWatchProgress not trusted) and once on etcd 3.5.16 (trusted). A missing binary
// makes its run report itself skipped, loudly.
//
// Deliberate differences are listed in DELIBERATE below, each with why; nothing else may differ.
import { request as httpsRequest } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEtcd, type EtcdProcess } from '../etcd/process.js';
import { etcdBinaries, findKubeApiserver136, KUBE_136_MISSING_MESSAGE, startKube136, type RealApiserver } from '../kube/testing/kube-1.36.js';
import { rawRequest, startTestApiServer, type HttpAnswer, type TestApiServer } from './testing.js';
import { compactLikeKubeApiserver } from '../etcd/compact.js';

/**
 * What watchscope does differently on purpose. Each entry names the request shape it applies to
 * and why the difference is kept; the comparison drops exactly that field for those requests.
 */
export const DELIBERATE: readonly { what: string; why: string }[] = [
  {
    what: 'object bodies: only namespace, name and resourceVersion of items are compared',
    why: 'the real apiserver stores built-in types as protobuf and watchscope decodes only ObjectMeta and the fields selectors need, without the types\' schemas or defaulting',
  },
  {
    what: 'periodic watch bookmarks (other than k8s.io/initial-events-end) are not compared',
    why: 'they come from a once-a-minute timer plus jitter on both sides; when one falls inside a short test watch is chance',
  },
  {
    what: 'after a restart, the number in parentheses of "too old resource version: n (m)"',
    why: "m is the cache's initial list revision, which depends on the moment each server started (the real one writes during its own start-up)",
  },
];

/** Whether two normalised answers differ. */
const differs = (real: string, mine: string): boolean => real !== mine;

type Target = { url: string; token: string; caPem: string };

interface Shape {
  status: number;
  [k: string]: unknown;
}

/** The comparable part of a LIST/GET answer. */
function shapeOf(a: HttpAnswer): Shape {
  const j = a.json as Record<string, any> | undefined; // eslint-disable-line @typescript-eslint/no-explicit-any
  if (!j) return { status: a.status, body: a.text.slice(0, 200) };
  if (j.kind === 'Status') {
    const { uid: _uid, ...details } = (j.details ?? {}) as Record<string, unknown>;
    return { status: a.status, phase: j.status, reason: j.reason, message: j.message, code: j.code, details };
  }
  if (Array.isArray(j.items)) {
    return {
      status: a.status,
      kind: j.kind,
      resourceVersion: j.metadata?.resourceVersion,
      continue: j.metadata?.continue,
      remainingItemCount: j.metadata?.remainingItemCount,
      items: j.items.map(itemId),
    };
  }
  return { status: a.status, kind: j.kind, item: itemId(j), deletionTimestamp: !!j.metadata?.deletionTimestamp, deletionGracePeriodSeconds: j.metadata?.deletionGracePeriodSeconds };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const itemId = (o: any) => `${o?.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o?.metadata?.name}@${o?.metadata?.resourceVersion}`;

/** A continue token's JSON, for readable failure messages. */
const decodeToken = (t: unknown) => (typeof t === 'string' && t ? Buffer.from(t, 'base64url').toString('utf8') : t);

interface WatchResult {
  status: number;
  /** `TYPE ns/name@rv`, `BOOKMARK @rv initial-events-end`, `ERROR code reason: message`. */
  events: string[];
  error?: Shape;
}

/**
 * Opens a watch, calls `afterHeaders` once the response has started, and collects events until
 * `done(events)` holds or `ms` passes. Periodic bookmarks are dropped (see DELIBERATE).
 */
function watch(t: Target, path: string, done: (ev: string[]) => boolean, afterHeaders: () => Promise<void> = async () => {}, ms = 8000): Promise<WatchResult> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, t.url);
    const req = httpsRequest(url, { ca: t.caPem, headers: { authorization: `Bearer ${t.token}`, accept: 'application/json' } }, (res) => {
      const events: string[] = [];
      let buf = '';
      let finished = false;
      const finish = (r: WatchResult) => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        req.destroy();
        resolve(r);
      };
      const timer = setTimeout(() => finish({ status: res.statusCode ?? 0, events }), ms);
      if (res.statusCode !== 200) {
        res.on('data', (c: Buffer) => (buf += c.toString()));
        res.on('end', () => {
          let json: unknown;
          try {
            json = JSON.parse(buf);
          } catch {
            json = undefined;
          }
          finish({ status: res.statusCode ?? 0, events, error: shapeOf({ status: res.statusCode ?? 0, headers: res.headers, text: buf, json }) });
        });
        return;
      }
      afterHeaders().catch(reject);
      res.on('data', (c: Buffer) => {
        buf += c.toString();
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          if (!line.trim()) continue;
          const ev = JSON.parse(line) as { type: string; object: any }; // eslint-disable-line @typescript-eslint/no-explicit-any
          if (ev.type === 'BOOKMARK') {
            const end = ev.object?.metadata?.annotations?.['k8s.io/initial-events-end'] === 'true';
            if (!end) continue;
            events.push(`BOOKMARK @${ev.object.metadata.resourceVersion} initial-events-end`);
          } else if (ev.type === 'ERROR') {
            events.push(`ERROR ${ev.object.code} ${ev.object.reason ?? ''}: ${ev.object.message}`);
          } else {
            const grace = ev.object?.metadata?.deletionGracePeriodSeconds;
            events.push(`${ev.type} ${itemId(ev.object)}${ev.object?.metadata?.deletionTimestamp ? ` deleting(grace=${grace})` : ''}`);
          }
          if (done(events)) finish({ status: 200, events });
        }
      });
      res.on('end', () => finish({ status: 200, events }));
    });
    req.on('error', (e) => (e.message.includes('socket hang up') ? undefined : reject(e)));
    req.end();
  });
}

/** apiserver_cache_list_total of one core resource, summed over indexes: LISTs the real cache served. */
async function cacheListCount(t: Target, resource: string): Promise<number> {
  const m = await rawRequest(t, 'GET', '/metrics', { headers: { Accept: 'text/plain' } });
  let n = 0;
  for (const line of m.text.split('\n')) {
    if (line.startsWith('apiserver_cache_list_total{') && line.includes('group=""') && line.includes(`resource="${resource}"`)) n += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return n;
}

const runs = etcdBinaries();
const kubeBin = findKubeApiserver136();
if (!kubeBin) console.warn(`\n!!! differential tests SKIPPED: ${KUBE_136_MISSING_MESSAGE}\n`);
for (const r of runs) if (!r.bin) console.warn(`\n!!! differential test on ${r.label} SKIPPED: ${r.missing}\n`);

for (const run of runs) {
  const d = run.bin && kubeBin ? describe : describe.skip;
  d(`watchscope (1.34) and kube-apiserver v1.36 on ${run.label}`, () => {
    let etcd: EtcdProcess;
    let kube: RealApiserver;
    let ws: TestApiServer;
    let real: Target;
    let mine: Target;
    /** Revisions the matrix refers to. */
    const rv: Record<string, number> = {};
    const ns = 'diff';
    const cmPath = `/api/v1/namespaces/${ns}/configmaps`;

    const startWatchscope = async () => {
      ws = await startTestApiServer({ etcd, profile: '1.34' });
      mine = { url: ws.server.url, token: ws.server.token, caPem: ws.server.caPem! };
    };
    const create = async (path: string, body: unknown) => {
      const a = await rawRequest(real, 'POST', path, { body });
      if (a.status !== 201) throw new Error(`seeding ${path}: ${a.status} ${a.text}`);
      return Number((a.json as { metadata: { resourceVersion: string } }).metadata.resourceVersion);
    };
    const pod = (name: string, node: string) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, labels: { app: name.endsWith('1') || name.endsWith('2') ? 'a' : 'b' } },
      spec: { nodeName: node, automountServiceAccountToken: false, containers: [{ name: 'c', image: 'busybox' }] },
    });
    /** Both caches have seen revision `n` (a LIST at n waits for it on either side). */
    const settle = async (n: number) => {
      for (const t of [real, mine]) for (const p of [cmPath, `/api/v1/namespaces/${ns}/pods`]) await rawRequest(t, 'GET', `${p}?resourceVersion=${n}`);
    };

    beforeAll(async () => {
      etcd = await startEtcd({ bin: run.bin });
      // No identity lease heartbeats, so etcd's revision only moves when the test writes.
      kube = await startKube136(etcd.endpoint, ['--feature-gates=APIServerIdentity=false,UnknownVersionInteroperabilityProxy=false']);
      real = { url: kube.server, token: kube.token, caPem: kube.ca.toString() };
      await startWatchscope();
      await create('/api/v1/namespaces', { metadata: { name: ns } });
      await create(`/api/v1/namespaces/${ns}/serviceaccounts`, { metadata: { name: 'default' } });
      for (let i = 1; i <= 6; i++) {
        const n = await create(cmPath, { metadata: { name: `cm-0${i}`, labels: { app: i % 2 ? 'a' : 'b' } }, data: { i: String(i) } });
        if (i === 2) rv.mid = n;
      }
      for (let i = 1; i <= 8; i++) await create(`/api/v1/namespaces/${ns}/pods`, pod(`p-${i}`, i % 2 ? 'node-2' : 'node-1'));
      const del = await rawRequest(real, 'DELETE', `${cmPath}/cm-03`);
      if (del.status !== 200) throw new Error(`delete cm-03: ${del.status} ${del.text}`);
      const list = await rawRequest(real, 'GET', cmPath);
      rv.last = Number((list.json as { metadata: { resourceVersion: string } }).metadata.resourceVersion);
      rv.future = rv.last + 1000;
      await settle(rv.last);
    }, 120_000);

    afterAll(async () => {
      await ws?.close();
      await kube?.stop();
      await etcd?.stop();
    });

    /** Sends one request to both; returns both shapes and whether each was served by its cache. */
    const both = async (path: string) => {
      const resource = path.includes('/pods') ? 'pods' : 'configmaps';
      const before = await cacheListCount(real, resource);
      const since = ws.decisions.lastId;
      const [a, b] = [await rawRequest(real, 'GET', path), await rawRequest(mine, 'GET', path)];
      const after = await cacheListCount(real, resource);
      const decision = ws.decisionsSince(since).at(-1);
      return { real: shapeOf(a), mine: shapeOf(b), realFromCache: after > before, mineFromCache: decision?.servedBy === 'cache', decision };
    };

    /** Compares every request of a list and reports all mismatches at once. */
    const compareAll = async (paths: string[], opts: { routing?: boolean } = {}) => {
      const diffs: string[] = [];
      for (const p of paths) {
        const r = await both(p);
        if (differs(JSON.stringify(r.real), JSON.stringify(r.mine))) {
          diffs.push(`${p}\n    real:       ${JSON.stringify({ ...r.real, continue: decodeToken(r.real.continue) })}\n    watchscope: ${JSON.stringify({ ...r.mine, continue: decodeToken(r.mine.continue) })}`);
        } else if (opts.routing && r.realFromCache !== r.mineFromCache) {
          diffs.push(`${p}\n    real served from ${r.realFromCache ? 'cache' : 'etcd'}, watchscope from ${r.mineFromCache ? 'cache' : 'etcd'} (${r.decision?.reason}: ${r.decision?.detail})`);
        }
      }
      expect(diffs.join('\n')).toBe('');
    };

    /** Follows continue tokens from `first` on both servers and compares every page. */
    const compareChain = async (first: string) => {
      const diffs: string[] = [];
      let next: string | undefined = first;
      for (let page = 0; next && page < 10; page++) {
        const r = await both(next);
        if (differs(JSON.stringify(r.real), JSON.stringify(r.mine))) {
          diffs.push(`page ${page} ${next}\n    real:       ${JSON.stringify({ ...r.real, continue: decodeToken(r.real.continue) })}\n    watchscope: ${JSON.stringify({ ...r.mine, continue: decodeToken(r.mine.continue) })}`);
          break;
        }
        const token = r.real.continue as string | undefined;
        next = token ? `${first.split('?')[0]}?${new URLSearchParams({ ...Object.fromEntries(new URLSearchParams(first.split('?')[1] ?? '')), continue: token, resourceVersion: '' }).toString().replace(/&?resourceVersion=(&|$)/, '$1')}` : undefined;
      }
      expect(diffs.join('\n')).toBe('');
    };

    it('LIST: resourceVersion × resourceVersionMatch × limit, with and without selectors, after a delete', async () => {
      const q = (s: string) => `${cmPath}${s ? `?${s}` : ''}`;
      await compareAll(
        [
          q(''),
          q('resourceVersion=0'),
          q('resourceVersion=0&limit=2'),
          q('limit=2'),
          q('limit=-1'),
          q(`resourceVersion=${rv.mid}`),
          q(`resourceVersion=${rv.mid}&limit=2`),
          q(`resourceVersion=${rv.mid}&resourceVersionMatch=NotOlderThan`),
          q(`resourceVersion=${rv.mid}&resourceVersionMatch=NotOlderThan&limit=2`),
          q(`resourceVersion=${rv.mid}&resourceVersionMatch=Exact`),
          q(`resourceVersion=${rv.mid}&resourceVersionMatch=Exact&limit=2`),
          q(`resourceVersion=${rv.last}&resourceVersionMatch=Exact`),
          q('labelSelector=app%3Da'),
          q('labelSelector=app%3Da&limit=1'),
          q(`labelSelector=app%3Db&resourceVersion=${rv.mid}&resourceVersionMatch=Exact`),
          q('fieldSelector=metadata.name%3Dcm-01'),
          q(`fieldSelector=metadata.name%3Dcm-01&resourceVersion=${rv.mid}&resourceVersionMatch=Exact`),
          q('fieldSelector=metadata.name%3Dcm-03&resourceVersion=0'),
          '/api/v1/configmaps?limit=3&labelSelector=app%3Da',
          `/api/v1/namespaces/${ns}/pods?fieldSelector=spec.nodeName%3Dnode-2`,
          `/api/v1/namespaces/${ns}/pods?labelSelector=app%3Da&resourceVersion=0`,
        ],
        { routing: true },
      );
    });

    it('LIST: requests both refuse, with the same status and text', async () => {
      const q = (s: string) => `${cmPath}?${s}`;
      const token = Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: rv.mid, start: 'cm-02\u0000' })).toString('base64url');
      await compareAll([
        q('resourceVersion=abc'),
        q('resourceVersionMatch=Exact'),
        q('resourceVersion=1&resourceVersionMatch=Bogus'),
        q('continue=garbage'),
        q(`continue=${Buffer.from([0x81, 0x7b]).toString('base64url')}`),
        q(`continue=${token}&resourceVersion=${rv.mid}`),
        q(`continue=${token}&resourceVersionMatch=NotOlderThan`),
        q('labelSelector=app%3D%3D%3Da'),
        q('limit=abc'),
      ]);
    });

    it('LIST pages: continue tokens, item order and remainingItemCount page by page', async () => {
      await compareChain(`${cmPath}?limit=2`);
      await compareChain(`${cmPath}?limit=2&resourceVersion=${rv.mid}`);
      await compareChain('/api/v1/configmaps?limit=2');
      await compareChain(`/api/v1/namespaces/${ns}/pods?limit=3&labelSelector=app%3Db`);
      await compareChain(`/api/v1/namespaces/${ns}/pods?limit=2&fieldSelector=spec.nodeName%3Dnode-2`);
    });

    it('GET: resourceVersion "", "0", n, a deleted object, a bad resourceVersion', async () => {
      const g = (name: string, s = '') => `${cmPath}/${name}${s ? `?${s}` : ''}`;
      await compareAll([g('cm-01'), g('cm-01', 'resourceVersion=0'), g('cm-01', `resourceVersion=${rv.last}`), g('cm-03'), g('cm-03', 'resourceVersion=0'), g('cm-01', 'resourceVersion=abc'), g('nope', `resourceVersion=${rv.mid}`)]);
    });

    it('WATCH: from n (history after a delete), from 0, with selectors, refusals', async () => {
      const w = (s: string) => `${cmPath}?watch=true&${s}`;
      let seq = 0;
      const cases = [
        w(`resourceVersion=${rv.mid}`),
        w('resourceVersion=0'),
        w(`resourceVersion=${rv.mid}&labelSelector=app%3Da`),
        w(`resourceVersion=${rv.mid}&fieldSelector=metadata.name%3Dcm-05`),
        w('resourceVersionMatch=NotOlderThan'),
        w('resourceVersion=abc'),
        w(`resourceVersion=${rv.last}`),
      ];
      const diffs: string[] = [];
      for (const p of cases) {
        // One live write after both watches started; both must show it in the same place.
        const name = `live-${seq++}`;
        const marker = (ev: string[]) => ev.some((e) => e.includes(`/${name}@`) || e.startsWith('ERROR'));
        let written = false;
        const writeOnce = async () => {
          if (written) return;
          written = true;
          await create(cmPath, { metadata: { name, labels: { app: 'a' } } });
        };
        let started = 0;
        const startedBoth = async () => {
          if (++started === 2) await writeOnce();
        };
        const [a, b] = await Promise.all([watch(real, p, marker, startedBoth, 6000), watch(mine, p, marker, startedBoth, 6000)]);
        if (!written) await writeOnce();
        const norm = (x: WatchResult) => JSON.stringify({ status: x.status, error: x.error, events: x.events });
        if (differs(norm(a), norm(b))) diffs.push(`${p}\n    real:       ${norm(a)}\n    watchscope: ${norm(b)}`);
      }
      expect(diffs.join('\n')).toBe('');
    });

    /** Collects events of one watch on each server while `act` runs against `via`; compares them. */
    const watchWhile = async (path: string, until: (ev: string[]) => boolean, act: () => Promise<void>) => {
      let started = 0;
      let acted: Promise<void> | undefined;
      const go = async () => {
        if (++started === 2) acted = act();
      };
      const [a, b] = await Promise.all([watch(real, path, until, go, 10_000), watch(mine, path, until, go, 10_000)]);
      await acted;
      return { a, b };
    };
    const norm = (x: WatchResult) => JSON.stringify({ status: x.status, error: x.error, events: x.events });

    it('WATCH-LIST: initial events, the k8s.io/initial-events-end bookmark, then live events', async () => {
      const w = (s: string) => `${cmPath}?watch=true&${s}`;
      const diffs: string[] = [];
      let seq = 0;
      for (const p of [
        w('sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true'),
        w(`sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&resourceVersion=${rv.mid}`),
        w('sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&resourceVersion=0&labelSelector=app%3Db'),
        w('allowWatchBookmarks=true'),
        w('allowWatchBookmarks=true&resourceVersion=0'),
        w(`sendInitialEvents=false&resourceVersionMatch=NotOlderThan&resourceVersion=${rv.mid}`),
        w('sendInitialEvents=true&resourceVersionMatch=NotOlderThan'),
      ]) {
        const name = `wl-${seq++}`;
        const { a, b } = await watchWhile(
          p,
          (ev) => ev.some((e) => e.includes(`/${name}@`) || e.startsWith('ERROR')),
          async () => void (await create(cmPath, { metadata: { name, labels: { app: 'b' } } })),
        );
        if (differs(norm(a), norm(b))) diffs.push(`${p}\n    real:       ${norm(a)}\n    watchscope: ${norm(b)}`);
      }
      expect(diffs.join('\n')).toBe('');
    });

    /** Replaces one object's name and every resourceVersion, so two objects' histories compare. */
    const anonymise = (s: string, name: string) => s.replaceAll(name, 'X').replace(/@\d+/g, '@rv');

    it('DELETE: a bound pod is a graceful-deletion update (MODIFIED) then DELETED; finalizers keep an object', async () => {
      const podPath = `/api/v1/namespaces/${ns}/pods`;
      const diffs: string[] = [];
      const compareDeletes = async (what: string, name: (side: 'real' | 'mine') => string, steps: (t: Target, n: string) => Promise<HttpAnswer[]>, watchPath: (n: string) => string, expectEvents: number) => {
        const out: Record<string, { answers: string; events: string }> = {};
        for (const [side, t] of [['real', real], ['mine', mine]] as const) {
          const n = name(side);
          let answers: HttpAnswer[] = [];
          const { a } = await (async () => {
            let acted: Promise<void> | undefined;
            const r = await watch(t, watchPath(n), (ev) => ev.length >= expectEvents, async () => {
              acted = steps(t, n).then((x) => void (answers = x));
            }, 10_000);
            await acted;
            return { a: r };
          })();
          out[side] = { answers: anonymise(JSON.stringify(answers.map(shapeOf)), n), events: anonymise(norm(a), n) };
        }
        if (differs(JSON.stringify(out.real), JSON.stringify(out.mine))) diffs.push(`${what}\n    real:       ${JSON.stringify(out.real)}\n    watchscope: ${JSON.stringify(out.mine)}`);
      };
      const since = () => `resourceVersion=${rv.last}`;
      // A bound pod, default grace period (30 s): it stays, terminating; a second delete with 0 removes it.
      await compareDeletes(
        'bound pod: DELETE, then DELETE gracePeriodSeconds=0',
        (side) => (side === 'real' ? 'p-5' : 'p-6'),
        async (t, n) => [await rawRequest(t, 'DELETE', `${podPath}/${n}`), await rawRequest(t, 'DELETE', `${podPath}/${n}`, { body: { gracePeriodSeconds: 0 } })],
        (n) => `${podPath}?watch=true&fieldSelector=metadata.name%3D${n}&${since()}`,
        3,
      );
      await compareDeletes(
        'bound pod: DELETE gracePeriodSeconds=0',
        (side) => (side === 'real' ? 'p-7' : 'p-8'),
        async (t, n) => [await rawRequest(t, 'DELETE', `${podPath}/${n}`, { body: { gracePeriodSeconds: 0 } })],
        (n) => `${podPath}?watch=true&fieldSelector=metadata.name%3D${n}&${since()}`,
        2,
      );
      await compareDeletes(
        'configmap without finalizers',
        (side) => (side === 'real' ? 'cm-05' : 'cm-06'),
        async (t, n) => [await rawRequest(t, 'DELETE', `${cmPath}/${n}`)],
        (n) => `${cmPath}?watch=true&fieldSelector=metadata.name%3D${n}&${since()}`,
        1,
      );
      await compareDeletes(
        'configmap with a finalizer: DELETE, then the finalizer removed',
        (side) => (side === 'real' ? 'fin-real' : 'fin-mine'),
        async (t, n) => {
          const c = await rawRequest(t, 'POST', cmPath, { body: { metadata: { name: n, finalizers: ['example.com/keep'] } } });
          const del = await rawRequest(t, 'DELETE', `${cmPath}/${n}`);
          const patch = await rawRequest(t, 'PATCH', `${cmPath}/${n}`, { body: { metadata: { finalizers: null } }, headers: { 'Content-Type': 'application/merge-patch+json' } });
          return [c, del, patch];
        },
        (n) => `${cmPath}?watch=true&fieldSelector=metadata.name%3D${n}&${since()}`,
        3,
      );
      expect(diffs.join('\n')).toBe('');
    });

    it('DELETECOLLECTION: a selector\'s items listed, each deleted as Store.Delete does (finalizers keep one), the list as read is the answer; the all-namespaces path is 405', async () => {
      const diffs: string[] = [];
      const out: Record<string, string> = {};
      for (const [side, t] of [['real', real], ['mine', mine]] as const) {
        const space = `dc-${side}`;
        await create('/api/v1/namespaces', { metadata: { name: space } });
        const path = `/api/v1/namespaces/${space}/configmaps`;
        let from = 0;
        for (let i = 1; i <= 4; i++) {
          from = await create(path, { metadata: { name: `dc-${i}`, labels: { app: i === 4 ? 'y' : 'x' }, ...(i === 3 ? { finalizers: ['example.com/keep'] } : {}) } });
        }
        let answer: HttpAnswer | undefined;
        const events = await watch(t, `${path}?watch=true&resourceVersion=${from}`, (ev) => ev.length >= 3, async () => {
          answer = await rawRequest(t, 'DELETE', `${path}?labelSelector=app%3Dx`);
        }, 10_000);
        const after = await rawRequest(t, 'GET', path);
        const allNamespaces = await rawRequest(t, 'DELETE', '/api/v1/configmaps?labelSelector=app%3Dnone');
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        const names = (a: HttpAnswer | undefined) => ((a?.json as any)?.items ?? []).map((o: any) => `${o.metadata.name}${o.metadata.deletionTimestamp ? ' deleting' : ''}`);
        out[side] = JSON.stringify({
          answer: { status: answer?.status, kind: (answer?.json as { kind?: string })?.kind, items: names(answer), hasRV: !!(answer?.json as { metadata?: { resourceVersion?: string } })?.metadata?.resourceVersion },
          events: events.events.map((e) => e.replace(/@\d+/g, '@rv').replaceAll(space, 'NS')).sort(),
          left: names(after),
          allNamespaces: shapeOf(allNamespaces),
        });
      }
      if (differs(out.real!, out.mine!)) diffs.push(`deletecollection\n    real:       ${out.real}\n    watchscope: ${out.mine}`);
      expect(diffs.join('\n')).toBe('');
      // Not vacuous: both deleted two, kept the one with a finalizer, left the other label alone.
      expect(JSON.parse(out.mine!).left).toEqual(['dc-3 deleting', 'dc-4']);
      expect(JSON.parse(out.mine!).answer.items).toEqual(['dc-1', 'dc-2', 'dc-3']);
    });

    it('after the window has moved (both servers restarted: new caches) — snapshots and history are gone', async () => {
      const token = Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: rv.mid, start: 'cm-01\u0000' })).toString('base64url');
      await ws.close();
      await kube.stop();
      kube = await startKube136(etcd.endpoint, ['--feature-gates=APIServerIdentity=false,UnknownVersionInteroperabilityProxy=false']);
      real = { url: kube.server, token: kube.token, caPem: kube.ca.toString() };
      await startWatchscope();
      // One write both new caches see, so their resourceVersions agree before comparing.
      await settle(await create(cmPath, { metadata: { name: 'after-restart' } }));
      const q = (s: string) => `${cmPath}?${s}`;
      await compareAll(
        [q(`resourceVersion=${rv.mid}&limit=2`), q(`resourceVersion=${rv.mid}&resourceVersionMatch=Exact`), q(`continue=${token}&limit=2`), q(`resourceVersion=${rv.mid}`)],
        { routing: true },
      );
      const { a, b } = await watchWhile(q(`watch=true&resourceVersion=${rv.mid}`), (ev) => ev.length > 0, async () => {});
      const listRV = (s: string) => s.replace(/too old resource version: (\d+) \(\d+\)/, 'too old resource version: $1 (listRV)');
      expect(listRV(norm(b))).toBe(listRV(norm(a)));
      expect(a.events[0]).toMatch(/^ERROR 410 Expired: too old resource version/);
    });

    it('snapshots: once 100 events fill the history buffer, none is kept below the oldest — not even at its RV − 1', async () => {
      // Secrets: nothing but this test writes them, so both caches buffer exactly these events.
      const sPath = `/api/v1/namespaces/${ns}/secrets`;
      const cacher = ws.backend.cachers.get('secrets')!;
      expect(cacher.info()).toMatchObject({ historyLen: 0, historyCapacity: 100 });
      const revs: number[] = [];
      for (let i = 0; i < 100; i++) revs.push(await create(sPath, { metadata: { name: `s-${String(i).padStart(3, '0')}` } }));
      for (const t of [real, mine]) await rawRequest(t, 'GET', `${sPath}?resourceVersion=${revs[99]}`);
      expect(cacher.info()).toMatchObject({ historyLen: 100, historyCapacity: 100 });
      const first = revs[0]!;
      const diffs: string[] = [];
      const served: string[] = [];
      for (const at of [first - 1, first, revs[50]!]) {
        const path = `${sPath}?resourceVersion=${at}&resourceVersionMatch=Exact&limit=3`;
        const before = await cacheListCount(real, 'secrets');
        const since = ws.decisions.lastId;
        const [a, b] = [shapeOf(await rawRequest(real, 'GET', path)), shapeOf(await rawRequest(mine, 'GET', path))];
        const realFromCache = (await cacheListCount(real, 'secrets')) > before;
        const d = ws.decisionsSince(since).at(-1);
        if (differs(JSON.stringify(a), JSON.stringify(b))) diffs.push(`${path}\n    real:       ${JSON.stringify(a)}\n    watchscope: ${JSON.stringify(b)}`);
        served.push(`${at - first}: real ${realFromCache ? 'cache' : 'etcd'}, watchscope ${d?.servedBy} (${d?.reason})`);
      }
      expect(diffs.join('\n')).toBe('');
      expect(served).toEqual([
        '-1: real etcd, watchscope etcd (snapshotUnavailable)',
        '0: real cache, watchscope cache (exactRVFromSnapshot)',
        `${revs[50]! - first}: real cache, watchscope cache (exactRVFromSnapshot)`,
      ]);
    }, 90_000);

    it("compactions: a direct etcd compaction leaves the snapshots served; one recorded in compact_rev_key (as kube-apiserver's compactor does) prunes them within 15 s", async () => {
      const token = (at: number) => Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: at, start: 'cm-01\u0000' })).toString('base64url');
      const q = (s: string) => `${cmPath}?${s}`;
      const reads = (at: number) => [q(`resourceVersion=${at}&resourceVersionMatch=Exact`), q(`resourceVersion=${at}&resourceVersionMatch=Exact&limit=2`), q(`continue=${token(at)}&limit=2`)];
      const r1 = await create(cmPath, { metadata: { name: 'cmp-1' } });
      const r2 = await create(cmPath, { metadata: { name: 'cmp-2' } });
      await settle(r2);
      // Compacted directly on etcd: compact_rev_key is not written, neither server learns of it.
      await ws.source.client.compact(r2, false);
      const compaction = () => ws.backend.resource('', 'configmaps')!.cacheState().compaction!;
      for (const end = Date.now() + 5000; compaction().etcdRevision !== r2 && Date.now() < end; ) await new Promise((r) => setTimeout(r, 50));
      const since = ws.decisions.lastId;
      await compareAll(reads(r1), { routing: true });
      expect(ws.decisionsSince(since).map((d) => d.reason)).toEqual(['snapshotOfCompactedRevision', 'snapshotOfCompactedRevision', 'snapshotOfCompactedRevision']);

      // kube-apiserver's compactor: the bootstrap step, then a compaction at r3 recorded first.
      const key = await ws.source.client.range({ key: Buffer.from('compact_rev_key') });
      const boot = await compactLikeKubeApiserver(ws.source.client, Number(key.kvs[0]?.version ?? 0), 0);
      const rMid = await create(cmPath, { metadata: { name: 'cmp-3' } });
      const r3 = await create(cmPath, { metadata: { name: 'cmp-4' } });
      await settle(r3);
      expect((await compactLikeKubeApiserver(ws.source.client, boot.currentVersion, r3)).compactRev).toBe(r3);
      // Both cachers' compactors poll every 15 s: wait until each has pruned.
      const cacher = ws.backend.cachers.get('configmaps')!;
      const end = Date.now() + 40_000;
      while (Date.now() < end) {
        const gone = (await rawRequest(real, 'GET', reads(rMid)[0]!)).status === 410;
        if (gone && cacher.compactor!.revision === r3) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      const since2 = ws.decisions.lastId;
      await compareAll([...reads(rMid), ...reads(r3)], { routing: true });
      expect(ws.decisionsSince(since2).map((d) => `${d.servedBy} ${d.reason} ${d.status}`)).toEqual([
        'etcd snapshotCompacted 410',
        'etcd snapshotCompacted 410',
        'etcd snapshotCompacted 410',
        'cache exactRVFromSnapshot 200',
        'cache exactRVFromSnapshot 200',
        'cache continueFromSnapshot 200',
      ]);
    }, 90_000);
  });
}

