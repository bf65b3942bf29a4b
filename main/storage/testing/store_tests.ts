// One suite of LIST/GET/WATCH semantics, run over every way this project reads storage: the
// Cacher, the etcd delegate (etcd3 store + storage watch) and, where it applies, the kube
// delegate. Upstream keeps such a suite in k8s.io/apiserver/pkg/storage/testing and runs it over
// both the etcd3 store and the cacher, so that a behaviour cannot hold on one path and differ on
// the other; this is the same idea for this code. Each backend file supplies a StoreUnderTest
// and calls runStoreTests; every test works in a namespace of its own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

export interface PodSpec {
  namespace: string;
  name: string;
  labels?: Record<string, string>;
  nodeName?: string;
}

export interface ListQuery {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** As a client sends it: '' (consistent), '0' (any), or n. */
  resourceVersion: string;
  /** '', 'NotOlderThan' or 'Exact'. */
  resourceVersionMatch?: string;
  limit?: number;
  continue?: string;
}

export interface ListPage {
  /** "namespace/name" → the object's resourceVersion, in the order returned. */
  items: [string, number][];
  resourceVersion: number;
  continue?: string;
  remainingItemCount?: number;
}

export interface WatchQuery {
  namespace?: string;
  labelSelector?: string;
  /** As a client sends it. */
  resourceVersion: string;
  sendInitialEvents?: boolean;
  allowWatchBookmarks?: boolean;
}

export interface SeenEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  /** "namespace/name" ('' for BOOKMARK and ERROR). */
  key: string;
  /** The object's resourceVersion (the Status code for ERROR). */
  rv: number;
  /** BOOKMARK only: carries the k8s.io/initial-events-end annotation. */
  initialEventsEnd?: boolean;
}

export interface WatchUnderTest {
  /** The next event, or null once the watch has ended. Rejects after `ms` without one. */
  next(ms?: number): Promise<SeenEvent | null>;
  stop(): void;
}

/** An HTTP-style failure: the Status code a client would see. */
export interface StoreFailure {
  code: number;
}

export interface StoreUnderTest {
  /** Writes through storage; each returns the revision of the write. */
  create(pod: PodSpec): Promise<number>;
  update(pod: PodSpec): Promise<number>;
  delete(namespace: string, name: string): Promise<number>;
  /** Compacts storage's history up to the current revision. */
  compact(): Promise<void>;
  /**
   * Resolves once reads that accept any RV reflect revision `rv` (the cache has caught up);
   * immediate for a backend that reads storage itself.
   */
  settle(rv: number): Promise<void>;
  /** Rejects with a StoreFailure where the API would answer with an error Status. */
  list(q: ListQuery): Promise<ListPage>;
  get(namespace: string, name: string, resourceVersion: string): Promise<[string, number]>;
  /** A watch; one that cannot start (too old RV) yields a single ERROR event and ends. */
  watch(q: WatchQuery): Promise<WatchUnderTest>;
  close(): Promise<void>;
}

export interface StoreTestOptions {
  /** The backend keeps history only as far back as its own window (the Cacher). */
  windowed?: boolean;
  /** Why this backend cannot run on this machine (a missing binary): the suite is skipped, loudly. */
  missing?: string;
  /** Tests this backend is known to fail, by id, with the reason: skipped and reported, not hidden. */
  knownGaps?: Partial<Record<'watchSelectorTransitions', string>>;
}

/** Collects events until `n` non-bookmark events arrived (or the watch ended). */
async function take(w: WatchUnderTest, n: number, keepBookmarks = false): Promise<SeenEvent[]> {
  const out: SeenEvent[] = [];
  let data = 0;
  while (data < n) {
    const e = await w.next(10_000);
    if (!e) break;
    if (e.type === 'BOOKMARK' && !keepBookmarks) continue;
    out.push(e);
    if (e.type !== 'BOOKMARK') data++;
  }
  return out;
}

const brief = (evs: SeenEvent[]) => evs.map((e) => (e.type === 'BOOKMARK' ? `BOOKMARK${e.initialEventsEnd ? ' end' : ''}` : `${e.type} ${e.key} ${e.rv}`));

