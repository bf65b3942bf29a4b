// watchscope's command line: `serve` (etcd or kubeconfig context), `demo`, `replay`, `audit`,
// `contexts`, `scenarios`, and `open` (a fresh link to a running web UI). Node only — it never
// imports electron; the desktop window is a separate process.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { helpText, parseArgs, UsageError, type AuditFlags, type Command } from './cli-args.js';
import type { WebUi } from './web.js';
import type { AuditSourceRequest, ConnectRequest, WatchscopeService } from '../shared/ipc.js';

// The storage stack, the web UI and the kube client load on demand: `--help` and usage errors
// answer at once instead of after compiling and loading all of them.
const loadSession = () => import('./session.js');
const loadContexts = async () => (await import('./storage/kube/kubeconfig.js')).listContexts;
const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

// grpc-js hands an IP address to TLS as servername (Node's DEP0123 warning) whenever etcd is
// reached over https://<ip>; that warning is noise beside the one-line errors the CLI prints.
const emitWarning = process.emitWarning.bind(process) as (...a: unknown[]) => void;
process.emitWarning = ((warning: unknown, ...rest: unknown[]) => {
  const first = rest[0];
  const code = typeof first === 'object' && first ? (first as { code?: string }).code : rest[1];
  if (code === 'DEP0123') return;
  emitWarning(warning, ...rest);
}) as typeof process.emitWarning;

// `watchscope scenarios | head` closes the pipe early: that is the reader's choice, not a crash.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});
const out = (line: string) => process.stdout.write(`${line}\n`);
const fail = (line: string, code = 1): never => {
  process.stderr.write(`watchscope: ${line}\n`);
  process.exit(code);
};

/** The built renderer: beside the built CLI (out/main → out/renderer), else out/renderer from the repo root. */
export function findRendererDir(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [process.env.WATCHSCOPE_RENDERER_DIR, join(here, '../renderer'), join(here, '../out/renderer'), resolve('out/renderer')];
  return candidates.find((d): d is string => !!d && existsSync(join(d, 'index.html')) && existsSync(join(d, 'assets')));
}

/** The Electron binary, if the `electron` package has one on this machine (never downloads). */
function electronBinary(): string | undefined {
  if (process.env.ELECTRON_OVERRIDE_DIST_PATH) {
    const p = join(process.env.ELECTRON_OVERRIDE_DIST_PATH, process.platform === 'win32' ? 'electron.exe' : 'electron');
    return existsSync(p) ? p : undefined;
  }
  try {
    const req = createRequire(import.meta.url);
    const pkgDir = dirname(req.resolve('electron/package.json'));
    const pathFile = join(pkgDir, 'path.txt');
    if (!existsSync(pathFile)) return undefined;
    const rel = readFileSync(pathFile, 'utf8').trim();
    const bin = join(pkgDir, 'dist', rel);
    return existsSync(bin) ? bin : undefined;
  } catch {
    return undefined;
  }
}

type Session = InstanceType<Awaited<ReturnType<typeof loadSession>>['Session']>;

// Whatever ends the process, the session's children (etcd) are stopped by PID and its files
// removed: gracefully on a signal or an error, synchronously in 'exit' for everything else
// (process.exit from a usage failure after the start, a second Ctrl-C). kill -9 is covered by the
// etcd child's own watchdog.
let active: { session: Session; ui?: WebUi } | undefined;
/** This process's record for `watchscope open` (ui-session-file.ts), while a web UI is served. */
let uiSessionFile: string | undefined;
process.on('exit', () => {
  active?.session.abandon();
  if (uiSessionFile) rmSync(uiSessionFile, { force: true });
});

/** Starts the web UI and registers it for `watchscope open`; prints its first `ui:` link. */
async function serveWebUi(service: WatchscopeService, rendererDir: string, port: number): Promise<WebUi> {
  const { startWebUi } = await import('./web.js');
  const controlToken = randomBytes(32).toString('base64url');
  const ui = await startWebUi({ service, rendererDir, controlToken, ...(port ? { port } : {}) });
  out(`ui: ${ui.url}`);
  try {
    const { writeUiSessionFile } = await import('./ui-session-file.js');
    uiSessionFile = writeUiSessionFile({ pid: process.pid, origin: ui.origin, controlToken });
    out('note: the ui: link opens once; `watchscope open` prints a fresh one');
  } catch (e) {
    out(`note: the ui: link opens once, and \`watchscope open\` cannot reach this session: ${errText(e)}`);
  }
  return ui;
}

