import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listContexts, loadContext } from './kubeconfig.js';
import { loginShellPath, mergePaths, resetLoginShellPathCache } from './shell-path.js';

const dir = mkdtempSync(join(tmpdir(), 'watchscope-kc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const a = join(dir, 'a.yaml');
const b = join(dir, 'b.yaml');
writeFileSync(
  a,
  `apiVersion: v1
kind: Config
current-context: one
clusters:
- name: c1
  cluster: {server: "https://one.example:6443", insecure-skip-tls-verify: true}
users:
- name: u1
  user: {token: secret-token-1}
contexts:
- name: one
  context: {cluster: c1, user: u1, namespace: team-a}
- name: shared
  context: {cluster: c1, user: u1}
`,
);
writeFileSync(join(dir, 'tok'), 'from-file\n');
writeFileSync(
  b,
  `apiVersion: v1
kind: Config
current-context: two
clusters:
- name: c2
  cluster: {server: "https://two.example:6443"}
users:
- name: u2
  user: {tokenFile: tok}
- name: u3
  user:
    exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: some-plugin}
contexts:
- name: two
  context: {cluster: c2, user: u2}
- name: shared
  context: {cluster: c2, user: u2}
- name: three
  context: {cluster: c2, user: u3}
`,
);

describe('kubeconfig loading with kubectl merge rules', () => {
  it('merges files: first definition and first current-context win; lists no credentials', () => {
    const ctxs = listContexts({ kubeconfig: [a, join(dir, 'missing.yaml'), b].join(delimiter) });
    expect(ctxs.map((c) => c.name)).toEqual(['one', 'shared', 'two', 'three']);
    expect(ctxs.find((c) => c.current)?.name).toBe('one');
    expect(ctxs.find((c) => c.name === 'shared')?.server).toBe('https://one.example:6443');
    expect(ctxs.find((c) => c.name === 'one')).toMatchObject({ user: 'u1', namespace: 'team-a', authMethod: 'token' });
    expect(ctxs.find((c) => c.name === 'three')?.authMethod).toBe('exec: some-plugin');
    expect(JSON.stringify(ctxs)).not.toContain('secret-token-1');
  });

  it('reads tokenFile relative to its kubeconfig and trims it', async () => {
    const l = await loadContext({ kubeconfig: b, context: 'two' });
    expect(l.user?.token).toBe('from-file');
  });

  it('names unknown contexts clearly', async () => {
    await expect(loadContext({ kubeconfig: a, context: 'nope' })).rejects.toThrow(/context "nope" is not in the kubeconfig .*known contexts: one, shared/);
  });

  it('gives exec plugins the login shell PATH', async () => {
    const shell = join(dir, 'shell');
    writeFileSync(shell, '#!/bin/sh\nfor a; do c="$a"; done\necho "banner on stdout"\nPATH="/opt/login-only/bin:$PATH" exec /bin/sh -c "$c"\n');
    chmodSync(shell, 0o755);
    const old = process.env.SHELL;
    process.env.SHELL = shell;
    resetLoginShellPathCache();
    try {
      expect((await loginShellPath()).split(delimiter)[0]).toBe('/opt/login-only/bin');
      const l = await loadContext({ kubeconfig: b, context: 'three' });
      const env = (l.user?.exec as { env: { name: string; value: string }[] }).env;
      expect(env.find((e) => e.name === 'PATH')?.value.split(delimiter)[0]).toBe('/opt/login-only/bin');
    } finally {
      process.env.SHELL = old;
      resetLoginShellPathCache();
    }
  });

  it('mergePaths keeps order and drops repeats', () => {
    expect(mergePaths(`/a${delimiter}/b`, `/b${delimiter}/c`)).toBe(`/a${delimiter}/b${delimiter}/c`);
  });
});
