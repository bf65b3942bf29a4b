// Web mode transport: the contract over one WebSocket to the page's own origin. The session
// cookie set when the one-time token was exchanged authenticates the upgrade.
import {
  createServiceClient,
  requestNames,
  requests,
  WEB_SOCKET_PATH,
  type Envelope,
  type WsServerMessage,
} from '../../../shared/ipc.js';
import type { Backend, TransportState } from './backend.js';

const MAX_PENDING = 256;
const methodOfChannel = new Map<string, string>(requestNames.map((n) => [requests[n].channel, n]));

export function createWebSocketBackend(loc: Pick<Location, 'protocol' | 'host'>): Backend {
  const url = `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}${WEB_SOCKET_PATH}`;
  let ws: WebSocket | null = null;
  let nextId = 1;
  let retryMs = 500;
  const pending = new Map<number, (env: Envelope) => void>();
  const queue: { id: number; msg: string }[] = [];
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  const transportListeners = new Set<(s: TransportState) => void>();

  const emitTransport = (s: TransportState) => transportListeners.forEach((fn) => fn(s));

  function open(): void {
    const sock = new WebSocket(url);
    ws = sock;
    sock.onopen = () => {
      retryMs = 500;
      emitTransport({ state: 'open' });
      for (const q of queue.splice(0)) sock.send(q.msg);
    };
    sock.onmessage = (ev) => {
      let m: WsServerMessage;
      try {
        m = JSON.parse(String(ev.data)) as WsServerMessage;
      } catch {
        return;
      }
      if (m.t === 'result') {
        const done = pending.get(m.id);
        pending.delete(m.id);
        done?.(m.env);
      } else if (m.t === 'stream') {
        listeners.get(m.channel)?.forEach((fn) => fn(m.payload));
      }
    };
    sock.onclose = (ev) => {
      ws = null;
      // Calls already sent may or may not have run: fail them. Calls still queued go out on reconnect.
      const queued = new Set(queue.map((q) => q.id));
      for (const [id, done] of pending) {
        if (queued.has(id)) continue;
        pending.delete(id);
        done({ ok: false, error: { message: 'connection to watchscope lost' } });
      }
      const message =
        ev.code === 1006 || ev.code === 1000
          ? 'Lost the connection to the watchscope process. If it was stopped, start it again and open the new URL it prints.'
          : `Connection closed (${ev.code} ${ev.reason})`;
      emitTransport({ state: 'closed', retryInMs: retryMs, message });
      setTimeout(open, retryMs);
      retryMs = Math.min(retryMs * 2, 10_000);
    };
  }
  open();

  const client = createServiceClient({
    call(channel, arg) {
      return new Promise<Envelope>((resolve) => {
        if (pending.size >= MAX_PENDING) {
          resolve({ ok: false, error: { message: 'too many requests in flight' } });
          return;
        }
        const id = nextId++;
        pending.set(id, resolve);
        const method = methodOfChannel.get(channel) ?? channel;
        const msg = JSON.stringify({ t: 'call', id, method, ...(arg === undefined ? {} : { arg }) });
        if (ws && ws.readyState === WebSocket.OPEN) ws.send(msg);
        else queue.push({ id, msg });
      });
    },
    subscribe(channel, fn) {
      let set = listeners.get(channel);
      if (!set) listeners.set(channel, (set = new Set()));
      set.add(fn);
      return () => set.delete(fn);
    },
  });
  return Object.assign(client, {
    transport: 'web' as const,
    onTransportState(fn: (s: TransportState) => void) {
      transportListeners.add(fn);
      return () => transportListeners.delete(fn);
    },
  });
}
