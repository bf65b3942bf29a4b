// KubeStore: what the endpoint uses, in kube mode, for a request the routing profile sends
// "to storage". Upstream would read etcd; here the cluster's own kube-apiserver is the storage,
// so the request is forwarded with the same parameters (resourceVersion, resourceVersionMatch,
// limit, continue, selectors) and the user's credentials, and its answer (or its Status) is
// relayed unchanged. Writes go to the user's real cluster, so they are refused unless the
// session explicitly allows them.
import type { KubeObject } from '../object.js';
import { StatusError } from '../errors.js';
import type { KubeClient } from './client.js';
import { collectionPath, objectPath, qualifiedResource, type KubeResource } from './discovery.js';
import { KubeError } from './errors.js';

export interface KubeListOptions {
  /** '' or undefined: all namespaces. */
  namespace?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
  limit?: number;
  continue?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

export interface KubeListResult {
  items: KubeObject[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
  /** The list exactly as the cluster sent it (kind, apiVersion, metadata, items). */
  raw: { kind?: string; apiVersion?: string; metadata?: Record<string, unknown>; items?: KubeObject[] };
}

export interface KubeGetOptions {
  resourceVersion?: string;
}

export interface KubeStoreOptions {
  /** Forward create/update/delete to the cluster. Off by default: it is someone's real cluster. */
  allowWrites?: boolean;
}

export class KubeStore {
  readonly allowWrites: boolean;

  constructor(
    readonly client: KubeClient,
    readonly resource: KubeResource,
    opts: KubeStoreOptions = {},
  ) {
    this.allowWrites = opts.allowWrites ?? false;
  }

  async getList(opts: KubeListOptions = {}): Promise<KubeListResult> {
    const raw = await this.call<KubeListResult['raw']>('GET', collectionPath(this.resource, opts.namespace), 'list', {
      query: {
        resourceVersion: opts.resourceVersion,
        resourceVersionMatch: opts.resourceVersionMatch,
        limit: opts.limit && opts.limit > 0 ? opts.limit : undefined,
        continue: opts.continue,
        labelSelector: opts.labelSelector,
        fieldSelector: opts.fieldSelector,
      },
    });
    const apiVersion = this.apiVersion;
    const meta = (raw.metadata ?? {}) as { resourceVersion?: string; continue?: string; remainingItemCount?: number };
    const out: KubeListResult = {
      items: (raw.items ?? []).map((it) => ({ apiVersion, kind: this.resource.kind, ...it })),
      resourceVersion: meta.resourceVersion ?? '',
      raw,
    };
    if (meta.continue) out.continue = meta.continue;
    if (meta.remainingItemCount !== undefined) out.remainingItemCount = meta.remainingItemCount;
    return out;
  }

  async get(namespace: string | undefined, name: string, opts: KubeGetOptions = {}): Promise<KubeObject> {
    return this.call<KubeObject>('GET', objectPath(this.resource, namespace, name), 'get', { query: { resourceVersion: opts.resourceVersion } });
  }

  async create(namespace: string | undefined, obj: KubeObject): Promise<KubeObject> {
    this.checkWrites('create');
    return this.call<KubeObject>('POST', collectionPath(this.resource, namespace), 'create', { body: obj });
  }

  async update(namespace: string | undefined, name: string, obj: KubeObject): Promise<KubeObject> {
    this.checkWrites('update');
    return this.call<KubeObject>('PUT', objectPath(this.resource, namespace, name), 'update', { body: obj });
  }

  /** Strategic/merge/JSON patch, forwarded with its content type. */
  async patch(namespace: string | undefined, name: string, patch: string, contentType: string): Promise<KubeObject> {
    this.checkWrites('patch');
    return this.call<KubeObject>('PATCH', objectPath(this.resource, namespace, name), 'patch', { rawBody: { data: patch, contentType } });
  }

  async delete(namespace: string | undefined, name: string, opts: { preconditions?: { uid?: string; resourceVersion?: string } } = {}): Promise<KubeObject> {
    this.checkWrites('delete');
    const body = opts.preconditions ? { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: opts.preconditions } : undefined;
    return this.call<KubeObject>('DELETE', objectPath(this.resource, namespace, name), 'delete', body ? { body } : {});
  }

  private get apiVersion(): string {
    return this.resource.group ? `${this.resource.group}/${this.resource.version}` : this.resource.version;
  }

  private checkWrites(verb: string): void {
    if (this.allowWrites) return;
    // 405 MethodNotAllowed is what kube-apiserver answers for a verb a resource does not
    // support; clients treat it as final (no retry), which is the point.
    throw new StatusError(
      405,
      'MethodNotAllowed',
      `watchscope is connected to ${this.client.server} (context "${this.client.contextName}") read-only: ${verb} on ${qualifiedResource(this.resource)} was not forwarded — reconnect with writes allowed to change the cluster`,
      { group: this.resource.group || undefined, kind: this.resource.resource },
    );
  }

  /** Forwards; any non-2xx becomes a StatusError carrying the cluster's own Status. */
  private async call<T>(method: string, path: string, verb: string, opts: Parameters<KubeClient['raw']>[2]): Promise<T> {
    let r;
    try {
      r = await this.client.raw(method, path, { ...opts, verb, resource: qualifiedResource(this.resource), timeoutMs: 60_000 });
    } catch (e) {
      if (e instanceof KubeError) throw e.toStatusError();
      throw e;
    }
    if (r.status >= 200 && r.status < 300) return JSON.parse(r.body) as T;
    throw this.client.httpError(r.status, r.body, path, { verb, resource: qualifiedResource(this.resource) }).toStatusError();
  }
}
