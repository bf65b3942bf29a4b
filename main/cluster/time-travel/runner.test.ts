// The session's runner against a real endpoint on a real etcd: an on-demand check, a periodic run
// that stops by itself after `times` checks, a stop, the refusal of a target the connection lacks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApiServer, until, type TestApiServer } from '../../storage/apiserver/testing.js';
import { endpointClient } from './client.js';
import { TimeTravelRunner } from './runner.js';

let h: TestApiServer;
let runner: TimeTravelRunner;

beforeAll(async () => {
  h = await startTestApiServer();
  await h.request('POST', '/api/v1/namespaces', { body: { metadata: { name: 'default' } } });
  await h.request('POST', '/api/v1/namespaces/default/configmaps', { body: { metadata: { name: 'a' } } });
  const { url, token, caPem } = h.server;
  runner = new TimeTravelRunner(() => ({ endpoint: endpointClient({ url, token, caPem }) }));
}, 60_000);
afterAll(async () => {
  runner?.reset();
  await h?.close();
});

describe('TimeTravelRunner', () => {
  it('runs a check on demand and keeps its result', async () => {
    const st = await runner.handle({ action: 'check', resource: 'configmaps', attempts: 2, target: 'endpoint' });
    expect(st.results).toHaveLength(1);
    expect(st.results[0]).toMatchObject({ resource: 'configmaps', target: 'endpoint', summary: { answered: 2, stale: 0 } });
    expect(st.results[0]!.answers[0]!.consistentItems).toBe(1);
  });

  it('refuses the cluster target when the connection has none', async () => {
    await expect(runner.handle({ action: 'check', resource: 'pods', attempts: 1, target: 'cluster' })).rejects.toThrow(/Only a cluster connection/);
    await expect(runner.handle({ action: 'periodic', resource: 'pods', attempts: 1, target: 'cluster', everySeconds: 10, times: 2 })).rejects.toThrow(/Only a cluster connection/);
  });

  it('a periodic run makes `times` checks, then ends by itself; stop ends one early', async () => {
    const before = runner.state().results.length;
    const started = await runner.handle({ action: 'periodic', resource: 'configmaps', attempts: 1, target: 'endpoint', everySeconds: 10, times: 2 });
    expect(started.periodic).toMatchObject({ resource: 'configmaps', everySeconds: 10, times: 2 });
    await until(() => runner.state().periodic === undefined, 40_000, 'the periodic run to end after 2 checks');
    expect(runner.state().results.length).toBe(before + 2);

    await runner.handle({ action: 'periodic', resource: 'configmaps', attempts: 1, target: 'endpoint', everySeconds: 3600, times: 100 });
    await until(() => runner.state().periodic?.done === 1, 20_000, 'the first periodic check');
    const stopped = await runner.handle({ action: 'stop' });
    expect(stopped.periodic).toBeUndefined();
    expect(stopped.results.length).toBe(before + 3);
  }, 60_000);
});
