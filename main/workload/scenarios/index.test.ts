import { describe, it, expect } from 'vitest';
import { scenarios, findScenario } from './index.js';
import type { ScenarioContext } from './types.js';

describe('scenario presets', () => {
  it('are the eight presets, uniquely named, each with a title and an explanation citing upstream', () => {
    expect(scenarios.map((s) => s.name)).toEqual([
      'event-storm', 'slow-watcher', 'paginated-list', 'consistent-list', 'ha-time-travel', 'compaction', 'etcd-restart', 'big-list',
    ]);
    for (const s of scenarios) {
      expect(s.title.length).toBeGreaterThan(3);
      expect(s.explanation.length).toBeGreaterThan(120);
      expect(s.explanation).toMatch(/#\d+|KEP-\d+/);
      expect(findScenario(s.name)).toBe(s);
    }
    expect(findScenario('nope')).toBeUndefined();
  });

  it('the HA preset says what it needs instead of failing obscurely without a replica', async () => {
    const ha = findScenario('ha-time-travel')!;
    expect(ha.needsReplica).toBe(true);
    const r = await ha.run({} as ScenarioContext);
    expect(r.ok).toBe(false);
    expect(r.signature.skipped).toBe(true);
    expect(r.summary).toMatch(/second cacher replica/);
  });
});
