// watchscope's own read-only endpoints on the same server and token: the decision log (newest
// last, `?since=<id>` for incremental polling) and the telemetry snapshot.
import type { ServerResponse } from 'node:http';
import type { DecisionLog } from '../decisions.js';
import { writeJSON, writeStatus } from './respond.js';
import { StatusError } from '../errors.js';

export const DEBUG_PREFIX = '/debug/watchscope/';

export interface DebugOptions {
  decisions?: DecisionLog;
  snapshot?: () => unknown | Promise<unknown>;
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
  writeStatus(res, new StatusError(404, 'NotFound', 'the server could not find the requested resource'));
  return true;
}
