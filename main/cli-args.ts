// Parses watchscope's command line. Pure: no I/O, so every flag and error is unit-tested.
import { isIPv4 } from 'node:net';
import { parseArgs as parseArgsTokens, type ParseArgsConfig } from 'node:util';
import { TIME_TRAVEL_MAX_ATTEMPTS } from '../shared/time-travel.js';

export interface CommonFlags {
  profile?: string;
  gates: Record<string, boolean>;
  resources?: string[];
  listen: { host: string; port: number };
  writeKubeconfig?: string;
  token?: string;
  insecureHttp: boolean;
  ui: boolean;
  uiPort: number;
  /** --record FILE and its settings. */
  record?: { file: string; values: boolean; maxBytes?: number; onLimit?: 'dropOldest' | 'stop' };
  /** --consistency-check-interval: period of the cache-vs-etcd checks in ms (0: on demand only). */
  consistencyCheckMs?: number;
}

export type Command =
  | { cmd: 'help'; topic?: string }
  | { cmd: 'version' }
  | ({ cmd: 'serve'; mode: 'etcd'; etcd: string[]; etcdCa?: string; etcdCert?: string; etcdKey?: string; etcdPrefix: string } & CommonFlags)
  | ({ cmd: 'serve'; mode: 'kube'; kubeconfig?: string; context?: string; allowWrites: boolean; audit?: AuditFlags } & CommonFlags)
  | ({ cmd: 'serve'; mode: 'audit'; audit: AuditFlags } & CommonFlags)
  | ({
      cmd: 'demo';
      web: boolean;
      scenario?: string;
      writesPerSecond?: number;
      kubelets?: number;
      informers?: number;
      etcdBin?: string;
    } & CommonFlags)
  | { cmd: 'replay'; file: string; web: boolean; uiPort: number; profile?: string; gates: Record<string, boolean>; compare: boolean; json: boolean; report?: string }
  | { cmd: 'audit'; file: string; profile?: string; gates: Record<string, boolean>; output: 'text' | 'json'; etcdProgress: boolean }
  | { cmd: 'contexts'; kubeconfig?: string }
  | {
      cmd: 'time-travel';
      kubeconfig?: string;
      context?: string;
      resource: string;
      attempts: number;
      output: 'text' | 'json';
      /** Repeat the check every `everyMs`, `times` times in all (bounded). */
      everyMs?: number;
      times: number;
    }
  | { cmd: 'open'; pid?: number }
  | { cmd: 'scenarios' };

/** --audit-log FILE and/or --audit-webhook KUBECONFIG: the cluster's audit stream as a source. */
export interface AuditFlags {
  log?: string;
  /** Where to write the kubeconfig kube-apiserver reads with --audit-webhook-config-file. */
  webhookKubeconfig?: string;
}

export class UsageError extends Error {}

interface FlagSpec {
  name: string;
  arg?: string; // value placeholder; absent = boolean flag
  help: string;
  repeat?: boolean;
  /** A one-letter alias, e.g. "n" for -n. */
  short?: string;
}

