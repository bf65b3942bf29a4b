import { describe, expect, it } from 'vitest';
import { fillLevel, formatBytes, formatCount, formatDuration, formatPercent } from './format.js';

describe('format', () => {
  it('counts', () => {
    expect(formatCount(0)).toBe('0');
    expect(formatCount(999)).toBe('999');
    expect(formatCount(1234)).toBe('1.2k');
    expect(formatCount(12_345)).toBe('12k');
    expect(formatCount(3_400_000)).toBe('3.4M');
    expect(formatCount(2000)).toBe('2k');
    expect(formatCount(undefined)).toBe('–');
  });
  it('durations', () => {
    expect(formatDuration(12.4)).toBe('12 ms');
    expect(formatDuration(3400)).toBe('3.4 s');
    expect(formatDuration(42_000)).toBe('42 s');
    expect(formatDuration(125_000)).toBe('2m 05s');
    expect(formatDuration(3_720_000)).toBe('1h 02m');
  });
  it('percent and fill levels', () => {
    expect(formatPercent(0.75)).toBe('75%');
    expect(formatPercent(0.001)).toBe('<1%');
    expect(fillLevel(69, 100)).toBe('ok');
    expect(fillLevel(70, 100)).toBe('warn');
    expect(fillLevel(10, 10)).toBe('full');
    expect(fillLevel(0, 0)).toBe('ok');
  });
});

describe('formatBytes', () => {
  it('uses binary multiples with one decimal below 10', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(512 * 2 ** 20)).toBe('512 MB');
    expect(formatBytes(3.4 * 2 ** 30)).toBe('3.4 GB');
    expect(formatBytes(undefined)).toBe('–');
  });
});
