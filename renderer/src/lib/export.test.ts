import { describe, expect, it } from 'vitest';
import type { Decision } from '../../../shared/model.js';
import { decisionColumns, exportName, toCsv } from './export.js';

const d = (over: Partial<Decision>): Decision => ({
  id: 1,
  time: Date.UTC(2026, 11, 3, 10, 0, 0),
  verb: 'list',
  resource: 'pods',
  query: {},
  profile: '1.34',
  servedBy: 'cache',
  reason: 'servedFromCache',
  detail: 'ok',
  status: 200,
  latencyMs: 1.5,
  userAgent: 'kubectl',
  ...over,
});

describe('toCsv', () => {
  it('writes a header and one line per row, empty cells for absent fields', () => {
    const csv = toCsv([d({}), d({ id: 2, namespace: 'ns', query: { limit: '5', continue: 'x' } })], decisionColumns);
    const lines = csv.trimEnd().split('\r\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe('id,time,verb,resource,namespace,name,query,userAgent,user,profile,servedBy,reason,status,latencyMs,resourceVersion,replica,source,detail');
    expect(lines[1]).toBe('1,2026-12-03T10:00:00.000Z,list,pods,,,,kubectl,,1.34,cache,servedFromCache,200,1.5,,,endpoint,ok');
    expect(lines[2]).toContain(',ns,,limit=5&continue=x,');
  });

  it('says which rows were inferred from the audit stream, and who sent them', () => {
    const csv = toCsv([d({ source: 'audit', inferred: true, user: 'system:serviceaccount:kube-system:job-controller' })], decisionColumns);
    const row = csv.trimEnd().split('\r\n')[1]!;
    expect(row).toContain(',kubectl,system:serviceaccount:kube-system:job-controller,1.34,');
    expect(row.endsWith(',audit,ok')).toBe(true);
  });

  it('quotes commas, quotes and newlines as RFC 4180 asks', () => {
    const csv = toCsv([d({ detail: 'a, "b"\nc' })], decisionColumns);
    expect(csv.trimEnd().split('\r\n')[1]!.endsWith(',"a, ""b""\nc"')).toBe(true);
  });

  it('defuses cells a spreadsheet would run as formulas', () => {
    const csv = toCsv([d({ userAgent: '=HYPERLINK("http://x")' }), d({ userAgent: '@SUM(A1)' }), d({ userAgent: '-1+2' })], decisionColumns);
    const rows = csv.trimEnd().split('\r\n').slice(1);
    expect(rows[0]).toContain(`,"'=HYPERLINK(""http://x"")",`);
    expect(rows[1]).toContain(",'@SUM(A1),");
    expect(rows[2]).toContain(",'-1+2,");
    // Numbers are numbers, not defused text.
    expect(toCsv([d({ latencyMs: -1 })], decisionColumns)).toContain(',-1,');
  });
});

describe('exportName', () => {
  it('is sortable and has no characters a file system refuses', () => {
    expect(exportName('requests', 'csv', Date.UTC(2026, 11, 3, 10, 1, 2))).toBe('watchscope-requests-2026-12-03T10-01-02.csv');
  });
});
