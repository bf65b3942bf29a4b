// A session's audit source: the cluster's audit log (followed) and/or the webhook backend, routed
// under the cluster's profile, each request recorded as an inferred Decision in the session's own
// decision ring (the one the Requests view shows), so nothing per event takes another path to the
// UI. What every inferred decision assumed, and the input that could not be used, are kept once
// here and travel in the snapshot's AuditStatus.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuditStatus } from '../../../shared/model.js';
import type { DecisionInput, DecisionSink } from '../../storage/decisions.js';
import type { Profile } from '../../storage/routing/index.js';
import { AuditIngest } from './ingest.js';
import { AuditRouter, assumptionTexts, type InferredRequest } from './infer.js';
import { readAuditFile } from './file.js';
import { auditWebhookHandler } from './webhook.js';
import { auditLogProblem } from './path.js';
import type { WatchEnd } from './ingest.js';

export interface AuditSourceOptions {
  /** Absolute path of the log to follow. */
  logPath?: string;
  /** Accept the webhook backend's POSTs (the caller mounts `webhook` on its listener). */
  webhook?: { url: string; kubeconfigPath: string };
  profile: Profile;
  /** How the profile was chosen, in words. */
  profileSource: string;
  etcdSupportsRequestWatchProgress: boolean;
  decisions: DecisionSink;
  /** How often the followed log is checked for growth and rotation (default 250 ms). */
  pollMs?: number;
}

export class AuditSource {
  readonly ingest: AuditIngest;
  readonly assumptions: string[];
  private readonly stop = new AbortController();
  private following: Promise<void> | undefined;
  private logState: NonNullable<AuditStatus['log']>['state'] = 'following';
  private logMessage: string | undefined;
  private batches = 0;
  private readonly handler: ((req: IncomingMessage, res: ServerResponse) => Promise<void>) | undefined;

  constructor(private readonly o: AuditSourceOptions) {
    const a = { etcdSupportsRequestWatchProgress: o.etcdSupportsRequestWatchProgress, profileSource: o.profileSource };
    this.assumptions = assumptionTexts(a);
    this.ingest = new AuditIngest({ router: new AuditRouter(o.profile, a) });
    this.ingest.subscribe((r) => o.decisions.record(decisionOf(r)));
    if (o.webhook) {
      const h = auditWebhookHandler(this.ingest);
      this.handler = async (req, res) => {
        if (req.method === 'POST') this.batches++;
        await h(req, res);
      };
    }
  }

  /** Each routed request, for whoever aggregates the stream (the clients aggregator). */
  onRequest(fn: (r: InferredRequest) => void): () => void {
    return this.ingest.subscribe(fn);
  }

  /** Each watch whose end the stream saw (its ResponseComplete). */
  onWatchEnd(fn: (w: WatchEnd) => void): () => void {
    return this.ingest.onWatchEnd(fn);
  }

  /** The webhook's POST handler, when the webhook is on. */
  get webhook(): ((req: IncomingMessage, res: ServerResponse) => Promise<void>) | undefined {
    return this.handler;
  }

  /** Starts following the log, from its first line, as tail -F does across rotation. */
  start(): void {
    const path = this.o.logPath;
    if (!path || this.following) return;
    this.logState = 'following';
    this.following = readAuditFile(path, this.ingest, { follow: true, signal: this.stop.signal, ...(this.o.pollMs ? { pollMs: this.o.pollMs } : {}) }).then(
      () => {
        // Only a gzip'd log ends before the session does: it is read once, never appended to.
        if (this.stop.signal.aborted) return;
        this.logState = 'read';
        this.logMessage = 'read to its end (a gzip\'d log is not followed)';
      },
      (e: unknown) => {
        this.logState = 'failed';
        this.logMessage = `reading stopped: ${(e as Error).message}`;
      },
    );
    // Rotation may leave the path missing for a while; say so rather than look stuck.
    const watchPath = async (): Promise<void> => {
      while (!this.stop.signal.aborted && (this.logState === 'following' || this.logState === 'missing')) {
        const problem = await auditLogProblem(path);
        if (this.logState !== 'following' && this.logState !== 'missing') break;
        this.logState = problem ? 'missing' : 'following';
        this.logMessage = problem;
        await new Promise<void>((r) => {
          const t = setTimeout(r, 2000);
          this.stop.signal.addEventListener('abort', () => (clearTimeout(t), r()), { once: true });
        });
      }
    };
    void watchPath();
  }

  status(): AuditStatus {
    const s = this.ingest.snapshot();
    const out: AuditStatus = {
      profile: this.o.profile.name,
      profileSource: this.o.profileSource,
      assumptions: this.assumptions,
      linesRead: s.linesRead,
      events: s.events,
      routed: s.routed,
      stagesFolded: s.stagesFolded,
      skipped: { ...s.skipped },
      bad: s.bad.map((b) => ({ kind: b.kind, count: b.count, text: b.text, example: b.example })),
    };
    if (this.o.logPath) out.log = { path: this.o.logPath, state: this.logState, ...(this.logMessage ? { message: this.logMessage } : {}) };
    if (this.o.webhook) out.webhook = { ...this.o.webhook, batches: this.batches };
    return out;
  }

  async close(): Promise<void> {
    this.stop.abort();
    await this.following;
  }
}

/** One routed audit request as the session's Decision: under the cluster's profile, marked inferred. */
export function decisionOf(r: InferredRequest): DecisionInput {
  return {
    time: r.time,
    verb: r.verb,
    resource: r.group ? `${r.resource}.${r.group}` : r.resource,
    ...(r.namespace ? { namespace: r.namespace } : {}),
    ...(r.name ? { name: r.name } : {}),
    query: r.query,
    profile: r.profile,
    servedBy: r.servedBy,
    reason: r.reason,
    detail: r.detail,
    status: r.status,
    latencyMs: r.latencyMs,
    userAgent: r.userAgent,
    source: 'audit',
    inferred: true,
    ...(r.user ? { user: r.user.slice(0, 512) } : {}),
    whatIf: r.whatIf,
  };
}
