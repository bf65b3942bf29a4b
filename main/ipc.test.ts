import { describe, expect, it, vi } from 'vitest';

// Importing electron outside an Electron process would try to download a binary; the IPC
// binding must never need it. If anything under test imports it, this mock makes the test fail.
vi.mock('electron', () => {
  throw new Error('main/ipc.ts must not import electron');
});

import { checkSender, registerIpcHandlers, trustedUrlMatcher, type IpcInvokeEventLike, type IpcMainLike } from './ipc.js';
import { requests, streams, type Envelope, type WatchscopeService } from '../shared/ipc.js';
import type { ConnectionState } from '../shared/model.js';

class StandInIpcMain implements IpcMainLike {
  readonly handlers = new Map<string, (event: IpcInvokeEventLike, ...args: unknown[]) => unknown>();
  handle(channel: string, listener: (event: IpcInvokeEventLike, ...args: unknown[]) => unknown): void {
    if (this.handlers.has(channel)) throw new Error(`second handler for ${channel}`);
    this.handlers.set(channel, listener);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
  async invoke(channel: string, event: IpcInvokeEventLike, ...args: unknown[]): Promise<Envelope> {
    const h = this.handlers.get(channel);
    if (!h) throw new Error(`No handler registered for '${channel}'`);
    return (await h(event, ...args)) as Envelope;
  }
}

const RENDERER = 'file:///opt/watchscope/out/renderer/index.html';

function setup() {
  const connectionListeners = new Set<(c: ConnectionState) => void>();
  const service = {
    listContexts: vi.fn(async () => ({ contexts: [] })),
    listProfiles: vi.fn(async () => ({ current: '1.34', profiles: [] })),
    connect: vi.fn(async () => ({ state: 'connecting' as const, mode: 'demo' as const })),
    disconnect: vi.fn(async () => ({ state: 'disconnected' as const })),
    setProfile: vi.fn(async () => ({ current: '1.27', profiles: [] })),
    runRequest: vi.fn(async () => ({ requestId: 'r', status: 200, body: {} })),
    stopWatch: vi.fn(async () => {}),
    whatIf: vi.fn(async () => ({ rows: [] })),
    getDecisions: vi.fn(async () => ({ decisions: [], lastDecisionId: 0 })),
    setWorkload: vi.fn(async () => ({ writesPerSecond: 0, kubelets: 0, informers: 0 })),
    setRecording: vi.fn(async () => ({})),
    replayControl: vi.fn(async () => { throw new Error('live'); }),
    sessionReport: vi.fn(async () => ({ fileName: 'r.html', html: '<html></html>' })),
    checkConsistency: vi.fn(async () => ({ results: [] })),
    timeTravel: vi.fn(async () => ({ results: [] })),
    rerunReplay: vi.fn(async () => { throw new Error('live'); }),
    getClients: vi.fn(async () => ({ minutes: 1, from: 0, to: 60_000, sources: { endpoint: 0, audit: 0 }, userAgents: [], users: [], folded: { userAgents: 0, users: 0 } })),
    upgradeReport: vi.fn(async () => { throw new Error('no reads'); }),
    onSnapshot: () => () => {},
    onConnection: (fn: (c: ConnectionState) => void) => {
      connectionListeners.add(fn);
      return () => connectionListeners.delete(fn);
    },
    onConsoleEvent: () => () => {},
  } satisfies WatchscopeService;
  const sent: [string, unknown][] = [];
  const webContents = { id: 7, destroyed: false, send: (c: string, p: unknown) => sent.push([c, p]), isDestroyed() { return this.destroyed; } };
  const ipcMain = new StandInIpcMain();
  const dispose = registerIpcHandlers({ ipcMain, service, webContents, isTrustedUrl: trustedUrlMatcher(RENDERER) });
  const good: IpcInvokeEventLike = { sender: { id: 7 }, senderFrame: { url: RENDERER + '#/watchers', parent: null } };
  return { service, ipcMain, webContents, sent, dispose, good, connectionListeners };
}

describe('registerIpcHandlers', () => {
  it('registers one handler per request channel and serves a valid call from our main frame', async () => {
    const { ipcMain, service, good } = setup();
    expect([...ipcMain.handlers.keys()].sort()).toEqual(Object.values(requests).map((r) => r.channel).sort());
    const env = await ipcMain.invoke(requests.connect.channel, good, { mode: 'demo', profile: '1.27' });
    expect(env).toEqual({ ok: true, value: { state: 'connecting', mode: 'demo' } });
    expect(service.connect).toHaveBeenCalledWith({ mode: 'demo', profile: '1.27' });
  });

  it('rejects senders that are not our window, not the main frame, or from another origin', async () => {
    const { ipcMain, service, good } = setup();
    const bad: [IpcInvokeEventLike, RegExp][] = [
      [{ ...good, sender: { id: 8 } }, /not the watchscope window/],
      [{ ...good, senderFrame: { url: RENDERER, parent: {} } }, /not the main frame/],
      [{ ...good, senderFrame: { url: 'https://evil.example/index.html', parent: null } }, /not trusted/],
      [{ ...good, senderFrame: { url: 'file:///tmp/other/index.html', parent: null } }, /not trusted/],
      [{ ...good, senderFrame: null }, /gone/],
    ];
    for (const [event, why] of bad) {
      const env = await ipcMain.invoke(requests.connect.channel, event, { mode: 'demo' });
      expect(env.ok).toBe(false);
      expect(!env.ok && env.error.code).toBe('forbidden');
      expect(!env.ok && env.error.message).toMatch(why);
    }
    expect(service.connect).not.toHaveBeenCalled();
  });

  it('rejects invalid payloads and extra arguments before the session sees them', async () => {
    const { ipcMain, service, good } = setup();
    for (const payload of [{ mode: 'etcd', endpoints: ['x'] }, { mode: 'demo', extra: 1 }, 'demo', null]) {
      const env = await ipcMain.invoke(requests.connect.channel, good, payload);
      expect(!env.ok && env.error.code).toBe('invalid');
    }
    const env = await ipcMain.invoke(requests.getDecisions.channel, good, { since: 0 }, 'second');
    expect(!env.ok && env.error.code).toBe('invalid');
    const env2 = await ipcMain.invoke(requests.runRequest.channel, good, { verb: 'delete', resource: 'pods' });
    expect(!env2.ok && env2.error.code).toBe('invalid');
    expect(service.connect).not.toHaveBeenCalled();
    expect(service.getDecisions).not.toHaveBeenCalled();
    expect(service.runRequest).not.toHaveBeenCalled();
  });

  it('answers hostile payloads (bad escapes, lone surrogates, oversized, cyclic-looking, prototype keys) and keeps serving', async () => {
    const { ipcMain, service, good } = setup();
    const hostile: unknown[] = [
      { mode: 'etcd', endpoints: ['http://%E0%A4%A'] },
      { mode: 'etcd', endpoints: ['http://[/'] },
      { mode: 'kube', context: 'c'.repeat(300 * 1024) },
      { mode: 'demo', __proto__: { mode: 'etcd' }, constructor: 1 },
      { mode: 'etcd', endpoints: Array.from({ length: 10_000 }, () => 'http://127.0.0.1:2379') },
      Buffer.from([0xc3, 0x28, 0xff]),
      Symbol('x'),
      () => 1,
      Number.NaN,
    ];
    for (const payload of hostile) {
      const env = await ipcMain.invoke(requests.connect.channel, good, payload);
      expect(env.ok).toBe(false);
      expect(!env.ok && env.error.code).toBe('invalid');
    }
    expect(service.connect).not.toHaveBeenCalled();
    // What the schema lets through and the session then fails on comes back as an error envelope.
    service.connect.mockRejectedValueOnce(new Error('no such context'));
    const thrown = await ipcMain.invoke(requests.connect.channel, good, { mode: 'kube', context: '\ud800', kubeconfig: '/x' });
    expect(thrown).toEqual({ ok: false, error: { message: 'no such context' } });
    const env = await ipcMain.invoke(requests.connect.channel, good, { mode: 'demo' });
    expect(env.ok).toBe(true);
  });

  it('pushes streams to the window while it lives, and disposes cleanly', async () => {
    const { ipcMain, webContents, sent, dispose, connectionListeners } = setup();
    connectionListeners.forEach((fn) => fn({ state: 'connected' }));
    expect(sent).toEqual([[streams.connection.channel, { state: 'connected' }]]);
    webContents.destroyed = true;
    connectionListeners.forEach((fn) => fn({ state: 'failed' }));
    expect(sent).toHaveLength(1);
    dispose();
    expect(ipcMain.handlers.size).toBe(0);
    expect(connectionListeners.size).toBe(0);
  });
});

describe('trustedUrlMatcher', () => {
  it('matches the exact file for file URLs and the origin for a dev server', () => {
    const f = trustedUrlMatcher(RENDERER);
    expect(f(RENDERER + '?x=1')).toBe(true);
    expect(f('file:///opt/watchscope/out/renderer/other.html')).toBe(false);
    expect(f('not a url')).toBe(false);
    const d = trustedUrlMatcher('http://localhost:5173');
    expect(d('http://localhost:5173/src/x')).toBe(true);
    expect(d('http://localhost:5174/')).toBe(false);
    expect(checkSender({ sender: { id: 1 }, senderFrame: { url: 'http://localhost:5173/', parent: null } }, { webContents: { id: 1, send() {}, isDestroyed: () => false }, isTrustedUrl: d })).toEqual({ ok: true });
  });

  it('trusts the app:// origin only, not every URL of some custom scheme (their URL.origin is "null" alike)', () => {
    const a = trustedUrlMatcher('app://watchscope/index.html');
    expect(a('app://watchscope/index.html#/requests')).toBe(true);
    expect(a('app://watchscope/assets/x.js')).toBe(true);
    for (const u of ['app://other/index.html', 'evil://watchscope/index.html', 'chrome-extension://abc/x.html', 'data:text/html,x', 'app://user@watchscope/index.html', 'https://watchscope/index.html']) {
      expect(a(u), u).toBe(false);
    }
  });
});
