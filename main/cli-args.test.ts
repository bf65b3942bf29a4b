import { describe, expect, it } from 'vitest';
import { helpText, parseArgs, UsageError } from './cli-args.js';

describe('parseArgs', () => {
  it('refuses ports outside 1–65535 before anything starts', () => {
    for (const v of ['99999', '0', '-1', '65536', '80a', '1e3', '']) {
      expect(() => parseArgs(['demo', '--ui-port', v]), v).toThrow(/--ui-port wants a port number 1–65535/);
    }
    expect(parseArgs(['demo', '--ui-port', '65535'])).toMatchObject({ uiPort: 65535 });
    expect(() => parseArgs(['demo', '--listen', '127.0.0.1:65536'])).toThrow(/out of range/);
  });

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

  it('parses --record and its settings; refuses them without --record', () => {
    expect(parseArgs(['demo', '--record', 'r.wsrec.gz', '--record-values', '--record-limit', '200M', '--record-on-limit', 'stop'])).toMatchObject({
      cmd: 'demo',
      record: { file: 'r.wsrec.gz', values: true, maxBytes: 200 * 2 ** 20, onLimit: 'stop' },
    });
    expect(parseArgs(['serve', '--etcd', 'http://127.0.0.1:2379', '--record', 'x.gz'])).toMatchObject({ record: { file: 'x.gz', values: false } });
    expect(parseArgs(['demo', '--record', 'x', '--record-on-limit', 'drop-oldest'])).toMatchObject({ record: { onLimit: 'dropOldest' } });
    expect(() => parseArgs(['demo', '--record-values'])).toThrow(/need --record FILE/);
    expect(() => parseArgs(['demo', '--record', 'x', '--record-limit', '10K'])).toThrow(/at least 1M/);
    expect(() => parseArgs(['demo', '--record', 'x', '--record-limit', 'lots'])).toThrow(/wants a size such as 200M/);
    expect(() => parseArgs(['demo', '--record', 'x', '--record-on-limit', 'wrap'])).toThrow(/drop-oldest or stop/);
  });

  it('parses --consistency-check-interval as a duration; 0 turns the periodic check off', () => {
    expect(parseArgs(['demo', '--consistency-check-interval', '30s'])).toMatchObject({ consistencyCheckMs: 30_000 });
    expect(parseArgs(['serve', '--etcd', 'http://127.0.0.1:2379', '--consistency-check-interval', '1h'])).toMatchObject({ consistencyCheckMs: 3_600_000 });
    expect(parseArgs(['demo', '--consistency-check-interval', '0'])).toMatchObject({ consistencyCheckMs: 0 });
    expect(parseArgs(['demo'])).not.toHaveProperty('consistencyCheckMs');
    expect(() => parseArgs(['demo', '--consistency-check-interval', '5'])).toThrow('--consistency-check-interval wants a unit (ms, s, m or h), got "5"');
    expect(() => parseArgs(['demo', '--consistency-check-interval', '500ms'])).toThrow('--consistency-check-interval must be between 1s and 24h (or 0), got "500ms"');
    expect(() => parseArgs(['demo', '--consistency-check-interval', 'often'])).toThrow(/wants a duration such as 30s, 5m or 1h/);
  });

  it('parses audit FILE with --profile, --output and --etcd-progress', () => {
    expect(parseArgs(['audit', 'audit.log.gz'])).toEqual({ cmd: 'audit', file: 'audit.log.gz', gates: {}, output: 'text', etcdProgress: true });
    expect(parseArgs(['audit', 'a.log', '--profile', '1.31', '--output', 'json', '--etcd-progress', 'untrusted', '--gate', 'WatchList=true'])).toEqual({
      cmd: 'audit', file: 'a.log', profile: '1.31', gates: { WatchList: true }, output: 'json', etcdProgress: false,
    });
    expect(() => parseArgs(['audit'])).toThrow(/needs the audit log FILE/);
    expect(() => parseArgs(['audit', 'a', '--output', 'yaml'])).toThrow(/--output wants text or json, got "yaml"/);
    expect(() => parseArgs(['audit', 'a', '--etcd-progress', 'maybe'])).toThrow(/--etcd-progress wants trusted or untrusted/);
  });

  it('parses time-travel with -n, --output and a bounded --every/--times', () => {
    expect(parseArgs(['time-travel', '--resource', 'pods'])).toEqual({ cmd: 'time-travel', resource: 'pods', attempts: 5, output: 'text', times: 1 });
    expect(parseArgs(['time-travel', '--context', 'prod', '--kubeconfig', 'k', '--resource', 'deployments.apps', '-n', '12', '--output', 'json'])).toEqual({
      cmd: 'time-travel', context: 'prod', kubeconfig: 'k', resource: 'deployments.apps', attempts: 12, output: 'json', times: 1,
    });
    expect(parseArgs(['time-travel', '--resource', 'cm', '--every', '30s', '--times', '3'])).toMatchObject({ everyMs: 30_000, times: 3 });
    expect(parseArgs(['time-travel', '--resource', 'cm', '--every', '1m'])).toMatchObject({ everyMs: 60_000, times: 10 });
    expect(() => parseArgs(['time-travel'])).toThrow(/needs --resource/);
    expect(() => parseArgs(['time-travel', '--resource', 'Pods!'])).toThrow(/--resource wants a resource name/);
    expect(() => parseArgs(['time-travel', '--resource', 'pods', '-n', '0'])).toThrow(/-n\/--attempts wants a whole number 1–50, got "0"/);
    expect(() => parseArgs(['time-travel', '--resource', 'pods', '-n', '51'])).toThrow(/1–50/);
    expect(() => parseArgs(['time-travel', '--resource', 'pods', '--times', '3'])).toThrow(/--times goes with --every/);
    expect(() => parseArgs(['time-travel', '--resource', 'pods', '--every', '10s', '--times', '101'])).toThrow(/--times wants a whole number 1–100/);
    expect(() => parseArgs(['time-travel', '--resource', 'pods', '--every', '0'])).toThrow(/--every wants a duration/);
  });

  it('parses replay FILE, with --compare needing a profile', () => {
    expect(parseArgs(['replay', 'r.wsrec.gz', '--web'])).toMatchObject({ cmd: 'replay', file: 'r.wsrec.gz', web: true, compare: false });
    expect(parseArgs(['replay', 'r.wsrec.gz', '--profile', '1.27', '--compare', '--json'])).toMatchObject({ cmd: 'replay', profile: '1.27', compare: true, json: true });
    expect(() => parseArgs(['replay'])).toThrow(/needs the recording FILE/);
    expect(() => parseArgs(['replay', 'a', 'b'])).toThrow(/unexpected argument "b"/);
    expect(() => parseArgs(['replay', 'a', '--compare'])).toThrow(/--compare needs --profile/);
    expect(() => parseArgs(['replay', 'a', '--profile', '1.27'])).toThrow(/go with --compare/);
    expect(parseArgs(['replay', 'a', '--report', 'r.html'])).toMatchObject({ cmd: 'replay', file: 'a', report: 'r.html' });
    expect(() => parseArgs(['replay', 'a', '--report', 'r.html', '--web'])).toThrow(/--report writes the report and exits/);
  });

  it('--listen keeps the loopback address given and refuses names that only look like one', () => {
    const listen = (v: string) => (parseArgs(['demo', '--listen', v]) as { listen: unknown }).listen;
    expect(listen('127.0.0.2:0')).toEqual({ host: '127.0.0.2', port: 0 });
    expect(listen('[::1]:6443')).toEqual({ host: '::1', port: 6443 });
    expect(listen('localhost:6443')).toEqual({ host: '127.0.0.1', port: 6443 });
    for (const v of ['127.example.com:80', '127.0.0.1.nip.io:80', '128.0.0.1:80', '[::2]:80', '127.0.0.256:80']) {
      expect(() => parseArgs(['demo', '--listen', v]), v).toThrow(/--listen must be a loopback address/);
    }
  });

  it('--token wants at least 16 bearer-token characters and never echoes the token', () => {
    expect(parseArgs(['demo', '--token', 'abcdefghijklmnop'])).toMatchObject({ token: 'abcdefghijklmnop' });
    expect(parseArgs(['demo', '--token=a-b.c_d~e+f/g0123=='])).toMatchObject({ token: 'a-b.c_d~e+f/g0123==' });
    expect(() => parseArgs(['demo', '--token', 'secret'])).toThrow('--token must be at least 16 characters, got 6 (leave it out for a generated one)');
    expect(() => parseArgs(['demo', '--token='])).toThrow('--token must be at least 16 characters, got 0');
    for (const bad of ['has space in it 0123456', 'quote"0123456789abcdef', 'ünïcödé-0123456789']) {
      expect(() => parseArgs(['demo', '--token', bad]), bad).toThrow(/^--token may hold only letters, digits and - \. _ ~ \+ \/ \(then = padding\), as a bearer token does$/);
    }
    expect(parseArgs(['demo'])).not.toHaveProperty('token', expect.anything());
  });

  it('tokenizes as a POSIX-style command line: --flag=value, -h, -- and value-less flags', () => {
    expect(parseArgs(['demo', '--kubelets=4', '--web'])).toMatchObject({ kubelets: 4, web: true });
    expect(parseArgs(['serve', '-h', '--bogus'])).toEqual({ cmd: 'help', topic: 'serve' });
    expect(() => parseArgs(['serve', '--bogus', '--help'])).toThrow(/unknown flag --bogus/);
    expect(() => parseArgs(['serve', '-x'])).toThrow(/unknown flag -x for serve/);
    expect(() => parseArgs(['demo', '--web=yes'])).toThrow('--web takes no value');
    expect(() => parseArgs(['demo', '--scenario', '--web'])).toThrow('--scenario needs a value (NAME)');
    expect(() => parseArgs(['demo', '--scenario', 'a', '--scenario', 'b'])).toThrow('--scenario given twice');
    expect(parseArgs(['demo', '--gate', 'A=true', '--gate', 'B=false'])).toMatchObject({ gates: { A: true, B: false } });
    // After --, a FILE may start with dashes.
    expect(parseArgs(['replay', '--web', '--', '--odd-name.gz'])).toMatchObject({ file: '--odd-name.gz', web: true });
    expect(() => parseArgs(['demo', 'stray'])).toThrow('unexpected argument "stray" for demo');
  });

  it('parses open with an optional --pid', () => {
    expect(parseArgs(['open'])).toEqual({ cmd: 'open' });
    expect(parseArgs(['open', '--pid', '4242'])).toEqual({ cmd: 'open', pid: 4242 });
    for (const v of ['0', '-1', 'abc', '12x', '99999999999']) expect(() => parseArgs(['open', '--pid', v]), v).toThrow(`--pid wants a process id, got "${v}"`);
    expect(() => parseArgs(['open', 'extra'])).toThrow('unexpected argument "extra" for open');
  });

  it('parses serve in kube mode', () => {
    expect(parseArgs(['serve', '--kubeconfig', 'k', '--context', 'prod', '--allow-writes'])).toMatchObject({
      mode: 'kube',
      kubeconfig: 'k',
      context: 'prod',
      allowWrites: true,
    });
  });

  it('parses the audit stream as a source: alone, or beside a kubeconfig context', () => {
    expect(parseArgs(['serve', '--audit-log', 'audit.log', '--profile', '1.31'])).toMatchObject({ cmd: 'serve', mode: 'audit', audit: { log: 'audit.log' }, profile: '1.31' });
    expect(parseArgs(['serve', '--audit-webhook', 'wh.kubeconfig'])).toMatchObject({ mode: 'audit', audit: { webhookKubeconfig: 'wh.kubeconfig' } });
    expect(parseArgs(['serve', '--context', 'prod', '--audit-log', 'a.log', '--audit-webhook', 'wh'])).toMatchObject({
      mode: 'kube',
      context: 'prod',
      audit: { log: 'a.log', webhookKubeconfig: 'wh' },
    });
    expect(parseArgs(['serve', '--context', 'prod'])).not.toHaveProperty('audit');
  });

  it.each([
    [['serve', '--etcd', 'http://a:1', '--audit-log', 'a.log'], /use them with --context, or alone, not with --etcd/],
    [['serve', '--audit-log', 'a.log', '--allow-writes'], /no cluster to write to/],
    [['serve', '--audit-log'], /needs a value/],
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
