// audit mode: a session fed only by the cluster's audit stream, for a user who has the log (or can
// point the webhook at watchscope) but no kubeconfig for the cluster. Nothing is cached: the
// endpoint runs for the webhook and the debug pages, answers no resource (404, as for a resource
// it does not serve), and every decision the session shows is inferred from the stream.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { startApiServer, type ApiServerOptions } from './storage/apiserver/server.js';
import type { DecisionLog } from './storage/decisions.js';
import type { Profile } from './storage/routing/profiles.js';
import type { Live } from './live.js';

export interface AuditModeOptions {
  /** What the connection is called in the UI: the log's path and/or "webhook". */
  target: string;
  /** The cluster's version as the stream names it (or the profile chosen). */
  version: string;
  etcdSupportsRequestWatchProgress: boolean;
  profile: () => Profile;
  decisions: DecisionLog;
  snapshot?: () => unknown;
  clients?: ApiServerOptions['clients'];
  posts: Record<string, (req: IncomingMessage, res: ServerResponse) => Promise<void>>;
  token?: string;
  tls?: boolean;
  host?: string;
  port?: number;
}

export async function openAuditMode(o: AuditModeOptions): Promise<Live> {
  const server = await startApiServer({
    backend: { resources: () => [], resource: () => undefined },
    profile: o.profile,
    decisions: o.decisions,
    decisionLog: o.decisions,
    posts: o.posts,
    tls: o.tls ?? true,
    ...(o.token ? { token: o.token } : {}),
    ...(o.host ? { host: o.host } : {}),
    ...(o.port ? { port: o.port } : {}),
    ...(o.snapshot ? { snapshot: o.snapshot } : {}),
    ...(o.clients ? { clients: o.clients } : {}),
  });
  return {
    mode: 'audit',
    target: o.target,
    server,
    backend: { resources: () => [], resource: () => undefined },
    decisions: o.decisions,
    caches: () => [],
    sourceInfo: () => ({ kind: 'kube', version: o.version, supportsRequestWatchProgress: o.etcdSupportsRequestWatchProgress, endpoints: [] }),
    checkConsistency: () =>
      Promise.reject(new Error('This session reads only the audit stream: there is no cache to compare. Connect to the cluster (kubeconfig context) for the consistency check.')),
    close: () => server.close(),
  };
}
