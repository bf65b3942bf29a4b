// Every scenario preset, run headless through the real session: a real etcd child, the cacher,
// the HTTPS endpoint and the workload's HTTP clients. Each test asserts the preset's signature,
// the behaviour the preset exists to show.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Session } from './session.js';

let session: Session;

beforeAll(async () => {
  session = new Session({ snapshotIntervalMs: 500, demo: { workload: { writesPerSecond: 5, kubelets: 1, informers: 1, slowReader: false } } });
  const s = await session.connect({ mode: 'demo' });
  expect(s.state, s.message).toBe('connected');
}, 60_000);

afterAll(async () => {
  await session?.close();
});

const run = (name: string, scale = 0.3) => session.runScenario(name, { scale });

describe('scenario presets against a real etcd', () => {
  it('paginated vs cached LIST: 1.27 pages from etcd, 1.34 from the cache, RV=0 ignores the limit', async () => {
    const r = await run('paginated-list');
    expect(r.signature['1.27.firstPage']).toBe('etcd');
    expect(r.signature['1.27.firstPageReason']).toBe('hasLimit');
    expect(r.signature['1.34.firstPage']).toBe('cache');
    expect(r.signature['1.34.continuePages']).toBe('cache');
    expect(r.signature['1.34.rv0Continue']).toBe(false);
    expect(r.ok, r.summary).toBe(true);
  }, 120_000);

  it('consistent LIST: etcd 3.4.23 is not trusted for progress requests, so even 1.34 reads etcd', async () => {
    const r = await run('consistent-list');
    expect(r.signature.supportsRequestWatchProgress).toBe(false);
    expect(r.signature['1.27.servedBy']).toBe('etcd');
    expect(r.signature['1.34.servedBy']).toBe('etcd');
    expect(r.signature['1.34.reason']).toBe('consistentReadFromStorage');
    expect(r.ok, r.summary).toBe(true);
  }, 120_000);

  it('slow watcher: its buffer fills and it is closed with bufferFull, then re-watches', async () => {
    const r = await run('slow-watcher');
    expect(r.signature.closeReason).toBe('bufferFull');
    expect(r.ok, r.summary).toBe(true);
  }, 240_000);

  it('event storm: forced closes with bufferFull, and no event lost on the clients that re-watch', async () => {
    const r = await run('event-storm');
    expect(Number(r.signature.slowReaderBufferFull)).toBeGreaterThan(0);
    expect(r.ok, r.summary).toBe(true);
  }, 180_000);

  it('HA time travel: a lagging replica answers RV=0 with an older resourceVersion than the client saw', async () => {
    const r = await run('ha-time-travel');
    expect(r.signature, `${r.summary} ${JSON.stringify(r.signature)}`).toMatchObject({ rvRegression: true, deletedPodOnB: true });
    expect(Number(r.signature.replicaB_RV)).toBeLessThan(Number(r.signature.replicaA_RV));
    expect(r.ok, r.summary).toBe(true);
  }, 180_000);

  it('compaction: too-old continue and exact LISTs get 410, watchers relist', async () => {
    const r = await run('compaction');
    expect(r.signature['1.27.continueStatus']).toBe(410);
    expect(r.ok, r.summary).toBe(true);
  }, 180_000);

  it('etcd restart: kill -9 and restart; caches recover and watchers match etcd', async () => {
    const r = await run('etcd-restart');
    expect(r.signature.watchersConsistent).toBe(true);
    expect(r.ok, r.summary).toBe(true);
  }, 180_000);

  it('big LIST: RV=0 served by the cache, RV="" by etcd', async () => {
    // 1,000 pods keep CI short; the demo runs it at full size (20,000).
    const r = await run('big-list', 0.05);
    expect(r.ok, r.summary).toBe(true);
  }, 240_000);
});
