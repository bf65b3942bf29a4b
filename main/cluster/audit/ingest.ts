// The audit stream's one entry point: lines (from a file) and decoded objects (from the webhook)
// go in; routed requests come out to subscribers. A request is logged at up to four stages; it is
// routed once, at its first response stage, remembered by auditID in a bounded map so a watch's
// ResponseComplete (minutes later) is not counted twice. Bad input is counted, one example kept.
import { badInputText, parseAuditBytes, parseAuditLine, toAuditEvent, type AuditEvent, type BadInputKind, type ParsedEvent } from './event.js';
import type { AuditRouter, InferredRequest, SkipKind } from './infer.js';

export interface BadInputCount {
  kind: BadInputKind;
  count: number;
  /** What the kind means. */
  text: string;
  /** The first example seen: where, and the message (a line is cut to 200 characters). */
  example: string;
}

export interface AuditIngestStats {
  linesRead: number;
  events: number;
  routed: number;
  /** Request events at RequestReceived only, or a later stage of a request already routed. */
  stagesFolded: number;
  skipped: Record<SkipKind, number>;
  bad: BadInputCount[];
}

/** A watch's ResponseComplete: how (and after how long) a routed watch ended. */
export interface WatchEnd {
  auditID: string;
  userAgent: string;
  user: string;
  resource: string;
  status: number;
  durationMs: number;
}

export interface AuditIngestOptions {
  router: AuditRouter;
  /** auditIDs remembered to fold later stages into the routed request (default 65,536). */
  seenCapacity?: number;
}

const EXAMPLE_MAX = 200;

export class AuditIngest {
  readonly router: AuditRouter;
  private readonly seen = new Map<string, InferredRequest['verb']>();
  private readonly seenCapacity: number;
  private readonly bad = new Map<BadInputKind, BadInputCount>();
  private readonly listeners = new Set<(r: InferredRequest) => void>();
  private readonly endListeners = new Set<(w: WatchEnd) => void>();
  private readonly stats = {
    linesRead: 0,
    events: 0,
    routed: 0,
    stagesFolded: 0,
    skipped: { nonResource: 0, subresource: 0, otherVerb: 0 } as Record<SkipKind, number>,
  };

  constructor(opts: AuditIngestOptions) {
    this.router = opts.router;
    this.seenCapacity = opts.seenCapacity ?? 65_536;
  }

  subscribe(fn: (r: InferredRequest) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  onWatchEnd(fn: (w: WatchEnd) => void): () => void {
    this.endListeners.add(fn);
    return () => this.endListeners.delete(fn);
  }

  /** One line of a log file; `where` names it for the example (e.g. "audit.log:12"). */
  line(text: string, where: string): void {
    this.stats.linesRead++;
    if (text.length === 0 || /^\s*$/.test(text)) return;
    this.take(parseAuditLine(text), where, text);
  }

  /**
   * One line of a log file as bytes [start, end) of `buf` (valid during the call only): scanned
   * without decoding the fields nobody reads. `label:lineNo` names it for the example.
   */
  lineBytes(buf: Buffer, start: number, end: number, label: string, lineNo: number): void {
    const p = parseAuditBytes(buf, start, end);
    if (p === undefined) return this.line(buf.toString('utf8', start, end), `${label}:${lineNo}`);
    this.stats.linesRead++;
    if (p.ok) {
      this.stats.events++;
      this.event(p.event);
    } else this.take(p, `${label}:${lineNo}`, buf.toString('utf8', start, end));
  }

  /** One item of a webhook EventList (whose apiVersion the caller checked). */
  listItem(v: unknown, where: string): void {
    this.take(toAuditEvent(v, true), where, undefined);
  }

  /** Input that never became a line or object (a truncated gzip, an unreadable file, an over-long line). */
  badInput(kind: BadInputKind, where: string, message: string): void {
    const b = this.bad.get(kind);
    if (b) {
      b.count++;
      return;
    }
    this.bad.set(kind, { kind, count: 1, text: badInputText[kind], example: `${where}: ${message}`.slice(0, EXAMPLE_MAX * 2) });
  }

  snapshot(): AuditIngestStats {
    return { ...this.stats, skipped: { ...this.stats.skipped }, bad: [...this.bad.values()].map((b) => ({ ...b })) };
  }

  private take(p: ParsedEvent, where: string, raw: string | undefined): void {
    if (!p.ok) {
      const cut = raw === undefined ? '' : ` — ${raw.length > EXAMPLE_MAX ? `${raw.slice(0, EXAMPLE_MAX)}…` : raw}`;
      this.badInput(p.kind, where, `${p.message}${cut}`);
      return;
    }
    this.stats.events++;
    this.event(p.event);
  }

  private event(ev: AuditEvent): void {
    if (ev.stage === 'RequestReceived') {
      this.stats.stagesFolded++;
      return;
    }
    const earlier = ev.auditID ? this.seen.get(ev.auditID) : undefined;
    if (earlier !== undefined) {
      this.stats.stagesFolded++;
      this.seen.delete(ev.auditID);
      if (earlier === 'watch' && ev.stage !== 'ResponseStarted') this.watchEnded(ev);
      return;
    }
    let r: ReturnType<AuditRouter['route']>;
    try {
      r = this.router.route(ev);
    } catch (err) {
      // The log is the cluster's word, but a hand-edited or corrupted line can carry a URI no
      // server would have accepted; it is bad input like any other, never the reader's end.
      const uri = ev.requestURI.length > EXAMPLE_MAX ? `${ev.requestURI.slice(0, EXAMPLE_MAX)}…` : ev.requestURI;
      this.badInput('badRequestURI', `auditID ${ev.auditID || '(none)'}`, `${(err as Error).message} — ${uri}`);
      return;
    }
    if (typeof r === 'string') {
      this.stats.skipped[r]++;
      return;
    }
    this.stats.routed++;
    // Only a watch's ResponseStarted has a later stage worth folding; other requests are done.
    if (ev.auditID && ev.stage === 'ResponseStarted') {
      this.seen.set(ev.auditID, r.verb);
      if (this.seen.size > this.seenCapacity) this.seen.delete(this.seen.keys().next().value!);
    }
    for (const l of this.listeners) l(r);
    if (r.verb === 'watch' && ev.stage !== 'ResponseStarted') this.watchEnded(ev);
  }

  private watchEnded(ev: AuditEvent): void {
    const w: WatchEnd = {
      auditID: ev.auditID,
      userAgent: ev.userAgent,
      user: ev.user,
      resource: ev.objectRef?.resource ?? '',
      status: ev.code ?? 0,
      durationMs: ev.stageMs !== undefined && ev.requestReceivedMs !== undefined ? Math.max(0, ev.stageMs - ev.requestReceivedMs) : 0,
    };
    for (const l of this.endListeners) l(w);
  }
}
