/**
 * Nagios 4 (the real nagios4 daemon) runs the objects `lvsha generate` wrote and records our
 * checks' states and perfdata. The hosts are the loopback site (harness.ts): the generated
 * command lines run unchanged through `$USER1$` wrappers that add the SSH settings of the test
 * sshd and the replay programs, so what the checks read is the real captures of the healthy
 * and split-brain lab scenarios. The lab version (the real deployment in the lab's
 * namespaces) is nagios-lab.ts, run by test/e2e/netns.test.ts.
 */
import { join } from 'node:path';
import { clientTest, LoopbackSite, sleep, startLoopbackSite } from './harness';
import { Nagios, ServiceStatus, writeNagiosConfig } from './nagios';

const SERVICES: [string, string][] = [
  ...['frontal1', 'frontal2'].flatMap((h) => ['LVS VIP', 'LVS Heartbeat', 'LVS IPVS', 'LVS sync', 'LVS sorry server'].map((s): [string, string] => [h, s])),
  ['reel1', 'LVS ARP'],
  ['reel2', 'LVS ARP'],
];
const HOSTS = ['frontal1', 'frontal2', 'reel1', 'reel2'];
const show = (s: ServiceStatus[]) => s.map((x) => `${x.host};${x.service};state=${x.state};${x.output} | ${x.perfdata}`).join('\n');

clientTest(
  ['nagios4', '/usr/sbin/sshd', 'ssh-keygen'],
  'a throwaway Nagios runs the generated objects on the loopback site: healthy → 12 OK, split brain → LVS VIP CRITICAL',
  async ([nagios4]) => {
    const t0 = Date.now();
    let site: LoopbackSite | undefined;
    let nagios: Nagios | undefined;
    try {
      site = await startLoopbackSite('nagios');
      const dir = join(site.dir, 'nagios');
      const main = writeNagiosConfig({ dir, confD: join(site.etc, 'nagios4', 'conf.d'), user1: site.plugins });
      nagios = new Nagios(nagios4!, dir, main);
      const v = nagios.verify();
      expect(`${v.code}\n${v.out}`).toMatch(/^0\n/);
      expect(v.out).toMatch(/Checked 12 services\.\n\s+Checked 4 hosts\./);
      expect(v.out).toMatch(/Total Warnings: 0\nTotal Errors:\s+0/);

      await nagios.start();
      const started = Date.now();

      // healthy
      const since = Math.floor(Date.now() / 1000);
      nagios.forceChecks(HOSTS);
      const healthy = await nagios.resultsSince(since, SERVICES, 30_000);
      const healthyAt = Date.now();
      process.stderr.write(`nagios (loopback) healthy, status.dat:\n${show(healthy)}\n`);
      for (const s of healthy) expect(`${s.host};${s.service};${s.state};${s.output}`).toMatch(new RegExp(`;0;LVS \\w+ OK - `));
      const byKey = (arr: ServiceStatus[], h: string, s: string) => arr.find((x) => x.host === h && x.service === s)!;
      expect(byKey(healthy, 'frontal1', 'LVS VIP').output).toBe('LVS VIP OK - 192.168.0.3 on frontal1 (eth0:0)');
      expect(byKey(healthy, 'frontal1', 'LVS VIP').perfdata).toMatch(/^holders=1;;;0 time=[\d.]+s;;;0$/);
      expect(byKey(healthy, 'frontal1', 'LVS IPVS').output).toBe('LVS IPVS OK - tcp:192.168.0.3:80: 2 of 2 real servers live');
      expect(byKey(healthy, 'frontal1', 'LVS IPVS').perfdata).toMatch(/^t3_80_live=2;2:;1:;0;2 /);
      expect(byKey(healthy, 'frontal2', 'LVS Heartbeat').output).toBe('LVS HEARTBEAT OK - frontal2: peer frontal1 active, 1/1 links up');
      expect(byKey(healthy, 'frontal1', 'LVS sorry server').output).toMatch(/^LVS SORRY OK - HTTP\/1\.1 200/);
      expect(byKey(healthy, 'frontal1', 'LVS VIP').longOutput).toContain('frontal2 (127.0.0.3): holds no VIP');

      // split brain: both directors hold the VIP (the lab's capture, heartbeats dropped both ways)
      site.setScenario('split-brain');
      const switched = Math.floor(Date.now() / 1000) + 1;
      await sleep(switched * 1000 - Date.now() + 10);
      nagios.forceChecks(['frontal1', 'frontal2']);
      const split = await nagios.resultsSince(
        switched,
        SERVICES.filter(([h]) => h.startsWith('frontal')),
        30_000,
      );
      const splitAt = Date.now();
      process.stderr.write(`nagios (loopback) split brain, status.dat:\n${show(split)}\n`);
      for (const h of ['frontal1', 'frontal2']) {
        const vip = byKey(split, h, 'LVS VIP');
        expect(vip.state).toBe(2);
        expect(vip.output).toBe('LVS VIP CRITICAL - split brain: frontal1, frontal2 hold 192.168.0.3');
        expect(vip.perfdata).toMatch(/^holders=2;;;0 time=[\d.]+s;;;0$/);
        expect(byKey(split, h, 'LVS Heartbeat').output).toMatch(/^LVS HEARTBEAT CRITICAL - peer frontal[12] is dead$/);
      }

      // The perfdata file Nagios wrote (process_performance_data, our template).
      const perf = nagios.perfdataLines();
      const vipLines = perf.filter((l) => l.split('\t')[3] === 'LVS VIP');
      process.stderr.write(`nagios (loopback) service-perfdata, LVS VIP lines:\n${vipLines.join('\n')}\n`);
      expect(vipLines.some((l) => /\tfrontal1\tLVS VIP\tOK\tLVS VIP OK - 192\.168\.0\.3 on frontal1 \(eth0:0\)\tholders=1;;;0 time=/.test(l))).toBe(true);
      expect(vipLines.some((l) => /\tfrontal1\tLVS VIP\tCRITICAL\tLVS VIP CRITICAL - split brain: frontal1, frontal2 hold 192\.168\.0\.3\tholders=2;;;0 time=/.test(l))).toBe(true);
      process.stderr.write(
        `nagios (loopback) timings: site ${((started - t0) / 1000).toFixed(1)} s; healthy results ${((healthyAt - started) / 1000).toFixed(1)} s after start; split-brain results ${((splitAt - healthyAt) / 1000).toFixed(1)} s later\n`,
      );
    } finally {
      await nagios?.stop();
      await site?.stop();
    }
  },
  90_000,
);
