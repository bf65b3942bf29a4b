import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../object.js';
import { BUILTIN_RESOURCES } from '../../resources.js';
import { beforeDelete, finalizersForGarbageCollection, markAsDeleting, parseDeleteOptions, shouldDeleteDuringUpdate, type DeleteOptions } from './delete.js';

const pods = BUILTIN_RESOURCES.find((r) => r.resource === 'pods')!;
const configmaps = BUILTIN_RESOURCES.find((r) => r.resource === 'configmaps')!;
const now = Date.parse('2026-01-01T00:00:00Z');
const pod = (spec: Record<string, unknown> = { nodeName: 'n1' }, meta: Record<string, unknown> = {}, status: Record<string, unknown> = {}): KubeObject => ({
  metadata: { name: 'p', namespace: 'd', uid: 'u1', resourceVersion: '7', ...meta },
  spec,
  status,
});

describe('BeforeDelete with the pod strategy', () => {
  it('a bound pod without a period of its own gets the default 30 s: deletionTimestamp = now + 30 s', () => {
    const o = pod();
    const r = beforeDelete(pods, o, {}, now);
    expect(r).toMatchObject({ graceful: true, pending: false });
    expect(o.metadata).toMatchObject({ deletionTimestamp: '2026-01-01T00:00:30Z', deletionGracePeriodSeconds: 30 });
    expect(r.rule).toContain('terminationGracePeriodSeconds (30)');
  });

  it('gracePeriodSeconds=0 is still graceful (an update first), with period 0', () => {
    const o = pod({ nodeName: 'n1', terminationGracePeriodSeconds: 45 });
    const opts: DeleteOptions = { gracePeriodSeconds: 0 };
    expect(beforeDelete(pods, o, opts, now).graceful).toBe(true);
    expect(o.metadata).toMatchObject({ deletionTimestamp: '2026-01-01T00:00:00Z', deletionGracePeriodSeconds: 0 });
    expect(opts.gracePeriodSeconds).toBe(0);
  });

  it('an unscheduled or terminated pod has period 0 whatever was asked', () => {
    for (const o of [pod({}), pod({ nodeName: 'n1' }, {}, { phase: 'Succeeded' }), pod({ nodeName: 'n1' }, {}, { phase: 'Failed' })]) {
      const opts: DeleteOptions = { gracePeriodSeconds: 60 };
      beforeDelete(pods, o, opts, now);
      expect(opts.gracePeriodSeconds).toBe(0);
      expect(o.metadata.deletionGracePeriodSeconds).toBe(0);
    }
  });

  it('a pending graceful deletion: a longer or equal period leaves it pending, a shorter one moves the timestamp', () => {
    const deleting = () => pod({ nodeName: 'n1' }, { deletionTimestamp: '2026-01-01T00:00:30Z', deletionGracePeriodSeconds: 30 });
    expect(beforeDelete(pods, deleting(), { gracePeriodSeconds: 30 }, now)).toMatchObject({ graceful: false, pending: true });
    expect(beforeDelete(pods, deleting(), {}, now)).toMatchObject({ graceful: false, pending: true });
    const o = deleting();
    expect(beforeDelete(pods, o, { gracePeriodSeconds: 10 }, now)).toMatchObject({ graceful: true, pending: false });
    expect(o.metadata).toMatchObject({ deletionTimestamp: '2026-01-01T00:00:10Z', deletionGracePeriodSeconds: 10 });
    // Already at grace 0 (an interrupted deletion): delete now.
    expect(beforeDelete(pods, pod({ nodeName: 'n1' }, { deletionTimestamp: '2026-01-01T00:00:00Z', deletionGracePeriodSeconds: 0 }), {}, now)).toMatchObject({ graceful: false, pending: false });
  });

  it('a negative period means 1 s; generation moves on with a graceful deletion', () => {
    const o = pod({ nodeName: 'n1' }, { generation: 3 });
    const opts: DeleteOptions = { gracePeriodSeconds: -5 };
    beforeDelete(pods, o, opts, now);
    expect(opts.gracePeriodSeconds).toBe(1);
    expect(o.metadata.generation).toBe(4);
  });

  it('preconditions are checked against the object, with the registry\'s conflict text', () => {
    expect(() => beforeDelete(pods, pod(), { preconditions: { uid: 'other' } }, now)).toThrow(
      'Operation cannot be fulfilled on Pod "p": the UID in the precondition (other) does not match the UID in record (u1). The object might have been deleted and then recreated',
    );
    expect(() => beforeDelete(configmaps, { metadata: { name: 'c', resourceVersion: '7' } }, { preconditions: { resourceVersion: '6' } }, now)).toThrow(
      'Operation cannot be fulfilled on ConfigMap "c": the ResourceVersion in the precondition (6) does not match the ResourceVersion in record (7). The object might have been modified',
    );
  });

  it('resources without a graceful strategy are deleted at once', () => {
    const o: KubeObject = { metadata: { name: 'c' } };
    expect(beforeDelete(configmaps, o, { gracePeriodSeconds: 30 }, now)).toMatchObject({ graceful: false, pending: false });
    expect(o.metadata.deletionTimestamp).toBeUndefined();
  });
});

