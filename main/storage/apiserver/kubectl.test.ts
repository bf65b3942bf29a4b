// Real kubectl binaries against the endpoint, with the kubeconfig it writes (CA + token): the
// commands people run, each request's routing decision checked through the debug endpoint.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawn } from 'node:child_process';
import { existsSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { startTestApiServer, type TestApiServer } from './testing.js';

const exec = promisify(execFile);

function findOnPath(name: string): string | undefined {
  for (const d of (process.env.PATH ?? '').split(':')) if (d && existsSync(join(d, name))) return join(d, name);
  return undefined;
}

/** kubectl on PATH, plus the oldest versioned kubectl shipped beside the Cloud SDK's gcloud. */
function kubectls(): { name: string; bin: string }[] {
  const out: { name: string; bin: string }[] = [];
  const main = findOnPath('kubectl');
  if (main) out.push({ name: 'kubectl', bin: main });
  const dirs = new Set<string>();
  const gcloud = findOnPath('gcloud');
  if (gcloud) dirs.add(dirname(realpathSync(gcloud)));
  for (const d of dirs) {
    const old = join(d, 'kubectl.1.27');
    if (existsSync(old)) {
      out.push({ name: 'kubectl.1.27', bin: old });
      break;
    }
  }
  return out;
}

const bins = kubectls();
let h: TestApiServer;

beforeAll(async () => {
  h = await startTestApiServer();
  await h.request('POST', '/api/v1/namespaces', { body: { metadata: { name: 'default' } } });
  await h.request('POST', '/api/v1/namespaces', { body: { metadata: { name: 'team-a' } } });
  for (let i = 0; i < 4; i++) {
    await h.request('POST', `/api/v1/namespaces/${i % 2 ? 'team-a' : 'default'}/pods`, {
      body: {
        metadata: { name: `p${i}`, labels: { app: i < 2 ? 'web' : 'db' } },
        spec: { nodeName: `node-${i % 2}`, containers: [{ name: 'c', image: 'nginx' }] },
        status: { phase: 'Running' },
      },
    });
  }
});
afterAll(async () => {
  await h?.close();
});

if (bins.length === 0) it.skip('kubectl is not installed: skipping the kubectl tests', () => undefined);
if (!bins.some((b) => b.name === 'kubectl.1.27')) it.skip('kubectl.1.27 (shipped beside the Cloud SDK\'s gcloud) not found: the older-minor kubectl tests are skipped', () => undefined);

describe.each(bins)('$name', ({ name, bin }) => {
  const k = async (...args: string[]) => {
    const r = await exec(bin, ['--kubeconfig', h.kubeconfigPath, ...args], { encoding: 'utf8', timeout: 30_000 });
    return r.stdout;
  };
  const lastDecisions = async (sinceId: number) => {
    const r = await h.request('GET', `/debug/watchscope/decisions?since=${sinceId}`);
    return r.json as { verb: string; resource: string; servedBy: string; reason: string; status: number; userAgent: string; query: Record<string, string> }[];
  };

  it('get pods -A prints a table, served per the routing decision', async () => {
    const before = h.decisions.lastId;
    const out = await k('get', 'pods', '-A');
    expect(out).toMatch(/NAMESPACE\s+NAME\s+READY\s+STATUS/);
    for (const p of ['p0', 'p1', 'p2', 'p3']) expect(out).toContain(p);
    expect(out).toMatch(/team-a\s+p1\s+0\/1\s+Running/);
    const ds = (await lastDecisions(before)).filter((d) => d.resource === 'pods');
    expect(ds).toHaveLength(1);
    expect(ds[0]).toMatchObject({ verb: 'list', servedBy: 'etcd', reason: 'consistentReadFromStorage', status: 200 });
    expect(ds[0]!.userAgent).toMatch(/^kubectl/);
  });

  it('get -o json, label and field selectors', async () => {
    const json = JSON.parse(await k('get', 'pods', '-n', 'default', '-o', 'json'));
    expect(json.kind).toBe('List');
    expect(json.items.map((p: any) => p.metadata.name).filter((n: string) => /^p\d$/.test(n))).toEqual(['p0', 'p2']);
    const before = h.decisions.lastId;
    const sel = await k('get', 'pods', '-A', '-l', 'app=web', '--field-selector', 'spec.nodeName=node-1', '-o', 'name');
    expect(sel.trim().split('\n')).toEqual(['pod/p1']);
    const d = (await lastDecisions(before)).find((x) => x.resource === 'pods')!;
    expect(d.query).toMatchObject({ labelSelector: 'app=web', fieldSelector: 'spec.nodeName=node-1' });
  });

  it('get --raw with resourceVersion queries goes where the router says', async () => {
    const before = h.decisions.lastId;
    const zero = JSON.parse(await k('get', '--raw', '/api/v1/pods?resourceVersion=0'));
    expect(zero.items.length).toBeGreaterThanOrEqual(4);
    const exact = JSON.parse(await k('get', '--raw', `/api/v1/pods?resourceVersion=${zero.metadata.resourceVersion}&resourceVersionMatch=Exact&limit=2`));
    expect(exact.items).toHaveLength(2);
    expect(exact.metadata.continue).toBeTruthy();
    const ds = (await lastDecisions(before)).filter((x) => x.resource === 'pods');
    expect(ds.map((x) => `${x.servedBy}:${x.reason}`)).toEqual(['cache:servedFromCache', 'cache:exactRVFromSnapshot']);
  });

  it('apply -f creates then patches; delete removes', async () => {
    const file = join(h.dir, `${name}-cm.yaml`);
    const manifest = (v: string) =>
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied-${name.replace(/\./g, '-')}\n  namespace: default\n  labels: {owner: ${name.replace(/\./g, '-')}}\ndata:\n  key: "${v}"\n`;
    // kubectl 1.27 checks server-side field validation through OpenAPI v2 (protobuf), which
    // this server does not serve: apply needs --validate=false there. 1.28+ read /openapi/v3.
    const validate = name === 'kubectl.1.27' ? ['--validate=false'] : [];
    writeFileSync(file, manifest('one'));
    if (name === 'kubectl.1.27') await expect(k('apply', '-f', file)).rejects.toThrow(/the server could not find the requested resource/);
    expect(await k('apply', ...validate, '-f', file)).toMatch(/created/);
    writeFileSync(file, manifest('two'));
    const before = h.decisions.lastId;
    expect(await k('apply', ...validate, '-f', file)).toMatch(/configured/);
    const ds = await lastDecisions(before);
    expect(ds.some((d) => d.verb === 'patch' && d.status === 200 && d.servedBy === 'etcd')).toBe(true);
    const obj = JSON.parse(await k('get', 'cm', `applied-${name.replace(/\./g, '-')}`, '-o', 'json'));
    expect(obj.data.key).toBe('two');
    expect(obj.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']).toContain('two');
    expect(await k('label', 'cm', `applied-${name.replace(/\./g, '-')}`, 'extra=yes')).toMatch(/labeled/);
    expect(await k('get', 'cm', '-l', 'extra=yes', '-o', 'name')).toContain(`applied-${name.replace(/\./g, '-')}`);
    expect(await k('delete', '-f', file)).toMatch(/deleted/);
    await expect(k('get', 'cm', `applied-${name.replace(/\./g, '-')}`)).rejects.toThrow(/NotFound|not found/);
  });

  it('get -w streams new objects until killed', async () => {
    const child = spawn(bin, ['--kubeconfig', h.kubeconfigPath, 'get', 'pods', '-n', 'default', '-w'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const waitFor = async (re: RegExp) => {
      for (let i = 0; i < 100 && !re.test(out); i++) await new Promise((r) => setTimeout(r, 100));
      expect(out, err).toMatch(re);
    };
    try {
      await waitFor(/p2/);
      const before = h.decisions.lastId;
      const podName = `w-${name.replace(/\./g, '-')}`;
      await h.request('POST', '/api/v1/namespaces/default/pods', { body: { metadata: { name: podName }, spec: { containers: [{ name: 'c', image: 'x' }] }, status: { phase: 'Pending' } } });
      await waitFor(new RegExp(`${podName}\\s+0/1\\s+Pending`));
      void before;
      const watch = h.decisions.since(0).filter((d) => d.verb === 'watch' && d.userAgent.startsWith('kubectl')).at(-1)!;
      expect(watch).toMatchObject({ servedBy: 'cache', status: 200 });
    } finally {
      child.kill('SIGKILL');
    }
    // The socket's close reaches the endpoint when the loaded machine gets to it.
    const pods = h.backend.cachers.get('pods')!;
    for (let i = 0; i < 100 && pods.closedWatchers().length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(pods.closedWatchers().at(-1)?.closeReason).toBe('clientGone');
  });
});
