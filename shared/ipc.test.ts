import { describe, expect, it, vi } from 'vitest';
import {
  ConnectRequest,
  ConsoleRequest,
  createServiceClient,
  dispatchRequest,
  GetDecisionsRequest,
  parseRequest,
  requestNames,
  requests,
  SetProfileRequest,
  streamNames,
  streams,
  WorkloadSettings,
  type Envelope,
  type WatchscopeService,
} from './ipc.js';

function fakeService(overrides: Partial<WatchscopeService> = {}): WatchscopeService {
  const none = () => () => {};
  return {
    listContexts: vi.fn(async () => ({ contexts: [] })),
    listProfiles: vi.fn(async () => ({ current: '1.34', profiles: [] })),
    connect: vi.fn(async () => ({ state: 'connecting' as const })),
    disconnect: vi.fn(async () => ({ state: 'disconnected' as const })),
    setProfile: vi.fn(async () => ({ current: '1.27', profiles: [] })),
    runRequest: vi.fn(async () => ({ requestId: 'r1', status: 200, body: {} })),
    stopWatch: vi.fn(async () => {}),
    whatIf: vi.fn(async () => ({ rows: [] })),
    getDecisions: vi.fn(async () => ({ decisions: [], lastDecisionId: 0 })),
    setWorkload: vi.fn(async () => ({ writesPerSecond: 1, kubelets: 0, informers: 0 })),
    setRecording: vi.fn(async () => ({})),
    replayControl: vi.fn(async () => { throw new Error('live'); }),
    sessionReport: vi.fn(async () => ({ fileName: 'r.html', html: '<html></html>' })),
    checkConsistency: vi.fn(async () => ({ results: [] })),
    timeTravel: vi.fn(async () => ({ results: [] })),
    rerunReplay: vi.fn(async () => { throw new Error('live'); }),
    getClients: vi.fn(async () => ({ minutes: 1, from: 0, to: 60_000, sources: { endpoint: 0, audit: 0 }, userAgents: [], users: [], folded: { userAgents: 0, users: 0 } })),
    upgradeReport: vi.fn(async () => { throw new Error('no reads'); }),
    onSnapshot: none,
    onConnection: none,
    onConsoleEvent: none,
    ...overrides,
  };
}

describe('contract tables', () => {
  it('has unique channel names for requests and streams', () => {
    const all = [...requestNames.map((n) => requests[n].channel), ...streamNames.map((s) => streams[s].channel)];
    expect(new Set(all).size).toBe(all.length);
    for (const c of all) expect(c).toMatch(/^watchscope:/);
  });
});

describe('ConnectRequest', () => {
  it('accepts the three modes', () => {
    expect(ConnectRequest.safeParse({ mode: 'demo' }).success).toBe(true);
    expect(
      ConnectRequest.safeParse({
        mode: 'etcd',
        endpoints: ['https://10.0.0.1:2379', 'http://127.0.0.1:2379'],
        caFile: '/pki/ca.crt',
        certFile: '/pki/c.crt',
        keyFile: '/pki/c.key',
        prefix: '/registry',
        resources: ['pods', 'leases.coordination.k8s.io'],
        profile: '1.27',
      }).success,
    ).toBe(true);
    expect(ConnectRequest.safeParse({ mode: 'kube', context: 'kind-kind', kubeconfig: '/home/u/.kube/config' }).success).toBe(true);
  });
  it('rejects unknown modes, missing fields, extra keys and bad endpoints', () => {
    expect(ConnectRequest.safeParse({ mode: 'ssh' }).success).toBe(false);
    expect(ConnectRequest.safeParse({ mode: 'kube' }).success).toBe(false);
    expect(ConnectRequest.safeParse({ mode: 'etcd', endpoints: [] }).success).toBe(false);
    expect(ConnectRequest.safeParse({ mode: 'etcd', endpoints: ['127.0.0.1:2379'] }).success).toBe(false);
    expect(ConnectRequest.safeParse({ mode: 'etcd', endpoints: ['http://a:1/x/y'] }).success).toBe(false);
    expect(ConnectRequest.safeParse({ mode: 'demo', password: 'x' }).success).toBe(false);
    expect(ConnectRequest.safeParse({ mode: 'etcd', endpoints: ['http://a:1'], prefix: 'registry' }).success).toBe(false);
    expect(ConnectRequest.safeParse({ mode: 'demo', resources: ['Pods; rm -rf'] }).success).toBe(false);
  });
});