const common: FlagSpec[] = [
  { name: 'resources', arg: 'LIST', help: 'resources to cache, comma-separated (default: pods,configmaps,secrets,services,namespaces,nodes,events,deployments,leases)' },
  { name: 'profile', arg: 'VERSION', help: 'Kubernetes routing profile: 1.27, 1.28, 1.31, 1.33, 1.34 (default 1.34; kube mode: from the cluster\'s /version)' },
  { name: 'gate', arg: 'Name=bool', help: 'override a feature gate of the profile (repeatable), e.g. --gate ListFromCacheSnapshot=false', repeat: true },
  { name: 'listen', arg: 'HOST:PORT', help: 'endpoint address, loopback only: 127.x.y.z, ::1 or localhost (default 127.0.0.1:0, a free port)' },
  { name: 'write-kubeconfig', arg: 'FILE', help: 'write a kubeconfig for the endpoint (token and CA) to FILE' },
  { name: 'token', arg: 'TOKEN', help: 'bearer token the endpoint requires, at least 16 characters (default: generated)' },
  { name: 'insecure-http', help: 'serve the endpoint over plain HTTP instead of HTTPS with a generated CA' },
  { name: 'ui-port', arg: 'PORT', help: 'port of the web UI listener (default: a free port)' },
  { name: 'record', arg: 'FILE', help: 'record the session to FILE (gzip\'d JSON lines; see `watchscope replay`)' },
  { name: 'record-values', help: 'also record objects\' values (Secret data is redacted even then)' },
  { name: 'record-limit', arg: 'SIZE', help: 'size limit of the recording, e.g. 200M or 2G (default 512M)' },
  { name: 'record-on-limit', arg: 'drop-oldest|stop', help: 'at the limit: drop the oldest segment (default) or stop recording' },
  {
    name: 'consistency-check-interval',
    arg: 'DURATION',
    help: 'compare each cache with etcd this often, e.g. 30s, 5m, 1h; 0 = on demand only (default 5m, as kube-apiserver 1.34+; kube mode: on demand only)',
  },
];

interface CommandSpec {
  summary: string;
  usage: string;
  flags: FlagSpec[];
  positional?: string;
}

