import { describe, expect, it } from 'vitest';
import { requestFromDecision } from './console-query.js';
import { ConsoleRequest } from '../../../shared/ipc.js';
import type { Decision } from '../../../shared/model.js';

const base: Decision = {
  id: 1,
  time: 0,
  verb: 'list',
  resource: 'pods',
  namespace: 'default',
  query: { resourceVersion: '0', limit: '500', watch: 'false', pretty: 'true' },
  profile: '1.34',
  servedBy: 'cache',
  reason: 'servedFromCache',
  detail: '',
  status: 200,
  latencyMs: 1,
  userAgent: 'kubectl',
};

describe('requestFromDecision', () => {
  it('keeps only ListOptions the console can send, and the result passes the contract', () => {
    const r = requestFromDecision(base)!;
    expect(r.query).toEqual({ resourceVersion: '0', limit: '500' });
    expect(ConsoleRequest.safeParse(r).success).toBe(true);
  });
  it('has no console equivalent for writes', () => {
    expect(requestFromDecision({ ...base, verb: 'create' })).toBeNull();
  });
});
