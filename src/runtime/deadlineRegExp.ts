import type { Context, Script } from 'node:vm';
import { PluginError } from './errors';

/**
 * A user's regular expression that cannot hold the plugin past its deadline. JavaScript
 * regexes backtrack: `^(a+)+$` against 40 `a` and a `!` runs for minutes, on the main
 * thread, where no timer can fire. Each match runs under vm's `timeout` (a watchdog thread
 * that terminates the running script, the regex included) and stops before the deadline.
 * Cost (bench/regex.js): the first match ~12 ms (loading vm, one context per process), then
 * ~0.2-0.3 ms a match (vm's watchdog thread); loaded only when -r is given.
 *
 * A subclass of RegExp overriding exec: test(), match(), replace()... all go through exec.
 */
export class DeadlineRegExp extends RegExp {
  /** Epoch ms by which a match must have ended (a margin before it is kept for the report). */
  deadline: number;

  constructor(pattern: string, deadline: number, flags?: string) {
    super(pattern, flags);
    this.deadline = deadline;
  }

  // Derived regexes (split, matchAll) are plain RegExps: species is RegExp.
  static override get [Symbol.species](): RegExpConstructor {
    return RegExp;
  }

  override exec(s: string): RegExpExecArray | null {
    const budget = matchBudget(this.deadline - Date.now());
    if (budget === undefined) throw this.late(s, 0);
    const run = runner();
    run.ctx.re = this;
    run.ctx.s = s;
    const t0 = Date.now();
    try {
      return run.script.runInContext(run.ctx, { timeout: budget }) as RegExpExecArray | null;
    } catch (e) {
      if ((e as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw this.late(s, Date.now() - t0);
      throw e;
    } finally {
      run.ctx.re = undefined;
      run.ctx.s = undefined;
    }
  }

  private late(s: string, ms: number): PluginError {
    return new PluginError(`--regex /${this.source}/ did not finish within ${(ms / 1000).toFixed(1)} s on ${Buffer.byteLength(s)} B of text (catastrophic backtracking? simplify the pattern)`);
  }
}

/**
 * How long one match may run with `left` ms before the deadline: what is left minus a
 * tenth of it, at most 500 ms, kept to report the verdict before the plugin's own -t fires;
 * undefined when that is under 1 ms (the match is not attempted).
 */
export function matchBudget(left: number): number | undefined {
  const budget = Math.floor(left - Math.min(500, left * 0.1));
  return budget < 1 ? undefined : budget;
}

/** vm contexts created (tests: one serves every match of the process, it is not remade per match). */
let contextsMade = 0;
export const deadlineContexts = (): number => contextsMade;

let made: { ctx: Context & { re?: RegExp; s?: string }; script: Script } | undefined;
function runner(): NonNullable<typeof made> {
  if (!made) {
    contextsMade++;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const vm = require('node:vm') as typeof import('node:vm');
    // The builtin exec of THIS realm, on our regex: no recursion into the override.
    const ctx = vm.createContext({ exec: RegExp.prototype.exec, re: undefined, s: undefined });
    made = { ctx, script: new vm.Script('exec.call(re, s)') };
  }
  return made;
}