async function closeWebUi(ui: WebUi | undefined): Promise<void> {
  if (uiSessionFile) rmSync(uiSessionFile, { force: true });
  uiSessionFile = undefined;
  await ui?.close().catch(() => undefined);
}

async function stopActive(): Promise<void> {
  const a = active;
  if (!a) return;
  await closeWebUi(a.ui);
  await a.session.close().catch(() => undefined);
  active = undefined;
}

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function waitForSignal(): Promise<string> {
  return new Promise((res) => {
    for (const sig of STOP_SIGNALS) {
      process.on(sig, () => {
        // A second signal while stopping: stop now ('exit' still removes what is left).
        if (stopRequested) process.exit(130);
        stopRequested = true;
        res(sig);
      });
    }
  });
}
let stopRequested = false;

const onFatal = (e: unknown) => {
  process.stderr.write(`watchscope: internal error: ${errText(e)}\n`);
  const deadline = setTimeout(() => process.exit(1), 5000);
  void stopActive().finally(() => {
    clearTimeout(deadline);
    process.exit(1);
  });
};
process.on('uncaughtException', onFatal);
process.on('unhandledRejection', onFatal);

async function runHeadless(cmd: Extract<Command, { cmd: 'serve' | 'demo' }>, req: ConnectRequest, opts: { web: boolean; allowWrites?: boolean }) {
  const { Session } = await loadSession();
  const session = new Session({
    ...(cmd.consistencyCheckMs !== undefined ? { consistencyCheckMs: cmd.consistencyCheckMs } : {}),
    endpoint: {
      ...(cmd.token ? { token: cmd.token } : {}),
      tls: !cmd.insecureHttp,
      host: cmd.listen.host,
      ...(cmd.listen.port ? { port: cmd.listen.port } : {}),
      ...(cmd.writeKubeconfig ? { writeKubeconfig: resolve(cmd.writeKubeconfig) } : {}),
    },
    ...(cmd.cmd === 'demo'
      ? {
          demo: {
            ...(cmd.etcdBin ? { etcdBin: cmd.etcdBin } : {}),
            workload: {
              ...(cmd.writesPerSecond !== undefined ? { writesPerSecond: cmd.writesPerSecond } : {}),
              ...(cmd.kubelets !== undefined ? { kubelets: cmd.kubelets } : {}),
              ...(cmd.informers !== undefined ? { informers: cmd.informers } : {}),
            },
          },
        }
      : {}),
    allowWrites: opts.allowWrites ?? false,
    ...(cmd.cmd === 'serve' && cmd.mode !== 'etcd' && cmd.audit?.webhookKubeconfig ? { audit: { webhookKubeconfig: resolve(cmd.audit.webhookKubeconfig) } } : {}),
  });
  active = { session };
  const signalled = waitForSignal();
  if (cmd.profile || Object.keys(cmd.gates).length) {
    try {
      await session.setProfile({ name: cmd.profile ?? '1.34', gates: cmd.gates });
    } catch (e) {
      fail(errText(e), 2);
    }
  }
  const state = await session.connect(req);
  if (state.state !== 'connected') {
    await session.close();
    fail(state.message ?? `could not connect (${state.state})`);
  }
  out(`endpoint: ${state.endpoint}`);
  out(`kubeconfig: ${state.kubeconfigPath}`);
  out(`profile: ${session.profileName()}`);
  out(`source: ${state.mode} ${state.target} (${state.sourceVersion}; RequestWatchProgress ${state.supportsRequestWatchProgress ? 'trusted' : 'not trusted'})`);
  const audit = session.auditSource?.status();
  if (audit) {
    out(`audit: each request becomes an inferred decision under profile ${audit.profile} (from ${audit.profileSource}), with what-if for every other profile`);
    if (audit.log) out(`audit log: following ${audit.log.path}`);
    if (audit.webhook) {
      out(`audit webhook: ${audit.webhook.url}`);
      out(`audit webhook kubeconfig: ${audit.webhook.kubeconfigPath}`);
      out(
        `  start kube-apiserver with --audit-webhook-config-file=${audit.webhook.kubeconfigPath} and an --audit-policy-file at level Metadata or above ` +
          '(each event then carries the requestURI routing needs); --audit-webhook-batch-max-wait=1s feeds the view within a second',
      );
    }
  }
  if (cmd.record) {
    try {
      const r = await session.startRecording({ ...cmd.record, file: resolve(cmd.record.file) });
      out(`recording: ${r.file} (limit ${r.maxBytes} bytes, at the limit: ${r.onLimit === 'stop' ? 'stop' : 'drop the oldest segment'}${r.values ? '; with object values' : ''})`);
    } catch (e) {
      await session.close();
      fail(`could not record: ${errText(e)}`);
    }
  }
  let ui: WebUi | undefined;
  if (opts.web) {
    const rendererDir = findRendererDir();
    if (!rendererDir) {
      out('ui: not available — the renderer is not built (run `npm run build`)');
    } else {
      ui = await serveWebUi(session, rendererDir, cmd.uiPort);
      active.ui = ui;
    }
  }
  let scenarioDone: Promise<void> = Promise.resolve();
  if (cmd.cmd === 'demo' && cmd.scenario) {
    const name = cmd.scenario;
    out(`scenario: ${name} running`);
    scenarioDone = session
      .runScenario(name)
      .then((r) => {
        out(`scenario: ${name} ${r.ok ? 'ok' : 'did not show its signature'} — ${r.summary}`);
        out(`signature: ${JSON.stringify(r.signature)}`);
      })
      .catch((e: unknown) => {
        out(`scenario: ${name} failed — ${errText(e)}`);
      });
  }
  out('ready (Ctrl-C to stop)');
  const sig = await Promise.race([signalled, cmd.cmd === 'demo' && !cmd.ui && cmd.scenario ? scenarioDone.then(() => 'scenario finished') : new Promise<string>(() => undefined)]);
  out(`stopping (${sig})`);
  const last = session.auditSource?.status();
  if (last) {
    out(`audit: ${last.events} events, ${last.routed} requests routed, ${last.stagesFolded} later stages folded`);
    for (const b of last.bad) out(`audit bad input: ${b.count} × ${b.text}; first: ${b.example}`);
  }
  await stopActive();
  out('stopped');
}

