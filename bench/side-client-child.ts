// Child-process side of bench/side-by-side.ts: many watch clients (side-watch.ts), the same for
// both servers; the bench may spread the watchers over several of these processes. Fan-out: the
// latency of each event is its arrival time minus the stamp the writer put into the ConfigMap.
// Initial state: the time until every watcher has its N initial events.
import { readStamp } from './side-watch-stream.js';
import { counts, openWatches, type SideTarget, type Watch } from './side-watch.js';

export type { SideTarget } from './side-watch.js';

export type SideClientRequest =
  | { type: 'fanout'; target: SideTarget; watchers: number; path: string; expect: number; timeoutMs: number }
  | { type: 'initial'; target: SideTarget; watchers: number; path: string; expect: number; timeoutMs: number }
  | { type: 'go' };

export type SideClientMessage =
  | { type: 'watching' }
  /** Every latency measured (ms), unsorted: the bench merges several clients' before taking percentiles. */
  | { type: 'fanout'; latencies: Float64Array; counts: { min: number; max: number }; closedEarly: number; shortOnOpenWatch: number; ms: number }
  | { type: 'initial'; ms: number; counts: { min: number; max: number }; closedEarly: number; shortOnOpenWatch: number }
  | { type: 'error'; message: string };

const send = (m: SideClientMessage) => process.send?.(m);

/** A response the client could not read is the bench's fault, not a server's close: say so. */
const throwIfUnreadable = (ws: Watch[]) => {
  const bad = ws.find((w) => w.error);
  if (bad) throw new Error(`a watch response could not be read: ${bad.error!.message}`);
};

const closeAll = (ws: Watch[]) => {
  for (const w of ws) w.socket?.destroy();
};

let pendingGo: (() => void) | undefined;

async function fanout(m: Extract<SideClientRequest, { type: 'fanout' }>): Promise<void> {
  const lat = new Float64Array(m.watchers * m.expect);
  let n = 0;
  let check = () => undefined as void;
  const { watches, connected } = openWatches(
    m.target,
    m.watchers,
    m.path,
    (line, at) => {
      const stamp = readStamp(line);
      if (n < lat.length && !Number.isNaN(stamp)) lat[n++] = at - stamp;
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
    throwIfUnreadable(watches);
    send({ type: 'fanout', latencies: lat.slice(0, n), counts: counts(watches), closedEarly: watches.filter((w) => w.ended && w.events < m.expect).length, shortOnOpenWatch: watches.filter((w) => !w.ended && w.events < m.expect).length, ms });
  } finally {
    closeAll(watches);
  }
}

async function initial(m: Extract<SideClientRequest, { type: 'initial' }>): Promise<void> {
  let check = () => undefined as void;
  const t0 = performance.now();
  const { watches, connected } = openWatches(m.target, m.watchers, m.path, () => undefined, () => check());
  try {
    await Promise.all([
      connected,
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, m.timeoutMs);
        check = () => {
          if (watches.every((w) => w.ended || w.events >= m.expect)) {
            clearTimeout(timer);
            resolve();
          }
        };
      }),
    ]);
    throwIfUnreadable(watches);
    send({ type: 'initial', ms: performance.now() - t0, counts: counts(watches), closedEarly: watches.filter((w) => w.ended && w.events < m.expect).length, shortOnOpenWatch: watches.filter((w) => !w.ended && w.events < m.expect).length });
  } finally {
    closeAll(watches);
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