const commands: Record<string, CommandSpec> = {
  demo: {
    summary: 'start a real etcd, the endpoint, a realistic workload and the UI (the built-in demo)',
    usage: 'watchscope demo [--web] [--scenario NAME] [flags]',
    flags: [
      { name: 'web', help: 'open the UI in a browser (web mode) instead of the desktop window' },
      { name: 'no-ui', help: 'run headless: endpoint and workload only' },
      { name: 'scenario', arg: 'NAME', help: 'run a scenario preset once ready (see `watchscope scenarios`)' },
      { name: 'writes', arg: 'N', help: 'pod writes per second of the demo controller (default 20)' },
      { name: 'kubelets', arg: 'N', help: 'simulated kubelets watching pods by spec.nodeName (default 5)' },
      { name: 'informers', arg: 'N', help: 'simulated informers (LIST rv=0 then WATCH) (default 3)' },
      { name: 'etcd-bin', arg: 'FILE', help: 'etcd binary (default: $ETCD_BIN, then etcd on PATH)' },
      ...common,
    ],
  },
  serve: {
    summary: 'serve the cached Kubernetes API on loopback, fed by etcd or by a kubeconfig context',
    usage:
      'watchscope serve --etcd URL[,URL] [--etcd-ca F --etcd-cert F --etcd-key F] [--etcd-prefix /registry] [flags]\n' +
      '       watchscope serve --kubeconfig F --context C [--allow-writes] [--audit-log F] [--audit-webhook F] [flags]\n' +
      '       watchscope serve --audit-log F [--audit-webhook F] [--profile VERSION] [flags]   (the audit stream alone)',
    flags: [
      { name: 'etcd', arg: 'URL[,URL]', help: 'etcd endpoints (http:// or https://)' },
      { name: 'etcd-ca', arg: 'FILE', help: 'CA bundle that signed etcd\'s serving certificate' },
      { name: 'etcd-cert', arg: 'FILE', help: 'client certificate for etcd' },
      { name: 'etcd-key', arg: 'FILE', help: 'client key for etcd' },
      { name: 'etcd-prefix', arg: 'PREFIX', help: 'etcd key prefix (default /registry)' },
      { name: 'kubeconfig', arg: 'FILE', help: 'kubeconfig to read (default: $KUBECONFIG, then ~/.kube/config)' },
      { name: 'context', arg: 'NAME', help: 'kubeconfig context (default: the current context)' },
      { name: 'allow-writes', help: 'kube mode: forward writes to the cluster (refused otherwise)' },
      {
        name: 'audit-log',
        arg: 'FILE',
        help: 'follow the cluster\'s audit log (JSON lines, gzip accepted, like tail -F): each request becomes an inferred decision; without --context, the audit stream alone',
      },
      {
        name: 'audit-webhook',
        arg: 'FILE',
        help: 'accept kube-apiserver\'s audit webhook on the endpoint and write the kubeconfig for its --audit-webhook-config-file to FILE',
      },
      { name: 'ui', help: 'also serve the web UI on loopback and print its `ui:` line' },
      ...common,
    ],
  },
  replay: {
    summary: 'open a recording in the UI with a timeline, or re-run it under another profile',
    usage: 'watchscope replay FILE [--web] [--profile VERSION --compare [--json]] [--report OUT.html]',
    positional: 'FILE',
    flags: [
      { name: 'web', help: 'serve the UI to a browser (prints its `ui:` line); without it, the desktop window where there is one' },
      { name: 'ui-port', arg: 'PORT', help: 'port of the web UI listener (default: a free port)' },
      { name: 'profile', arg: 'VERSION', help: 'with --compare: the profile to re-run the recording under' },
      { name: 'gate', arg: 'Name=bool', help: 'with --compare: override a feature gate of that profile (repeatable)', repeat: true },
      { name: 'compare', help: 'feed the recorded events and requests through a fresh cacher and router, and print what changes' },
      { name: 'json', help: 'with --compare: print the comparison as JSON' },
      { name: 'report', arg: 'OUT.html', help: 'write a one-file HTML report (summary, decisions by reason, clients, freshness charts, closed watchers)' },
    ],
  },
  audit: {
    summary: 'read a kube-apiserver audit log and report, per resource and client, what each profile serves from cache vs etcd',
    usage: 'watchscope audit FILE [--profile VERSION] [--output text|json] [--etcd-progress trusted|untrusted]',
    positional: 'FILE',
    flags: [
      { name: 'profile', arg: 'VERSION', help: 'the cluster\'s Kubernetes version (default: the version kube-apiserver names in the log, else 1.34)' },
      { name: 'gate', arg: 'Name=bool', help: 'override a feature gate of the cluster\'s profile (repeatable)', repeat: true },
      { name: 'output', arg: 'text|json', help: 'report format (default text)' },
      { name: 'etcd-progress', arg: 'trusted|untrusted', help: 'whether the cluster\'s etcd answers RequestWatchProgress (≥3.4.31/3.5.13; default trusted)' },
    ],
  },
  'time-travel': {
    summary: 'ask the cluster for a resourceVersion=0 LIST (its watch cache) beside a consistent LIST, N times, and say which answers came from behind',
    usage: 'watchscope time-travel --resource RESOURCE [--context NAME] [--kubeconfig F] [-n N] [--output text|json] [--every DURATION --times K]',
    flags: [
      { name: 'resource', arg: 'RESOURCE', help: 'what to LIST: pods, configmaps, deployments.apps, a short name (cm), or a served plural' },
      { name: 'kubeconfig', arg: 'FILE', help: 'kubeconfig to read (default: $KUBECONFIG, then ~/.kube/config); also one watchscope wrote for its endpoint' },
      { name: 'context', arg: 'NAME', help: 'kubeconfig context (default: the current context)' },
      { name: 'attempts', arg: 'N', short: 'n', help: `attempts, each a consistent LIST then a resourceVersion=0 LIST on a new connection (1–${TIME_TRAVEL_MAX_ATTEMPTS}, default 5); behind a load balancer, enough to reach every apiserver` },
      { name: 'output', arg: 'text|json', help: 'output format (default text)' },
      { name: 'every', arg: 'DURATION', help: 'repeat the check at this interval (e.g. 30s), --times times' },
      { name: 'times', arg: 'K', help: 'with --every: how many checks in all (1–100, default 10)' },
    ],
  },
  contexts: {
    summary: 'list the contexts of your kubeconfig',
    usage: 'watchscope contexts [--kubeconfig F]',
    flags: [{ name: 'kubeconfig', arg: 'FILE', help: 'kubeconfig to read' }],
  },
  scenarios: { summary: 'list the scenario presets of the demo', usage: 'watchscope scenarios', flags: [] },
  open: {
    summary: 'print a fresh one-time `ui:` link to the web UI of a running watchscope (each link opens once)',
    usage: 'watchscope open [--pid PID]',
    flags: [{ name: 'pid', arg: 'PID', help: 'which running watchscope, when several serve a web UI' }],
  },
};

