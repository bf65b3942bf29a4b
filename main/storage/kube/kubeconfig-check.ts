// Says what is wrong with a kubeconfig file by file, line and rule, never by quoting it: a
// kubeconfig holds tokens, keys and passwords, and these messages are printed by the CLI and sent
// to the renderer. Runs before the client library sees the text, whose own errors quote lines.
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Node } from 'yaml';

const LISTS = ['clusters', 'users', 'contexts'] as const;
const INNER: Record<(typeof LISTS)[number], string> = { clusters: 'cluster', users: 'user', contexts: 'context' };

/** Throws an Error naming `file`, the line and what is wrong; returns when the shape is sound. */
export function checkKubeconfigText(file: string, text: string): void {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  const at = (offset: number | undefined) => (offset === undefined ? '' : `, line ${lines.linePos(offset).line}`);
  const fail = (where: number | undefined, what: string): never => {
    throw new Error(`kubeconfig ${file}${at(where)}: ${what}`);
  };
  const first = doc.errors[0];
  if (first) fail(first.pos[0], `not valid YAML (${first.code.toLowerCase().replace(/_/g, ' ')})`);
  const root = doc.contents;
  if (root === null || (isScalar(root) && (root.value === null || root.value === ''))) fail(undefined, 'the file is empty');
  if (!isMap(root)) fail(root?.range?.[0], 'the top level is not a mapping of keys (apiVersion, clusters, users, contexts, …)');
  const pos = (n: Node | null | undefined) => n?.range?.[0];
  const rootMap = root as import('yaml').YAMLMap;
  for (const key of LISTS) {
    const list = rootMap.get(key, true) as Node | undefined;
    if (list === undefined || (isScalar(list) && list.value === null)) continue;
    if (!isSeq(list)) fail(pos(list), `"${key}" is not a list`);
    const seq = list as import('yaml').YAMLSeq;
    seq.items.forEach((item, i) => {
      const entry = item as Node;
      if (!isMap(entry)) return fail(pos(entry), `${key}[${i}] is not a mapping`);
      const name = entry.get('name', true) as Node | undefined;
      if (!isScalar(name) || typeof name.value !== 'string' || name.value === '') fail(pos(name) ?? pos(entry), `${key}[${i}] has no name (a non-empty string)`);
      const inner = entry.get(INNER[key], true) as Node | undefined;
      if (inner !== undefined && !(isScalar(inner) && inner.value === null) && !isMap(inner)) {
        fail(pos(inner), `${key}[${i}].${INNER[key]} is not a mapping`);
      }
      if (isMap(inner)) {
        for (const pair of inner.items) {
          const v = pair.value as Node | null;
          const k = isScalar(pair.key) ? String(pair.key.value) : '?';
          // Every field of these three is a scalar except exec/auth-provider (mappings) and extensions.
          if (v && !isScalar(v) && !['exec', 'auth-provider', 'extensions', 'client-certificate-data'].includes(k) && !(key === 'users' && k === 'impersonate-user-extra')) {
            fail(pos(v), `${key}[${i}].${INNER[key]}.${k} is not a single value`);
          }
        }
      }
    });
  }
  const cc = rootMap.get('current-context', true) as Node | undefined;
  if (cc !== undefined && !isScalar(cc)) fail(pos(cc), '"current-context" is not a single value');
}

/**
 * The first line of a client library's error, unless it quotes any value of the file (then only
 * that the file is not a valid kubeconfig).
 */
export function safeKubeconfigError(file: string, text: string, e: unknown): Error {
  const msg = (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 200);
  const values = text.match(/[^\s:'"[\]{},#]{4,}/g) ?? [];
  const keys = new Set(['apiVersion', 'kind', 'Config', 'clusters', 'cluster', 'users', 'user', 'contexts', 'context', 'name', 'server', 'token', 'current-context', 'namespace', 'preferences']);
  const leaks = values.some((v) => !keys.has(v) && msg.includes(v));
  return new Error(`kubeconfig ${file}: ${leaks ? 'not a valid kubeconfig' : msg}`);
}
