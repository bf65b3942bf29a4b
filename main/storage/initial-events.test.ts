import { describe, expect, it } from 'vitest';
import { areInitialEventsRequired } from './initial-events.js';

describe('areInitialEventsRequired', () => {
  it('RV 0 without sendInitialEvents replays the state (the legacy watch)', () => {
    expect(areInitialEventsRequired(0, undefined)).toBe(true);
  });
  it('any other RV without sendInitialEvents only resumes', () => {
    expect(areInitialEventsRequired(1, undefined)).toBe(false);
    expect(areInitialEventsRequired(12345, undefined)).toBe(false);
  });
  it('sendInitialEvents decides whenever the client sent it', () => {
    expect(areInitialEventsRequired(0, false)).toBe(false);
    expect(areInitialEventsRequired(0, true)).toBe(true);
    expect(areInitialEventsRequired(77, true)).toBe(true);
    expect(areInitialEventsRequired(77, false)).toBe(false);
  });
});
