import { lstatSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from 'vitest';
import { renderKubeconfig, writeKubeconfig } from './kubeconfig.js';

const dir = mkdtempSync(join(tmpdir(), 'ws-kcw-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const params = { server: 'https://127.0.0.1:6443', token: 'tok: "with" #yaml\nspecials', caPem: '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n', contextName: 'ctx: odd', namespace: 'ns' };

describe('the endpoint kubeconfig writer', () => {
  it('produces YAML a client library reads back exactly, whatever the values hold', () => {
    const kc = new KubeConfig();
    kc.loadFromString(renderKubeconfig(params));
    expect(kc.getCurrentContext()).toBe('ctx: odd');
    expect(kc.getCurrentUser()?.token).toBe(params.token);
    expect(kc.getCurrentCluster()?.server).toBe(params.server);
    expect(Buffer.from(kc.getCurrentCluster()!.caData!, 'base64').toString()).toBe(params.caPem);
    expect(kc.getContextObject('ctx: odd')?.namespace).toBe('ns');
  });

  it('writes mode 0600 and leaves no temporary file', async () => {
    const file = join(dir, 'sub', 'a.kubeconfig');
    await writeKubeconfig(file, params);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(join(dir, 'sub'))).toEqual(['a.kubeconfig']);
    await writeKubeconfig(file, { ...params, token: 'second' });
    expect(readFileSync(file, 'utf8')).toContain('second');
  });

  it('replaces a symlink planted at the path instead of writing through it', async () => {
    const victim = join(dir, 'victim.txt');
    writeFileSync(victim, 'untouched');
    const link = join(dir, 'link.kubeconfig');
    symlinkSync(victim, link);
    await writeKubeconfig(link, params);
    expect(readFileSync(victim, 'utf8')).toBe('untouched');
    expect(lstatSync(link).isSymbolicLink()).toBe(false);
    expect(statSync(link).mode & 0o777).toBe(0o600);
  });
});
