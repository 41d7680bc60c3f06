// Nagios 4 in the lab: the real nagios4 runs inside the lab's monitoring namespace (lvsha-mon)
// with the objects `lvsha generate` wrote for lab/deployment.yaml, and its checks reach the
// real directors and real servers over SSH (the lab's key and known_hosts). Scenario healthy,
// then split brain (src/lab/scenarios.ts: heartbeats dropped by nft on both directors), then
// the scenario's heal steps. Called from test/e2e/netns.test.ts while the lab is up (see
// lab/clients/README.md).
import { join } from 'node:path';
import { findScenario, Step } from '../../src/lab/scenarios';
import { hostHasIpvs, LabTier, labEnv, REPO } from '../../src/lab/tiers';
import { generate, q, sleep, tempDir, writeWrappers } from './harness';
import { Nagios, ServiceStatus, writeNagiosConfig } from './nagios';

const SERVICES: [string, string][] = [
  ...['frontal1', 'frontal2'].flatMap((h) => ['LVS VIP', 'LVS Heartbeat', 'LVS IPVS', 'LVS sync', 'LVS sorry server'].map((s): [string, string] => [h, s])),
  ['reel1', 'LVS ARP'],
  ['reel2', 'LVS ARP'],
];
export const show = (s: ServiceStatus[]) => s.map((x) => `${x.host};${x.service};state=${x.state};${x.output} | ${x.perfdata}`).join('\n');

async function steps(tier: LabTier, list: Step[]): Promise<void> {
  for (const s of list) {
    const r = await tier.exec(`set -o pipefail\n${s.sh}`, [], s.timeout);
    if (r.rc !== 0) throw new Error(`${s.label}: rc ${r.rc}${r.timedOut ? ' (timed out)' : ''}: ${(r.stderr.trim() || r.stdout.trim()).split('\n').slice(-4).join(' / ')}`);
  }
}

export interface LabNagiosReport {
  healthy: ServiceStatus[];
  split: ServiceStatus[];
  perfdata: string[];
  timings: string;
}

/**
 * Runs the proof on a lab that is up (netns tier: Nagios runs in lvsha-mon on this machine).
 * Throws when a state is not the expected one; heals the split brain whatever happens.
 */
export async function nagiosInLab(tier: LabTier, nagios4: string): Promise<LabNagiosReport> {
  if (tier.name !== 'netns') throw new Error('the Nagios lab proof runs on the namespace tier (Nagios on this machine, in lvsha-mon)');
  const t0 = Date.now();
  const dir = tempDir('nagios-lab');
  const etc = generate(join(dir, 'generated'), join(REPO, 'lab', 'deployment.yaml'));
  const env = labEnv();
  const plugins = join(dir, 'plugins');
  // The generated command lines, plus the lab's SSH settings (root: the lab's hosts have no
  // nagios user) and the generated deployment file instead of /etc/lvsha/deployment.json.
  // -t 30: the ARP check reads many files over SSH.
  writeWrappers(plugins, `--ssh-user root --ssh-key ${q(env.LVSHA_SSH_KEY!)} --known-hosts ${q(env.LVSHA_KNOWN_HOSTS!)} --config ${q(join(etc, 'lvsha', 'deployment.json'))} -t 30`, () => '', '');
  const main = writeNagiosConfig({ dir: join(dir, 'nagios'), confD: join(etc, 'nagios4', 'conf.d'), user1: plugins });
  const nagios = new Nagios(nagios4, join(dir, 'nagios'), main);
  const v = nagios.verify();
  if (v.code !== 0) throw new Error(`nagios4 -v: ${v.out}`);
  const ipvs = hostHasIpvs();
  const healthySc = findScenario('healthy')!;
  const split = findScenario('split-brain')!;
  let splitStarted = false;
  try {
    await steps(tier, healthySc.setup);
    await nagios.start(['ip', 'netns', 'exec', 'lvsha-mon']);
    const started = Date.now();
    let since = Math.floor(Date.now() / 1000);
    nagios.forceChecks(['frontal1', 'frontal2', 'reel1', 'reel2']);
    const healthy = await nagios.resultsSince(since, SERVICES, 60_000);
    const healthyAt = Date.now();
    process.stderr.write(`nagios (lab, ${ipvs ? 'IPVS' : 'no IPVS in this kernel'}) healthy, status.dat:\n${show(healthy)}\n`);
    const bad: string[] = [];
    for (const s of healthy) {
      const ipvsOnly = s.service === 'LVS IPVS' || s.service === 'LVS sync';
      const want = ipvsOnly && !ipvs ? /^LVS (IPVS|SYNC) CRITICAL - IPVS not available in this kernel/ : /^LVS \w+ OK - /;
      if (s.state !== (ipvsOnly && !ipvs ? 2 : 0) || !want.test(s.output)) bad.push(`${s.host}/${s.service}: state ${s.state} ${s.output}`);
    }
    const vip = healthy.find((s) => s.host === 'frontal1' && s.service === 'LVS VIP')!;
    if (!/^LVS VIP OK - 192\.168\.0\.3 on frontal1 \(eth0:0\)$/.test(vip.output)) bad.push(`VIP: ${vip.output}`);
    if (bad.length) throw new Error(`healthy lab, unexpected states:\n${bad.join('\n')}`);

    splitStarted = true;
    await steps(tier, split.setup);
    since = Math.floor(Date.now() / 1000) + 1;
    await sleep(since * 1000 - Date.now() + 10);
    nagios.forceChecks(['frontal1', 'frontal2']);
    const sb = await nagios.resultsSince(
      since,
      SERVICES.filter(([h]) => h.startsWith('frontal')),
      60_000,
    );
    const splitAt = Date.now();
    process.stderr.write(`nagios (lab) split brain, status.dat:\n${show(sb)}\n`);
    for (const h of ['frontal1', 'frontal2']) {
      const s = sb.find((x) => x.host === h && x.service === 'LVS VIP')!;
      if (s.state !== 2 || s.output !== 'LVS VIP CRITICAL - split brain: frontal1, frontal2 hold 192.168.0.3' || !/^holders=2;;;0 /.test(s.perfdata))
        throw new Error(`split brain: ${h} LVS VIP recorded state ${s.state} "${s.output}" | ${s.perfdata}`);
    }
    const perfdata = nagios.perfdataLines().filter((l) => l.split('\t')[3] === 'LVS VIP');
    process.stderr.write(`nagios (lab) service-perfdata, LVS VIP lines:\n${perfdata.join('\n')}\n`);
    const timings = `lab Nagios: healthy results ${((healthyAt - started) / 1000).toFixed(1)} s after start; split brain set up and recorded ${((splitAt - healthyAt) / 1000).toFixed(1)} s later; total ${((splitAt - t0) / 1000).toFixed(1)} s before healing`;
    process.stderr.write(`${timings}\n`);
    return { healthy, split: sb, perfdata, timings };
  } finally {
    await nagios.stop();
    if (splitStarted) await steps(tier, split.heal);
    require('node:fs').rmSync(dir, { recursive: true, force: true });
  }
}
