import { Command } from 'commander';
import { Progress } from './progress';
import { findScenario, formatOutcome, runScenario, SCENARIOS, ScenarioOutcome } from './scenarios';
import { formatMissing, missingForLab, PreflightOptions } from './preflight';
import { chooseTier, currentTier, hostHasIpvs, LAB_DIR, LabHa, LabTier, labEnv, NetnsTier, parseLabHa, readTier, REPO, runHost, tierOf, VmTier } from './tiers';

function needRoot(): void {
  if (process.getuid && process.getuid() !== 0) throw new Error('the lab needs root (network namespaces, qemu share)');
}

function upTier(): LabTier {
  const t = currentTier();
  if (!t || !t.isUp()) throw new Error('the lab is not up: lvsha lab up');
  return t;
}

/** Both tiers down, whatever the tier file says (after a killed run it may be missing). */
export async function labDown(p: Progress): Promise<void> {
  await new VmTier().down(p);
  await new NetnsTier().down(p);
}

/**
 * Builds the lab and returns once the deployment is healthy (lab/netns/up.sh waits for
 * lab_unready to be empty: VIP once, peers active, real servers answering, with IPVS the
 * table and the sync daemons). Checks first that this machine has what the tier needs.
 */
export async function labUp(p: Progress, forced?: string, pre: PreflightOptions = {}, ha: LabHa = 'heartbeat'): Promise<LabTier> {
  const name = chooseTier(forced);
  const missing = missingForLab(name, { ...pre, ha });
  if (missing.length) throw new Error(formatMissing(name, missing, REPO));
  p.note(`lvsha lab: ${name === 'netns' ? 'namespace tier (the host kernel has IPVS or --tier netns)' : 'VM tier (qemu TCG, kernel with IPVS; the host kernel has none)'}`);
  await labDown(p);
  const t = tierOf(name, ha);
  await t.up(p);
  return t;
}

export async function runScenarioCli(t: LabTier, name: string, p: Progress): Promise<ScenarioOutcome> {
  const sc = findScenario(name);
  if (!sc) throw new Error(`unknown scenario '${name}' (one of: ${SCENARIOS.map((s) => s.name).join(', ')})`);
  p.note(`scenario ${sc.name} on the ${t.name} tier: ${sc.title}`);
  const o = await runScenario(t, sc, {
    step: (label, fn) => p.step(label, fn),
    result: (r) => p.note(formatOutcome(r)),
  });
  for (const e of o.errors) p.note(`ERROR ${e}`);
  p.note(`scenario ${sc.name} (${t.name}): ${o.pass ? 'PASS' : 'FAIL'} in ${o.seconds.toFixed(1)} s`);
  return o;
}

