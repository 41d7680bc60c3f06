import { Command, CommanderError, Option } from 'commander';
import type { LoadedDeployment } from '../model/load';
import { Deployment } from '../model/types';
import { LocalSource } from '../sources/local';
import { RootSource } from '../sources/root';
import { CommandTimeoutError, Source, SpawnError, SshAuthError, UnreachableError } from '../sources/source';
import { killAll } from './children';
import { errorMessage, PluginError, TimeoutError, UsageError } from './errors';
import { parseHost, parsePort } from './options';
import { render } from './output';
import { parseRange, Range } from './range';
import { Result } from './result';
import { State } from './state';
import { VERSION } from './version';

/** Options every check understands. */
export interface CommonOptions {
  hostname?: string;
  sshPort: number;
  sshUser: string;
  sshKey?: string;
  knownHosts?: string;
  sudo: boolean;
  root?: string;
  config?: string;
  timeout: number;
  verbose: number;
  warning?: string;
  critical?: string;
}

export interface CheckContext<O> {
  opts: O & CommonOptions;
  verbose: number;
  /** Aborted when -t expires. */
  signal: AbortSignal;
  /** Epoch ms at which -t expires. */
  deadline: number;
  /** Adds a line to long output when -v is at least `level`. */
  trace(level: number, msg: string): void;
  /** Source for a host: local (or --root) when host is undefined/localhost, else SSH. Cached. */
  source(host?: string): Source;
  deployment(): Deployment;
  /** -w / -c parsed as ranges (undefined when not given). */
  warning?: Range;
  critical?: Range;
}

export interface CheckDef<O = Record<string, unknown>> {
  /** Short name: vip, heartbeat, ipvs, sync, arp, sorry. */
  name: string;
  /** First word(s) of the output line: `LVS VIP`. */
  prefix: string;
  description: string;
  /** Adds the check's own options. */
  options?(cmd: Command): void;
  run(ctx: CheckContext<O>): Promise<Result>;
}

const int = (name: string) => (v: string) => {
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n)) throw new UsageError(`${name} '${v}' is not a whole number`);
  return n;
};

export function positiveSeconds(name: string) {
  return (v: string) => {
    const n = Number(v);
    if (!/^\d+(\.\d+)?$/.test(v) || !(n > 0)) throw new UsageError(`${name} '${v}' is not a positive number of seconds`);
    return n;
  };
}

export function buildCommand(def: CheckDef<never>): Command {
  const cmd = new Command(`check_lvs_${def.name}`);
  cmd
    .description(def.description)
    .version(`check_lvs_${def.name} (lvsha) ${VERSION}`, '-V, --version')
    .helpOption('-h, --help', 'show this help')
    .option('-H, --hostname <host>', 'run the probes on this host over SSH (default: here)', parseHost('-H/--hostname'))
    .option('--ssh-port <port>', 'SSH port', parsePort('--ssh-port'), 22)
    .option('--ssh-user <user>', 'SSH user', 'root')
    .option('--ssh-key <file>', 'SSH private key (default ~/.ssh/id_ed25519)')
    .option('--known-hosts <file>', 'known_hosts to check host keys against (default ~/.ssh/known_hosts)')
    .option('--sudo', 'run privileged programs through sudo -n', false)
    .option('--root <dir>', 'read /proc, /sys and /etc under this directory (a captured tree)')
    .option('--config <file>', 'deployment: YAML/JSON file or a director /etc/ha.d directory (default: $LVSHA_CONFIG, else the embedded reference)')
    .option('-t, --timeout <seconds>', 'give up after this many seconds (UNKNOWN)', positiveSeconds('--timeout'), 10)
    .addOption(new Option('-v, --verbose', 'more output (repeat: -vv commands run, -vvv debugging)').argParser((_: string, prev: number) => prev + 1).default(0))
    .allowExcessArguments(false)
    .showSuggestionAfterError(false);
  def.options?.(cmd as never);
  return cmd;
}

export function classify(e: unknown, verbose: number): { state: State; text: string; stack?: string } {
  const stack = verbose >= 3 && e instanceof Error ? e.stack : undefined;
  // The monitored thing failing (host unreachable) is CRITICAL; our own failures are UNKNOWN.
  if (e instanceof UnreachableError) return { state: State.CRITICAL, text: e.message, stack };
  if (e instanceof PluginError || e instanceof SpawnError || e instanceof SshAuthError || e instanceof CommandTimeoutError)
    return { state: State.UNKNOWN, text: e.message, stack };
  return { state: State.UNKNOWN, text: `internal error: ${errorMessage(e)}`, stack };
}

function write(text: string, exitCode: number, force: boolean): void {
  process.exitCode = exitCode;
  if (force) {
    process.stdout.write(text, () => process.exit(exitCode));
    return;
  }
  process.stdout.write(text);
  // Safety net: if a stray handle keeps the loop alive, leave anyway (unref'd, so a clean
  // loop ends first and this never fires).
  setTimeout(() => process.exit(exitCode), 3000).unref();
}

/**
 * The one guarded runtime: parses options, enforces -t, runs the check, renders the
 * output and owns the exit code (0-3, nothing else).
 */
