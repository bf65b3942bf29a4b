// What-if decides recursion with the endpoint's rule: a metadata.name field selector reads one
// key only when the request names a namespace (or the resource is cluster-scoped).
import { describe, expect, it } from 'vitest';
import { ConsoleRunner } from './console.js';

// Not connected: what-if decides against the built-in resources.
const runner = new ConsoleRunner(
  () => undefined,
  () => undefined,
);

const row134 = async (namespace: string | undefined, resource = 'pods') => {
  const r = runner.whatIf({ verb: 'list', resource, ...(namespace ? { namespace } : {}), query: { fieldSelector: 'metadata.name=x', resourceVersion: '5', resourceVersionMatch: 'Exact' } });
  return r.rows.find((x) => x.profile === '1.34')!;
};

describe('what-if and the endpoint agree on recursion', () => {
  it('a cluster-wide pods list pinned by name stays recursive (the endpoint cannot build the key)', async () => {
    expect((await row134(undefined)).reason).not.toBe('singleKeyExactFromStorage');
  });
  it('with a namespace, or for a cluster-scoped resource, it is a single-key read', async () => {
    expect((await row134('default')).reason).toBe('singleKeyExactFromStorage');
    expect((await row134(undefined, 'namespaces')).reason).toBe('singleKeyExactFromStorage');
  });
});
