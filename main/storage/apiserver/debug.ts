// watchscope's own read-only endpoints on the same server and token: the decision log (newest
// last, `?since=<id>` for incremental polling), the telemetry snapshot, and the per-client
// aggregate (`?minutes=N`).
import type { ServerResponse } from 'node:http';
import type { DecisionLog } from '../decisions.js';
import { writeJSON, writeStatus } from './respond.js';
import { StatusError, newBadRequest } from '../errors.js';
import { parseQueryInt } from '../routing/options.js';

export const DEBUG_PREFIX = '/debug/watchscope/';

export interface DebugOptions {
  decisions?: DecisionLog;
  snapshot?: () => unknown | Promise<unknown>;
  /** The per-client aggregate over the last `minutes` (at most `maxMinutes`). */
  clients?: { report: (minutes?: number) => unknown; maxMinutes: number };
}

/** `minutes` as kube-apiserver checks an integer query parameter: Go's parse error, then the range. */
export function parseMinutes(raw: string | undefined, max: number): { minutes?: number } | { error: StatusError } {
  if (raw === undefined || raw === '') return {};
  const r = parseQueryInt(raw);
  if ('error' in r) return { error: newBadRequest(r.error) };
  if (r.value < 1 || r.value > max) return { error: newBadRequest(`minutes: Invalid value: ${r.value}: must be between 1 and ${max}`) };
  return { minutes: r.value };
}

/** Returns false when the path is not a debug path. */
export async function serveDebug(path: string, query: Record<string, string>, res: ServerResponse, opts: DebugOptions): Promise<boolean> {
  if (!path.startsWith(DEBUG_PREFIX)) return false;
  const what = path.slice(DEBUG_PREFIX.length);
  if (what === 'decisions') {
    if (!opts.decisions) {
      writeStatus(res, new StatusError(404, 'NotFound', 'no decision log is attached to this server'));
      return true;
    }
    const since = Number(query.since ?? 0);
    const max = query.max ? Number(query.max) : undefined;
    writeJSON(res, 200, opts.decisions.since(Number.isFinite(since) ? since : 0, max && max > 0 ? max : undefined));
    return true;
  }
  if (what === 'snapshot') {
    if (!opts.snapshot) {
      writeStatus(res, new StatusError(404, 'NotFound', 'no snapshot provider is attached to this server'));
      return true;
    }
    writeJSON(res, 200, await opts.snapshot());
    return true;
  }
  if (what === 'clients') {
    if (!opts.clients) {
      writeStatus(res, new StatusError(404, 'NotFound', 'no client aggregate is attached to this server'));
      return true;
    }
    const m = parseMinutes(query.minutes, opts.clients.maxMinutes);
    if ('error' in m) writeStatus(res, m.error);
    else writeJSON(res, 200, opts.clients.report(m.minutes));
    return true;
  }
  writeStatus(res, new StatusError(404, 'NotFound', 'the server could not find the requested resource'));
  return true;
}