async function main(argv: string[]): Promise<void> {
  let cmd: Command;
  try {
    cmd = parseArgs(argv);
  } catch (e) {
    // One line, so scripts and people see the whole reason at once.
    if (e instanceof UsageError) return fail(/watchscope help/.test(e.message) ? e.message : `${e.message} (see \`watchscope --help\`)`, 2);
    throw e;
  }
  switch (cmd.cmd) {
    case 'help':
      out(helpText(cmd.topic));
      return;
    case 'version':
      out('watchscope 0.1.0');
      return;
    case 'scenarios': {
      const { scenarios } = await import('./workload/scenarios/index.js');
      for (const s of scenarios) out(`${s.name.padEnd(16)}${s.title}`);
      return;
    }
    case 'replay':
      return runReplay(cmd);
    case 'open':
      return runOpen(cmd);
    case 'audit': {
      const { auditReport } = await import('./cluster/report/run.js');
      const { renderReportText } = await import('./cluster/report/upgrade.js');
      if (!existsSync(cmd.file)) return fail(`cannot read ${cmd.file}: no such file`);
      let report;
      try {
        report = await auditReport(resolve(cmd.file), { ...(cmd.profile ? { profile: cmd.profile } : {}), gates: cmd.gates, etcdProgress: cmd.etcdProgress });
      } catch (e) {
        return fail(errText(e), 2);
      }
      out(cmd.output === 'json' ? JSON.stringify(report, null, 2) : renderReportText(report));
      return;
    }
    case 'time-travel': {
      const { contextClient } = await import('./cluster/time-travel/client.js');
      const { timeTravelCheck } = await import('./cluster/time-travel/check.js');
      const { renderTimeTravelText } = await import('./cluster/time-travel/text.js');
      let client;
      try {
        client = await contextClient(cmd);
      } catch (e) {
        return fail(`time-travel: ${errText(e)}`);
      }
      for (let i = 0; i < cmd.times; i++) {
        if (i > 0 && cmd.everyMs) await new Promise((r) => setTimeout(r, cmd.everyMs));
        let result;
        try {
          result = await timeTravelCheck({ client, resource: cmd.resource, attempts: cmd.attempts, target: `context ${client.contextName}` });
        } catch (e) {
          return fail(`time-travel: ${errText(e)}`);
        }
        // Repeated checks print one JSON document per line, so each can be read as it comes.
        if (cmd.output === 'json') out(cmd.times > 1 ? JSON.stringify(result) : JSON.stringify(result, null, 2));
        else out(`${renderTimeTravelText(result)}${i < cmd.times - 1 ? '\n' : ''}`);
      }
      return;
    }
    case 'contexts': {
      const listContexts = await loadContexts();
      try {
        const cs = listContexts(cmd.kubeconfig ? { kubeconfig: cmd.kubeconfig } : {});
        if (cs.length === 0) out('no contexts (set KUBECONFIG or create ~/.kube/config)');
        for (const c of cs) out(`${c.current ? '*' : ' '} ${c.name.padEnd(30)} ${c.server}  (user ${c.user})`);
      } catch (e) {
        fail(`could not read the kubeconfig: ${errText(e)}`);
      }
      return;
    }
    case 'serve': {
      const common = { ...(cmd.resources ? { resources: cmd.resources } : {}), ...(cmd.profile ? { profile: cmd.profile } : {}) };
      const audit = cmd.mode === 'etcd' ? undefined : auditRequest(cmd.audit);
      if (audit?.logPath) {
        // Said before the storage stack loads: a mistyped path is a one-line answer.
        const problem = await (await import('./cluster/audit/path.js')).auditLogProblem(audit.logPath);
        if (problem) return fail(problem);
      }
      const req: ConnectRequest =
        cmd.mode === 'audit'
          ? { mode: 'audit', audit: audit!, ...(cmd.profile ? { profile: cmd.profile } : {}) }
          : cmd.mode === 'etcd'
          ? {
              mode: 'etcd',
              endpoints: cmd.etcd,
              ...(cmd.etcdCa ? { caFile: resolve(cmd.etcdCa) } : {}),
              ...(cmd.etcdCert ? { certFile: resolve(cmd.etcdCert) } : {}),
              ...(cmd.etcdKey ? { keyFile: resolve(cmd.etcdKey) } : {}),
              prefix: cmd.etcdPrefix,
              ...common,
            }
          : {
              mode: 'kube',
              ...(cmd.kubeconfig ? { kubeconfig: resolve(cmd.kubeconfig) } : {}),
              context: cmd.context ?? (await currentContext(cmd.kubeconfig)),
              ...(audit ? { audit } : {}),
              ...common,
            };
      return runHeadless(cmd, req, { web: cmd.ui, allowWrites: cmd.mode === 'kube' && cmd.allowWrites });
    }
    case 'demo': {
      const req: ConnectRequest = { mode: 'demo', ...(cmd.resources ? { resources: cmd.resources } : {}), ...(cmd.profile ? { profile: cmd.profile } : {}) };
      if (cmd.ui && !cmd.web) {
        const bin = electronBinary();
        const mainJs = join(dirname(fileURLToPath(import.meta.url)), 'index.js');
        if (bin && existsSync(mainJs)) {
          out('opening the desktop window (use --web for the browser UI)');
          const child = spawn(bin, [mainJs, '--demo'], { stdio: 'inherit' });
          const code = await new Promise<number>((r) => child.on('exit', (c) => r(c ?? 0)));
          process.exit(code);
        }
        out('no Electron binary on this machine: serving the UI in web mode instead (open the ui: URL in a browser)');
      }
      return runHeadless(cmd, req, { web: cmd.ui });
    }
  }
}

