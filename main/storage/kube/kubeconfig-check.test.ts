import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listContexts } from './kubeconfig.js';

const SECRET = 'sekret-TOKEN-9f8e7d6c5b4a';
const dir = mkdtempSync(join(tmpdir(), 'ws-kcheck-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const good = (user: string) => `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: https://127.0.0.1:6443
users:
- name: u
  user:
${user}
contexts:
- name: x
  context:
    cluster: c
    user: u
current-context: x
`;

// [what, file text, expected message (after "kubeconfig FILE")]
const cases: [string, string, RegExp][] = [
  ['a tab in the indentation', good(`\ttoken: ${SECRET}`), /, line 10: not valid YAML \(/],
  ['an unclosed quote', good(`    token: "${SECRET}`), /, line \d+: not valid YAML \(/],
  ['a flow mapping left open', `clusters: {name: ${SECRET}\nusers: []\n`, /, line \d+: not valid YAML \(/],
  ['an empty file', '', /: the file is empty$/],
  ['a bare string', SECRET, /, line 1: the top level is not a mapping/],
  ['a list at the top', `- ${SECRET}\n`, /, line 1: the top level is not a mapping/],
  ['users as a mapping', `users:\n  token: ${SECRET}\n`, /, line 2: "users" is not a list/],
  ['clusters as a string', `clusters: ${SECRET}\n`, /, line 1: "clusters" is not a list/],
  ['a user without a name', `users:\n- user:\n    token: ${SECRET}\n`, /, line 2: users\[0\] has no name/],
  ['a numeric name', `users:\n- name: 12\n  user:\n    token: ${SECRET}\n`, /, line 2: users\[0\] has no name/],
  ['user as a list', `users:\n- name: u\n  user:\n  - ${SECRET}\n`, /, line 4: users\[0\]\.user is not a mapping/],
  ['token as a list', good(`    token:\n    - ${SECRET}`), /, line 11: users\[0\]\.user\.token is not a single value/],
  ['current-context as a mapping', `current-context:\n  a: ${SECRET}\n`, /, line 2: "current-context" is not a single value/],
];

describe('kubeconfig errors name the file, the line and what is wrong, never a value', () => {
  for (const [what, text, want] of cases) {
    it(what, () => {
      const file = join(dir, `${what.replace(/\W+/g, '-')}.yaml`);
      writeFileSync(file, text);
      let msg = '';
      try {
        listContexts({ kubeconfig: file });
      } catch (e) {
        msg = (e as Error).message;
      }
      expect(msg.startsWith(`kubeconfig ${file}`)).toBe(true);
      expect(msg).toMatch(want);
      expect(msg).not.toContain(SECRET);
      expect(msg).not.toContain('\n');
    });
  }

  it('a missing file says so without a stack of OS text', () => {
    expect(() => listContexts({ kubeconfig: join(dir, 'none.yaml') })).toThrow(`cannot read kubeconfig ${join(dir, 'none.yaml')}: no such file`);
  });

  it('a sound file still loads', () => {
    const file = join(dir, 'good.yaml');
    writeFileSync(file, good(`    token: ${SECRET}`));
    expect(listContexts({ kubeconfig: file }).map((c) => c.name)).toEqual(['x']);
  });
});
