// The Console view's requests: one GET/LIST/WATCH sent to the session's own endpoint over real
// HTTP, answered with a bounded summary of the body and the routing decision the endpoint recorded
// for that very request; a watch's events go out one by one until it hits its caps or is stopped.
// Also the what-if column: the same request decided under every profile.
import { randomUUID } from 'node:crypto';
import type { Decision } from '../shared/model.js';
import type { ConsoleEvent, ConsoleRequestInput, ConsoleResult, WhatIfResult } from '../shared/ipc.js';
import { ConsoleRequest, CONSOLE_MAX_ITEMS, CONSOLE_MAX_WATCH_EVENTS, CONSOLE_MAX_WATCH_SECONDS } from '../shared/ipc.js';
import { whatIf as whatIfAll, isRecursive, type CacheState } from './storage/routing/index.js';
import type { DecisionLog } from './storage/decisions.js';
import { BUILTIN_RESOURCES, groupVersion, qualifiedResource } from './storage/resources.js';
import { Transport } from './workload/transport.js';
import type { WatchEventJson, WatchStream } from './workload/watch-stream.js';
import { endpointConnection, type Live } from './live.js';

/** How long a watch's reply waits for the endpoint to record the watch's decision. */
const WATCH_DECISION_WAIT_MS = 500;

interface ResolvedResource {
  group: string;
  resource: string;
  version: string;
  namespaced: boolean;
}

export class ConsoleRunner {
  private readonly watches = new Map<string, () => void>();
  private transport: Transport | undefined;

  constructor(
    private readonly live: () => Live | undefined,
    private readonly emit: (e: ConsoleEvent) => void,
  ) {}

  async run(input: ConsoleRequestInput): Promise<ConsoleResult> {
    const req = ConsoleRequest.parse(input);
    const live = this.live();
    if (!live) throw new Error('Not connected: connect to etcd, a cluster or the demo first.');
    if (req.verb === 'get' && !req.name) throw new Error('GET needs a name.');
    const requestId = randomUUID().slice(0, 8);
    const userAgent = req.userAgent ?? `watchscope-console/${requestId}`;
    const agentTag = `${userAgent} [${requestId}]`;
    this.transport ??= new Transport(endpointConnection(live.server), { maxSockets: 16 });
    const t = this.transport;
    const path = this.path(req);
    const query: Record<string, string> = { ...req.query };
    // Subscribed before the request goes out, so its decision cannot be recorded unseen.
    const decision = awaitDecision(live.decisions, (d) => d.userAgent === agentTag);
    const withDecision = (result: ConsoleResult, d: Decision | undefined): ConsoleResult => (d ? { ...result, decision: d } : result);

    try {
      if (req.verb !== 'watch') {
        const r = await t.request<Record<string, unknown>>({ method: 'GET', path, query, userAgent: agentTag, timeoutMs: 60_000 });
        return withDecision({ requestId, status: r.status, latencyMs: r.latencyMs, body: summarizeBody(r.body) }, decision.now());
      }

      const maxEvents = Math.min(req.maxEvents ?? 200, CONSOLE_MAX_WATCH_EVENTS);
      const maxSeconds = Math.min(req.maxSeconds ?? 60, CONSOLE_MAX_WATCH_SECONDS);
      const opened = await t.watch({ path, query: { ...query, watch: 'true' }, userAgent: agentTag });
      if ('error' in opened) {
        const e = opened.error;
        return withDecision({ requestId, status: e.status, latencyMs: e.latencyMs, body: summarizeBody(e.body) }, decision.now());
      }
      this.follow(requestId, opened.stream, maxEvents, maxSeconds);
      // The endpoint records a watch's decision once it has started it, which can be just after
      // the response headers arrive: the log says when.
      return withDecision({ requestId, status: 200, body: {}, watch: { maxEvents, maxSeconds } }, await decision.within(WATCH_DECISION_WAIT_MS));
    } finally {
      decision.cancel();
    }
  }

  stop(requestId: string): void {
    this.watches.get(requestId)?.();
  }

  /** The request decided under every profile, against the live cache's state where there is one. */
  whatIf(input: ConsoleRequestInput): WhatIfResult {
    const req = ConsoleRequest.parse(input);
    const live = this.live();
    const r = this.resolve(req.resource);
    const query: Record<string, string> = { ...req.query };
    if (req.verb === 'watch') query.watch = 'true';
    const routing = {
      verb: req.verb,
      group: r.group,
      resource: r.resource,
      // The endpoint's own rule (a pinned name reads one key only where the key can be built).
      recursive: isRecursive(req.verb, req.query.fieldSelector, { namespaced: r.namespaced, ...(req.namespace ? { namespace: req.namespace } : {}) }),
      query,
      ...(req.namespace ? { namespace: req.namespace } : {}),
      ...(req.name ? { name: req.name } : {}),
    };
    const backend = live?.backend.resource(r.group, r.resource);
    const cache: CacheState = backend?.cacheState() ?? {
      enabled: true,
      ready: true,
      resourceVersion: 0,
      etcdSupportsRequestWatchProgress: live?.sourceInfo().supportsRequestWatchProgress ?? false,
    };
    return {
      rows: whatIfAll(routing, cache).map(({ profile, decision }) => ({
        profile: profile.name,
        servedBy: decision.servedBy,
        reason: decision.reason,
        detail: decision.detail,
      })),
    };
  }

  /** Ends every console watch and the console's connections (on disconnect). */
  async close(): Promise<void> {
    for (const stop of [...this.watches.values()]) stop();
    this.watches.clear();
    await this.transport?.close().catch(() => undefined);
    this.transport = undefined;
  }

