// Prometheus in the lab: two real `lvsha exporter` processes, one inside each director of the
// namespace lab (frontal1 on 192.168.0.1:10694, frontal2 on 192.168.0.2:10694, LVSHA_CONFIG =
// lab/deployment.yaml), scraped by a throwaway real Prometheus inside the monitoring namespace
// (lvsha-mon) with the generated `lvsha-directors` job (3 s scrapes, 1 s evaluation) and the generated rules
// unchanged. Healthy: both targets up, sum(lvsha_vip_held) = 1, no split-brain alert; then the
// split-brain scenario (src/lab/scenarios.ts: heartbeats dropped by nft on both directors):
// LvshaSplitBrain fires; then the scenario's heal steps. Also `promtool check metrics` on one
// scrape of each exporter prints nothing.
//
// The exporters run inside the director *hosts* (lib.sh `spawn`: nsenter into the host's
// anchor = its network, mount, UTS and PID namespaces), not with a bare `ip netns exec`: the
// Heartbeat probe runs cl_status, which needs the node's own /run/heartbeat. Their host-side
// PIDs are recorded in .lab/netns/pids/ and they are stopped by PID (lib.sh `stop_pidfile`);
// `lab down` would stop them too. Prometheus runs with `ip netns exec lvsha-mon` (which execs
// it: the PID of the child is Prometheus'), its API on 127.0.0.1 of lvsha-mon, queried with
// `ip netns exec lvsha-mon curl`.
import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { findScenario, Step } from '../../src/lab/scenarios';
import { hostHasIpvs, LabTier, REPO } from '../../src/lab/tiers';
import { ALL, runPanelQueries } from '../generate/grafana-queries';
import { Daemon, Fatal, generate, sleep, tempDir, waitFor } from './harness';

const MON = 'lvsha-mon';
const EXPORTERS = { frontal1: '192.168.0.1:10694', frontal2: '192.168.0.2:10694' } as const;
type Director = keyof typeof EXPORTERS;
const pidName = (h: Director) => `${h}.lvsha-exporter-test`;
const PROM_PORT = 19090;

async function steps(tier: LabTier, list: Step[]): Promise<void> {
  for (const s of list) {
    const r = await tier.exec(`set -o pipefail\n${s.sh}`, [], s.timeout);
    if (r.rc !== 0) throw new Error(`${s.label}: rc ${r.rc}${r.timedOut ? ' (timed out)' : ''}: ${(r.stderr.trim() || r.stdout.trim()).split('\n').slice(-4).join(' / ')}`);
  }
}

/** `curl URL` from inside lvsha-mon (bounded); body as text, throws on a transport error or HTTP ≥ 400. */
export function monCurl(url: string, timeoutSec = 5): Promise<string> {
  return new Promise((res, rej) => {
    execFile('ip', ['netns', 'exec', MON, 'curl', '-sS', '--fail', '--max-time', String(timeoutSec), url], { timeout: (timeoutSec + 5) * 1000, maxBuffer: 16 << 20 }, (e, out, err) =>
      e ? rej(new Error(`curl ${url} in ${MON}: ${String(err).trim() || e.message}`)) : res(out),
    );
  });
}

interface Alert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: string;
  value?: string;
}
type Vector = { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };

export interface LabPrometheusReport {
  /** Per director: the first line of scrape.sh-style summary and promtool's verdict. */
  scrapes: Record<Director, { probes: string; promtool: string; bytes: number }>;
  targets: { director: string; instance: string; health: string }[];
  healthySum: string;
  splitBrain: Alert[];
  splitSum: string;
  timings: string;
}

/**
 * Runs the proof on a namespace lab that is up. Throws when something is not as expected;
 * stops Prometheus and both exporters by PID and heals the split brain whatever happens.
 */
