import { Command, CommanderError } from 'commander';
import { runPlugin } from './runtime/plugin';
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
    await runPlugin(loadCheck(name), argv.slice(2));
    return;
  }
  const program = new Command('lvsha')
    .description('Monitoring suite for LVS directors made highly available with Heartbeat')
    .version(VERSION, '-V, --version')
    .exitOverride();
  program.command('check <name> [args...]').description(`run one check (${CHECK_NAMES.join(', ')}); same as check_lvs_NAME`);
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode === 0 ? 0 : 2;
      return;
    }
    process.stderr.write(`lvsha: ${(e as Error).message}\n`);
    process.exitCode = 1;
  }
}
