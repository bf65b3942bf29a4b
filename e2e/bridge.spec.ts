// Everything but Electron, for real: the main-process IPC handlers (main/ipc.ts) are registered
// on a stand-in ipcMain in this test process, and the page runs the exact built preload
// (out/preload/preload.cjs) with a stand-in `electron` module whose ipcRenderer is bridged to
// those handlers through Playwright's exposeBinding (which also tells us the calling frame, so
// the sender checks run on real frame URLs). The session behind it is the FAKE service
// (e2e/fake-service.ts): this proves the IPC path and the renderer, not the storage layer.
import { test, expect, type Page } from '@playwright/test';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { startWebUi, type WebUi } from '../main/web.js';
import { registerIpcHandlers, trustedUrlMatcher, type IpcInvokeEventLike, type IpcMainLike } from '../main/ipc.js';
import { requestNames } from '../shared/ipc.js';
import { FakeWatchscopeService } from './fake-service.js';

const root = path.resolve(import.meta.dirname, '..');

class StandInIpcMain implements IpcMainLike {
  readonly handlers = new Map<string, (event: IpcInvokeEventLike, ...args: unknown[]) => unknown>();
  handle(channel: string, listener: (event: IpcInvokeEventLike, ...args: unknown[]) => unknown) {
    this.handlers.set(channel, listener);
  }
  removeHandler(channel: string) {
    this.handlers.delete(channel);
  }
}

function stubElectronAround(preloadSource: string): string {
  // What Electron gives a sandboxed preload: contextBridge and ipcRenderer, nothing else.
  return `(() => {
    const listeners = new Map();
    Object.defineProperty(window, '__ipcEmit', { value: (channel, payload) => {
      for (const fn of listeners.get(channel) ?? []) fn({ sender: null }, payload);
    } });
    const __electronStandIn = {
      contextBridge: { exposeInMainWorld: (key, api) => { Object.defineProperty(window, key, { value: Object.freeze(api) }); } },
      ipcRenderer: {
        invoke: (channel, ...args) => window.__ipcInvoke(channel, ...args),
        on: (channel, fn) => { if (!listeners.has(channel)) listeners.set(channel, new Set()); listeners.get(channel).add(fn); },
        removeListener: (channel, fn) => { listeners.get(channel)?.delete(fn); },
      },
    };
    const require = (m) => { if (m === 'electron') return __electronStandIn; throw new Error('a sandboxed preload cannot require ' + m); };
    const module = { exports: {} };
    const exports = module.exports;
    // The bundle runs in its own function scope so its top-level names cannot clash with ours.
    (function (require, module, exports) {
      ${preloadSource}
    })(require, module, exports);
  })();`;
}

let ui: WebUi;
let service: FakeWatchscopeService;
let dispose: (() => void) | undefined;

test.beforeAll(async () => {
  service = new FakeWatchscopeService({ watchers: 200, snapshotIntervalMs: 250 });
  // web.ts is used here only to serve the built files over HTTP (module scripts do not load from file://).
  ui = await startWebUi({ service: new FakeWatchscopeService(), rendererDir: path.join(root, 'out', 'renderer') });
});
test.afterAll(async () => {
  dispose?.();
  service?.close();
  await ui?.close();
});

async function bridge(page: Page): Promise<StandInIpcMain> {
  const ipcMain = new StandInIpcMain();
  let alive = true;
  page.on('close', () => (alive = false));
  dispose = registerIpcHandlers({
    ipcMain,
    service,
    webContents: {
      id: 1,
      isDestroyed: () => !alive,
      send: (channel, payload) => {
        void page.evaluate(([c, p]) => (window as unknown as { __ipcEmit(c: string, p: unknown): void }).__ipcEmit(c, p), [channel, payload] as const).catch(() => {});
      },
    },
    isTrustedUrl: trustedUrlMatcher(ui.origin + '/'),
  });
  await page.exposeBinding('__ipcInvoke', async (source, channel: string, ...args: unknown[]) => {
    const handler = ipcMain.handlers.get(channel);
    if (!handler) throw new Error(`No handler registered for '${channel}'`);
    const frame = source.frame;
    return handler({ sender: { id: 1 }, senderFrame: { url: frame.url(), parent: frame.parentFrame() } }, ...args);
  });
  const preload = readFileSync(path.join(root, 'out', 'preload', 'preload.cjs'), 'utf8');
  await page.addInitScript({ content: stubElectronAround(preload) });
  return ipcMain;
}

test('the renderer runs on the real IPC handlers through the exact preload', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await bridge(page);
  await page.goto(ui.url);

  // The preload exposed exactly the contract's named methods, nothing generic.
  const keys = await page.evaluate(() => Object.keys((window as unknown as { watchscope: object }).watchscope).sort());
  expect(keys).toEqual([...requestNames, 'onConnection', 'onConsoleEvent', 'onSnapshot'].sort());
  expect(keys).not.toContain('invoke');

  // The Electron transport was picked (no WebSocket in this page).
  await expect(page.getByTestId('context-kind-dev')).toBeVisible();
  await page.getByTestId('connect-demo').click();
  await expect(page.getByTestId('connection-state')).toHaveAttribute('data-state', 'connected');
  await expect(page.getByTestId('view-watchers')).toBeVisible();
  await expect(page.getByTestId('watcher-row').first()).toBeVisible();
  expect(service.calls.filter((c) => c.method === 'connect')).toEqual([{ method: 'connect', arg: { mode: 'demo', profile: '1.34' } }]);

  // Main validates: a malformed payload from the page never reaches the session.
  const rejected = await page.evaluate(() =>
    (window as unknown as { watchscope: { connect(a: unknown): Promise<unknown> } }).watchscope
      .connect({ mode: 'etcd', endpoints: ['not-a-url'] })
      .then(() => 'accepted', (e: Error) => e.message),
  );
  expect(rejected).toMatch(/invalid connect request: endpoints\.0/);
  expect(service.calls.filter((c) => c.method === 'connect')).toHaveLength(1);

  // Main checks the sender: a subframe (same origin, same bridge) is refused.
  await page.evaluate(() => {
    const f = document.createElement('iframe');
    f.src = '/';
    f.id = 'sub';
    document.body.appendChild(f);
  });
  const sub = await expect.poll(() => page.frames().find((f) => f.parentFrame() !== null)).toBeTruthy().then(() => page.frames().find((f) => f.parentFrame() !== null)!);
  await sub.waitForFunction(() => 'watchscope' in window);
  const fromSubframe = await sub.evaluate(() =>
    (window as unknown as { watchscope: { listProfiles(): Promise<unknown> } }).watchscope.listProfiles().then(() => 'accepted', (e: Error) => e.message),
  );
  expect(fromSubframe).toMatch(/not the main frame/);
  expect(errors).toEqual([]);
});
