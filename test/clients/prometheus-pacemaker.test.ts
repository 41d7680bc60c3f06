/**
 * Prometheus (the real server, Debian prometheus) scrapes two `lvsha exporter` processes of a
 * Pacemaker deployment (`ha: pacemaker`) with the scrape configuration and the Pacemaker rules
 * `lvsha generate` wrote. Each exporter stands for one director: its `--crm-mon` and
 * `--cibadmin` print that director's capture from the Pacemaker lab
 * (test/fixtures/real/pacemaker/SCENARIO/HOST), switched scenario by scenario through a symlink.
 * Phases in one Prometheus run: healthy (the group on frontal1, no Pacemaker alert); ldirectord
 * killed and restarted (LvshaPacemakerFailCount on ldirectord/frontal1); the Corosync link cut (LvshaPacemakerSplitBrain: each partition shows the VIP
 * on its own node) and frontal1 crashed (LvshaPacemakerDown from frontal1's exporter,
 * LvshaPacemakerNodeDown seen from frontal2). The test copy of the rules has `for: 0s`.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { referenceDeployment } from '../../src/model/reference';
import { clientTest, Daemon, generate, promApi, REPO, startExporterDaemon, startPrometheus, tempDir, waitFor } from './harness';

const LAB = join(REPO, 'test', 'fixtures', 'real', 'pacemaker');
type Host = 'frontal1' | 'frontal2';
const HOSTS: Host[] = ['frontal1', 'frontal2'];

/** crm_mon's exit status as the capture recorded it. */
function captureRc(scenario: string, host: Host): number {
  const m = /^crm_mon\.xml: .* exit (\d+)$/m.exec(readFileSync(join(LAB, scenario, host, 'capture.txt'), 'utf8'));
  return m ? Number(m[1]) : 0;
}