async function runReplay(cmd: Extract<Command, { cmd: 'replay' }>): Promise<void> {
  const file = resolve(cmd.file);
  if (!existsSync(file)) fail(`no such recording: ${file}`);
  if (cmd.report) {
    const { collectReport, renderReport } = await import('./recording/report.js');
    try {
      const html = renderReport(collectReport(file));
      writeFileSync(resolve(cmd.report), html);
      out(`report: ${resolve(cmd.report)}`);
    } catch (e) {
      fail(`cannot write the report of ${file}: ${errText(e)}`);
    }
    return;
  }
  if (cmd.compare) {
    const { rerunRecording, formatRerun } = await import('./recording/rerun.js');
    try {
      const r = await rerunRecording(file, cmd.profile!, cmd.gates);
      out(cmd.json ? JSON.stringify(r, null, 2) : formatRerun(r));
    } catch (e) {
      fail(`cannot re-run ${file}: ${errText(e)}`);
    }
    return;
  }
  const { ReplayService } = await import('./recording/replay.js');
  let replay: InstanceType<typeof ReplayService>;
  try {
    replay = new ReplayService(file);
  } catch (e) {
    return fail(`cannot open ${file}: ${errText(e)}`);
  }
  const st = replay.status();
  out(`replay: ${file} — ${st.of}, ${Math.round((st.end - st.start) / 1000)} s recorded with ${st.recordedWith}${st.cut ? '; cut short, replays up to its last complete record' : ''}${st.droppedSegments ? `; ${st.droppedSegments} oldest segments were dropped at the size limit` : ''}`);
  if (!cmd.web) {
    const bin = electronBinary();
    const mainJs = join(dirname(fileURLToPath(import.meta.url)), 'index.js');
    if (bin && existsSync(mainJs)) {
      await replay.close();
      out('opening the desktop window (use --web for the browser UI)');
      const child = spawn(bin, [mainJs, '--replay', file], { stdio: 'inherit' });
      const code = await new Promise<number>((r) => child.on('exit', (c) => r(c ?? 0)));
      process.exit(code);
    }
    out('no Electron binary on this machine: serving the UI in web mode instead (open the ui: URL in a browser)');
  }
  const rendererDir = findRendererDir();
  if (!rendererDir) {
    await replay.close();
    return fail('the renderer is not built (run `npm run build`)');
  }
  const ui = await serveWebUi(replay, rendererDir, cmd.uiPort);
  out('ready (Ctrl-C to stop)');
  const sig = await waitForSignal();
  out(`stopping (${sig})`);
  await closeWebUi(ui);
  await replay.close();
  out('stopped');
}