describe('ConsoleRequest', () => {
  it('accepts a paginated list and a watch-list request', () => {
    const list = ConsoleRequest.parse({ verb: 'list', resource: 'pods', query: { limit: '500', resourceVersion: '', continue: 'abc' } });
    expect(list.query.limit).toBe('500');
    const watch = ConsoleRequest.parse({
      verb: 'watch',
      resource: 'configmaps',
      namespace: 'kube-system',
      query: { sendInitialEvents: 'true', resourceVersionMatch: 'NotOlderThan', allowWatchBookmarks: 'true' },
      maxEvents: 100,
      maxSeconds: 30,
    });
    expect(watch.maxEvents).toBe(100);
  });
  it('defaults an omitted query to {}', () => {
    expect(ConsoleRequest.parse({ verb: 'get', resource: 'pods', name: 'p' }).query).toEqual({});
  });
  it('rejects writes, unknown query keys, bad RVs and unbounded watches', () => {
    expect(ConsoleRequest.safeParse({ verb: 'delete', resource: 'pods' }).success).toBe(false);
    expect(ConsoleRequest.safeParse({ verb: 'list', resource: 'pods', query: { pretty: 'true' } }).success).toBe(false);
    expect(ConsoleRequest.safeParse({ verb: 'list', resource: 'pods', query: { resourceVersion: '12a' } }).success).toBe(false);
    expect(ConsoleRequest.safeParse({ verb: 'list', resource: 'pods', query: { resourceVersionMatch: 'Latest' } }).success).toBe(false);
    expect(ConsoleRequest.safeParse({ verb: 'list', resource: 'pods', query: { limit: '-1' } }).success).toBe(false);
    expect(ConsoleRequest.safeParse({ verb: 'watch', resource: 'pods', maxEvents: 1_000_000 }).success).toBe(false);
    expect(ConsoleRequest.safeParse({ verb: 'watch', resource: 'pods', maxSeconds: 3600 }).success).toBe(false);
    expect(ConsoleRequest.safeParse({ verb: 'list', resource: '../secrets' }).success).toBe(false);
  });
});

describe('other requests', () => {
  it('validates profile, decisions and workload payloads', () => {
    expect(SetProfileRequest.safeParse({ name: '1.27', gates: { ConsistentListFromCache: true } }).success).toBe(true);
    expect(SetProfileRequest.safeParse({ name: '1.27', gates: { 'bad gate': true } }).success).toBe(false);
    expect(SetProfileRequest.safeParse({ name: '1.27', gates: { WatchList: 'yes' } }).success).toBe(false);
    expect(GetDecisionsRequest.safeParse({ since: 0 }).success).toBe(true);
    expect(GetDecisionsRequest.safeParse({ since: -1 }).success).toBe(false);
    expect(GetDecisionsRequest.safeParse({ since: 0, max: 10_000_000 }).success).toBe(false);
    expect(WorkloadSettings.safeParse({ writesPerSecond: 200, kubelets: 50, informers: 3, scenario: 'watch-storm' }).success).toBe(true);
    expect(WorkloadSettings.safeParse({ scenario: null }).success).toBe(true);
    expect(WorkloadSettings.safeParse({ writesPerSecond: -5 }).success).toBe(false);
  });
  it('validates time-travel requests: a resource name, N bounded, a known target, a bounded period', () => {
    const ok = (v: unknown) => parseRequest('timeTravel', v).ok;
    expect(ok({ action: 'check', resource: 'deployments.apps', attempts: 50, target: 'cluster' })).toBe(true);
    expect(ok({ action: 'periodic', resource: 'pods', attempts: 3, target: 'endpoint', everySeconds: 30, times: 100 })).toBe(true);
    expect(ok({ action: 'status' })).toBe(true);
    expect(ok({ action: 'stop' })).toBe(true);
    expect(ok({ action: 'check', resource: 'pods', attempts: 51, target: 'cluster' })).toBe(false);
    expect(ok({ action: 'check', resource: 'pods', attempts: 0, target: 'cluster' })).toBe(false);
    expect(ok({ action: 'check', resource: 'pods', attempts: 2.5, target: 'cluster' })).toBe(false);
    expect(ok({ action: 'check', resource: '../secrets', attempts: 1, target: 'cluster' })).toBe(false);
    expect(ok({ action: 'check', resource: 'pods', attempts: 1, target: 'https://evil.example' })).toBe(false);
    expect(ok({ action: 'check', resource: 'pods', attempts: 1, target: 'cluster', kubeconfig: '/etc/passwd' })).toBe(false);
    expect(ok({ action: 'periodic', resource: 'pods', attempts: 1, target: 'cluster', everySeconds: 1, times: 5 })).toBe(false);
    expect(ok({ action: 'periodic', resource: 'pods', attempts: 1, target: 'cluster', everySeconds: 30, times: 1000 })).toBe(false);
  });
  it('no-argument requests reject any argument', () => {
    expect(parseRequest('listContexts', undefined).ok).toBe(true);
    expect(parseRequest('listContexts', { path: '/etc/passwd' }).ok).toBe(false);
    expect(parseRequest('disconnect', 'now').ok).toBe(false);
  });
});