export function runStoreTests(name: string, open: () => Promise<StoreUnderTest>, options: StoreTestOptions = {}): void {
  if (options.missing) console.warn(`SKIPPED storage semantics over ${name}: ${options.missing}`);
  describe.skipIf(!!options.missing)(`storage semantics: ${name}`, () => {
    let s: StoreUnderTest;
    let nsSeq = 0;
    const ns = () => `suite-${++nsSeq}`;
    /** Creates pods and returns "ns/name" → RV of each, plus the last revision. */
    async function seed(pods: PodSpec[]): Promise<{ rv: Map<string, number>; last: number }> {
      const rv = new Map<string, number>();
      let last = 0;
      for (const p of pods) {
        last = await s.create(p);
        rv.set(`${p.namespace}/${p.name}`, last);
      }
      return { rv, last };
    }

    /** Runs `fn` on a new watch and stops the watch whatever happens. */
    async function watching(q: WatchQuery, fn: (w: WatchUnderTest) => Promise<void>): Promise<void> {
      const w = await s.watch(q);
      try {
        await fn(w);
      } finally {
        w.stop();
      }
    }

    beforeAll(async () => {
      s = await open();
    }, 60_000);
    afterAll(async () => {
      await s?.close();
    });

    it('LIST returns every object once, in key order, each at the revision that wrote it', async () => {
      const n = ns();
      const { rv, last } = await seed(['c', 'a', 'e', 'b', 'd'].map((x) => ({ namespace: n, name: `pod-${x}` })));
      await s.settle(last);
      const page = await s.list({ namespace: n, resourceVersion: '0' });
      expect(page.items.map(([k]) => k)).toEqual(['a', 'b', 'c', 'd', 'e'].map((x) => `${n}/pod-${x}`));
      for (const [k, v] of page.items) expect(v, k).toBe(rv.get(k));
      expect(page.resourceVersion).toBeGreaterThanOrEqual(last);
      expect(page.continue).toBeUndefined();
    });

    it('LIST with resourceVersion "" is consistent: it reflects the last write without waiting for anyone', async () => {
      const n = ns();
      const last = await s.create({ namespace: n, name: 'fresh' });
      const page = await s.list({ namespace: n, resourceVersion: '' });
      expect(page.items).toEqual([[`${n}/fresh`, last]]);
      expect(page.resourceVersion).toBeGreaterThanOrEqual(last);
    });

    it('LIST filters by namespace, label selector and field selector', async () => {
      const n = ns();
      const other = ns();
      const { last } = await seed([
        { namespace: n, name: 'p1', labels: { app: 'a' }, nodeName: 'node-1' },
        { namespace: n, name: 'p2', labels: { app: 'b' }, nodeName: 'node-1' },
        { namespace: n, name: 'p3', labels: { app: 'a' }, nodeName: 'node-2' },
        { namespace: other, name: 'p4', labels: { app: 'a' }, nodeName: 'node-1' },
      ]);
      await s.settle(last);
      const keys = async (q: Omit<ListQuery, 'resourceVersion'>) => (await s.list({ ...q, resourceVersion: '0' })).items.map(([k]) => k);
      expect(await keys({ namespace: n, labelSelector: 'app=a' })).toEqual([`${n}/p1`, `${n}/p3`]);
      expect(await keys({ namespace: n, labelSelector: 'app!=a' })).toEqual([`${n}/p2`]);
      expect(await keys({ namespace: n, fieldSelector: 'spec.nodeName=node-1' })).toEqual([`${n}/p1`, `${n}/p2`]);
      expect(await keys({ namespace: n, labelSelector: 'app=a', fieldSelector: 'spec.nodeName=node-1' })).toEqual([`${n}/p1`]);
      // All namespaces, narrowed by the field selector the cache indexes.
      const all = await keys({ fieldSelector: 'spec.nodeName=node-1', labelSelector: 'app=a' });
      expect(all.filter((k) => k.startsWith(`${n}/`) || k.startsWith(`${other}/`))).toEqual([`${n}/p1`, `${other}/p4`]);
    });

    it('LIST pages: every object once, in order, all pages at the first page\'s revision, remainingItemCount without selectors', async () => {
      const n = ns();
      const names = ['a', 'b', 'c', 'd', 'e'].map((x) => `pg-${x}`);
      await seed(names.map((name) => ({ namespace: n, name, labels: { app: name === 'pg-c' ? 'other' : 'x' } })));
      const seen: string[] = [];
      let first: ListPage | undefined;
      let token: string | undefined;
      const remaining: (number | undefined)[] = [];
      do {
        const page: ListPage = await s.list({ namespace: n, resourceVersion: '', limit: 2, ...(token ? { continue: token } : {}) });
        first ??= page;
        expect(page.resourceVersion, 'every page is read at the first page\'s revision').toBe(first.resourceVersion);
        seen.push(...page.items.map(([k]) => k));
        remaining.push(page.remainingItemCount);
        token = page.continue;
        // A write between pages must not show up in a later page.
        if (seen.length === 2) await s.create({ namespace: n, name: 'pg-bb' });
      } while (token);
      expect(seen).toEqual(names.map((x) => `${n}/${x}`));
      expect(remaining).toEqual([3, 1, undefined]);

      // With a selector the rest cannot be counted without reading it: no remainingItemCount.
      const sel = await s.list({ namespace: n, resourceVersion: '', limit: 2, labelSelector: 'app=x' });
      expect(sel.items.map(([k]) => k)).toEqual([`${n}/pg-a`, `${n}/pg-b`]);
      expect(sel.continue).toBeTruthy();
      expect(sel.remainingItemCount).toBeUndefined();
      const rest = await s.list({ namespace: n, resourceVersion: '', limit: 10, labelSelector: 'app=x', continue: sel.continue! });
      expect(rest.items.map(([k]) => k)).toEqual([`${n}/pg-d`, `${n}/pg-e`]);
    });

    it('LIST resourceVersionMatch=Exact returns the state at that revision', async () => {
      const n = ns();
      const r1 = await s.create({ namespace: n, name: 'x' });
      const r2 = await s.create({ namespace: n, name: 'y' });
      await s.update({ namespace: n, name: 'x', labels: { v: '2' } });
      const r4 = await s.delete(n, 'y');
      await s.settle(r4);
      const at = await s.list({ namespace: n, resourceVersion: String(r2), resourceVersionMatch: 'Exact' });
      expect(at.items).toEqual([[`${n}/x`, r1], [`${n}/y`, r2]]);
      expect(at.resourceVersion).toBe(r2);
      const now = await s.list({ namespace: n, resourceVersion: String(r4), resourceVersionMatch: 'NotOlderThan' });
      expect(now.items.map(([k]) => k)).toEqual([`${n}/x`]);
    });

    it('GET returns the object at its revision; a missing one is 404', async () => {
      const n = ns();
      const r1 = await s.create({ namespace: n, name: 'g' });
      expect(await s.get(n, 'g', '')).toEqual([`${n}/g`, r1]);
      await s.settle(r1);
      expect(await s.get(n, 'g', '0')).toEqual([`${n}/g`, r1]);
      expect(await s.get(n, 'g', String(r1))).toEqual([`${n}/g`, r1]);
      await expect(s.get(n, 'missing', '')).rejects.toMatchObject({ code: 404 });
    });

    it('WATCH from a revision delivers exactly the later writes, in order, DELETED at the delete\'s revision', async () => {
      const n = ns();
      const r0 = await s.create({ namespace: n, name: 'before' });
      await s.settle(r0);
      await watching({ namespace: n, resourceVersion: String(r0) }, async (w) => {
        const a = await s.create({ namespace: n, name: 'w' });
        const m = await s.update({ namespace: n, name: 'w', labels: { v: '2' } });
        const d = await s.delete(n, 'w');
        expect(brief(await take(w, 3))).toEqual([`ADDED ${n}/w ${a}`, `MODIFIED ${n}/w ${m}`, `DELETED ${n}/w ${d}`]);
      });
    });

    it('WATCH at RV 0 without sendInitialEvents starts with the current state as ADDED (kubernetes#13969)', async () => {
      const n = ns();
      const { rv, last } = await seed([{ namespace: n, name: 'b' }, { namespace: n, name: 'a' }]);
      await s.settle(last);
      await watching({ namespace: n, resourceVersion: '0' }, async (w) => {
        const init = await take(w, 2);
        expect(brief(init)).toEqual([`ADDED ${n}/a ${rv.get(`${n}/a`)}`, `ADDED ${n}/b ${rv.get(`${n}/b`)}`]);
        const c = await s.create({ namespace: n, name: 'c' });
        expect(brief(await take(w, 1))).toEqual([`ADDED ${n}/c ${c}`]);
      });
    });

    it('WATCH at RV 0 replays a state larger than any watch buffer, then goes live', async () => {
      const n = ns();
      const names = Array.from({ length: 450 }, (_, i) => `big-${String(i).padStart(3, '0')}`);
      const { last } = await seed(names.map((name) => ({ namespace: n, name })));
      await s.settle(last);
      await watching({ namespace: n, resourceVersion: '0' }, async (w) => {
        const init = await take(w, names.length);
        expect(init.map((e) => `${e.type} ${e.key}`)).toEqual(names.map((x) => `ADDED ${n}/${x}`));
        const c = await s.create({ namespace: n, name: 'zz-after' });
        expect(brief(await take(w, 1))).toEqual([`ADDED ${n}/zz-after ${c}`]);
      });
    });

    it('WATCH with sendInitialEvents=false at RV 0 starts from now: no initial state', async () => {
      const n = ns();
      const { last } = await seed([{ namespace: n, name: 'old' }]);
      await s.settle(last);
      await watching({ namespace: n, resourceVersion: '0', sendInitialEvents: false }, async (w) => {
        const c = await s.create({ namespace: n, name: 'new' });
        expect(brief(await take(w, 1))).toEqual([`ADDED ${n}/new ${c}`]);
      });
    });

    it('WATCH-list: initial state, then the k8s.io/initial-events-end bookmark, then live events (KEP-3157)', async () => {
      const n = ns();
      const { rv, last } = await seed([{ namespace: n, name: 'a' }, { namespace: n, name: 'b' }]);
      await s.settle(last);
      await watching({ namespace: n, resourceVersion: '0', sendInitialEvents: true, allowWatchBookmarks: true }, async (w) => {
        // The end bookmark may take a bookmark tick to come; read until it does.
        const got: SeenEvent[] = [];
        while (!got.some((e) => e.initialEventsEnd)) {
          const e = await w.next(10_000);
          if (!e) break;
          got.push(e);
        }
        const endAt = got.findIndex((e) => e.initialEventsEnd);
        expect(brief(got.slice(0, endAt).filter((e) => e.type !== 'BOOKMARK'))).toEqual([`ADDED ${n}/a ${rv.get(`${n}/a`)}`, `ADDED ${n}/b ${rv.get(`${n}/b`)}`]);
        expect(endAt).toBeGreaterThanOrEqual(2);
        const c = await s.create({ namespace: n, name: 'c' });
        expect(brief(await take(w, 1))).toEqual([`ADDED ${n}/c ${c}`]);
      });
    });

    const gap = options.knownGaps?.watchSelectorTransitions;
    if (gap) console.warn(`SKIPPED over ${name}: selector transitions: ${gap}`);
    it.skipIf(!!gap)('WATCH with a label selector turns selector transitions into ADDED and DELETED', async () => {
      const n = ns();
      const r0 = await s.create({ namespace: n, name: 't', labels: { app: 'no' } });
      await s.settle(r0);
      await watching({ namespace: n, labelSelector: 'app=yes', resourceVersion: String(r0) }, async (w) => {
        const inRV = await s.update({ namespace: n, name: 't', labels: { app: 'yes' } });
        const stayRV = await s.update({ namespace: n, name: 't', labels: { app: 'yes', v: '2' } });
        const outRV = await s.update({ namespace: n, name: 't', labels: { app: 'no' } });
        await s.update({ namespace: n, name: 't', labels: { app: 'no', v: '3' } });
        const backRV = await s.update({ namespace: n, name: 't', labels: { app: 'yes' } });
        expect(brief(await take(w, 4))).toEqual([`ADDED ${n}/t ${inRV}`, `MODIFIED ${n}/t ${stayRV}`, `DELETED ${n}/t ${outRV}`, `ADDED ${n}/t ${backRV}`]);
      });
    });

    it('WATCH from a revision storage no longer has ends with one ERROR 410', async () => {
      const n = ns();
      // The first revisions of the suite's storage: compacted away, and (windowed backends)
      // before their window's start.
      const r = await s.create({ namespace: n, name: 'c' });
      await s.compact();
      await s.settle(r);
      await watching({ namespace: n, resourceVersion: '2' }, async (w) => {
        const first = await w.next(10_000);
        expect(first).toMatchObject({ type: 'ERROR', rv: 410 });
        expect(await w.next(10_000)).toBeNull();
      });
      if (options.windowed) {
        // Within the window the cache still serves what etcd has compacted (upstream does too).
        await watching({ namespace: n, resourceVersion: String(r - 1) }, async (w2) => {
          expect(brief(await take(w2, 1))).toEqual([`ADDED ${n}/c ${r}`]);
        });
      }
    });
  });
}
