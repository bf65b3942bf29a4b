// The Electron shell: one window with the renderer sandboxed, the contract bound over IPC, and
// nothing else. All behaviour lives in the session (storage layer, telemetry, workload), which
// never imports electron and is shared with the CLI and web mode.
import { app, BrowserWindow, ipcMain, session as electronSession, shell } from 'electron';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import { registerIpcHandlers, trustedUrlMatcher } from './ipc.js';
import { CONTENT_SECURITY_POLICY } from './web.js';
import { createSession } from './session.js';
import type { WatchscopeService } from '../shared/ipc.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** electron-vite sets ELECTRON_RENDERER_URL when running the dev server. */
function rendererUrl(): string {
  const dev = process.env['ELECTRON_RENDERER_URL'];
  if (!app.isPackaged && dev) return dev;
  return pathToFileURL(path.join(here, '../renderer/index.html')).href;
}

function isHttpsUrl(url: string): boolean {
  try {
    return new URL(url).protocol === 'https:';
  } catch {
    return false;
  }
}

async function createWindow(service: WatchscopeService): Promise<void> {
  const url = rendererUrl();
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

  // The renderer is a local single page: it never navigates, and links to documentation open
  // in the user's browser, https only.
  win.webContents.on('will-navigate', (e) => e.preventDefault());
  win.webContents.on('will-redirect', (e) => e.preventDefault());
  win.webContents.setWindowOpenHandler(({ url: target }) => {
    if (isHttpsUrl(target)) void shell.openExternal(target);
    return { action: 'deny' };
  });
  win.webContents.on('will-attach-webview', (e) => e.preventDefault());

  await win.loadURL(url);
}

async function main(): Promise<void> {
  await app.whenReady();

  const ses = electronSession.defaultSession;
  // The header covers the dev server; index.html carries the same policy as a meta tag for file://.
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