export function helpText(topic?: string): string {
  const fmt = (f: FlagSpec) => `  ${f.short ? `-${f.short}, ` : ''}--${f.name}${f.arg ? ` ${f.arg}` : ''}`.padEnd(30) + f.help;
  if (topic && commands[topic]) {
    const c = commands[topic];
    return [`watchscope ${topic}: ${c.summary}`, '', `usage: ${c.usage}`, '', 'flags:', ...c.flags.map(fmt)].join('\n');
  }
  return [
    'watchscope: see the Kubernetes storage layer work — the watch cache, its watchers and why each request',
    'is served from the cache or from etcd.',
    '',
    'commands:',
    ...Object.entries(commands).map(([n, c]) => `  ${n.padEnd(12)}${c.summary}`),
    '  help CMD    flags of one command',
    '',
    ...Object.entries(commands).flatMap(([n, c]) => [`watchscope ${n}`, `usage: ${c.usage}`, ...c.flags.map(fmt), '']),
    'Once ready, `serve` and `demo` print `endpoint: <url>`, `kubeconfig: <path>` and, with a UI, `ui: <url>`.',
  ].join('\n');
}

function parseHostPort(v: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(v);
  if (!m) throw new UsageError(`--listen wants HOST:PORT, got "${v}"`);
  const host = m[1]!.replace(/^\[|\]$/g, '');
  const port = Number(m[2]);
  // An address, not a name: "127.example.com" is a DNS name that can resolve anywhere.
  const loopback = host === '::1' || host === 'localhost' || (isIPv4(host) && host.startsWith('127.'));
  if (!loopback) throw new UsageError(`--listen must be a loopback address (127.0.0.1, another 127.x.y.z, ::1 or localhost), got "${host}"`);
  if (port > 65535) throw new UsageError(`--listen port out of range (0–65535): ${port}`);
  // localhost is bound as 127.0.0.1: what a name resolves to is the resolver's choice, loopback is ours.
  return { host: host === 'localhost' ? '127.0.0.1' : host, port };
}

/** Shorter than this, a bearer token is guessable by another local user; our generated one has 32. */
export const MIN_TOKEN_LENGTH = 16;

/**
 * A bearer token as RFC 6750 writes one (b64token), so it survives the Authorization header and a
 * kubeconfig unchanged. The error never repeats the token: it is a credential.
 */
function parseToken(v: string): string {
  if (v.length < MIN_TOKEN_LENGTH) {
    throw new UsageError(`--token must be at least ${MIN_TOKEN_LENGTH} characters, got ${v.length} (leave it out for a generated one)`);
  }
  if (!/^[A-Za-z0-9\-._~+/]+=*$/.test(v)) {
    throw new UsageError('--token may hold only letters, digits and - . _ ~ + / (then = padding), as a bearer token does');
  }
  return v;
}

function parsePort(name: string, v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1 || n > 65535) throw new UsageError(`--${name} wants a port number 1–65535, got "${v}"`);
  return n;
}

function parseCount(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || !Number.isInteger(n)) throw new UsageError(`--${name} wants a whole number ≥ 0, got "${v}"`);
  return n;
}

/** "30s", "5m", "1h", "0" → milliseconds; 0 turns the periodic check off. */
function parseDuration(name: string, v: string): number {
  const m = /^(\d+)(ms|s|m|h)?$/.exec(v.trim());
  if (!m) throw new UsageError(`--${name} wants a duration such as 30s, 5m or 1h (0 = off), got "${v}"`);
  const n = Number(m[1]);
  if (n === 0) return 0;
  if (!m[2]) throw new UsageError(`--${name} wants a unit (ms, s, m or h), got "${v}"`);
  const ms = n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  if (ms < 1000 || ms > 24 * 3_600_000) throw new UsageError(`--${name} must be between 1s and 24h (or 0), got "${v}"`);
  return ms;
}