export async function runPlugin<O>(def: CheckDef<O>, argv: string[] = process.argv.slice(2)): Promise<number> {
  const cmd = buildCommand(def as CheckDef<never>);
  let helpText = '';
  cmd.exitOverride();
  cmd.configureOutput({
    writeOut: (s) => {
      helpText += s;
    },
    writeErr: (s) => {
      helpText += s;
    },
    outputError: () => {},
  });
  let opts: O & CommonOptions;
  try {
    cmd.parse(argv, { from: 'user' });
    opts = cmd.opts() as O & CommonOptions;
  } catch (e) {
    if (e instanceof CommanderError && (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help')) {
      write(helpText.endsWith('\n') ? helpText : helpText + '\n', State.UNKNOWN, false);
      return State.UNKNOWN;
    }
    const msg = e instanceof CommanderError ? e.message.replace(/^error: /, '') : errorMessage(e);
    const r = render(def.prefix, State.UNKNOWN, msg, [`Usage: ${cmd.name()} ${cmd.usage()}`, `Try '${cmd.name()} --help'.`]);
    write(r.text, 3, false);
    return 3;
  }

  const verbose = opts.verbose ?? 0;
  const traceLines: string[] = [];
  const trace = (level: number, msg: string) => {
    if (verbose >= level) traceLines.push(msg);
  };
  const controller = new AbortController();
  const deadline = Date.now() + opts.timeout * 1000;
  const sources = new Map<string, Source>();
  let loaded: LoadedDeployment | undefined;
  const onRun = (a: readonly string[]) => trace(2, `run: ${a.join(' ')}`);
  const remaining = () => Math.max(1, deadline - Date.now());

  const ctx: CheckContext<O> = {
    opts,
    verbose,
    signal: controller.signal,
    deadline,
    trace,
    source(host?: string): Source {
      const target = host ?? opts.hostname ?? 'localhost';
      const key = target;
      let s = sources.get(key);
      if (s) return s;
      if (target === 'localhost' || target === '127.0.0.1' || target === '::1') {
        s = new LocalSource({ sudo: opts.sudo, onRun, timeoutMs: remaining() });
      } else {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { SshSource } = require('../sources/ssh') as typeof import('../sources/ssh');
        s = new SshSource({
          host: target,
          port: opts.sshPort,
          user: opts.sshUser,
          keyPath: opts.sshKey,
          knownHostsPath: opts.knownHosts,
          sudo: opts.sudo,
          // A slow handshake may use most of -t, but not all: a director that does not answer
          // must still be reported (unreachable) before the plugin itself times out.
          connectTimeoutMs: Math.max(1000, Math.floor(remaining() * 0.6)),
          timeoutMs: remaining(),
          onRun,
        });
      }
      if (opts.root) s = new RootSource(opts.root, s);
      sources.set(key, s);
      return s;
    },
    deployment(): Deployment {
      if (!loaded) {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { loadDeployment } = require('../model/load') as typeof import('../model/load');
        loaded = loadDeployment(opts.config);
        trace(1, `deployment: ${loaded.origin}`);
        for (const w of loaded.warnings) trace(1, `config warning: ${w.field}: ${w.message}`);
      }
      return loaded.deployment;
    },
  };

  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new TimeoutError(`plugin timed out after ${opts.timeout} s`));
    killAll('SIGKILL');
    for (const s of sources.values()) void s.close();
    const r = render(def.prefix, State.UNKNOWN, `plugin timed out after ${opts.timeout} s`, traceLines);
    write(r.text, 3, true);
  }, opts.timeout * 1000);

  let rendered;
  try {
    if (opts.warning !== undefined) ctx.warning = parseRange(opts.warning);
    if (opts.critical !== undefined) ctx.critical = parseRange(opts.critical);
    const result = await def.run(ctx);
    rendered = render(def.prefix, result.state, result.summary, [...(result.long ?? []), ...traceLines], result.perf ?? []);
  } catch (e) {
    const c = classify(e, verbose);
    const long = [...traceLines];
    if (c.stack) long.push(...c.stack.split('\n'));
    rendered = render(def.prefix, c.state, c.text, long);
  } finally {
    clearTimeout(timer);
    await Promise.all([...sources.values()].map((s) => s.close().catch(() => undefined)));
  }
  if (timedOut) return 3;
  write(rendered.text, rendered.exitCode, false);
  return rendered.exitCode;
}

export interface EmbeddedRunOptions {
  /** Source for a host (undefined = the check's own host). */
  source(host?: string): Source;
  deployment: Deployment;
  /** Epoch ms deadline for the check. */
  deadline: number;
  signal?: AbortSignal;
  verbose?: number;
}

/**
 * Runs a check's policy inside another program (exporter, doctor): the same options, the same
 * probes and the same verdict as the plugin, without touching the process (no exit, no stdout).
 * Errors become results exactly as the plugin runtime classifies them.
 */
export async function runCheckEmbedded<O>(def: CheckDef<O>, argv: string[], eo: EmbeddedRunOptions): Promise<Result> {
  const cmd = buildCommand(def as CheckDef<never>);
  cmd.exitOverride();
  cmd.configureOutput({ writeOut: () => {}, writeErr: () => {}, outputError: () => {} });
  const verbose = eo.verbose ?? 0;
  try {
    cmd.parse(argv, { from: 'user' });
  } catch (e) {
    const msg = e instanceof CommanderError ? e.message.replace(/^error: /, '') : errorMessage(e);
    return { state: State.UNKNOWN, summary: msg };
  }
  const opts = cmd.opts() as O & CommonOptions;
  const long: string[] = [];
  const ctx: CheckContext<O> = {
    opts,
    verbose,
    signal: eo.signal ?? new AbortController().signal,
    deadline: eo.deadline,
    trace: (level, msg) => {
      if (verbose >= level) long.push(msg);
    },
    source: (host?: string) => eo.source(host ?? opts.hostname),
    deployment: () => eo.deployment,
  };
  try {
    if (opts.warning !== undefined) ctx.warning = parseRange(opts.warning);
    if (opts.critical !== undefined) ctx.critical = parseRange(opts.critical);
    const r = await def.run(ctx);
    return { ...r, long: [...(r.long ?? []), ...long] };
  } catch (e) {
    const c = classify(e, verbose);
    return { state: c.state, summary: c.text, long };
  }
}