  private follow(requestId: string, stream: WatchStream, maxEvents: number, maxSeconds: number): void {
    let seq = 0;
    let ended = false;
    const end = (message: string) => {
      if (ended) return;
      ended = true;
      clearTimeout(timer);
      this.watches.delete(requestId);
      void stream.close();
      this.emit({ requestId, seq: seq++, time: Date.now(), type: 'END', message });
    };
    const timer = setTimeout(() => end(`maxSeconds (${maxSeconds}s) reached`), maxSeconds * 1000);
    this.watches.set(requestId, () => end('stopped'));
    void (async () => {
      let n = 0;
      for (;;) {
        const ev = await stream.next().catch(() => null);
        if (ended) return;
        if (!ev) return end(stream.error ? `closed: ${stream.error}` : 'closed by the server');
        this.emit(consoleEvent(requestId, seq++, ev));
        if (++n >= maxEvents) return end(`maxEvents (${maxEvents}) reached`);
      }
    })();
  }

  private resolve(resource: string): ResolvedResource {
    // Not connected: the built-in resources, so what-if still knows which are cluster-scoped.
    const known = this.live()?.backend.resources() ?? BUILTIN_RESOURCES;
    const r = known.find((x) => x.resource === resource || qualifiedResource(x) === resource);
    if (r) return { group: r.group, resource: r.resource, version: groupVersion(r), namespaced: r.namespaced };
    const dot = resource.indexOf('.');
    return dot < 0
      ? { group: '', resource, version: 'v1', namespaced: true }
      : { group: resource.slice(dot + 1), resource: resource.slice(0, dot), version: `${resource.slice(dot + 1)}/v1`, namespaced: true };
  }

  private path(req: ConsoleRequest): string {
    const r = this.resolve(req.resource);
    const base = r.group ? `/apis/${r.version}` : '/api/v1';
    const ns = req.namespace && r.namespaced ? `/namespaces/${encodeURIComponent(req.namespace)}` : '';
    const name = req.verb === 'get' && req.name ? `/${encodeURIComponent(req.name)}` : '';
    return `${base}${ns}/${r.resource}${name}`;
  }
}

/** The first decision matching `match` from now on, told by the decision log as it is recorded. */
export function awaitDecision(log: DecisionLog, match: (d: Decision) => boolean) {
  let found: Decision | undefined;
  let wake: (() => void) | undefined;
  const unsubscribe = log.subscribe((d) => {
    if (found || !match(d)) return;
    found = d;
    wake?.();
  });
  return {
    now: () => found,
    within(ms: number): Promise<Decision | undefined> {
      if (found) return Promise.resolve(found);
      return new Promise((resolve) => {
        const timer = setTimeout(() => resolve(found), ms);
        wake = () => {
          clearTimeout(timer);
          resolve(found);
        };
      });
    },
    cancel: unsubscribe,
  };
}

function consoleEvent(requestId: string, seq: number, ev: WatchEventJson): ConsoleEvent {
  const obj = (ev.object ?? {}) as { metadata?: { name?: string; namespace?: string; resourceVersion?: string; annotations?: Record<string, string> }; message?: string; code?: number };
  const ce: ConsoleEvent = { requestId, seq, time: Date.now(), type: ev.type as ConsoleEvent['type'] };
  if (obj.metadata?.name) ce.name = obj.metadata.name;
  if (obj.metadata?.namespace) ce.namespace = obj.metadata.namespace;
  if (obj.metadata?.resourceVersion) ce.resourceVersion = obj.metadata.resourceVersion;
  if (ev.type === 'BOOKMARK') ce.initialEventsEnd = obj.metadata?.annotations?.['k8s.io/initial-events-end'] === 'true';
  if (ev.type === 'ERROR') {
    if (obj.message) ce.message = obj.message;
    if (typeof obj.code === 'number') ce.code = obj.code;
  }
  return ce;
}

type Meta = { name?: string; namespace?: string; resourceVersion?: string; labels?: Record<string, string> };

function summarizeBody(body: unknown): ConsoleResult['body'] {
  const out: ConsoleResult['body'] = {};
  if (!body || typeof body !== 'object') return out;
  const b = body as {
    kind?: string;
    metadata?: Meta & { continue?: string; remainingItemCount?: number };
    items?: { metadata?: Meta }[];
    reason?: string;
    message?: string;
    code?: number;
  };
  if (b.kind) out.kind = b.kind;
  if (b.metadata?.resourceVersion) out.resourceVersion = b.metadata.resourceVersion;
  if (b.metadata?.continue) out.continue = b.metadata.continue;
  if (typeof b.metadata?.remainingItemCount === 'number') out.remainingItemCount = b.metadata.remainingItemCount;
  const item = (m: Meta | undefined) => {
    const s: { name: string } & Omit<Meta, 'name'> = { name: m?.name ?? '' };
    if (m?.namespace) s.namespace = m.namespace;
    if (m?.resourceVersion) s.resourceVersion = m.resourceVersion;
    if (m?.labels) s.labels = m.labels;
    return s;
  };
  if (Array.isArray(b.items)) {
    out.itemsTotal = b.items.length;
    out.items = b.items.slice(0, CONSOLE_MAX_ITEMS).map((i) => item(i.metadata));
  } else if (b.kind === 'Status') {
    const st: { reason?: string; message?: string; code?: number } = {};
    if (b.reason) st.reason = b.reason;
    if (b.message) st.message = b.message;
    if (typeof b.code === 'number') st.code = b.code;
    out.status = st;
  } else if (b.metadata?.name) {
    out.itemsTotal = 1;
    out.items = [item(b.metadata)];
  }
  return out;
}
