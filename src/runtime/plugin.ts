import { Command, CommanderError, Option } from 'commander';
import type { Source } from './source';
import { Check, GatherEnv } from './check';
import { killAll } from './children';
import { classify, errorMessage, TimeoutError, UsageError } from './errors';
import { parseHost, parsePort } from './options';
import { render } from './output';
import { parseRange, Range } from './range';
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

/** What configure() gets besides the options: the deployment (loaded on first use) and -w/-c as ranges. */
export interface ConfigureContext<D = unknown> {
  deployment(): D;
  warning?: Range;
  critical?: Range;
  trace(level: number, msg: string): void;
}

/**
 * A check as a plugin: its options, how they become its typed config, and the check itself
 * (gather → evaluate). The exporter and doctor use `defaults(deployment)` and the same
 * gather/evaluate, never argv.
 */
export interface CheckDef<C = unknown, M = unknown, O = Record<string, unknown>, D = unknown> extends Check<C, M> {
  description: string;
  /** Adds the check's own options. */
  options?(cmd: Command): void;
  /** Command-line options → config. Bad input throws UsageError (UNKNOWN, naming the option). */
  configure(opts: O & CommonOptions, ctx: ConfigureContext<D>): C;
  /** The config the plugin would build with no option at all, for the exporter and doctor to start from. */
  defaults(deployment: D): C;
}

/** How the plugin runtime gets its sources and deployment: handed in by the entry point. */
export interface PluginHost<D = unknown> {
  /** The source for a target host (`localhost` = here), built from the common options. */
  source(target: string, opts: CommonOptions, io: { onRun(argv: readonly string[]): void; remainingMs(): number }): Source;
  loadDeployment(config: string | undefined): { deployment: D; origin: string; warnings: { field: string; message: string }[] };
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
    if (n * 1000 > 2 ** 31 - 1) throw new UsageError(`${name} '${v}' is too large (at most 2147483 s: timers overflow beyond)`);
    return n;
  };
}

export function buildCommand(def: CheckDef): Command {
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
 * The one guarded runtime: parses options, enforces -t, builds the config, runs the check
 * (gather → evaluate), renders the output and owns the exit code (0-3, nothing else).
 */
export async function runPlugin<C, M, O, D>(def: CheckDef<C, M, O, D>, host: PluginHost<D>, argv: string[] = process.argv.slice(2)): Promise<number> {
  const cmd = buildCommand(def as unknown as CheckDef);
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
  const io = { onRun: (a: readonly string[]) => trace(2, `run: ${a.join(' ')}`), remainingMs: () => Math.max(1, deadline - Date.now()) };
  const env: GatherEnv = {
    signal: controller.signal,
    deadline,
    trace,
    source(h?: string): Source {
      const target = h ?? opts.hostname ?? 'localhost';
      let s = sources.get(target);
      if (!s) {
        s = host.source(target, opts, io);
        sources.set(target, s);
      }
      return s;
    },
  };
  let loaded: ReturnType<PluginHost<D>['loadDeployment']> | undefined;
  const cctx: ConfigureContext<D> = {
    trace,
    deployment(): D {
      if (!loaded) {
        loaded = host.loadDeployment(opts.config);
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
    if (opts.warning !== undefined) cctx.warning = parseRange(opts.warning);
    if (opts.critical !== undefined) cctx.critical = parseRange(opts.critical);
    const config = def.configure(opts, cctx);
    const result = def.evaluate(await def.gather(config, env), config);
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
