import { describe, expect, it } from 'vitest';
import { helpText, parseArgs, UsageError } from './cli-args.js';

describe('parseArgs', () => {
  it('parses serve in etcd mode with TLS files, gates and resources', () => {
    const c = parseArgs([
      'serve', '--etcd', 'https://127.0.0.1:2379,https://127.0.0.1:2479', '--etcd-ca', 'ca.pem', '--etcd-cert', 'c.pem',
      '--etcd-key', 'k.pem', '--resources', 'pods, configmaps', '--gate', 'WatchList=false', '--gate=ListFromCacheSnapshot=true',
      '--listen', '127.0.0.1:6443', '--profile', '1.31',
    ]);
    expect(c).toMatchObject({
      cmd: 'serve',
      mode: 'etcd',
      etcd: ['https://127.0.0.1:2379', 'https://127.0.0.1:2479'],
      etcdCa: 'ca.pem',
      etcdPrefix: '/registry',
      resources: ['pods', 'configmaps'],
      gates: { WatchList: false, ListFromCacheSnapshot: true },
      listen: { host: '127.0.0.1', port: 6443 },
      profile: '1.31',
    });
  });

  it('parses serve in kube mode', () => {
    expect(parseArgs(['serve', '--kubeconfig', 'k', '--context', 'prod', '--allow-writes'])).toMatchObject({
      mode: 'kube',
      kubeconfig: 'k',
      context: 'prod',
      allowWrites: true,
    });
  });

  it.each([
    [['serve', '--etcd', 'localhost:2379'], /http:\/\/ or https:\/\//],
    [['serve', '--etcd', 'http://a:1', '--context', 'x'], /either --etcd or --kubeconfig/],
    [['serve', '--listen', '0.0.0.0:80', '--etcd', 'http://a:1'], /loopback/],
    [['serve', '--bogus'], /unknown flag --bogus/],
    [['serve', '--etcd'], /needs a value/],
    [['serve', '--gate', 'WatchList=yes', '--etcd', 'http://a:1'], /Name=true\|false/],
    [['serve', '--etcd', 'http://a:1', '--etcd-cert', 'c'], /go together/],
    [['serve', '--etcd-ca', 'x'], /need --etcd/],
    [['demo', '--writes', '-3'], /whole number/],
    [['frobnicate'], /unknown command/],
  ])('rejects %j with a clear message', (argv, msg) => {
    expect(() => parseArgs(argv as string[])).toThrow(UsageError);
    expect(() => parseArgs(argv as string[])).toThrow(msg as RegExp);
  });

  it('demo defaults to a UI and accepts workload knobs', () => {
    expect(parseArgs(['demo', '--web', '--kubelets', '7', '--scenario', 'event-storm'])).toMatchObject({
      cmd: 'demo',
      ui: true,
      web: true,
      kubelets: 7,
      scenario: 'event-storm',
    });
    expect(parseArgs(['demo', '--no-ui'])).toMatchObject({ ui: false });
  });

  it('help documents every flag of every command', () => {
    const h = helpText();
    for (const flag of ['--etcd ', '--etcd-ca', '--kubeconfig', '--context', '--allow-writes', '--gate', '--write-kubeconfig', '--scenario', '--web']) {
      expect(h).toContain(flag);
    }
    expect(parseArgs(['serve', '--help'])).toEqual({ cmd: 'help', topic: 'serve' });
  });
});