async function runOpen(cmd: Extract<Command, { cmd: 'open' }>): Promise<void> {
  const { findUiSessions, requestFreshLink } = await import('./ui-session-file.js');
  let running;
  try {
    running = findUiSessions();
  } catch (e) {
    return fail(errText(e));
  }
  const list = running.map((r) => `pid ${r.pid} at ${r.origin}`).join(', ');
  const target = cmd.pid !== undefined ? running.find((r) => r.pid === cmd.pid) : running.length === 1 ? running[0] : undefined;
  if (!target) {
    if (running.length === 0) return fail('no running watchscope of yours serves a web UI (start one with `watchscope demo --web` or `watchscope serve … --ui`)');
    if (cmd.pid !== undefined) return fail(`no running watchscope with pid ${cmd.pid} serves a web UI (running: ${list})`);
    return fail(`several watchscope processes serve a web UI: choose one with --pid (${list})`, 2);
  }
  try {
    out(`ui: ${await requestFreshLink(target)}`);
  } catch (e) {
    fail(errText(e));
  }
}

/** The flags as the contract's AuditSourceRequest: paths made absolute, the webhook on when its kubeconfig is asked for. */
function auditRequest(a: AuditFlags | undefined): AuditSourceRequest | undefined {
  if (!a) return undefined;
  return { ...(a.log ? { logPath: resolve(a.log) } : {}), ...(a.webhookKubeconfig ? { webhook: true } : {}) };
}

async function currentContext(kubeconfig: string | undefined): Promise<string> {
  const listContexts = await loadContexts();
  try {
    const cs = listContexts(kubeconfig ? { kubeconfig } : {});
    const c = cs.find((x) => x.current) ?? cs[0];
    if (c) return c.name;
  } catch (e) {
    fail(`could not read the kubeconfig: ${errText(e)}`);
  }
  return fail('no kubeconfig context found: pass --context, set KUBECONFIG, or use --etcd');
}

main(process.argv.slice(2)).catch(async (e) => {
  await stopActive();
  fail(errText(e));
});