describe('dispatchRequest', () => {
  it('calls the service with the parsed payload', async () => {
    const svc = fakeService();
    const env = await dispatchRequest(svc, 'connect', { mode: 'demo' });
    expect(env).toEqual({ ok: true, value: { state: 'connecting' } });
    expect(svc.connect).toHaveBeenCalledWith({ mode: 'demo' });
  });
  it('rejects an invalid payload without calling the service, naming the field', async () => {
    const svc = fakeService();
    const env = await dispatchRequest(svc, 'connect', { mode: 'etcd', endpoints: ['nope'] });
    expect(env.ok).toBe(false);
    expect(!env.ok && env.error.code).toBe('invalid');
    expect(!env.ok && env.error.message).toMatch(/endpoints\.0/);
    expect(svc.connect).not.toHaveBeenCalled();
  });
  it('turns a thrown error into an error envelope', async () => {
    const svc = fakeService({
      connect: async () => {
        throw Object.assign(new Error('etcd at http://127.0.0.1:1 refused the connection'), { code: 'unavailable' });
      },
    });
    expect(await dispatchRequest(svc, 'connect', { mode: 'demo' })).toEqual({
      ok: false,
      error: { message: 'etcd at http://127.0.0.1:1 refused the connection', code: 'unavailable' },
    });
  });
});

describe('createServiceClient', () => {
  it('maps each method to its channel, unwraps results, throws errors and routes streams', async () => {
    const svc = fakeService({
      whatIf: async () => {
        throw new Error('not connected');
      },
    });
    const handlers = new Map<string, Set<(p: unknown) => void>>();
    const calls: string[] = [];
    const client = createServiceClient({
      async call(channel, arg): Promise<Envelope> {
        calls.push(channel);
        const name = requestNames.find((n) => requests[n].channel === channel)!;
        return dispatchRequest(svc, name, arg);
      },
      subscribe(channel, fn) {
        if (!handlers.has(channel)) handlers.set(channel, new Set());
        handlers.get(channel)!.add(fn);
        return () => handlers.get(channel)!.delete(fn);
      },
    });
    expect(await client.disconnect()).toEqual({ state: 'disconnected' });
    expect(await client.stopWatch({ requestId: 'r1' })).toBeUndefined();
    await expect(client.whatIf({ verb: 'list', resource: 'pods' })).rejects.toThrow('not connected');
    await expect(client.getDecisions({ since: -3 })).rejects.toThrow(/invalid getDecisions/);
    expect(calls).toEqual([
      requests.disconnect.channel,
      requests.stopWatch.channel,
      requests.whatIf.channel,
      requests.getDecisions.channel,
    ]);
    const got: unknown[] = [];
    const off = client.onConnection((c) => got.push(c));
    handlers.get(streams.connection.channel)!.forEach((fn) => fn({ state: 'connected' }));
    off();
    handlers.get(streams.connection.channel)!.forEach((fn) => fn({ state: 'failed' }));
    expect(got).toEqual([{ state: 'connected' }]);
  });
});
