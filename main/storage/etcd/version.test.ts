import { describe, expect, it } from 'vitest';
import { parseEtcdVersion, supportsRequestWatchProgress } from './version.js';

describe('supportsRequestWatchProgress (feature_support_checker)', () => {
  const table: [string, boolean][] = [
    ['3.4.23', false], // Debian bookworm's etcd
    ['3.4.30', false],
    ['3.4.31', true],
    ['3.4.34', true],
    ['3.5.0', false],
    ['3.5.12', false],
    ['3.5.13', true],
    ['3.5.21', true],
    ['3.6.0', true],
    ['v3.6.4', true],
    ['3.3.27', false],
    ['2.3.8', false],
    ['4.0.0', true],
    ['3.5.13-rc.0', true],
    ['not-a-version', false],
    ['', false],
  ];
  it.each(table)('%s → %s', (v, want) => {
    expect(supportsRequestWatchProgress(v)).toBe(want);
  });

  it('parses prefixes and keeps the text', () => {
    expect(parseEtcdVersion('v3.5.13')).toEqual({ major: 3, minor: 5, patch: 13, text: 'v3.5.13' });
    expect(parseEtcdVersion('3.x')).toBeUndefined();
  });
});