/** "512M", "2G", "1048576" → bytes (at least 1 MiB). */
function parseSize(name: string, v: string): number {
  const m = /^(\d+(?:\.\d+)?)([KMG]i?B?)?$/i.exec(v.trim());
  if (!m) throw new UsageError(`--${name} wants a size such as 200M or 2G, got "${v}"`);
  const unit = (m[2] ?? '').toUpperCase()[0];
  const n = Math.floor(Number(m[1]) * (unit === 'K' ? 2 ** 10 : unit === 'M' ? 2 ** 20 : unit === 'G' ? 2 ** 30 : 1));
  if (n < 2 ** 20) throw new UsageError(`--${name} must be at least 1M, got "${v}"`);
  return n;
}

/**
 * The flags of one command, in the order given, as name → values. node:util's parseArgs splits the
 * line; it runs non-strict so that each refusal below can say what is wrong in watchscope's words,
 * in the order the flags were typed (the first `--help` wins over anything wrong after it).
 */
function tokenize(cmd: string, spec: CommandSpec, args: string[]): { values: Map<string, string[]>; positional?: string } {
  const options: ParseArgsConfig['options'] = { help: { type: 'boolean', short: 'h' } };
  for (const f of spec.flags) options[f.name] = { type: f.arg ? 'string' : 'boolean', multiple: true, ...(f.short ? { short: f.short } : {}) };
  const { tokens } = parseArgsTokens({ args, options, strict: false, allowPositionals: true, tokens: true });
  const values = new Map<string, string[]>();
  let positional: string | undefined;
  for (const t of tokens) {
    if (t.kind === 'option-terminator') continue;
    if (t.kind === 'positional') {
      if (!spec.positional || positional !== undefined) throw new UsageError(`unexpected argument "${t.value}" for ${cmd}`);
      positional = t.value;
      continue;
    }
    if (t.name === 'help') return { values: new Map([['help', ['true']]]) };
    const f = spec.flags.find((x) => x.name === t.name);
    if (!f) throw new UsageError(`unknown flag ${t.rawName} for ${cmd} (see \`watchscope help ${cmd}\`)`);
    let value = t.value;
    if (f.arg) {
      // `--etcd --context x` means a forgotten value, not an endpoint called "--context".
      if (value === undefined || (!t.inlineValue && value.startsWith('--'))) throw new UsageError(`--${f.name} needs a value (${f.arg})`);
    } else if (value !== undefined) {
      throw new UsageError(`--${f.name} takes no value`);
    } else value = 'true';
    if (values.has(f.name) && !f.repeat) throw new UsageError(`--${f.name} given twice`);
    values.set(f.name, [...(values.get(f.name) ?? []), value]);
  }
  return { values, positional };
}

