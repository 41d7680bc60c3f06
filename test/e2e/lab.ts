import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Expectation, formatOutcome, runExpectation, runScenario, Scenario, ScenarioOutcome } from '../../src/lab/scenarios';
import { ExecResult, LAB_DIR, LabHa, LabTier, REPO, TierName } from '../../src/lab/tiers';
import { Progress } from '../../src/lab/progress';
import { missingForLab as missingForTier } from '../../src/lab/preflight';

/** What the lab needs on this machine (src/lab/preflight.ts, as `lab up` checks it); empty when everything is there. */
export function missingForLab(tier: TierName, ha: LabHa = 'heartbeat'): string[] {
  const miss = missingForTier(tier, { ha }).map((m) => m.detail);
  if (!existsSync(join(REPO, 'dist', 'cli.js'))) miss.push('dist/ (npx tsc -p tsconfig.json)');
  return miss;
}

/**
 * Whether to run the e2e tests: always in CI (missing prerequisites are an error there, not a
 * skip), and locally when LVSHA_E2E=1 (they take the machine's lvsha-* namespaces for minutes).
 */
export function e2eEnabled(tier: TierName, ha: LabHa = 'heartbeat'): boolean {
  const miss = missingForLab(tier, ha);
  if (process.env.CI) {
    if (miss.length) throw new Error(`e2e ${tier} tier${ha === 'heartbeat' ? '' : ` (${ha})`}: missing ${miss.join(', ')} (scripts/install-lab-deps.sh)`);
    return true;
  }
  // LVSHA_E2E=1 runs every e2e file, =netns or =vm one tier, =keepalived the keepalived lab
  const want = process.env.LVSHA_E2E;
  if (want !== '1' && want !== tier && !(ha !== 'heartbeat' && want === ha)) return false;
  if (miss.length) throw new Error(`LVSHA_E2E set but missing: ${miss.join(', ')}`);
  return true;
}

export const quietProgress = () => new Progress(process.stderr, false);

const outcomes: ScenarioOutcome[] = [];

/** Runs a scenario, logs its report, records it in .lab/e2e-<tier>.json for the summary. */
export async function runAndReport(tier: LabTier, sc: Scenario): Promise<ScenarioOutcome> {
  const p = quietProgress();
  const o = await runScenario(tier, sc, { step: (l, fn) => p.step(l, fn) });
  const text = [`scenario ${sc.name} (${tier.name}): ${o.pass ? 'PASS' : 'FAIL'} in ${o.seconds.toFixed(1)} s`, ...o.results.map(formatOutcome), ...o.errors.map((e) => `ERROR ${e}`)].join('\n');
  process.stderr.write(`${text}\n`);
  outcomes.push(o);
  mkdirSync(LAB_DIR, { recursive: true });
  writeFileSync(
    join(LAB_DIR, `e2e-${tier.name}.json`),
    JSON.stringify(
      outcomes.map((x) => ({
        scenario: x.scenario,
        tier: x.tier,
        pass: x.pass,
        seconds: x.seconds,
        errors: x.errors,
        results: x.results.map((r) => ({ label: r.expectation.label, host: r.expectation.host, rc: r.rc, want: r.expectation.exit, pass: r.pass, firstLine: r.firstLine, seconds: r.seconds })),
      })),
      null,
      2,
    ),
  );
  if (!o.pass) throw new Error(text);
  return o;
}

/**
 * The step helpers of an HA layer's namespace e2e file (keepalived.test.ts, pacemaker.test.ts):
 * `exec` a lib.sh script (non-zero = the test fails with its output), `op` one line of the
 * layer's fault script (lab/netns/keepalived.sh or pacemaker.sh, logged), `at` the moment a
 * fault line reports, `expectCheck` a command's exit code and first line (logged),
 * `holders` the directors holding the VIP.
 */
export function haLabSteps(tier: LabTier, faultScript: string, log: string[], opTimeout: number) {
  const exec = async (script: string, args: string[] = [], timeout = 120): Promise<ExecResult> => {
    const r = await tier.exec(script, args, timeout);
    if (r.rc !== 0) throw new Error(`rc ${r.rc}${r.timedOut ? ' (timed out)' : ''}: ${script} ${args.join(' ')}\n${r.stdout}${r.stderr}`);
    return r;
  };
  const op = async (...args: string[]): Promise<string> => {
    const r = await exec(`${faultScript} "$@"`, args, opTimeout);
    const line = r.stdout.trim().split('\n').pop() ?? '';
    log.push(line);
    return line;
  };
  const at = (line: string): string => {
    const m = / \(at (\d+)\)/.exec(line);
    if (!m) throw new Error(`no (at MS) in: ${line}`);
    return m[1]!;
  };
  /** A command on the monitoring host (PATH has bin/, $SSH the lab's options), or on another host: exit code and first line must match. */
  const expectCheck = async (label: string, cmd: string | { host: string; cmd: string }, exit: number, firstLine: RegExp): Promise<void> => {
    const e: Expectation = { label, ...(typeof cmd === 'string' ? { host: 'mon', cmd } : cmd), exit, firstLine };
    const o = await runExpectation(tier, e);
    log.push(formatOutcome(o));
    if (!o.pass) throw new Error(formatOutcome(o));
  };
  const holders = async (): Promise<string> => (await exec('vip_holders')).stdout.trim();
  return { exec, op, at, expectCheck, holders };
}
