import { Command, CommanderError } from 'commander';
import { runPlugin } from './runtime/plugin';
import { pluginHost } from './checks/host';
import { CHECK_NAMES, isCheckName, loadCheck } from './checks/registry';
import { VERSION } from './runtime/version';

/**
 * `lvsha`: `check NAME ...` goes straight to the plugin runtime (same output and exit
 * codes as bin/check_lvs_NAME); the other subcommands are loaded when used.
 */
export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  if (argv[0] === 'check') {
    const name = argv[1] ?? '';
    if (!isCheckName(name)) {
      process.stdout.write(`LVS UNKNOWN - unknown check '${name}' (one of: ${CHECK_NAMES.join(', ')})\n`);
      process.exitCode = 3;
      return;
    }
    await runPlugin(loadCheck(name), pluginHost, argv.slice(2));
    return;
  }
  const program = new Command('lvsha')
    .description('Monitoring suite for LVS directors made highly available with Heartbeat or keepalived')
    .version(VERSION, '-V, --version')
    .exitOverride();
  program.command('check <name> [args...]').description(`run one check (${CHECK_NAMES.join(', ')}); same as check_lvs_NAME`);
  // Subcommands are loaded only when lvsha runs something other than `check`.
  /* eslint-disable @typescript-eslint/no-require-imports */
  (require('./exporter/command') as typeof import('./exporter/command')).registerExporter(program);
  for (const [mod, fn] of [
    ['./doctor/command', 'registerDoctor'],
    ['./generate/command', 'registerGenerate'],
    ['./lab/command', 'registerLab'],
    ['./install/command', 'registerInstall'],
  ] as const) {
    (require(mod) as Record<string, (p: Command) => void>)[fn]!(program);
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode === 0 ? 0 : 2;
      return;
    }
    // A sysadmin at a shell gets one line; the stack only when asked for.
    process.stderr.write(`lvsha: ${(e as Error).message}\n`);
    if (process.env.LVSHA_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
    process.exitCode = 2;
  }
}
