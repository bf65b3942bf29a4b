// Label selectors with kube's syntax (apimachinery pkg/labels/selector.go): comma-separated
// requirements `k`, `!k`, `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k>n`, `k<n`.
// Parse errors become 400 BadRequest, as the apiserver answers for a bad labelSelector.
import { DNS1123_SUBDOMAIN } from '../dns1123.js';
import { newBadRequest } from '../errors.js';
import type { Selector } from '../cacher/types.js';

export type LabelOperator = 'exists' | '!' | '=' | '==' | '!=' | 'in' | 'notin' | 'gt' | 'lt';

export interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  values: string[];
}

// Qualified name: optional DNS-1123 subdomain prefix + '/', name of ≤63 alphanumerics with -_. inside.
const NAME_RE = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const VALUE_RE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function fail(msg: string): never {
  throw newBadRequest(`unable to parse requirement: ${msg}`);
}

function validateKey(key: string): void {
  const parts = key.split('/');
  let name = key;
  if (parts.length === 2) {
    const prefix = parts[0]!;
    name = parts[1]!;
    if (prefix.length === 0) fail(`<nil>: Invalid value: "${key}": prefix part must be non-empty`);
    if (prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix))
      fail(`<nil>: Invalid value: "${key}": prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`);
  } else if (parts.length > 2) {
    fail(`<nil>: Invalid value: "${key}": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`);
  }
  if (name.length === 0) fail(`<nil>: Invalid value: "${key}": name part must be non-empty`);
  if (name.length > 63) fail(`<nil>: Invalid value: "${key}": name part must be no more than 63 characters`);
  if (!NAME_RE.test(name))
    fail(`<nil>: Invalid value: "${key}": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`);
}

function validateValue(v: string, i: number): void {
  if (v.length > 63) fail(`values[${i}][${v}]: Invalid value: "${v}": must be no more than 63 characters`);
  if (!VALUE_RE.test(v))
    fail(`values[${i}][${v}]: Invalid value: "${v}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`);
}

type Tok = { kind: 'id' | 'op' | '(' | ')' | ',' | '!' | 'end'; text: string };

// Identifier characters are everything except whitespace and the special characters
// (the lexer in pkg/labels/selector.go works the same way).
function lex(s: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') { i++; continue; }
    if (c === '(' || c === ')' || c === ',') { out.push({ kind: c, text: c }); i++; continue; }
    if (c === '!' && s[i + 1] === '=') { out.push({ kind: 'op', text: '!=' }); i += 2; continue; }
    if (c === '!') { out.push({ kind: '!', text: '!' }); i++; continue; }
    if (c === '=' && s[i + 1] === '=') { out.push({ kind: 'op', text: '==' }); i += 2; continue; }
    if (c === '=' || c === '>' || c === '<') { out.push({ kind: 'op', text: c }); i++; continue; }
    let j = i;
    while (j < s.length && !' \t\n\r(),!=<>'.includes(s[j]!)) j++;
    out.push({ kind: 'id', text: s.slice(i, j) });
    i = j;
  }
  out.push({ kind: 'end', text: '' });
  return out;
}

export function parseLabelRequirements(text: string): LabelRequirement[] {
  const toks = lex(text);
  let p = 0;
  const peek = () => toks[p]!;
  const take = () => toks[p++]!;
  const reqs: LabelRequirement[] = [];
  if (peek().kind === 'end') return reqs;
  for (;;) {
    let negate = false;
    if (peek().kind === '!') { take(); negate = true; }
    const k = take();
    if (k.kind !== 'id') fail(`found '${k.text}', expected: identifier`);
    validateKey(k.text);
    if (negate) {
      reqs.push({ key: k.text, operator: '!', values: [] });
    } else {
      const t = peek();
      if (t.kind === ',' || t.kind === 'end') {
        reqs.push({ key: k.text, operator: 'exists', values: [] });
      } else if (t.kind === 'op') {
        take();
        const v = peek();
        let value = '';
        if (v.kind === 'id') { take(); value = v.text; } else if (v.kind !== ',' && v.kind !== 'end') fail(`found '${v.text}', expected: identifier`);
        validateValue(value, 0);
        const op: LabelOperator = t.text === '>' ? 'gt' : t.text === '<' ? 'lt' : (t.text as LabelOperator);
        if ((op === 'gt' || op === 'lt') && !/^-?\d+$/.test(value))
          fail(`values[0]: Invalid value: "${value}": for 'Gt', 'Lt' operators, the value must be an integer`);
        reqs.push({ key: k.text, operator: op, values: [value] });
      } else if (t.kind === 'id' && (t.text === 'in' || t.text === 'notin')) {
        take();
        const open = take();
        if (open.kind !== '(') fail(`found '${open.text}', expected: '('`);
        const values: string[] = [];
        for (;;) {
          const v = peek();
          if (v.kind === 'id') { take(); values.push(v.text); }
          else values.push('');
          const sep = take();
          if (sep.kind === ')') break;
          if (sep.kind !== ',') fail(`found '${sep.text}', expected: ',' or ')'`);
        }
        values.forEach(validateValue);
        reqs.push({ key: k.text, operator: t.text as 'in' | 'notin', values });
      } else {
        fail(`found '${t.text}', expected: in, notin, =, ==, !=, gt, lt`);
      }
    }
    const sep = take();
    if (sep.kind === 'end') break;
    if (sep.kind !== ',') fail(`found '${sep.text}', expected: ',' or 'end of string'`);
  }
  return reqs;
}

function requirementMatches(r: LabelRequirement, set: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(set, r.key);
  const v = has ? set[r.key]! : undefined;
  switch (r.operator) {
    case 'exists': return has;
    case '!': return !has;
    case '=': case '==': return has && v === r.values[0];
    case 'in': return has && r.values.includes(v!);
    case '!=': return !has || v !== r.values[0];
    case 'notin': return !has || !r.values.includes(v!);
    case 'gt': case 'lt': {
      if (!has || !/^-?\d+$/.test(v!)) return false;
      const a = Number(v), b = Number(r.values[0]);
      return r.operator === 'gt' ? a > b : a < b;
    }
  }
}

export class LabelSelector implements Selector {
  readonly empty: boolean;
  constructor(readonly text: string, readonly requirements: LabelRequirement[]) {
    this.empty = requirements.length === 0;
  }
  matches(set: Record<string, string>): boolean {
    for (const r of this.requirements) if (!requirementMatches(r, set)) return false;
    return true;
  }
  requiresExactMatch(field: string): string | undefined {
    for (const r of this.requirements) {
      if (r.key !== field) continue;
      if (r.operator === '=' || r.operator === '==' || (r.operator === 'in' && r.values.length === 1)) return r.values[0];
    }
    return undefined;
  }
}

export function parseLabelSelector(text: string | undefined): LabelSelector {
  const t = text ?? '';
  return new LabelSelector(t, parseLabelRequirements(t));
}

export const everythingLabels = (): LabelSelector => new LabelSelector('', []);
