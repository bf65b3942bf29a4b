// The renderer talks to one Backend; which transport carries it is chosen once at start
// (Electron preload bridge, else the web mode WebSocket) and injected through Svelte context,
// so views and tests never know which one they have.
import { getContext, setContext } from 'svelte';
import type { WatchscopeService } from '../../../shared/ipc.js';
import { createWebSocketBackend } from './ws-backend.js';

export type Backend = WatchscopeService & {
  /** 'electron' or 'web', for the header. */
  readonly transport: 'electron' | 'web';
  /** Web mode: the socket's own state (the session's connection state is separate). */
  onTransportState?(fn: (s: TransportState) => void): () => void;
};

export type TransportState = { state: 'open' } | { state: 'closed'; retryInMs: number; message: string };

export function pickBackend(win: Window = window): Backend {
  const bridged = win.watchscope;
  if (bridged) return Object.assign(Object.create(null), bridged, { transport: 'electron' as const });
  return createWebSocketBackend(win.location);
}

const KEY = Symbol('watchscope.backend');
export function setBackend(b: Backend): void {
  setContext(KEY, b);
}
export function getBackend(): Backend {
  const b = getContext<Backend | undefined>(KEY);
  if (!b) throw new Error('no Backend in context');
  return b;
}
