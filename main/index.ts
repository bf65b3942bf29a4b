// The Electron shell: one window with the renderer sandboxed, the contract bound over IPC, and
// nothing else. All behaviour lives in the session (storage layer, telemetry, workload), which
// never imports electron and is shared with the CLI and web mode.
import { app, BrowserWindow, ipcMain, protocol, session as electronSession, shell, type Event as ElectronEvent } from 'electron';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { registerIpcHandlers, trustedUrlMatcher } from './ipc.js';
import { CONTENT_SECURITY_POLICY } from './web.js';
import { createSession } from './session.js';
import { APP_ENTRY_URL, APP_SCHEME, APP_SCHEME_PRIVILEGES, allowNavigation, appSchemeResponse, devRendererUrl, windowOpenVerdict } from './shell-policy.js';
import type { WatchscopeService } from '../shared/ipc.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const rendererDir = path.join(here, '../renderer');
/** app://watchscope/index.html, or the dev server under `npm run dev` (see shell-policy.ts). */
const rendererUrl = devRendererUrl(process.argv, process.env, app.isPackaged) ?? APP_ENTRY_URL;

// Must happen before 'ready'.
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: APP_SCHEME_PRIVILEGES }]);

// Every web contents the app ever creates — this window, a future one, a webview someone adds —
// gets the same rules: no new windows (documentation links go to the user's browser), no
// navigation off the app's origin, no webviews.
app.on('web-contents-created', (_e, contents) => {
  contents.setWindowOpenHandler(({ url }) => {
    const verdict = windowOpenVerdict(url);
    if (verdict.openExternally) void shell.openExternal(url);
    return { action: verdict.action };
  });
  const guard = (e: ElectronEvent, url: string) => {
    if (!allowNavigation(url, rendererUrl)) e.preventDefault();
  };
  contents.on('will-navigate', (e) => guard(e, e.url));
  contents.on('will-frame-navigate', (e) => guard(e, e.url));
  contents.on('will-redirect', (e) => guard(e, e.url));
  contents.on('will-attach-webview', (e) => e.preventDefault());
});

async function createWindow(service: WatchscopeService): Promise<void> {
  const url = rendererUrl;
  const win = new BrowserWindow({
    width: 1400,
    height: 900,
    minWidth: 900,
    minHeight: 600,
    title: 'watchscope',
    show: false,
    webPreferences: {
      preload: path.join(here, '../preload/preload.cjs'),
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      webSecurity: true,
      webviewTag: false,
      spellcheck: false,
    },
  });
  win.once('ready-to-show', () => win.show());

  const dispose = registerIpcHandlers({
    ipcMain,
    service,
    webContents: win.webContents,
    isTrustedUrl: trustedUrlMatcher(url),
  });
  win.on('closed', dispose);

  await win.loadURL(url);
}

async function main(): Promise<void> {
  await app.whenReady();

  protocol.handle(APP_SCHEME, (req) => appSchemeResponse(rendererDir, req.url));
  const ses = electronSession.defaultSession;
  // app:// responses carry the policy themselves; this header covers the dev server, and
  // index.html carries the same policy as a meta tag.
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] },
    });
  });
  ses.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);

  // `watchscope replay FILE` opens the window on a recording instead of a live session.
  const replayAt = process.argv.indexOf('--replay');
  const replayFile = replayAt > 0 ? process.argv[replayAt + 1] : undefined;
  const service: WatchscopeService = replayFile ? new (await import('./recording/replay.js')).ReplayService(replayFile) : await createSession();
  await createWindow(service);
  // `watchscope demo` opens the window with the demo already connecting.
  if (process.argv.includes('--demo')) void service.connect({ mode: 'demo' });

  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) void createWindow(service);
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  let closing = false;
  app.on('before-quit', (e) => {
    const closable = service as WatchscopeService & { close?: () => Promise<void> };
    if (closing || typeof closable.close !== 'function') return;
    // Let the session stop its etcd child and watches before the process exits.
    e.preventDefault();
    closing = true;
    closable
      .close()
      .catch((err: unknown) => console.error('watchscope: session close failed:', err))
      .finally(() => app.quit());
  });
}

main().catch((err: unknown) => {
  console.error('watchscope failed to start:', err);
  app.exit(1);
});
