// Binds the shared contract to Electron IPC. It takes an ipcMain-like object instead of importing
// electron, so tests drive it with a stand-in and the module loads in plain Node.
//
// Every handler first checks who is calling (only the main frame of our own window, loaded from
// our own origin; compare VS Code's validated IPC wrapper), then validates the payload with the
// contract's schema; anything else is rejected before it reaches the session.
import {
  dispatchRequest,
  requestNames,
  requests,
  streamNames,
  streams,
  streamSubscriptions,
  type Envelope,
  type WatchscopeService,
} from '../shared/ipc.js';
import { isAppOrigin } from './shell-policy.js';

/** The parts of Electron's IpcMainInvokeEvent we rely on. */
export interface IpcInvokeEventLike {
  sender: { id: number };
  senderFrame: { url: string; parent: unknown | null } | null;
}

export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcInvokeEventLike, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
}

export interface WebContentsLike {
  readonly id: number;
  send(channel: string, payload: unknown): void;
  isDestroyed(): boolean;
}

export interface IpcBindingOptions {
  ipcMain: IpcMainLike;
  service: WatchscopeService;
  /** The window's webContents (streams go there; only it may call). */
  webContents: WebContentsLike;
  /** Whether a frame URL is our renderer (file URL of the built index.html, or the dev server). */
  isTrustedUrl(url: string): boolean;
}

export type SenderVerdict = { ok: true } | { ok: false; why: string };

export function checkSender(event: IpcInvokeEventLike, opts: Pick<IpcBindingOptions, 'webContents' | 'isTrustedUrl'>): SenderVerdict {
  if (!event || !event.sender || event.sender.id !== opts.webContents.id) return { ok: false, why: 'sender is not the watchscope window' };
  const frame = event.senderFrame;
  // A null frame means it navigated away or was destroyed while the message was in flight.
  if (!frame) return { ok: false, why: 'sender frame is gone' };
  if (frame.parent !== null && frame.parent !== undefined) return { ok: false, why: 'sender is not the main frame' };
  if (!opts.isTrustedUrl(frame.url)) return { ok: false, why: `sender origin not trusted: ${frame.url}` };
  return { ok: true };
}

/**
 * Build the URL check for a renderer loaded from the app:// scheme, a dev server URL or a file
 * (the browser suite). For files, the exact index.html path must match (ignoring query and hash);
 * otherwise scheme, host and port must match.
 */
export function trustedUrlMatcher(rendererUrl: string): (url: string) => boolean {
  const expected = new URL(rendererUrl);
  return (url: string) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return false;
    }
    if (expected.protocol === 'file:') return u.protocol === 'file:' && u.pathname === expected.pathname;
    // Not URL.origin: that is "null" for every app:// URL (and any other custom scheme) alike.
    return isAppOrigin(url, rendererUrl);
  };
}

/** Registers every request handler and forwards the streams. Returns a function undoing both. */
export function registerIpcHandlers(opts: IpcBindingOptions): () => void {
  const { ipcMain, service, webContents } = opts;
  for (const name of requestNames) {
    ipcMain.handle(requests[name].channel, async (event, ...args): Promise<Envelope> => {
      const verdict = checkSender(event, opts);
      if (!verdict.ok) return { ok: false, error: { code: 'forbidden', message: verdict.why } };
      if (args.length > 1) return { ok: false, error: { code: 'invalid', message: `${name} takes at most one argument` } };
      return dispatchRequest(service, name, args[0]);
    });
  }
  const unsubscribers = streamNames.map((s) => {
    const subscribe = service[streamSubscriptions[s]] as (fn: (p: unknown) => void) => () => void;
    return subscribe.call(service, (payload: unknown) => {
      if (!webContents.isDestroyed()) webContents.send(streams[s].channel, payload);
    });
  });
  return () => {
    for (const name of requestNames) ipcMain.removeHandler(requests[name].channel);
    for (const u of unsubscribers) u();
  };
}
