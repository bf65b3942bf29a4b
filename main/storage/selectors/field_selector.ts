// Field selectors (apimachinery pkg/fields/selector.go): comma-separated `k=v`, `k==v`, `k!=v`
// with backslash escapes. Only these operators exist for fields. Errors are 400 BadRequest.
import { newBadRequest } from '../errors.js';
import type { Selector } from '../cacher/types.js';
import { supportedFieldLabels } from './object_fields.js';

export interface FieldRequirement {
  field: string;
  operator: '=' | '==' | '!=';
  value: string;
}

function splitTerms(text: string): string[] {
  const terms: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) { cur += c + text[i + 1]; i++; continue; }
    if (c === ',') { terms.push(cur); cur = ''; continue; }
    cur += c;
  }
  terms.push(cur);
  return terms;
}

function unescape(s: string, whole: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\') {
      const n = s[i + 1];
      if (n !== '\\' && n !== ',' && n !== '=') throw newBadRequest(`invalid field selector: invalid escape sequence in '${whole}'`);
      out += n;
      i++;
      continue;
    }
    out += c;
  }
  return out;
}

export function parseFieldRequirements(text: string): FieldRequirement[] {
  if (text.trim() === '') return [];
  const out: FieldRequirement[] = [];
  for (const term of splitTerms(text)) {
    if (term === '') continue;
    // Find the first unescaped operator.
    let idx = -1;
    let op: FieldRequirement['operator'] = '=';
    for (let i = 0; i < term.length; i++) {
      const c = term[i]!;
      if (c === '\\') { i++; continue; }
      if (c === '!' && term[i + 1] === '=') { idx = i; op = '!='; break; }
      if (c === '=' && term[i + 1] === '=') { idx = i; op = '=='; break; }
      if (c === '=') { idx = i; op = '='; break; }
    }
    if (idx < 0) throw newBadRequest(`invalid selector: '${text}'; can't understand '${term}'`);
    const field = unescape(term.slice(0, idx), term).trim();
    const value = unescape(term.slice(idx + op.length), term);
    out.push({ field, operator: op, value });
  }
  return out;
}

export class FieldSelector implements Selector {
  readonly empty: boolean;
  constructor(readonly text: string, readonly requirements: FieldRequirement[]) {
    this.empty = requirements.length === 0;
  }
  matches(set: Record<string, string>): boolean {
    for (const r of this.requirements) {
      const v = set[r.field] ?? '';
      if (r.operator === '!=' ? v === r.value : v !== r.value) return false;
    }
    return true;
  }
  requiresExactMatch(field: string): string | undefined {
    for (const r of this.requirements) if (r.field === field && r.operator !== '!=') return r.value;
    return undefined;
  }
}

/**
 * Parses a field selector. With `resource`, rejects fields the resource does not support, as the
 * registry's field label conversion does (`field label not supported: X`).
 */
export function parseFieldSelector(text: string | undefined, resource?: string): FieldSelector {
  const t = text ?? '';
  const reqs = parseFieldRequirements(t);
  if (resource !== undefined) {
    const ok = supportedFieldLabels(resource);
    for (const r of reqs) if (!ok.has(r.field)) throw newBadRequest(`field label not supported: ${r.field}`);
  }
  return new FieldSelector(t, reqs);
}

export const everythingFields = (): FieldSelector => new FieldSelector('', []);