export async function prometheusInLab(tier: LabTier, programs: { prometheus: string; promtool: string }): Promise<LabPrometheusReport> {
  if (tier.name !== 'netns') throw new Error('the Prometheus lab proof runs on the namespace tier (Prometheus on this machine, in lvsha-mon)');
  const t0 = Date.now();
  const dir = tempDir('prometheus-lab');
  const etc = generate(join(dir, 'generated'), join(REPO, 'lab', 'deployment.yaml'));
  const healthySc = findScenario('healthy')!;
  const split = findScenario('split-brain')!;
  let splitStarted = false;
  const started: Director[] = [];
  let prom: Daemon | undefined;
  try {
    await steps(tier, healthySc.setup);

    // The two exporters, inside the directors.
    for (const h of Object.keys(EXPORTERS) as Director[]) {
      started.push(h);
      const r = await tier.exec(`spawn "$1" "$2" lvsha exporter --listen "$3" --config "$LVSHA_CONFIG"`, [pidName(h), h, EXPORTERS[h]], 30);
      if (r.rc !== 0) throw new Error(`exporter on ${h}: rc ${r.rc}: ${r.stderr.trim()}`);
    }
    for (const h of started)
      await waitFor(`the ${h} exporter to answer on ${EXPORTERS[h]} (from ${MON})`, () => monCurl(`http://${EXPORTERS[h]}/`, 2).then(() => true), 20_000, 200);
    const exportersAt = Date.now();

    // One scrape of each, through promtool: nothing printed.
    const scrapes = {} as LabPrometheusReport['scrapes'];
    for (const h of started) {
      const body = await monCurl(`http://${EXPORTERS[h]}/metrics`, 20);
      const pt = spawnSync(programs.promtool, ['check', 'metrics'], { input: body, encoding: 'utf8', timeout: 20_000 });
      const said = `${pt.stdout ?? ''}${pt.stderr ?? ''}`;
      const good = [...body.matchAll(/^lvsha_probe_success\{probe="([^"]*)"\} 1$/gm)].map((m) => m[1]).sort();
      const bad = [...body.matchAll(/^lvsha_probe_success\{probe="([^"]*)"\} 0$/gm)].map((m) => m[1]).sort();
      scrapes[h] = { probes: `probes ok: ${good.join(',') || 'none'}; failed: ${bad.join(',') || 'none'}`, promtool: `rc ${pt.status}, ${said.length} bytes of output`, bytes: body.length };
      process.stderr.write(`prometheus (lab) scrape of ${h} ${EXPORTERS[h]}: ${body.length} bytes, ${scrapes[h].probes}; promtool check metrics: ${scrapes[h].promtool}${said ? `:\n${said}` : ''}\n`);
      if (pt.status !== 0 || said !== '') throw new Error(`promtool check metrics on ${h}'s scrape: rc ${pt.status}\n${said}`);
      if (!/^lvsha_vip_held\{[^}]*vip="192\.168\.0\.3"[^}]*\} [01]$/m.test(body)) throw new Error(`${h}'s scrape has no lvsha_vip_held for 192.168.0.3:\n${body.slice(0, 2000)}`);
    }

    // The test copy of the generated configuration: the lvsha-directors job only (the others
    // make the exporter probe hosts over SSH), its targets = the lab exporters.
    const gen = parse(readFileSync(join(etc, 'prometheus', 'lvsha.yml'), 'utf8'));
    const rulesText = readFileSync(join(etc, 'prometheus', 'lvsha-rules.yml'), 'utf8');
    const rules = parse(rulesText);
    const sbRule = rules.groups.flatMap((g: { rules: { alert?: string; for?: string }[] }) => g.rules).find((r: { alert?: string }) => r.alert === 'LvshaSplitBrain');
    if (sbRule?.for !== '0s') throw new Error(`generated LvshaSplitBrain: for ${sbRule?.for}`);
    const pdir = join(dir, 'prometheus');
    mkdirSync(join(pdir, 'data'), { recursive: true });
    writeFileSync(join(pdir, 'lvsha-rules.yml'), rulesText);
    const job = gen.scrape_configs.find((j: { job_name: string }) => j.job_name === 'lvsha-directors');
    for (const s of job.static_configs) s.targets = [EXPORTERS[s.labels.director as Director]];
    if (job.static_configs.map((s: { targets: string[] }) => s.targets[0]).join(' ') !== `${EXPORTERS.frontal1} ${EXPORTERS.frontal2}`) throw new Error(`lvsha-directors job: ${JSON.stringify(job)}`);
    // The directors every 3 s with a 3 s timeout: the Heartbeat collector asks cl_status inside
    // the director and, on a loaded machine, can miss a 1 s deadline (its series are then absent
    // from that scrape: seen in CI, where the dashboard's HA-layer queries came back empty).
    Object.assign(job, { scrape_interval: '3s', scrape_timeout: '3s' });
    const test = { ...gen, global: { ...gen.global, scrape_interval: '1s', evaluation_interval: '1s', scrape_timeout: '1s' }, rule_files: [join(pdir, 'lvsha-rules.yml')], scrape_configs: [job] };
    writeFileSync(join(pdir, 'prometheus.yml'), stringify(test));

    const base = `http://127.0.0.1:${PROM_PORT}`;
    prom = new Daemon('prometheus', [
      'ip', 'netns', 'exec', MON,
      programs.prometheus,
      `--config.file=${join(pdir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(pdir, 'data')}`,
      `--web.listen-address=127.0.0.1:${PROM_PORT}`,
      '--log.level=warn',
    ]);
    const p = prom;
    const api = async <T>(path: string): Promise<T> => {
      if (p.exited) throw new Fatal(`prometheus exited: ${p.out}`);
      const j = JSON.parse(await monCurl(`${base}${path}`)) as { status: string; data: T };
      if (j.status !== 'success') throw new Error(`${path}: ${JSON.stringify(j)}`);
      return j.data;
    };
    await waitFor('prometheus (in lvsha-mon) to be ready', async () => {
      if (p.exited) throw new Fatal(`prometheus exited: ${p.out}`);
      await monCurl(`${base}/-/ready`, 2);
      return true;
    }, 30_000, 200);
    const readyAt = Date.now();

    type Targets = { activeTargets: { labels: Record<string, string>; health: string; lastError: string; scrapeUrl: string }[] };
    const active = await waitFor('both lab targets up', async () => {
      const d = await api<Targets>('/api/v1/targets');
      return d.activeTargets.length === 2 && d.activeTargets.every((t) => t.health === 'up') ? d.activeTargets : undefined;
    }, 20_000);
    const targets = active.map((t) => ({ director: t.labels.director!, instance: t.labels.instance!, health: t.health })).sort((a, b) => a.director.localeCompare(b.director));
    process.stderr.write(`prometheus (lab) /api/v1/targets: ${JSON.stringify(targets)}\n`);
    if (JSON.stringify(targets.map((t) => [t.director, t.instance])) !== JSON.stringify([['frontal1', EXPORTERS.frontal1], ['frontal2', EXPORTERS.frontal2]])) throw new Error(`targets: ${JSON.stringify(targets)}`);

    const SUM = 'sum(lvsha_vip_held{job="lvsha-directors",vip="192.168.0.3"})';
    const query = (expr: string) => api<Vector>(`/api/v1/query?query=${encodeURIComponent(expr)}`);
    const firing = async (name: string) => (await api<{ alerts: Alert[] }>('/api/v1/alerts')).alerts.filter((a) => a.labels.alertname === name && a.state === 'firing');
    const held = await waitFor(`${SUM} = 1`, async () => {
      const r = await query(SUM);
      return r.result[0]?.value[1] === '1' ? r.result[0].value[1] : undefined;
    }, 15_000);
    const perDirector = await query('lvsha_vip_held{job="lvsha-directors",vip="192.168.0.3"}');
    process.stderr.write(`prometheus (lab) healthy: ${SUM} = ${held}; ${perDirector.result.map((r) => `${r.metric.director}=${r.value[1]}`).sort().join(' ')}\n`);
    // The rules have been evaluated (1 s) since: no split brain, no missing holder.
    await sleep(2500);
    const healthyAlerts = (await api<{ alerts: Alert[] }>('/api/v1/alerts')).alerts;
    process.stderr.write(`prometheus (lab) healthy alerts: ${JSON.stringify(healthyAlerts.map((a) => [a.labels.alertname, a.labels.director ?? a.labels.vip ?? '', a.state]))}\n`);
    const wrong = healthyAlerts.filter((a) => ['LvshaSplitBrain', 'LvshaNoVipHolder'].includes(a.labels.alertname!));
    if (wrong.length) throw new Error(`healthy lab, alerts: ${JSON.stringify(wrong)}`);

    // The generated Grafana dashboard against this Prometheus: every panel query of the lab's HA
    // layer (Heartbeat) and the shared ones returns series, except, where this kernel has no IPVS,
    // those reading the IPVS table and the sync daemons (no such series exist: ipvs and sync are
    // CRITICAL "IPVS not available" by nature here).
    const dashboard = JSON.parse(readFileSync(join(etc, 'grafana', 'lvsha.json'), 'utf8'));
    const panels = await runPanelQueries(dashboard, query, { ...ALL, director: '(frontal1|frontal2)' }, 'heartbeat', { tries: 10, everyMs: 500 });
    const ipvsOnly = (name: string) => /lvsha_(ipvs|sync)_/.test(name);
    const unexpected = panels.empty.filter((n) => hostHasIpvs() || !ipvsOnly(n));
    process.stderr.write(`prometheus (lab) Grafana dashboard: ${panels.ran.length} queries run, ${panels.empty.length} without series${panels.empty.length ? `:\n  ${panels.empty.join('\n  ')}` : ''}\n`);
    if (panels.ran.filter((n) => !ipvsOnly(n)).length < 6) throw new Error(`the dashboard ran only ${panels.ran.length} queries: ${panels.ran.join('; ')}`);
    if (unexpected.length) throw new Error(`dashboard queries without series on the lab's Prometheus:\n${unexpected.join('\n')}`);
    const healthyAt = Date.now();

    splitStarted = true;
    await steps(tier, split.setup);
    const splitSetAt = Date.now();
    const sb = await waitFor('LvshaSplitBrain firing', async () => {
      const f = await firing('LvshaSplitBrain');
      return f.length ? f : undefined;
    }, 20_000);
    const splitAt = Date.now();
    process.stderr.write(`prometheus (lab) /api/v1/alerts LvshaSplitBrain: ${JSON.stringify(sb)}\n`);
    if (sb.length !== 1 || sb[0]!.labels.vip !== '192.168.0.3' || sb[0]!.labels.severity !== 'critical') throw new Error(`LvshaSplitBrain: ${JSON.stringify(sb)}`);
    if (sb[0]!.annotations.description !== '2 directors hold 192.168.0.3: clients are split between them. Stop Heartbeat on one, check the link between the directors.')
      throw new Error(`LvshaSplitBrain description: ${sb[0]!.annotations.description}`);
    const splitSum = (await query(SUM)).result[0]?.value[1] ?? '';
    if (splitSum !== '2') throw new Error(`split brain: ${SUM} = ${splitSum}`);

    const timings =
      `lab Prometheus: exporters answering ${((exportersAt - t0) / 1000).toFixed(1)} s after start; Prometheus ready ${((readyAt - exportersAt) / 1000).toFixed(1)} s later; ` +
      `healthy asserted ${((healthyAt - readyAt) / 1000).toFixed(1)} s later; split brain set up in ${((splitSetAt - healthyAt) / 1000).toFixed(1)} s, LvshaSplitBrain firing ${((splitAt - splitSetAt) / 1000).toFixed(1)} s later; total ${((splitAt - t0) / 1000).toFixed(1)} s before healing`;
    process.stderr.write(`${timings}\n`);
    return { scrapes, targets, healthySum: held, splitBrain: sb, splitSum, timings };
  } finally {
    await prom?.stop(10_000);
    for (const h of started) await tier.exec('stop_pidfile "$1"', [pidName(h)], 30);
    if (splitStarted) {
      const h0 = Date.now();
      await steps(tier, split.heal);
      process.stderr.write(`prometheus (lab) split brain healed in ${((Date.now() - h0) / 1000).toFixed(1)} s\n`);
    }
    rmSync(dir, { recursive: true, force: true });
  }
}
