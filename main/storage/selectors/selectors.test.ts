import { describe, expect, it } from 'vitest';
import { parseLabelSelector } from './label_selector.js';
import { parseFieldSelector } from './field_selector.js';
import { objectFields } from './object_fields.js';
import { StatusError } from '../errors.js';

const badRequest = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(StatusError);
    expect((e as StatusError).code).toBe(400);
    expect((e as StatusError).reason).toBe('BadRequest');
    return (e as StatusError).message;
  }
  throw new Error('expected a 400');
};

describe('label selectors', () => {
  it('parses and matches every operator', () => {
    const s = parseLabelSelector('app=web, tier==fe,env!=prod,zone in (a, b),team notin (x),owner,!legacy,prio>3');
    expect(s.requirements.map((r) => r.operator)).toEqual(['=', '==', '!=', 'in', 'notin', 'exists', '!', 'gt']);
    const ok = { app: 'web', tier: 'fe', zone: 'b', owner: 'me', prio: '4' };
    expect(s.matches(ok)).toBe(true);
    expect(s.matches({ ...ok, env: 'prod' })).toBe(false);
    expect(s.matches({ ...ok, zone: 'c' })).toBe(false);
    expect(s.matches({ ...ok, team: 'x' })).toBe(false);
    expect(s.matches({ ...ok, legacy: '' })).toBe(false);
    const { owner: _o, ...noOwner } = ok;
    expect(s.matches(noOwner)).toBe(false);
    expect(s.matches({ ...ok, prio: '3' })).toBe(false);
    // != and notin match a missing key; in does not.
    expect(parseLabelSelector('env!=prod').matches({})).toBe(true);
    expect(parseLabelSelector('env notin (a)').matches({})).toBe(true);
    expect(parseLabelSelector('env in (a)').matches({})).toBe(false);
    expect(parseLabelSelector('').empty).toBe(true);
    expect(parseLabelSelector('example.com/app=x').matches({ 'example.com/app': 'x' })).toBe(true);
    expect(parseLabelSelector('a=x,b in (y)').requiresExactMatch('b')).toBe('y');
  });

  it('rejects bad syntax with 400 unable to parse requirement', () => {
    expect(badRequest(() => parseLabelSelector('a in'))).toMatch(/^unable to parse requirement: found '', expected: '\('/);
    expect(badRequest(() => parseLabelSelector('a=b c'))).toMatch(/unable to parse requirement/);
    expect(badRequest(() => parseLabelSelector('-a=b'))).toMatch(/name part must consist of/);
    expect(badRequest(() => parseLabelSelector('a=b!'))).toMatch(/unable to parse requirement/);
    expect(badRequest(() => parseLabelSelector('a=' + 'x'.repeat(64)))).toMatch(/must be no more than 63 characters/);
    expect(badRequest(() => parseLabelSelector('a>x'))).toMatch(/must be an integer/);
  });
});

describe('field selectors', () => {
  it('parses =, ==, != with escapes and matches', () => {
    const s = parseFieldSelector('spec.nodeName=node-1,status.phase!=Failed,metadata.name==a\\,b');
    expect(s.matches({ 'spec.nodeName': 'node-1', 'status.phase': 'Running', 'metadata.name': 'a,b' })).toBe(true);
    expect(s.matches({ 'spec.nodeName': 'node-1', 'status.phase': 'Failed', 'metadata.name': 'a,b' })).toBe(false);
    expect(s.requiresExactMatch('spec.nodeName')).toBe('node-1');
    expect(s.requiresExactMatch('status.phase')).toBeUndefined();
    // A missing field selects as "".
    expect(parseFieldSelector('spec.nodeName=').matches({})).toBe(true);
  });

  it('rejects syntax errors and unsupported field labels', () => {
    expect(badRequest(() => parseFieldSelector('foo'))).toBe("invalid selector: 'foo'; can't understand 'foo'");
    expect(badRequest(() => parseFieldSelector('spec.foo=x', 'pods'))).toBe('field label not supported: spec.foo');
    expect(badRequest(() => parseFieldSelector('type=x', 'configmaps'))).toBe('field label not supported: type');
    expect(parseFieldSelector('type=Opaque', 'secrets').requirements).toHaveLength(1);
    expect(parseFieldSelector('metadata.namespace=x', 'configmaps').empty).toBe(false);
  });
});

describe('objectFields', () => {
  it('exposes metadata fields always and pod/secret specific fields', () => {
    const pod = { metadata: { name: 'p', namespace: 'ns' }, spec: { nodeName: 'n1', restartPolicy: 'Always' }, status: { phase: 'Running', podIP: '10.0.0.1' } };
    const f = objectFields('pods', pod);
    expect(f).toMatchObject({ 'metadata.name': 'p', 'metadata.namespace': 'ns', 'spec.nodeName': 'n1', 'status.phase': 'Running', 'status.podIP': '10.0.0.1', 'spec.hostNetwork': 'false', 'status.nominatedNodeName': '' });
    expect(objectFields('secrets', { metadata: { name: 's' }, type: 'Opaque' })).toEqual({ 'metadata.name': 's', 'metadata.namespace': '', type: 'Opaque' });
    expect(objectFields('configmaps', { metadata: { name: 'c', namespace: 'd' } })).toEqual({ 'metadata.name': 'c', 'metadata.namespace': 'd' });
  });
});
