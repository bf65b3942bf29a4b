// What every resource handler gets: the parsed request, the resource, its storage backend, and a
// way to record the request's one Decision (exactly once, whatever path the request takes).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServedBy } from '../../../shared/model.js';
import type { ReasonCode } from '../../../shared/reasons.js';
import type { Decision } from '../../../shared/model.js';
import type { DecisionSink, RequestEnd } from '../decisions.js';
import type { ResourceInfo } from '../resources.js';
import type { RequestInfo } from './request-info.js';
import type { ResourceBackend } from './backend.js';
import type { StorageWatcherRegistry } from './storage-watchers.js';
import type { Profile } from '../routing/profiles.js';

export interface DecisionOutcome {
  servedBy: ServedBy;
  reason: ReasonCode;
  detail: string;
  status: number;
  resourceVersion?: string;
}

export class RequestContext {
  private recorded = false;
  private decision: Decision | undefined;
  private ended = false;
  readonly started = performance.now();

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly info: RequestInfo,
    readonly resource: ResourceInfo | undefined,
    readonly backend: ResourceBackend | undefined,
    readonly profile: Profile,
    readonly userAgent: string,
    private readonly sink: DecisionSink,
    readonly storageWatchers: StorageWatcherRegistry,
    readonly etcdPrefix: string,
  ) {}

  get isRecorded(): boolean {
    return this.recorded;
  }

  /**
   * A delegated read's detail names what really answered it: in kube mode the router's "etcd" is
   * the cluster's kube-apiserver (which answers from its own cache or its etcd).
   */
  private namedStorage(o: DecisionOutcome): string {
    const name = this.backend?.store.servedByName;
    if (!name || o.servedBy !== 'etcd') return o.detail;
    return o.detail.replace(/\betcd\b(?![0-9])/g, name);
  }

  /** Tells the sink how the recorded request's answer ended (once; nothing when nothing was recorded). */
  endRecorded(e: RequestEnd): void {
    if (this.ended || !this.decision) return;
    this.ended = true;
    this.sink.end?.(this.decision, e);
  }

  /** Records this request's Decision; later calls are ignored so there is exactly one. */
  record(o: DecisionOutcome): void {
    if (this.recorded) return;
    this.recorded = true;
    const verb = this.info.verb;
    this.decision = this.sink.record({
      time: Date.now(),
      verb: verb === 'deletecollection' ? 'delete' : verb === 'unknown' ? 'get' : verb,
      resource: this.resource ? (this.resource.group ? `${this.resource.resource}.${this.resource.group}` : this.resource.resource) : this.info.resource,
      ...(this.info.namespace ? { namespace: this.info.namespace } : {}),
      ...(this.info.name ? { name: this.info.name } : {}),
      query: this.info.query,
      profile: this.profile.name,
      servedBy: o.servedBy,
      reason: o.reason,
      detail: this.namedStorage(o),
      status: o.status,
      latencyMs: Math.round((performance.now() - this.started) * 100) / 100,
      userAgent: this.userAgent,
      ...(o.resourceVersion !== undefined ? { resourceVersion: o.resourceVersion } : {}),
    });
  }
}

/** A request for a resource the endpoint serves: what every verb handler is given. */
export type ResourceRequestContext = RequestContext & { readonly resource: ResourceInfo; readonly backend: ResourceBackend };

export function isResourceRequest(ctx: RequestContext): ctx is ResourceRequestContext {
  return ctx.resource !== undefined && ctx.backend !== undefined;
}
