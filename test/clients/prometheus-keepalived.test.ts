/**
 * Prometheus (the real server, Debian prometheus) scrapes two `lvsha exporter` processes of a
 * keepalived deployment (`ha: keepalived`) with the scrape configuration and the keepalived rules
 * `lvsha generate` wrote. Each exporter stands for one director: `--root` is a copy of that
 * director's tree captured in the keepalived lab (test/fixtures/real/keepalived/SCENARIO/HOST:
 * pid files, /proc of its PID namespace, keepalived's dumps), switched scenario by scenario.
 * Phases in one Prometheus run: healthy (frontal1 MASTER, no keepalived alert), a tracked script
 * failing on frontal1 (LvshaKeepalivedPriorityDropped), keepalived stopped on frontal1
 * (LvshaKeepalivedDown, and no stale MASTER series). The test copy of the rules has `for: 0s`
 * (the generated 30 s - 2 m would only make the test wait). The generated Grafana dashboard's
 * keepalived queries (HA layer panel) return series at healthy (frontal1 MASTER, frontal2
 * BACKUP) and show keepalived down on frontal1, without a VRRP row, once it is stopped. The
 * same Prometheus also scrapes a second deployment, 'pacemaker-lab' (two exporters replaying
 * crm_mon/cibadmin captures of the Pacemaker lab's healthy state): the dashboard's Pacemaker
 * queries return series (the LVS group on frontal1) and $deployment keeps the two apart.
 */
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { referenceDeployment } from '../../src/model/reference';
import { clientTest, Daemon, generate, promApi, REPO, startExporterDaemon, startPrometheus, tempDir, waitFor } from './harness';
import { panelQueries, runPanelQueries, substitute, VariableValues } from '../generate/grafana-queries';

const LAB = join(REPO, 'test', 'fixtures', 'real', 'keepalived');
const PM = join(REPO, 'test', 'fixtures', 'real', 'pacemaker', 'healthy');
type Host = 'frontal1' | 'frontal2';

/** The director's root tree becomes the lab's capture of SCENARIO, swapped by two renames (a scrape sees one or the other). */
function setScenario(root: string, scenario: string, host: Host): void {
  rmSync(`${root}.new`, { recursive: true, force: true });
  cpSync(join(LAB, scenario, host), `${root}.new`, { recursive: true });
  if (existsSync(root)) renameSync(root, `${root}.old`);
  renameSync(`${root}.new`, root);
  rmSync(`${root}.old`, { recursive: true, force: true });
}

