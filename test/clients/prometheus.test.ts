/**
 * Prometheus (the real server, Debian prometheus) scrapes two `lvsha exporter` processes with
 * the scrape configuration and alerting rules `lvsha generate` wrote, and its HTTP API shows
 * the targets up, the IPVS series, and the alerts firing when the captures say so.
 *
 * Each exporter stands for one director: `--root` holds the real IPVS capture of its table and
 * `--ip`/`--cl-status`/`--ipvsadm` replay that director's real captures of the current scenario
 * (harness.ts). Phases, in one Prometheus run: healthy (no alert), ldirectord fallback on
 * frontal1 (LvshaFallbackEngaged), split brain (LvshaSplitBrain). The test copy of the
 * configuration keeps the `lvsha-directors` job and the `lvsha-sorry` one (the other jobs
 * probe the deployment's hosts over SSH), points them at the two exporters, scrapes them
 * every 2 s and evaluates every second; the rules are the generated file unchanged (both alerts have `for: 0s`).
 *
 * The generated Grafana dashboard (monitoring/etc/grafana/lvsha.json) on the same Prometheus:
 * its variables' label_values() find deployment, both directors and the service, and at
 * healthy every panel query but keepalived's returns series with the variables picked
 * (deployment=reference, director=(frontal1|frontal2), service=www, $__rate_interval=1m);
 * the VIP holder and Fallback engaged panels show the phases' values. Its probe panels show
 * the /metrics probes and those of the generated lvsha-sorry job (/probe through each
 * director's exporter, on the test's loopback sorry URL).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { clientTest, Daemon, freePort, generate, hostPrograms, hostRoot, httpGet, promApi, REPO, setIpvsState, startExporterDaemon, startPrometheus, tempDir, waitFor } from './harness';
import { panelQueries, runPanelQueries, substitute, variableQueries, VariableValues } from '../generate/grafana-queries';

interface Alert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: string;
}

function startExporter(dir: string, host: 'frontal1' | 'frontal2', config: string): Promise<{ daemon: Daemon; port: number }> {
  const p = (name: string) => join(dir, 'hosts', host, name);
  return startExporterDaemon(`exporter ${host}`, ['--config', config, '--root', join(dir, 'roots', host), '--ip', p('ip'), '--cl-status', p('cl_status'), '--ipvsadm', p('ipvsadm')]);
}

clientTest(
  ['prometheus'],
  'a throwaway Prometheus with the generated scrape config and rules: targets up, IPVS series, LvshaFallbackEngaged and LvshaSplitBrain fire',
  async ([prometheus]) => {
    const t0 = Date.now();
    const dir = tempDir('prometheus');
    const daemons: Daemon[] = [];
    try {
      // The exporters serve the reference deployment; sorry.url points at a closed port here
      // (the sorry probe fails, which is served as lvsha_probe_success 0, not as an error).
      const etc = generate(join(dir, 'generated'), null);
      const scenarioFile = join(dir, 'scenario');
      writeFileSync(scenarioFile, 'healthy\n');
      for (const h of ['frontal1', 'frontal2'] as const) {
        hostPrograms(dir, scenarioFile, h);
        hostRoot(dir, undefined, h);
      }
      const config = join(dir, 'deployment.json');
      const dep = JSON.parse(readFileSync(join(etc, 'lvsha', 'deployment.json'), 'utf8'));
      dep.sorry = { url: `http://127.0.0.1:${await freePort()}/` };
      writeFileSync(config, JSON.stringify(dep));

      const ex: Record<string, number> = {};
      for (const h of ['frontal1', 'frontal2'] as const) {
        const e = await startExporter(dir, h, config);
        daemons.push(e.daemon);
        ex[h] = e.port;
      }

      // The test copy of the generated configuration.
      const gen = parse(readFileSync(join(etc, 'prometheus', 'lvsha.yml'), 'utf8'));
      const rulesText = readFileSync(join(etc, 'prometheus', 'lvsha-rules.yml'), 'utf8');
      const rules = parse(rulesText);
      const ruleFor = (name: string) => rules.groups[0].rules.find((r: { alert?: string }) => r.alert === name)?.for;
      expect([ruleFor('LvshaFallbackEngaged'), ruleFor('LvshaSplitBrain')]).toEqual(['0s', '0s']);
      const pdir = join(dir, 'prometheus');
      mkdirSync(join(pdir, 'data'), { recursive: true });
      writeFileSync(join(pdir, 'lvsha-rules.yml'), rulesText);
      const job = gen.scrape_configs.find((j: { job_name: string }) => j.job_name === 'lvsha-directors');
      expect(job.static_configs.map((s: { labels: { director: string } }) => s.labels.director)).toEqual(['frontal1', 'frontal2']);
      for (const s of job.static_configs) s.targets = [`127.0.0.1:${ex[s.labels.director]}`];
      // Scraped every 2 s with a 2 s timeout (rules evaluated every second): the Heartbeat probe
      // runs cl_status several times and, on a loaded machine, misses a 1 s deadline every time
      // (the dashboard's HA panel then has no Heartbeat series).
      Object.assign(job, { scrape_interval: '2s', scrape_timeout: '2s' });
      // The generated lvsha-sorry job too (/probe?module=sorry through each director's
      // exporter), its target the test's sorry URL (a closed loopback port: the page is down,
      // the probe itself succeeds): the dashboard's probe panels then have /probe series.
      const sorryJob = gen.scrape_configs.find((j: { job_name: string }) => j.job_name === 'lvsha-sorry');
      expect(sorryJob.metrics_path).toBe('/probe');
      sorryJob.static_configs = job.static_configs.map((s: { targets: string[]; labels: Record<string, string> }) => ({ targets: [dep.sorry.url], labels: { ...s.labels, __lvsha_exporter: s.targets[0] } }));
      Object.assign(sorryJob, { scrape_interval: '2s', scrape_timeout: '2s' });
      const test = { ...gen, global: { ...gen.global, scrape_interval: '1s', evaluation_interval: '1s', scrape_timeout: '1s' }, rule_files: [join(pdir, 'lvsha-rules.yml')], scrape_configs: [job, sorryJob] };
      writeFileSync(join(pdir, 'prometheus.yml'), stringify(test));

      const { daemon: prom, base } = await startPrometheus(prometheus!, join(pdir, 'prometheus.yml'), join(pdir, 'data'));
      daemons.push(prom);
      const ready = Date.now();

      // Targets up, with the generated labels.
      type Targets = { activeTargets: { labels: Record<string, string>; health: string; lastError: string }[] };
      const targets = await waitFor(
        'all four targets up',
        async () => {
          const d = await promApi<Targets>(base, '/api/v1/targets');
          return d.activeTargets.length === 4 && d.activeTargets.every((t) => t.health === 'up') ? d.activeTargets : undefined;
        },
        20_000,
      );
      process.stderr.write(`prometheus /api/v1/targets: ${JSON.stringify(targets.map((t) => ({ job: t.labels.job, director: t.labels.director, instance: t.labels.instance, health: t.health })))}\n`);
      expect(targets.map((t) => [t.labels.job, t.labels.director]).sort()).toEqual([
        ['lvsha-directors', 'frontal1'],
        ['lvsha-directors', 'frontal2'],
        ['lvsha-sorry', 'frontal1'],
        ['lvsha-sorry', 'frontal2'],
      ]);

      type Vector = { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
      const query = (expr: string) => promApi<Vector>(base, `/api/v1/query?query=${encodeURIComponent(expr)}`);
      const alerts = async () => (await promApi<{ alerts: Alert[] }>(base, '/api/v1/alerts')).alerts;
      const firing = async (name: string) => (await alerts()).filter((a) => a.labels.alertname === name && a.state === 'firing');

      // healthy: ldirectord's table on frontal1 (2 real servers), frontal1 alone holds the VIP.
      const backends = await waitFor(
        'the IPVS series of frontal1',
        async () => {
          const r = await query('lvsha_ipvs_backend_weight{director="frontal1"}');
          return r.result.length === 2 ? r.result : undefined;
        },
        15_000,
      );
      process.stderr.write(`prometheus query lvsha_ipvs_backend_weight{director="frontal1"}: ${JSON.stringify(backends.map((b) => [b.metric.remote_address, b.metric.local_address, b.metric.local_port, b.metric.proto, b.value[1]]))}\n`);
      expect(backends.map((b) => `${b.metric.local_address}:${b.metric.local_port} ${b.metric.proto} -> ${b.metric.remote_address}:${b.metric.remote_port} = ${b.value[1]}`).sort()).toEqual([
        '192.168.0.3:80 TCP -> 192.168.0.4:80 = 1',
        '192.168.0.3:80 TCP -> 192.168.0.5:80 = 1',
      ]);
      const held = await waitFor('sum(lvsha_vip_held) = 1', async () => {
        const r = await query('sum(lvsha_vip_held{job="lvsha-directors",vip="192.168.0.3"})');
        return r.result[0]?.value[1] === '1' ? r.result : undefined;
      }, 15_000);
      expect(held[0]!.value[1]).toBe('1');
      // Rules evaluated at least twice since the series exist: nothing of ours fires.
      await new Promise((r) => setTimeout(r, 2500));
      const healthyAlerts = (await alerts()).filter((a) => ['LvshaSplitBrain', 'LvshaFallbackEngaged', 'LvshaNoVipHolder'].includes(a.labels.alertname!));
      expect(healthyAlerts).toEqual([]);

      // The generated Grafana dashboard: its variables find the labels the generated scrape
      // configuration sets, and every panel query (the keepalived ones apart: see
      // prometheus-keepalived.test.ts) returns series, with the variables as a user picks them.
      const dashboard = JSON.parse(readFileSync(join(etc, 'grafana', 'lvsha.json'), 'utf8'));
      const labelValues = async (selector: string, label: string) =>
        (await promApi<string[]>(base, `/api/v1/label/${label}/values?match[]=${encodeURIComponent(selector)}`)).sort();
      const picked: VariableValues = { deployment: 'reference', director: '(frontal1|frontal2)', service: 'www', rateInterval: '1m' };
      const panelExpr = (title: string, refId = 'A') => substitute(panelQueries(dashboard).find((q) => q.panel === title && q.refId === refId)!.expr, picked);
      const vars: Record<string, string[]> = {};
      for (const v of variableQueries(dashboard)) vars[v.name] = await labelValues(substitute(v.selector, picked), v.label);
      process.stderr.write(`prometheus: dashboard variables ${JSON.stringify(vars)}\n`);
      expect(vars).toEqual({ deployment: ['reference'], director: ['frontal1', 'frontal2'], service: ['www'] });
      const panels = await runPanelQueries(dashboard, query, picked, 'heartbeat', { tries: 20, everyMs: 500 });
      process.stderr.write(`prometheus: ${panels.ran.length} dashboard queries run, ${panels.empty.length} without series\n`);
      if (panels.empty.length) {
        const probes = await query('count_over_time(lvsha_probe_success[1m]) and lvsha_probe_success');
        const fails = await query('count_over_time((lvsha_probe_success == 0)[1m:1s])');
        process.stderr.write(`prometheus: probes ${JSON.stringify(probes.result.map((r) => [r.metric.director, r.metric.probe, r.value[1]]))} failed ${JSON.stringify(fails.result.map((r) => [r.metric.director, r.metric.probe, r.value[1]]))}\n`);
        for (const d of daemons) process.stderr.write(`--- ${d.name}:\n${d.out.slice(-3000)}\n`);
      }
      expect(panels.ran.length).toBeGreaterThanOrEqual(14);
      expect(panels.empty).toEqual([]);
      // the probe panels: the /metrics probes and the /probe job's, for both directors
      const probeRows = (await query(panelExpr('Probe success'))).result.map((x) => `${x.metric.job} ${x.metric.director}`);
      expect([...new Set(probeRows)].sort()).toEqual(['lvsha-directors frontal1', 'lvsha-directors frontal2', 'lvsha-sorry frontal1', 'lvsha-sorry frontal2']);
      const durationJobs = (await query(panelExpr('Probe duration'))).result.map((x) => x.metric.job);
      expect([...new Set(durationJobs)].sort()).toEqual(['lvsha-directors', 'lvsha-sorry']);
      const vipPanel = await query(panelExpr('VIP holder'));
      expect(vipPanel.result.map((x) => `${x.metric.vip} ${x.metric.director} ${x.value[1]}`).sort()).toEqual(['192.168.0.3 frontal1 1', '192.168.0.3 frontal2 0']);
      // a query for a deployment or service that is not there returns nothing (the filters filter)
      const other = await runPanelQueries(dashboard, query, { ...picked, deployment: 'elsewhere' }, 'heartbeat');
      expect(other.empty.length).toBe(other.ran.length);
      const noService = await query(substitute('lvsha_ipvs_service_backends{deployment=~"$deployment",director=~"$director",service=~"$service"}', { ...picked, service: 'ftp' }));
      expect(noService.result).toEqual([]);
      const healthyAt = Date.now();

      // ldirectord fallback: every real server down, only 127.0.0.1:80 left in frontal1's table.
      setIpvsState(join(dir, 'roots', 'frontal1'), 'ldirectord-fallback');
      const fb = await waitFor('LvshaFallbackEngaged firing', async () => {
        const f = await firing('LvshaFallbackEngaged');
        return f.length ? f : undefined;
      }, 20_000);
      const fallbackAt = Date.now();
      process.stderr.write(`prometheus /api/v1/alerts LvshaFallbackEngaged: ${JSON.stringify(fb)}\n`);
      expect(fb).toHaveLength(1);
      expect(fb[0]!.labels).toMatchObject({ alertname: 'LvshaFallbackEngaged', severity: 'critical', director: 'frontal1', local_address: '192.168.0.3', local_port: '80', proto: 'TCP' });
      expect(fb[0]!.annotations.summary).toBe('Sorry server engaged for 192.168.0.3:80');
      // the dashboard's own queries draw it: Fallback engaged 1 for www on frontal1, no live real server
      const fbPanel = await waitFor('the Fallback engaged panel at 1', async () => {
        const r = await query(panelExpr('Fallback engaged'));
        return r.result.some((x) => x.value[1] === '1') ? r.result : undefined;
      }, 20_000);
      expect(fbPanel.map((x) => `${x.metric.service} ${x.metric.director} ${x.value[1]}`)).toEqual(['www frontal1 1']);
      const live = await query(panelExpr('Live real servers per service'));
      expect(live.result.map((x) => `${x.metric.service} ${x.metric.director} ${x.value[1]}`)).toEqual(['www frontal1 0']);

      // split brain: each director's own capture shows it holding the VIP.
      writeFileSync(scenarioFile, 'split-brain\n');
      const sb = await waitFor('LvshaSplitBrain firing', async () => {
        const f = await firing('LvshaSplitBrain');
        return f.length ? f : undefined;
      }, 20_000);
      const splitAt = Date.now();
      process.stderr.write(`prometheus /api/v1/alerts LvshaSplitBrain: ${JSON.stringify(sb)}\n`);
      expect(sb).toHaveLength(1);
      expect(sb[0]!.labels).toMatchObject({ alertname: 'LvshaSplitBrain', severity: 'critical', vip: '192.168.0.3' });
      expect(sb[0]!.annotations.description).toBe('2 directors hold 192.168.0.3: clients are split between them. Stop Heartbeat on one, check the link between the directors.');
      const sum = await query('sum(lvsha_vip_held{job="lvsha-directors",vip="192.168.0.3"})');
      expect(sum.result[0]!.value[1]).toBe('2');
      // the VIP holder panel: both directors hold it
      const holders = await waitFor('the VIP holder panel showing both directors', async () => {
        const r = await query(panelExpr('VIP holder'));
        return r.result.filter((x) => x.value[1] === '1').length === 2 ? r.result : undefined;
      }, 20_000);
      expect(holders.map((x) => `${x.metric.vip} ${x.metric.director} ${x.value[1]}`).sort()).toEqual(['192.168.0.3 frontal1 1', '192.168.0.3 frontal2 1']);

      process.stderr.write(
        `prometheus timings: exporters+server ready ${((ready - t0) / 1000).toFixed(1)} s; healthy checked ${((healthyAt - ready) / 1000).toFixed(1)} s later; fallback alert ${((fallbackAt - healthyAt) / 1000).toFixed(1)} s after the table changed; split-brain alert ${((splitAt - fallbackAt) / 1000).toFixed(1)} s after the scenario changed\n`,
      );
    } finally {
      for (const d of daemons.reverse()) await d.stop(10_000);
      require('node:fs').rmSync(dir, { recursive: true, force: true });
    }
  },
  90_000,
);
