// What a view's rows become when exported: CSV columns and file names. Pure, so it is tested in
// Node; download.ts hands the result to the browser.
import type { Decision, WatcherInfo } from '../../../shared/model.js';
import type { ClientRow } from '../../../shared/clients.js';

export interface Column<T> {
  header: string;
  value: (row: T) => string | number | boolean | undefined;
}

/**
 * RFC 4180 CSV. A cell that a spreadsheet would run as a formula (=, +, -, @, tab, CR first) is
 * prefixed with a quote: user agents, names and selectors come from the cluster's clients.
 */
export function toCsv<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cell = (v: string | number | boolean | undefined): string => {
    if (v === undefined) return '';
    let s = String(v);
    if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
    return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  const lines = [columns.map((c) => cell(c.header)).join(',')];
  for (const r of rows) lines.push(columns.map((c) => cell(c.value(r))).join(','));
  return lines.join('\r\n') + '\r\n';
}

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
const queryText = (q: Record<string, string>) => new URLSearchParams(q).toString();

export const decisionColumns: Column<Decision>[] = [
  { header: 'id', value: (d) => d.id },
  { header: 'time', value: (d) => iso(d.time) },
  { header: 'verb', value: (d) => d.verb },
  { header: 'resource', value: (d) => d.resource },
  { header: 'namespace', value: (d) => d.namespace },
  { header: 'name', value: (d) => d.name },
  { header: 'query', value: (d) => queryText(d.query) },
  { header: 'userAgent', value: (d) => d.userAgent },
  { header: 'user', value: (d) => d.user },
  { header: 'profile', value: (d) => d.profile },
  { header: 'servedBy', value: (d) => d.servedBy },
  { header: 'reason', value: (d) => d.reason },
  { header: 'status', value: (d) => d.status },
  { header: 'latencyMs', value: (d) => d.latencyMs },
  { header: 'resourceVersion', value: (d) => d.resourceVersion },
  { header: 'replica', value: (d) => d.replica },
  /** endpoint: served by watchscope; audit: inferred from the cluster's audit stream. */
  { header: 'source', value: (d) => d.source ?? 'endpoint' },
  { header: 'detail', value: (d) => d.detail },
];

export const watcherColumns: Column<WatcherInfo>[] = [
  { header: 'id', value: (w) => w.id },
  { header: 'resource', value: (w) => w.resource },
  { header: 'namespace', value: (w) => w.namespace },
  { header: 'name', value: (w) => w.name },
  { header: 'labelSelector', value: (w) => w.labelSelector },
  { header: 'fieldSelector', value: (w) => w.fieldSelector },
  { header: 'userAgent', value: (w) => w.userAgent },
  { header: 'state', value: (w) => w.state },
  { header: 'createdAt', value: (w) => iso(w.createdAt) },
  { header: 'startResourceVersion', value: (w) => w.startResourceVersion },
  { header: 'lastResourceVersion', value: (w) => w.lastResourceVersion },
  { header: 'eventsSent', value: (w) => w.eventsSent },
  { header: 'bookmarksSent', value: (w) => w.bookmarksSent },
  { header: 'inputLen', value: (w) => w.inputLen },
  { header: 'resultLen', value: (w) => w.resultLen },
  { header: 'capacity', value: (w) => w.capacity },
  { header: 'capacityRule', value: (w) => w.capacityRule },
  { header: 'closedAt', value: (w) => iso(w.closedAt) },
  { header: 'closeReason', value: (w) => w.closeReason },
  { header: 'closeMessage', value: (w) => w.closeMessage },
  { header: 'replica', value: (w) => w.replica },
];

export const clientColumns: Column<ClientRow>[] = [
  { header: 'client', value: (r) => r.key },
  { header: 'sources', value: (r) => r.sources.join(' ') },
  { header: 'requests', value: (r) => r.requests },
  ...(['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] as const).map((v) => ({ header: v, value: (r: ClientRow) => r.byVerb[v] })),
  { header: 'etcd', value: (r) => r.etcd },
  { header: 'cache', value: (r) => r.cache },
  { header: 'rejected', value: (r) => r.rejected },
  { header: 'topReasons', value: (r) => r.topReasons.map((t) => `${t.servedBy}:${t.reason}=${t.count}`).join(' ') },
  { header: 'consistentLists', value: (r) => r.consistentLists },
  { header: 'listObjects', value: (r) => (r.list.sized ? r.list.objects : undefined) },
  { header: 'listBytes', value: (r) => (r.list.sized ? r.list.bytes : undefined) },
  { header: 'watchesOpen', value: (r) => r.watches.open },
  { header: 'watchesEnded', value: (r) => r.watches.ended },
  { header: 'watchEndReasons', value: (r) => r.watches.endReasons.map((e) => `${e.reason}=${e.count}`).join(' ') },
  { header: 'whatIf', value: (r) => r.whatIf.map((w) => `${w.profile}:toCache=${w.toCache},toEtcd=${w.toEtcd}`).join(' ') },
];

/** "watchscope-requests-2026-12-03T10-00-00.csv": sortable, and valid on every file system. */
export function exportName(what: string, ext: string, at: number = Date.now()): string {
  return `watchscope-${what}-${new Date(at).toISOString().slice(0, 19).replace(/:/g, '-')}.${ext}`;
}