clientTest(
  ['prometheus'],
  'keepalived: Prometheus scrapes the exporters on the lab\'s keepalived captures; the generated keepalived rules fire on a failed script and a stopped keepalived',
  async ([prometheus]) => {
    const dir = tempDir('prometheus-ka');
    mkdirSync(join(dir, 'roots'), { recursive: true });
    const daemons: Daemon[] = [];
    try {
      const input = join(dir, 'ka.json');
      writeFileSync(input, JSON.stringify({ ...referenceDeployment, ha: 'keepalived', sync: { ...referenceDeployment.sync, mode: 'follow-role' } }));
      const etc = generate(join(dir, 'generated'), input);
      const config = join(etc, 'lvsha', 'deployment.json');
      expect(JSON.parse(readFileSync(config, 'utf8')).ha).toBe('keepalived');

      const roots: Record<Host, string> = { frontal1: join(dir, 'roots', 'frontal1'), frontal2: join(dir, 'roots', 'frontal2') };
      const ex: Record<string, number> = {};
      for (const h of ['frontal1', 'frontal2'] as const) {
        setScenario(roots[h], 'healthy', h);
        const e = await startExporterDaemon(`exporter ${h}`, ['--config', config, '--root', roots[h]]);
        daemons.push(e.daemon);
        ex[h] = e.port;
      }

      // A second deployment in the same Prometheus, for the dashboard's $deployment and its
      // Pacemaker queries: 'pacemaker-lab' (ha: pacemaker), two exporters whose crm_mon and
      // cibadmin replay the Pacemaker lab's captures of healthy (the LVS group on frontal1).
      const pmConfig = join(dir, 'pm.json');
      writeFileSync(pmConfig, JSON.stringify({ ...referenceDeployment, name: 'pacemaker-lab', ha: 'pacemaker' }));
      const pmEx: Record<string, number> = {};
      for (const h of ['frontal1', 'frontal2'] as const) {
        const bin = join(dir, 'pm', h);
        mkdirSync(join(bin, 'root'), { recursive: true });
        for (const [prog, file] of [['crm_mon', 'crm_mon.xml'], ['cibadmin', 'cib.xml']] as const) {
          writeFileSync(join(bin, prog), `#!/bin/sh\nexec cat '${join(PM, h, file)}'\n`);
          chmodSync(join(bin, prog), 0o755);
        }
        const e = await startExporterDaemon(`Pacemaker exporter ${h}`, ['--config', pmConfig, '--root', join(bin, 'root'), '--crm-mon', join(bin, 'crm_mon'), '--cibadmin', join(bin, 'cibadmin')]);
        daemons.push(e.daemon);
        pmEx[h] = e.port;
      }

      const gen = parse(readFileSync(join(etc, 'prometheus', 'lvsha.yml'), 'utf8'));
      const rules = parse(readFileSync(join(etc, 'prometheus', 'lvsha-rules.yml'), 'utf8'));
      const names = rules.groups.flatMap((g: { rules: { alert?: string }[] }) => g.rules.map((r) => r.alert));
      expect(names).toEqual(expect.arrayContaining(['LvshaKeepalivedDown', 'LvshaKeepalivedFault', 'LvshaKeepalivedPriorityDropped', 'LvshaKeepalivedNotMaster']));
      for (const g of rules.groups) for (const r of g.rules) if (r.alert) r.for = '0s';
      const pdir = join(dir, 'prometheus');
      mkdirSync(join(pdir, 'data'), { recursive: true });
      writeFileSync(join(pdir, 'lvsha-rules.yml'), stringify(rules));
      const job = gen.scrape_configs.find((j: { job_name: string }) => j.job_name === 'lvsha-directors');
      for (const s of job.static_configs) s.targets = [`127.0.0.1:${ex[s.labels.director]}`];
      // Scraped every 2 s with a 2 s timeout (rules evaluated every second): four exporters on a
      // loaded 2-core machine miss 1 s scrape deadlines now and then (a director's series go stale).
      Object.assign(job, { scrape_interval: '2s', scrape_timeout: '2s' });
      // the Pacemaker deployment's job: the same generated job, its own name, targets and deployment label
      const pmJob = JSON.parse(JSON.stringify(job));
      pmJob.job_name = 'lvsha-directors-pacemaker-lab';
      for (const s of pmJob.static_configs) Object.assign(s, { targets: [`127.0.0.1:${pmEx[s.labels.director]}`], labels: { ...s.labels, deployment: 'pacemaker-lab' } });
      const test = { ...gen, global: { ...gen.global, scrape_interval: '1s', evaluation_interval: '1s', scrape_timeout: '1s' }, rule_files: [join(pdir, 'lvsha-rules.yml')], scrape_configs: [job, pmJob] };
      writeFileSync(join(pdir, 'prometheus.yml'), stringify(test));

      const { daemon: prom, base } = await startPrometheus(prometheus!, join(pdir, 'prometheus.yml'), join(pdir, 'data'));
      daemons.push(prom);

      type Vector = { result: { metric: Record<string, string>; value: [number, string] }[] };
      const query = (expr: string) => promApi<Vector>(base, `/api/v1/query?query=${encodeURIComponent(expr)}`);
      const firing = async (name: string) =>
        (await promApi<{ alerts: { labels: Record<string, string>; state: string }[] }>(base, '/api/v1/alerts')).alerts.filter((a) => a.labels.alertname === name && a.state === 'firing');
      const masters = async () => (await query('lvsha_keepalived_vrrp_state{state="MASTER"} == 1')).result.map((r) => r.metric.director).sort();

      // healthy: frontal1 MASTER, frontal2 BACKUP, both keepalived up; no keepalived alert.
      expect(await waitFor('frontal1 MASTER in Prometheus', async () => ((await masters()).join() === 'frontal1' ? true : undefined), 20_000)).toBe(true);
      // both exporters scraped (on a loaded machine one scrape can miss its timeout: wait, bounded)
      const upRows = async () => (await query('lvsha_keepalived_up')).result.map((r) => `${r.metric.director}=${r.value[1]}`).sort().join();
      expect(await waitFor('keepalived up on both directors', async () => ((await upRows()) === 'frontal1=1,frontal2=1' ? true : undefined), 20_000)).toBe(true);
      await new Promise((r) => setTimeout(r, 2500));
      const ours = (await promApi<{ alerts: { labels: Record<string, string> }[] }>(base, '/api/v1/alerts')).alerts.filter((a) => a.labels.alertname!.startsWith('LvshaKeepalived'));
      expect(ours).toEqual([]);

      // The generated Grafana dashboard's keepalived queries (its HA layer panel) return series,
      // with the variables picked: keepalived up on both, frontal1 MASTER (3) and frontal2 BACKUP (2).
      const dashboard = JSON.parse(readFileSync(join(etc, 'grafana', 'lvsha.json'), 'utf8'));
      const picked: VariableValues = { deployment: 'reference', director: '(frontal1|frontal2)', service: '.*', rateInterval: '1m' };
      const panels = await runPanelQueries(dashboard, query, picked, 'keepalived', { only: true, tries: 20, everyMs: 500 });
      process.stderr.write(`prometheus (keepalived): ${panels.ran.length} dashboard queries run, ${panels.empty.length} without series\n`);
      expect(panels.ran.length).toBeGreaterThanOrEqual(2);
      expect(panels.empty).toEqual([]);
      const haQuery = (refId: string) => query(substitute(panelQueries(dashboard).find((q) => q.panel === 'HA layer' && q.refId === refId)!.expr, picked));
      const haRows = async (refId: string) => (await haQuery(refId)).result.map((r) => `${r.metric.director}${r.metric.iname ? ` ${r.metric.iname}` : ''} ${r.value[1]}`).sort();
      const vrrpRef = panelQueries(dashboard).find((q) => q.panel === 'HA layer' && q.expr.includes('lvsha_keepalived_vrrp_state'))!.refId;
      const upRef = panelQueries(dashboard).find((q) => q.panel === 'HA layer' && q.expr.includes('lvsha_keepalived_up'))!.refId;
      expect(await haRows(vrrpRef)).toEqual(['frontal1 VI_1 3', 'frontal2 VI_1 2']);
      expect(await haRows(upRef)).toEqual(['frontal1 1', 'frontal2 1']);
      const vars = (await promApi<string[]>(base, `/api/v1/label/deployment/values?match[]=${encodeURIComponent('lvsha_build_info')}`)).sort();
      expect(vars).toEqual(['pacemaker-lab', 'reference']);
      // the Pacemaker deployment: its queries return series, the LVS group on frontal1 as both directors see it
      const pmPicked: VariableValues = { ...picked, deployment: 'pacemaker-lab' };
      const pmPanels = await runPanelQueries(dashboard, query, pmPicked, 'pacemaker', { only: true, tries: 20, everyMs: 500 });
      process.stderr.write(`prometheus (pacemaker-lab): ${pmPanels.ran.length} dashboard queries run, ${pmPanels.empty.length} without series\n`);
      expect(pmPanels.ran.length).toBeGreaterThanOrEqual(2);
      expect(pmPanels.empty).toEqual([]);
      const groupRef = panelQueries(dashboard).find((q) => q.panel === 'HA layer' && q.expr.includes('lvsha_pacemaker_group_node'))!.refId;
      const group = await query(substitute(panelQueries(dashboard).find((q) => q.panel === 'HA layer' && q.refId === groupRef)!.expr, pmPicked));
      expect(group.result.map((r) => `${r.metric.director} ${r.metric.node} ${r.value[1]}`).sort()).toEqual(['frontal1 frontal1 1', 'frontal1 frontal2 0', 'frontal2 frontal1 1', 'frontal2 frontal2 0']);
      // $deployment keeps them apart: no keepalived series for pacemaker-lab, no Pacemaker series for reference
      expect((await runPanelQueries(dashboard, query, pmPicked, 'keepalived', { only: true })).empty.length).toBe(panels.ran.length);
      expect((await runPanelQueries(dashboard, query, picked, 'pacemaker', { only: true })).empty.length).toBe(pmPanels.ran.length);

      // a tracked script fails on frontal1: priority 90 of 150, frontal2 MASTER.
      setScenario(roots.frontal1, 'script-failed', 'frontal1');
      setScenario(roots.frontal2, 'script-failed', 'frontal2');
      const dropped = await waitFor('LvshaKeepalivedPriorityDropped firing', async () => {
        const f = await firing('LvshaKeepalivedPriorityDropped');
        return f.length ? f : undefined;
      }, 20_000);
      expect(dropped.map((a) => a.labels.director)).toEqual(['frontal1']);
      expect(await waitFor('frontal2 MASTER', async () => ((await masters()).join() === 'frontal2' ? true : undefined), 20_000)).toBe(true);
      const nm = await waitFor('LvshaKeepalivedNotMaster firing', async () => {
        const f = await firing('LvshaKeepalivedNotMaster');
        return f.length ? f : undefined;
      }, 20_000);
      expect(nm.map((a) => a.labels.director)).toEqual(['frontal1']);

      // keepalived stopped on frontal1: its dumps still say MASTER, Prometheus must not.
      setScenario(roots.frontal1, 'master-stopped', 'frontal1');
      setScenario(roots.frontal2, 'master-stopped', 'frontal2');
      const down = await waitFor('LvshaKeepalivedDown firing', async () => {
        const f = await firing('LvshaKeepalivedDown');
        return f.length ? f : undefined;
      }, 20_000);
      expect(down.map((a) => a.labels.director)).toEqual(['frontal1']);
      expect(await waitFor('only frontal2 MASTER', async () => ((await masters()).join() === 'frontal2' ? true : undefined), 20_000)).toBe(true);
      // the dashboard's HA panel: keepalived down on frontal1 and no VRRP row for it, frontal2 MASTER
      expect(await waitFor('the HA panel: keepalived down on frontal1', async () => ((await haRows(upRef)).join() === 'frontal1 0,frontal2 1' ? true : undefined), 20_000)).toBe(true);
      expect(await haRows(vrrpRef)).toEqual(['frontal2 VI_1 3']);
    } finally {
      for (const d of daemons.reverse()) await d.stop(10_000);
      rmSync(dir, { recursive: true, force: true });
    }
  },
  90_000,
);
