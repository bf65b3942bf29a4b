// Child-process side of bench/side-by-side.ts: many watch clients over HTTPS with a bearer token,
// each on its own TLS connection as separate client-go informers would be. Lines are scanned as
// bytes (no JSON parse per event), so the client costs as little as it can; the same client reads
// both servers. Fan-out: the latency of each event is its arrival time minus the stamp the writer
// put into the ConfigMap. Initial state: the time until every watcher has its N initial events.
import type { ClientRequest } from 'node:http';
import { Agent, request } from 'node:https';
import { wallNow } from './lib.js';

export interface SideTarget {
  url: string;
  token: string;
  caPem?: string;
}

export type SideClientRequest =
  | { type: 'fanout'; target: SideTarget; watchers: number; path: string; expect: number; timeoutMs: number }
  | { type: 'initial'; target: SideTarget; watchers: number; path: string; expect: number; timeoutMs: number }
  | { type: 'go' };

export type SideClientMessage =
  | { type: 'watching' }
  | { type: 'fanout'; p50: number; p99: number; max: number; latencies: number; counts: { min: number; max: number }; closedEarly: number; shortOnOpenWatch: number; ms: number }
  | { type: 'initial'; ms: number; counts: { min: number; max: number }; closedEarly: number; shortOnOpenWatch: number }
  | { type: 'error'; message: string };

const send = (m: SideClientMessage) => process.send?.(m);
const STAMP = Buffer.from('"stamp":"');
const NL = 10;
const BOOKMARK = Buffer.from('"type":"BOOKMARK"');
const isBookmark = (line: Buffer) => line.subarray(0, 24).indexOf(BOOKMARK) >= 0;

interface Watch {
  req: ClientRequest;
  events: number;
  ended: boolean;
}

/** Opens `n` watches; `onLine` sees every complete line with its watcher's index and arrival time. */
function openWatches(t: SideTarget, n: number, path: string, onLine: (line: Buffer, at: number) => void, onChange: () => void): { watches: Watch[]; connected: Promise<void>; agent: Agent } {
  const agent = new Agent({ keepAlive: false, maxSockets: Infinity, ca: t.caPem });
  const watches: Watch[] = [];
  const connected: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const w = { events: 0, ended: false } as Watch;
    connected.push(
      new Promise((resolve, reject) => {
        w.req = request(new URL(path, t.url), { agent, headers: { Authorization: `Bearer ${t.token}`, Accept: 'application/json', 'User-Agent': 'watchscope-bench' } }, (res) => {
          if (res.statusCode !== 200) {
            reject(new Error(`watch ${path} answered ${res.statusCode}`));
            res.resume();
            return;
          }
          resolve();
          let rest: Buffer | undefined;
          res.on('data', (chunk: Buffer) => {
            const at = wallNow();
            const buf = rest ? Buffer.concat([rest, chunk]) : chunk;
            let from = 0;
            for (let nl = buf.indexOf(NL, from); nl >= 0; nl = buf.indexOf(NL, from)) {
              const line = buf.subarray(from, nl);
              // A bookmark is not one of the events a watcher waits for: counting it would end
              // the wait one event early once a watch outlives the bookmark period.
              if (!isBookmark(line)) w.events++;
              onLine(line, at);
              from = nl + 1;
            }
            rest = from < buf.length ? Buffer.from(buf.subarray(from)) : undefined;
            onChange();
          });
          res.on('end', () => {
            w.ended = true;
            onChange();
          });
          res.on('error', () => {
            w.ended = true;
            onChange();
          });
        });
        w.req.on('error', (e) => {
          w.ended = true;
          reject(e);
          onChange();
        });
        w.req.end();
      }),
    );
    watches.push(w);
  }
  return { watches, connected: Promise.all(connected).then(() => undefined), agent };
}

function counts(ws: Watch[]): { min: number; max: number } {
  let min = Infinity;
  let max = 0;
  for (const w of ws) {
    if (w.events < min) min = w.events;
    if (w.events > max) max = w.events;
  }
  return { min: ws.length ? min : 0, max };
}

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

let pendingGo: (() => void) | undefined;

async function fanout(m: Extract<SideClientRequest, { type: 'fanout' }>): Promise<void> {
  const lat = new Float64Array(m.watchers * m.expect);
  let n = 0;
  let check = () => undefined as void;
  const { watches, connected, agent } = openWatches(
    m.target,
    m.watchers,
    m.path,
    (line, at) => {
      const i = line.indexOf(STAMP);
      if (i < 0) return; // a BOOKMARK
      const end = line.indexOf(34, i + STAMP.length);
      if (n < lat.length) lat[n++] = at - Number(line.toString('latin1', i + STAMP.length, end));
    },
    () => check(),
  );
  try {
    await connected;
    const go = new Promise<void>((r) => (pendingGo = r));
    send({ type: 'watching' });
    await go;
    const t0 = performance.now();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, m.timeoutMs);
      check = () => {
        if (n >= lat.length || watches.every((w) => w.ended || w.events >= m.expect)) {
          clearTimeout(timer);
          resolve();
        }
      };
      check();
    });
    const ms = performance.now() - t0;
    const sorted = lat.subarray(0, n).sort();
    send({ type: 'fanout', p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), max: percentile(sorted, 1), latencies: n, counts: counts(watches), closedEarly: watches.filter((w) => w.ended).length, shortOnOpenWatch: watches.filter((w) => !w.ended && w.events < m.expect).length, ms });
  } finally {
    for (const w of watches) w.req.destroy();
    agent.destroy();
  }
}

async function initial(m: Extract<SideClientRequest, { type: 'initial' }>): Promise<void> {
  let check = () => undefined as void;
  const t0 = performance.now();
  const { watches, agent } = openWatches(m.target, m.watchers, m.path, () => undefined, () => check());
  try {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, m.timeoutMs);
      check = () => {
        if (watches.every((w) => w.ended || w.events >= m.expect)) {
          clearTimeout(timer);
          resolve();
        }
      };
    });
    send({ type: 'initial', ms: performance.now() - t0, counts: counts(watches), closedEarly: watches.filter((w) => w.ended).length, shortOnOpenWatch: watches.filter((w) => !w.ended && w.events < m.expect).length });
  } finally {
    for (const w of watches) w.req.destroy();
    agent.destroy();
  }
}

process.on('message', (m: SideClientRequest) => {
  if (m.type === 'go') {
    pendingGo?.();
    return;
  }
  (m.type === 'fanout' ? fanout(m) : initial(m)).catch((e: unknown) => send({ type: 'error', message: e instanceof Error ? e.message : String(e) }));
});
process.on('disconnect', () => process.exit(0));