export function registerLab(program: Command): void {
  const lab = program
    .command('lab')
    .description('the real lab: the reference deployment in network namespaces (host kernel) or in a qemu VM (kernel with IPVS)');

  lab
    .command('up')
    .description('build the lab: namespaces when this kernel has IPVS, else the VM (it stays up until `lab down`)')
    .option('--tier <tier>', 'netns or vm (default: chosen from the kernel)')
    .option('--ha <layer>', 'HA layer of the directors: heartbeat (Heartbeat + ldirectord), keepalived (VRRP, DBus; virtual_server blocks only where the kernel has IPVS) or pacemaker (Corosync + Pacemaker: IPaddr2 + ldirectord group, stonith disabled)', 'heartbeat')
    .action(async (o: { tier?: string; ha: string }) => {
      // no needRoot() here: labUp's preflight names root among what is missing
      const p = new Progress();
      const t0 = Date.now();
      try {
        const t = await labUp(p, o.tier, {}, parseLabHa(o.ha));
        p.note(`lab up on the ${t.name} tier in ${((Date.now() - t0) / 1000).toFixed(1)} s, healthy: ${nextStep(t.name)}`);
      } catch (e) {
        process.exitCode = 1;
        p.note(`lab up failed: ${(e as Error).message}`);
      }
    });

  lab
    .command('down')
    .description('remove every namespace, process, VM and share the lab made (idempotent)')
    .action(async () => {
      needRoot();
      await labDown(new Progress());
    });

  lab
    .command('status')
    .description('which tier is up and what it holds')
    .action(async () => {
      const tier = readTier();
      process.stdout.write(`tier file: ${tier ?? 'none'}\n${new NetnsTier().describe()}\n${new VmTier().describe()}\n`);
      const t = currentTier();
      if (t?.isUp()) {
        const r = await t.exec('echo "VIP holders: [$(vip_holders)]"; for h in "${DIRECTORS[@]}"; do if ka_lab; then echo "$h keepalived: $(ka_state "$h")"; elif pm_lab; then echo "$h pacemaker: $(pm_summary "$h" 2>/dev/null | paste -sd " " -)"; else echo "$h heartbeat: $(in_host "$h" cl_status hbstatus 2>&1 | head -1)"; fi; done; if ipvs_available; then in_host frontal1 ipvsadm -Ln; fi', [], 60);
        process.stdout.write(r.stdout + r.stderr);
      } else process.exitCode = 3;
    });

  lab
    .command('scenario [name]')
    .description(`run one scenario (${SCENARIOS.map((s) => s.name).join(', ')}) on the lab that is up; prints each check's output and PASS/FAIL`)
    .option('--list', 'list the scenarios', false)
    .action(async (name: string | undefined, o: { list: boolean }) => {
      if (o.list || !name) {
        for (const s of SCENARIOS) process.stdout.write(`${s.name.padEnd(32)} [${s.tiers.join(',')}${s.ha ? ` --ha ${s.ha}` : ''}] ${s.title}\n`);
        return;
      }
      needRoot();
      const r = await runScenarioCli(upTier(), name, new Progress(process.stdout));
      process.exitCode = r.pass ? 0 : 1;
    });

  lab
    .command('run')
    .description('run CMD on the lab\'s monitoring host (namespace lvsha-mon) with LVSHA_CONFIG, LVSHA_SSH_KEY, LVSHA_KNOWN_HOSTS and PATH (bin/) set: lvsha lab run -- lvsha doctor')
    .argument('<cmd...>', 'command and arguments')
    .option('--host <name>', 'another lab host (frontal1, reel1, client...)', 'mon')
    .option('-t, --timeout <seconds>', 'time bound', '300')
    .allowUnknownOption()
    .action(async (cmd: string[], o: { host: string; timeout: string }) => {
      needRoot();
      const t = upTier();
      const timeout = Number(o.timeout);
      if (t.name === 'netns') {
        // Straight on this host: the command's output streams to the terminal.
        const r = await runHost(['bash', '-c', `. lab/netns/lib.sh; in_host "$1" bash -c 'cd "$0" 2>/dev/null || cd /; exec "$@"' "\${@:2}"`, 'lab', o.host, process.cwd(), ...cmd], {
          timeoutSec: timeout,
          stdio: 'inherit',
          env: { ...process.env, ...labEnvWithPath() },
        });
        process.exitCode = r.rc;
      } else {
        const r = await t.exec(`in_host "$1" bash -c 'cd "$0" 2>/dev/null || cd /; exec "$@"' "\${@:2}"`, [o.host, process.cwd(), ...cmd], timeout);
        process.stdout.write(r.stdout);
        process.stderr.write(r.stderr);
        process.exitCode = r.rc;
      }
    });
}

function labEnvWithPath(): Record<string, string> {
  return { ...labEnv(), LVSHA_LAB_DIR: LAB_DIR, PATH: `${REPO}/bin:${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}` };
}

/** What `lab up` suggests once the lab is healthy, per tier. */
export function nextStep(tier: 'netns' | 'vm', ipvs = tier === 'vm' || hostHasIpvs()): string {
  // Under TCG a doctor row takes 9-24 s (SSH handshakes and module loading are emulated,
  // measured at a load of 5 on 2 cores): the default -t 10 cuts rows short, see lab/README.md.
  if (tier === 'vm') return 'try: lvsha lab run -- lvsha doctor -t 60 (every row OK; under qemu TCG a row takes 9-24 s, more than the default -t 10)';
  if (ipvs) return 'try: lvsha lab run -- lvsha doctor (every row OK)';
  return 'try: lvsha lab run -- lvsha doctor (every row OK but ipvs and sync: CRITICAL "IPVS not available in this kernel" by nature, the host kernel has no IPVS; for real IPVS: lvsha lab up --tier vm)';
}