describe('finalizers', () => {
  it('propagationPolicy adds or removes the GC finalizers; Background changes nothing', () => {
    const o: KubeObject = { metadata: { name: 'c', finalizers: ['example.com/x'] } };
    expect(finalizersForGarbageCollection(o, { propagationPolicy: 'Background' })).toEqual({ changed: false, finalizers: ['example.com/x'] });
    expect(finalizersForGarbageCollection(o, { propagationPolicy: 'Orphan' })).toEqual({ changed: true, finalizers: ['example.com/x', 'orphan'] });
    expect(finalizersForGarbageCollection(o, { propagationPolicy: 'Foreground' })).toEqual({ changed: true, finalizers: ['example.com/x', 'foregroundDeletion'] });
    expect(finalizersForGarbageCollection({ metadata: { name: 'c', finalizers: ['orphan'] } }, { orphanDependents: false })).toEqual({ changed: true, finalizers: [] });
  });

  it('markAsDeleting: deletionTimestamp now (never later), grace 0, generation once', () => {
    const o: KubeObject = { metadata: { name: 'c', generation: 1, finalizers: ['f'] } };
    markAsDeleting(o, now);
    expect(o.metadata).toMatchObject({ deletionTimestamp: '2026-01-01T00:00:00Z', deletionGracePeriodSeconds: 0, generation: 2 });
    markAsDeleting(o, now + 60_000);
    expect(o.metadata).toMatchObject({ deletionTimestamp: '2026-01-01T00:00:00Z', generation: 2 });
  });

  it('an update that removes the last finalizer of an object being deleted with grace 0 deletes it', () => {
    const existing: KubeObject = { metadata: { name: 'c', finalizers: ['f'], deletionTimestamp: '2026-01-01T00:00:00Z', deletionGracePeriodSeconds: 0 } };
    expect(shouldDeleteDuringUpdate({ metadata: { name: 'c' } }, existing)).toBe(true);
    expect(shouldDeleteDuringUpdate({ metadata: { name: 'c', finalizers: ['g'] } }, existing)).toBe(false);
    expect(shouldDeleteDuringUpdate({ metadata: { name: 'c' } }, { metadata: { name: 'c', finalizers: ['f'] } })).toBe(false);
    expect(shouldDeleteDuringUpdate({ metadata: { name: 'c' } }, { metadata: { name: 'c', deletionTimestamp: '2026-01-01T00:00:30Z', deletionGracePeriodSeconds: 30 } })).toBe(false);
  });
});

describe('DeleteOptions', () => {
  it('refuses what ValidateDeleteOptions refuses', () => {
    expect(() => parseDeleteOptions({ propagationPolicy: 'Sometimes' })).toThrow('Unsupported value: "Sometimes"');
    expect(parseDeleteOptions({ gracePeriodSeconds: 5, propagationPolicy: 'Background' })).toEqual({ gracePeriodSeconds: 5, propagationPolicy: 'Background' });
    expect(parseDeleteOptions(undefined)).toEqual({});
  });
});