export function parseArgs(argv: string[]): Command {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h') return { cmd: 'help' };
  if (cmd === 'help') return { cmd: 'help', topic: rest[0] };
  if (cmd === '--version' || cmd === 'version') return { cmd: 'version' };
  const spec = commands[cmd];
  if (!spec) throw new UsageError(`unknown command "${cmd}" (commands: ${Object.keys(commands).join(', ')})`);

  const { values, positional } = tokenize(cmd, spec, rest);
  if (values.has('help')) return { cmd: 'help', topic: cmd };
  const one = (n: string) => values.get(n)?.[0];
  const has = (n: string) => values.has(n);

  const gates: Record<string, boolean> = {};
  for (const g of values.get('gate') ?? []) {
    const m = /^([A-Za-z0-9]+)=(true|false)$/.exec(g);
    if (!m) throw new UsageError(`--gate wants Name=true|false, got "${g}"`);
    gates[m[1]!] = m[2] === 'true';
  }
  const list = (n: string) =>
    one(n)
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  const base = (): CommonFlags => ({
    profile: one('profile'),
    gates,
    resources: list('resources'),
    listen: one('listen') ? parseHostPort(one('listen')!) : { host: '127.0.0.1', port: 0 },
    writeKubeconfig: one('write-kubeconfig'),
    token: has('token') ? parseToken(one('token')!) : undefined,
    insecureHttp: has('insecure-http'),
    ui: has('ui'),
    uiPort: has('ui-port') ? parsePort('ui-port', one('ui-port')!) : 0,
    record: recordFlags(),
    ...(has('consistency-check-interval') ? { consistencyCheckMs: parseDuration('consistency-check-interval', one('consistency-check-interval')!) } : {}),
  });
  const recordFlags = (): CommonFlags['record'] => {
    const file = one('record');
    if (!file) {
      if (has('record-values') || has('record-limit') || has('record-on-limit')) throw new UsageError('--record-values/--record-limit/--record-on-limit need --record FILE');
      return undefined;
    }
    const onLimit = one('record-on-limit');
    if (onLimit !== undefined && onLimit !== 'drop-oldest' && onLimit !== 'stop') throw new UsageError(`--record-on-limit wants drop-oldest or stop, got "${onLimit}"`);
    const limit = one('record-limit');
    return {
      file,
      values: has('record-values'),
      ...(limit !== undefined ? { maxBytes: parseSize('record-limit', limit) } : {}),
      ...(onLimit ? { onLimit: onLimit === 'stop' ? ('stop' as const) : ('dropOldest' as const) } : {}),
    };
  };

  switch (cmd) {
    case 'replay': {
      if (!positional) throw new UsageError('replay needs the recording FILE (watchscope replay FILE)');
      if ((has('profile') || has('gate') || has('json')) && !has('compare')) throw new UsageError('--profile/--gate/--json go with --compare');
      if (has('compare') && !has('profile')) throw new UsageError('--compare needs --profile VERSION (the profile to re-run under)');
      if (has('report') && (has('compare') || has('web'))) throw new UsageError('--report writes the report and exits: not with --compare or --web');
      return {
        cmd,
        file: positional,
        web: has('web'),
        uiPort: has('ui-port') ? parsePort('ui-port', one('ui-port')!) : 0,
        ...(one('profile') ? { profile: one('profile')! } : {}),
        gates,
        compare: has('compare'),
        json: has('json'),
        ...(one('report') ? { report: one('report')! } : {}),
      };
    }
    case 'audit': {
      if (!positional) throw new UsageError('audit needs the audit log FILE (watchscope audit FILE)');
      const output = one('output') ?? 'text';
      if (output !== 'text' && output !== 'json') throw new UsageError(`--output wants text or json, got "${output}"`);
      const progress = one('etcd-progress') ?? 'trusted';
      if (progress !== 'trusted' && progress !== 'untrusted') throw new UsageError(`--etcd-progress wants trusted or untrusted, got "${progress}"`);
      return { cmd, file: positional, ...(one('profile') ? { profile: one('profile')! } : {}), gates, output, etcdProgress: progress === 'trusted' };
    }
    case 'contexts':
      return { cmd, kubeconfig: one('kubeconfig') };
    case 'time-travel': {
      const resource = one('resource');
      if (!resource) throw new UsageError('time-travel needs --resource (e.g. --resource pods)');
      if (!/^[a-z0-9.-]{1,253}$/.test(resource)) throw new UsageError(`--resource wants a resource name such as pods or deployments.apps, got "${resource}"`);
      const n = one('attempts') ?? '5';
      const attempts = Number(n);
      if (!/^\d+$/.test(n) || attempts < 1 || attempts > TIME_TRAVEL_MAX_ATTEMPTS) throw new UsageError(`-n/--attempts wants a whole number 1–${TIME_TRAVEL_MAX_ATTEMPTS}, got "${n}"`);
      const output = one('output') ?? 'text';
      if (output !== 'text' && output !== 'json') throw new UsageError(`--output wants text or json, got "${output}"`);
      if (has('times') && !has('every')) throw new UsageError('--times goes with --every DURATION');
      const t = one('times') ?? '10';
      const times = Number(t);
      if (!/^\d+$/.test(t) || times < 1 || times > 100) throw new UsageError(`--times wants a whole number 1–100, got "${t}"`);
      const everyMs = has('every') ? parseDuration('every', one('every')!) : undefined;
      if (everyMs === 0) throw new UsageError('--every wants a duration such as 30s (leave it out for one check)');
      return {
        cmd,
        ...(one('kubeconfig') ? { kubeconfig: one('kubeconfig')! } : {}),
        ...(one('context') ? { context: one('context')! } : {}),
        resource,
        attempts,
        output,
        ...(everyMs ? { everyMs } : {}),
        times: everyMs ? times : 1,
      };
    }
    case 'scenarios':
      return { cmd };
    case 'open': {
      const pid = one('pid');
      if (pid !== undefined && !/^[1-9]\d{0,9}$/.test(pid)) throw new UsageError(`--pid wants a process id, got "${pid}"`);
      return { cmd, ...(pid !== undefined ? { pid: Number(pid) } : {}) };
    }
    case 'demo':
      return {
        cmd,
        ...base(),
        ui: !has('no-ui'),
        web: has('web'),
        scenario: one('scenario'),
        writesPerSecond: one('writes') ? parseCount('writes', one('writes')!) : undefined,
        kubelets: one('kubelets') ? parseCount('kubelets', one('kubelets')!) : undefined,
        informers: one('informers') ? parseCount('informers', one('informers')!) : undefined,
        etcdBin: one('etcd-bin'),
      };
    case 'serve': {
      const etcd = list('etcd');
      const kube = has('kubeconfig') || has('context');
      if (etcd && kube) throw new UsageError('serve takes either --etcd or --kubeconfig/--context, not both');
      const audit: AuditFlags | undefined =
        has('audit-log') || has('audit-webhook')
          ? { ...(has('audit-log') ? { log: one('audit-log')! } : {}), ...(has('audit-webhook') ? { webhookKubeconfig: one('audit-webhook')! } : {}) }
          : undefined;
      if (audit && etcd) throw new UsageError('--audit-log/--audit-webhook read a cluster\'s audit stream: use them with --context, or alone, not with --etcd');
      if (audit && !kube) {
        if (has('allow-writes')) throw new UsageError('--allow-writes is for kube mode: the audit stream alone has no cluster to write to');
        return { cmd, mode: 'audit', ...base(), audit };
      }
      if (etcd) {
        if (etcd.length === 0) throw new UsageError('--etcd needs at least one URL');
        for (const u of etcd) {
          if (!/^https?:\/\/[^/]+/.test(u)) throw new UsageError(`--etcd wants http:// or https:// URLs, got "${u}"`);
        }
        if (has('allow-writes')) throw new UsageError('--allow-writes is for kube mode; etcd mode always accepts writes');
        const tlsFiles = [one('etcd-cert'), one('etcd-key')].filter(Boolean).length;
        if (tlsFiles === 1) throw new UsageError('--etcd-cert and --etcd-key go together');
        return {
          cmd,
          mode: 'etcd',
          ...base(),
          etcd,
          etcdCa: one('etcd-ca'),
          etcdCert: one('etcd-cert'),
          etcdKey: one('etcd-key'),
          etcdPrefix: one('etcd-prefix') ?? '/registry',
        };
      }
      if (has('etcd-ca') || has('etcd-cert') || has('etcd-key') || has('etcd-prefix')) {
        throw new UsageError('--etcd-ca/--etcd-cert/--etcd-key/--etcd-prefix need --etcd');
      }
      return { cmd, mode: 'kube', ...base(), kubeconfig: one('kubeconfig'), context: one('context'), allowWrites: has('allow-writes'), ...(audit ? { audit } : {}) };
    }
  }
  throw new UsageError(`unknown command "${cmd}"`);
}
