// The Console's requests through a real session in etcd mode (a real etcd child, the cachers, the
// HTTPS endpoint): a LIST and a WATCH each come back with the decision the endpoint recorded for
// that very request — the decision log tells the console when it is recorded — a watch streams
// its events until it is stopped, and a bad request is refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsoleEvent } from '../shared/ipc.js';
import { Session } from './session.js';
import { awaitDecision } from './console.js';
import { DecisionLog, type DecisionInput } from './storage/decisions.js';
import { startEtcd, type EtcdProcess } from './storage/etcd/process.js';
import { endpointFromKubeconfig, endpointRequest, until } from './storage/apiserver/testing.js';

let etcd: EtcdProcess;
let session: Session;
const events: ConsoleEvent[] = [];
/** How many listeners the decision log has: the console's must be gone once a request returns. */
const listeners = () => (session.current!.decisions as unknown as { listeners: Set<unknown> }).listeners.size;

beforeAll(async () => {
  etcd = await startEtcd();
  session = new Session({ snapshotIntervalMs: 500 });
  const st = await session.connect({ mode: 'etcd', endpoints: [etcd.endpoint], resources: ['configmaps'] });
  expect(st.state, st.state === 'failed' ? st.message : '').toBe('connected');
  session.onConsoleEvent((e) => events.push(e));
}, 60_000);

afterAll(async () => {
  await session?.close();
  await etcd?.stop();
});

describe('console requests', () => {
  it('a LIST returns its status, a summary of the body and its own decision', async () => {
    const before = listeners();
    const r = await session.runRequest({ verb: 'list', resource: 'configmaps', namespace: 'default', query: {} });
    expect(r.status).toBe(200);
    expect(r.body.kind).toBe('ConfigMapList');
    expect(r.decision?.userAgent).toBe(`watchscope-console/${r.requestId} [${r.requestId}]`);
    expect(r.decision?.verb).toBe('list');
    expect(listeners()).toBe(before);
  });

  it('a WATCH returns at once with its decision, streams its events, and ends when stopped', async () => {
    const before = listeners();
    const r = await session.runRequest({ verb: 'watch', resource: 'configmaps', namespace: 'default', query: {}, maxEvents: 50, maxSeconds: 60 });
    expect(r.status).toBe(200);
    expect(r.watch).toEqual({ maxEvents: 50, maxSeconds: 60 });
    // The endpoint records a watch's decision once it starts it; the log tells the console then.
    expect(r.decision?.userAgent).toBe(`watchscope-console/${r.requestId} [${r.requestId}]`);
    expect(r.decision?.verb).toBe('watch');
    expect(listeners()).toBe(before);

    const st = session.connection();
    expect(st.state === 'connected' && st.kubeconfigPath).toBeTruthy();
    const ep = endpointFromKubeconfig(st.state === 'connected' ? st.kubeconfigPath! : '');
    const created = await endpointRequest(ep, 'console.test', 'POST', '/api/v1/namespaces/default/configmaps', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'seen-by-console' },
      data: { k: 'v' },
    });
    expect(created.status).toBe(201);
    await until(() => events.some((e) => e.requestId === r.requestId && e.type === 'ADDED' && e.name === 'seen-by-console'), 10_000, 'the console watch to see the ADDED event');

    await session.stopWatch({ requestId: r.requestId });
    const mine = events.filter((e) => e.requestId === r.requestId);
    expect(mine.at(-1)).toMatchObject({ type: 'END', message: 'stopped' });
    expect(mine.map((e) => e.seq)).toEqual(mine.map((_, i) => i));
  });

  it('a refused WATCH comes back with its status and its decision', async () => {
    const r = await session.runRequest({ verb: 'watch', resource: 'widgets', namespace: 'default', query: {} });
    expect(r.status).toBe(404);
    expect(r.watch).toBeUndefined();
    expect(r.decision?.userAgent).toBe(`watchscope-console/${r.requestId} [${r.requestId}]`);
  });

  it('refuses a GET without a name', async () => {
    await expect(session.runRequest({ verb: 'get', resource: 'configmaps', query: {} })).rejects.toThrow('GET needs a name.');
  });
});

describe('awaitDecision: the decision log notifies, nothing polls', () => {
  const decision = (userAgent: string): DecisionInput =>
    ({ time: Date.now(), verb: 'watch', resource: 'configmaps', userAgent, servedBy: 'cache', reason: 'watchFromCache', detail: '', rule: '' }) as unknown as DecisionInput;

  it('resolves as soon as the matching decision is recorded, ignoring others', async () => {
    const log = new DecisionLog(10);
    const wait = awaitDecision(log, (d) => d.userAgent === 'me');
    const started = Date.now();
    setTimeout(() => log.record(decision('someone else')), 20);
    setTimeout(() => log.record(decision('me')), 60);
    const d = await wait.within(5_000);
    expect(d?.userAgent).toBe('me');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(wait.now()).toBe(d);
    wait.cancel();
    expect((log as unknown as { listeners: Set<unknown> }).listeners.size).toBe(0);
  });

  it('sees a decision recorded before it is asked, and gives up after its wait with none', async () => {
    const log = new DecisionLog(10);
    const early = awaitDecision(log, (d) => d.userAgent === 'me');
    log.record(decision('me'));
    expect((await early.within(0))?.userAgent).toBe('me');
    early.cancel();
    const none = awaitDecision(log, (d) => d.userAgent === 'nobody');
    const started = Date.now();
    expect(await none.within(50)).toBeUndefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    none.cancel();
  });
});
