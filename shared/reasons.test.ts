import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { REASON_CODES, REASONS, reasonText } from './reasons.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (/\.(ts|svelte)$/.test(name) && !/\.test\.ts$/.test(name)) out.push(p);
  }
  return out;
}

describe('reason codes: one list, one text each, all of them used', () => {
  it('every code has an explanation and the upstream rule it names', () => {
    const missing = REASON_CODES.filter((c) => !(REASONS[c].meaning.trim().length > 20 && REASONS[c].condition.trim().length > 10));
    expect(missing).toEqual([]);
    for (const c of REASON_CODES) expect(reasonText(c)).toBe(REASONS[c]);
    expect(reasonText('noSuchCode')).toBeUndefined();
  });

  it('every listed code is produced by the router or the endpoint (no text for codes nobody emits)', () => {
    const text = sources(join(root, 'main')).map((f) => readFileSync(f, 'utf8')).join('\n');
    const unused = REASON_CODES.filter((c) => !text.includes(`'${c}'`));
    expect(unused).toEqual([]);
  });

  it('the UI takes its texts from this list and keeps none of its own', () => {
    const ui = sources(join(root, 'renderer/src'));
    const users = ui.filter((f) => readFileSync(f, 'utf8').includes('shared/reasons.js'));
    expect(users.map((f) => f.slice(root.length + 1)).sort()).toEqual(['renderer/src/views/Console.svelte', 'renderer/src/views/Requests.svelte']);
    // A second table of texts in the renderer would drift from this one.
    for (const f of ui) expect(readFileSync(f, 'utf8'), f).not.toMatch(/servedFromCache\s*:\s*\{/);
  });
});