clientTest(
  ['prometheus'],
  "pacemaker: Prometheus scrapes the exporters on the lab's Pacemaker captures; the generated Pacemaker rules fire on a fail count, a split brain and a crashed node",
  async ([prometheus]) => {
    const dir = tempDir('prometheus-pm');
    const daemons: Daemon[] = [];
    try {
      const input = join(dir, 'pm.json');
      writeFileSync(input, JSON.stringify({ ...referenceDeployment, ha: 'pacemaker' }));
      const etc = generate(join(dir, 'generated'), input);
      const config = join(etc, 'lvsha', 'deployment.json');
      expect(JSON.parse(readFileSync(config, 'utf8')).ha).toBe('pacemaker');

      // Per director: bin/crm_mon and bin/cibadmin print `current/`, a symlink to the scenario's capture.
      const setScenario = (h: Host, scenario: string) => {
        const cur = join(dir, h, 'current');
        const tmp = `${cur}.new`;
        rmSync(tmp, { force: true });
        symlinkSync(join(LAB, scenario, h), tmp);
        // rename over the old link: a scrape sees one scenario or the other
        renameSync(tmp, cur);
        writeFileSync(join(dir, h, 'rc'), String(captureRc(scenario, h)));
      };
      const ex: Record<string, number> = {};
      for (const h of HOSTS) {
        const bin = join(dir, h, 'bin');
        mkdirSync(bin, { recursive: true });
        const cur = join(dir, h, 'current');
        writeFileSync(join(bin, 'crm_mon'), `#!/bin/sh\ncat '${cur}/crm_mon.xml'\nexit $(cat '${join(dir, h, 'rc')}')\n`);
        writeFileSync(join(bin, 'cibadmin'), `#!/bin/sh\ncat '${cur}/cib.xml'\n`);
        chmodSync(join(bin, 'crm_mon'), 0o755);
        chmodSync(join(bin, 'cibadmin'), 0o755);
        setScenario(h, 'healthy');
        const ex1 = await startExporterDaemon(`exporter ${h}`, ['--config', config, '--root', tempDir(`pm-root-${h}`), '--crm-mon', join(bin, 'crm_mon'), '--cibadmin', join(bin, 'cibadmin')]);
        daemons.push(ex1.daemon);
        ex[h] = ex1.port;
      }

      const gen = parse(readFileSync(join(etc, 'prometheus', 'lvsha.yml'), 'utf8'));
      const rules = parse(readFileSync(join(etc, 'prometheus', 'lvsha-rules.yml'), 'utf8'));
      const names = rules.groups.flatMap((g: { rules: { alert?: string }[] }) => g.rules.map((r) => r.alert));
      expect(names).toEqual(expect.arrayContaining(['LvshaPacemakerDown', 'LvshaPacemakerNoQuorum', 'LvshaPacemakerNodeDown', 'LvshaPacemakerSplitBrain', 'LvshaPacemakerFailCount', 'LvshaPacemakerMoveLeft', 'LvshaPacemakerNotPreferred']));
      for (const g of rules.groups) for (const r of g.rules) if (r.alert) r.for = '0s';
      const pdir = join(dir, 'prometheus');
      mkdirSync(join(pdir, 'data'), { recursive: true });
      writeFileSync(join(pdir, 'lvsha-rules.yml'), stringify(rules));
      const job = gen.scrape_configs.find((j: { job_name: string }) => j.job_name === 'lvsha-directors');
      for (const s of job.static_configs) s.targets = [`127.0.0.1:${ex[s.labels.director]}`];
      const test = { ...gen, global: { ...gen.global, scrape_interval: '1s', evaluation_interval: '1s', scrape_timeout: '1s' }, rule_files: [join(pdir, 'lvsha-rules.yml')], scrape_configs: [job] };
      writeFileSync(join(pdir, 'prometheus.yml'), stringify(test));

      const { daemon: prom, base } = await startPrometheus(prometheus!, join(pdir, 'prometheus.yml'), join(pdir, 'data'));
      daemons.push(prom);

      type Vector = { result: { metric: Record<string, string>; value: [number, string] }[] };
      const query = (expr: string) => promApi<Vector>(base, `/api/v1/query?query=${encodeURIComponent(expr)}`);
      const alerts = async () => (await promApi<{ alerts: { labels: Record<string, string>; state: string }[] }>(base, '/api/v1/alerts')).alerts.filter((a) => a.labels.alertname!.startsWith('LvshaPacemaker') && a.state === 'firing');
      const firing = async (name: string) => (await alerts()).filter((a) => a.labels.alertname === name);
      const rows = async (expr: string, f: (m: Record<string, string>, v: string) => string) => (await query(expr)).result.map((r) => f(r.metric, r.value[1])).sort();
      const phase = async (scenario: string) => {
        for (const h of HOSTS) setScenario(h, scenario);
      };

      // healthy: both up and quorate, the group's VIP on frontal1 as both directors report it; no Pacemaker alert.
      const holders = (v = 'vip') => rows(`lvsha_pacemaker_resource_running{resource="${v}"} == 1`, (m) => `${m.director}:${m.node}`);
      expect(await waitFor('the VIP on frontal1 from both directors', async () => ((await holders()).join() === 'frontal1:frontal1,frontal2:frontal1' ? true : undefined), 20_000)).toBe(true);
      expect(await rows('lvsha_pacemaker_up', (m, v) => `${m.director}=${v}`)).toEqual(['frontal1=1', 'frontal2=1']);
      expect(await rows('lvsha_pacemaker_quorate', (m, v) => `${m.director}=${v}`)).toEqual(['frontal1=1', 'frontal2=1']);
      await new Promise((r) => setTimeout(r, 2500));
      expect(await alerts()).toEqual([]);

      // ldirectord killed on frontal1, restarted by Pacemaker: fail count 1 there.
      await phase('ldirectord-killed');
      const fc = await waitFor('LvshaPacemakerFailCount firing', async () => {
        const f = await firing('LvshaPacemakerFailCount');
        return f.length >= 2 ? f : undefined;
      }, 20_000);
      expect(fc.map((a) => `${a.labels.director}:${a.labels.resource}@${a.labels.node}`).sort()).toEqual(['frontal1:ldirectord@frontal1', 'frontal2:ldirectord@frontal1']);

      {
        // the Corosync link cut: each partition runs the group on its own node.
        await phase('split-brain');
        const sb = await waitFor('LvshaPacemakerSplitBrain firing', async () => {
          const f = await firing('LvshaPacemakerSplitBrain');
          return f.length ? f : undefined;
        }, 20_000);
        expect(sb.map((a) => a.labels.resource)).toEqual(['vip']);
        expect(await waitFor('each partition shows the VIP on its own node', async () => ((await holders()).join() === 'frontal1:frontal1,frontal2:frontal2' ? true : undefined), 20_000)).toBe(true);
      }
      {
        // frontal1 crashed: its exporter's crm_mon finds no cluster (as captured), frontal2 sees it OFFLINE.
        await phase('node-crash');
        // (the split brain's NodeDown from frontal1 resolves once frontal1's exporter has no cluster to show)
        const nodeDown = async () => (await firing('LvshaPacemakerNodeDown')).map((a) => `${a.labels.director}:${a.labels.node}:${a.labels.state}`).sort().join();
        expect(await waitFor('LvshaPacemakerNodeDown for frontal1, from frontal2 only', async () => ((await nodeDown()) === 'frontal2:frontal1:offline' ? true : undefined), 20_000)).toBe(true);
        const down = await waitFor('LvshaPacemakerDown firing', async () => {
          const f = await firing('LvshaPacemakerDown');
          return f.length ? f : undefined;
        }, 20_000);
        expect(down.map((a) => a.labels.director)).toEqual(['frontal1']);
        expect(await waitFor('the VIP on frontal2, from frontal2 only', async () => ((await holders()).join() === 'frontal2:frontal2' ? true : undefined), 20_000)).toBe(true);
      }
    } finally {
      for (const d of daemons.reverse()) await d.stop(10_000);
      rmSync(dir, { recursive: true, force: true });
    }
  },
  90_000,
);
