// Turning a recorded request back into a console request (for what-if and "open in console").
import type { Decision } from '../../../shared/model.js';
import type { ConsoleQuery, ConsoleRequestInput } from '../../../shared/ipc.js';

export const CONSOLE_QUERY_KEYS = [
  'resourceVersion',
  'resourceVersionMatch',
  'limit',
  'continue',
  'labelSelector',
  'fieldSelector',
  'sendInitialEvents',
  'allowWatchBookmarks',
  'timeoutSeconds',
] as const satisfies readonly (keyof ConsoleQuery)[];

/** The console request equivalent to a recorded decision, or null for verbs the console lacks. */
export function requestFromDecision(d: Decision): ConsoleRequestInput | null {
  if (d.verb !== 'get' && d.verb !== 'list' && d.verb !== 'watch') return null;
  const query: Record<string, string> = {};
  for (const k of CONSOLE_QUERY_KEYS) {
    const v = d.query[k];
    if (v !== undefined) query[k] = v;
  }
  return {
    verb: d.verb,
    resource: d.resource,
    ...(d.namespace ? { namespace: d.namespace } : {}),
    ...(d.name ? { name: d.name } : {}),
    query: query as ConsoleQuery,
  };
}
