// Nagios 4 in the Pacemaker lab: the real nagios4 runs inside the lab's monitoring namespace
// (lvsha-mon) with the objects `lvsha generate` wrote for the lab's `ha: pacemaker` deployment
// (check_lvs_pacemaker in place of check_lvs_heartbeat), its checks reaching the real directors
// over SSH. Healthy, then the Corosync link cut (lab/netns/pacemaker.sh block: two_node without
// fencing, both directors run the group), then healed. Called from test/e2e/pacemaker.test.ts
// while the Pacemaker lab is up.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { LabTier, labEnv, PACEMAKER_DEPLOYMENT } from '../../src/lab/tiers';
import { generate, q, sleep, tempDir, writeWrappers } from './harness';
import { Nagios, ServiceStatus, writeNagiosConfig } from './nagios';
import { show } from './nagios-lab';

const DIRECTOR_SERVICES = ['LVS VIP', 'LVS Pacemaker', 'LVS IPVS', 'LVS sync', 'LVS sorry server'];
const SERVICES: [string, string][] = [
  ...['frontal1', 'frontal2'].flatMap((h) => DIRECTOR_SERVICES.map((s): [string, string] => [h, s])),
  ['reel1', 'LVS ARP'],
  ['reel2', 'LVS ARP'],
];

async function sh(tier: LabTier, script: string, timeout: number): Promise<string> {
  const r = await tier.exec(`set -o pipefail\n${script}`, [], timeout);
  if (r.rc !== 0) throw new Error(`${script}: rc ${r.rc}${r.timedOut ? ' (timed out)' : ''}: ${(r.stderr.trim() || r.stdout.trim()).split('\n').slice(-4).join(' / ')}`);
  return r.stdout;
}

export interface PacemakerNagiosReport {
  healthy: ServiceStatus[];
  split: ServiceStatus[];
  timings: string;
}

/** Runs the proof on a Pacemaker lab that is up and healthy (netns tier); heals the link whatever happens. */
export async function nagiosInPacemakerLab(tier: LabTier, nagios4: string): Promise<PacemakerNagiosReport> {
  if (tier.name !== 'netns' || tier.ha !== 'pacemaker') throw new Error('the Pacemaker Nagios proof runs on the namespace tier with --ha pacemaker');
  const t0 = Date.now();
  const dir = tempDir('nagios-pm-lab');
  const etc = generate(join(dir, 'generated'), PACEMAKER_DEPLOYMENT);
  const env = labEnv();
  writeWrappers(join(dir, 'plugins'), `--ssh-user root --ssh-key ${q(env.LVSHA_SSH_KEY!)} --known-hosts ${q(env.LVSHA_KNOWN_HOSTS!)} --config ${q(join(etc, 'lvsha', 'deployment.json'))} -t 30`, () => '', '');
  const main = writeNagiosConfig({ dir: join(dir, 'nagios'), confD: join(etc, 'nagios4', 'conf.d'), user1: join(dir, 'plugins') });
  const nagios = new Nagios(nagios4, join(dir, 'nagios'), main);
  const v = nagios.verify();
  if (v.code !== 0) throw new Error(`nagios4 -v: ${v.out}`);
  let cut = false;
  try {
    await nagios.start(['ip', 'netns', 'exec', 'lvsha-mon']);
    let since = Math.floor(Date.now() / 1000);
    nagios.forceChecks(['frontal1', 'frontal2', 'reel1', 'reel2']);
    const healthy = await nagios.resultsSince(since, SERVICES, 90_000);
    const healthyAt = Date.now();
    process.stderr.write(`nagios (Pacemaker lab) healthy, status.dat:\n${show(healthy)}\n`);
    const bad: string[] = [];
    for (const h of ['frontal1', 'frontal2']) {
      const p = healthy.find((s) => s.host === h && s.service === 'LVS Pacemaker')!;
      if (p.state !== 0 || !/^LVS PACEMAKER OK - lvs on frontal1, 2\/2 nodes online, quorum, DC frontal[12]$/.test(p.output)) bad.push(`${h} LVS Pacemaker: state ${p.state} ${p.output}`);
      const vip = healthy.find((s) => s.host === h && s.service === 'LVS VIP')!;
      if (vip.state !== 0 || !/^LVS VIP OK - 192\.168\.0\.3 on frontal1 /.test(vip.output)) bad.push(`${h} LVS VIP: state ${vip.state} ${vip.output}`);
    }
    if (bad.length) throw new Error(`healthy Pacemaker lab, unexpected states:\n${bad.join('\n')}`);

    cut = true;
    await sh(tier, 'lab/netns/pacemaker.sh block', 60);
    // both partitions start the group: frontal2 too holds the VIP
    await sh(tier, 'both() { [[ "$(vip_holders)" == "frontal1 frontal2" ]]; }; wait_until 120 0.5 both || die "holders: $(vip_holders)"', 150);
    since = Math.floor(Date.now() / 1000) + 1;
    await sleep(since * 1000 - Date.now() + 10);
    nagios.forceChecks(['frontal1', 'frontal2']);
    const split = await nagios.resultsSince(
      since,
      SERVICES.filter(([h, s]) => h.startsWith('frontal') && (s === 'LVS VIP' || s === 'LVS Pacemaker')),
      90_000,
    );
    const splitAt = Date.now();
    process.stderr.write(`nagios (Pacemaker lab) Corosync link cut, status.dat:\n${show(split)}\n`);
    for (const h of ['frontal1', 'frontal2']) {
      const vip = split.find((x) => x.host === h && x.service === 'LVS VIP')!;
      if (vip.state !== 2 || vip.output !== 'LVS VIP CRITICAL - split brain: frontal1, frontal2 hold 192.168.0.3') bad.push(`${h} LVS VIP: state ${vip.state} ${vip.output}`);
      const other = h === 'frontal1' ? 'frontal2' : 'frontal1';
      const p = split.find((x) => x.host === h && x.service === 'LVS Pacemaker')!;
      if (p.state !== 1 || !p.output.startsWith(`LVS PACEMAKER WARNING - ${other} OFFLINE: no failover target`)) bad.push(`${h} LVS Pacemaker: state ${p.state} ${p.output}`);
    }
    if (bad.length) throw new Error(`Corosync link cut, unexpected states:\n${bad.join('\n')}`);
    const timings = `Pacemaker lab Nagios: healthy results ${((healthyAt - t0) / 1000).toFixed(1)} s after start; link cut set up and recorded ${((splitAt - healthyAt) / 1000).toFixed(1)} s later`;
    process.stderr.write(`${timings}\n`);
    return { healthy, split, timings };
  } finally {
    await nagios.stop();
    if (cut) await sh(tier, 'lab/netns/pacemaker.sh unblock && lab/netns/pacemaker.sh wait-online 180 && lab/netns/pacemaker.sh wait-group frontal1 180', 400);
    rmSync(dir, { recursive: true, force: true });
  }
}
