// The audit webhook backend: kube-apiserver (--audit-webhook-config-file) POSTs batches of events
// as an audit.k8s.io/v1 EventList to watchscope's endpoint, on its loopback HTTPS listener with its
// per-run CA and bearer token. A batch is read with a cap, each item goes through the same ingest
// as a log line, and bad items are counted, never fatal: the apiserver is answered 200 whenever the
// body was an EventList, since a 4xx would only make it retry the same batch.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { renderKubeconfig } from '../../storage/apiserver/kubeconfig.js';
import { writeJSON, writeStatus } from '../../storage/apiserver/respond.js';
import { StatusError, newBadRequest } from '../../storage/errors.js';
import { AUDIT_API_VERSION } from './event.js';
import type { AuditIngest } from './ingest.js';

/** The path the webhook kubeconfig points at. */
export const AUDIT_WEBHOOK_PATH = '/debug/watchscope/audit';

/** A batch is at most --audit-webhook-batch-max-size events (default 400); Request level carries bodies. */
export const maxAuditBatchBytes = 64 * 1024 * 1024;

async function readCapped(req: IncomingMessage, cap: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > cap) return undefined;
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

export function auditWebhookHandler(ingest: AuditIngest): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  let batch = 0;
  return async (req, res) => {
    if (req.method !== 'POST') {
      writeStatus(res, new StatusError(405, 'MethodNotAllowed', `${AUDIT_WEBHOOK_PATH} takes POST of an ${AUDIT_API_VERSION} EventList`));
      return;
    }
    const body = await readCapped(req, maxAuditBatchBytes);
    batch++;
    const where = `webhook batch ${batch}`;
    if (!body) {
      ingest.badInput('lineTooLong', where, `batch larger than ${maxAuditBatchBytes} bytes`);
      writeStatus(res, new StatusError(413, '', `Request entity too large: limit is ${maxAuditBatchBytes}`));
      return;
    }
    let list: unknown;
    try {
      list = JSON.parse(body.toString('utf8'));
    } catch (e) {
      ingest.badInput('notJSON', where, `body is not JSON: ${(e as Error).message}`);
      writeStatus(res, newBadRequest('the audit batch is not JSON'));
      return;
    }
    const o = list as { kind?: unknown; apiVersion?: unknown; items?: unknown };
    if (typeof o !== 'object' || o === null || o.kind !== 'EventList' || !Array.isArray(o.items)) {
      ingest.badInput('notAuditEvent', where, `body is not an EventList (kind ${JSON.stringify(o?.kind ?? null)})`);
      writeStatus(res, newBadRequest(`expected an ${AUDIT_API_VERSION} EventList`));
      return;
    }
    if (o.apiVersion !== AUDIT_API_VERSION) {
      ingest.badInput('unknownApiVersion', where, `EventList apiVersion ${JSON.stringify(o.apiVersion ?? null)}`);
      writeJSON(res, 200, { kind: 'Status', apiVersion: 'v1', status: 'Success', code: 200 });
      return;
    }
    o.items.forEach((item, i) => ingest.listItem(item, `${where} item ${i}`));
    writeJSON(res, 200, { kind: 'Status', apiVersion: 'v1', status: 'Success', code: 200 });
  };
}

/** The kubeconfig kube-apiserver reads with --audit-webhook-config-file: watchscope's URL, CA and token. */
export function renderAuditWebhookKubeconfig(p: { endpoint: string; token: string; caPem?: string }): string {
  return renderKubeconfig({
    server: `${p.endpoint.replace(/\/+$/, '')}${AUDIT_WEBHOOK_PATH}`,
    token: p.token,
    ...(p.caPem ? { caPem: p.caPem } : {}),
    contextName: 'watchscope-audit',
  });
}

/** Writes that kubeconfig with mode 0600 (it holds the endpoint's bearer token). */
export async function writeAuditWebhookKubeconfig(path: string, p: { endpoint: string; token: string; caPem?: string }): Promise<void> {
  const { mkdir, writeFile, chmod } = await import('node:fs/promises');
  const { dirname } = await import('node:path');
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, renderAuditWebhookKubeconfig(p), { mode: 0o600 });
  await chmod(path, 0o600);
}
