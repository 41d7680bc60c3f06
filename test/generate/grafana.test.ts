/**
 * The Grafana dashboard `lvsha generate` writes (monitoring/etc/grafana/lvsha.json): importable
 * structure (checked here: Grafana is not packaged in Debian), metric names the exporter really
 * exports (collected from a real /metrics of exporters replaying captured trees, Heartbeat and
 * keepalived, and a scrape of the Pacemaker collector on crm_mon's captured XML), every expression accepted by promtool, and the scrape configuration's labels
 * the variables read. The queries run against a real Prometheus in test/clients/prometheus*.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { BACKEND_LABELS, ScrapeEnv } from '../../src/exporter/collector';
import { renderRegistry } from '../../src/exporter/metrics';
import { moduleSpec } from '../../src/exporter/modules';
import { scrape } from '../../src/exporter/scrape';
import { Exporter } from '../../src/exporter/server';
import { DASHBOARD_UID, SCHEMA_VERSION } from '../../src/generate/grafana';
import { planFiles } from '../../src/generate/plan';
import { referenceDeployment } from '../../src/model/reference';
import { Deployment } from '../../src/model/types';
import { RunResult, Source } from '../../src/sources/source';
import { DIRECTOR, exporterFactory, get } from '../exporter/lab';
import { ALL, exposedNames, layerOf, metricNames, panelQueries, substitute, variableQueries } from './grafana-queries';
import { otherDeployment, testOptions } from './helpers';

const PATH = '/etc/grafana/lvsha.json';
const fileOf = (d: Deployment, stack: 'heartbeat' | 'keepalived' = 'heartbeat') => planFiles(d, testOptions({ stack })).files.find((f) => f.host === 'monitoring' && f.path === PATH);
const dashboard = () => JSON.parse(fileOf(referenceDeployment)!.content);

type Panel = { id: number; title: string; type: string; datasource: { type: string; uid: string }; gridPos: { x: number; y: number; w: number; h: number }; targets: { refId: string; expr: string; datasource: { uid: string } }[] };

/** Panels outside the 24 columns, or overlapping another (the first cell where they do). */
function gridProblems(panels: { title: string; gridPos: { x: number; y: number; w: number; h: number } }[]): string[] {
  const out: string[] = [];
  const cells = new Map<string, string>();
  for (const p of panels) {
    const g = p.gridPos;
    if (g.x < 0 || g.y < 0 || g.w <= 0 || g.h <= 0 || g.x + g.w > 24) out.push(`${p.title}: outside 24 columns`);
    let clash: string | undefined;
    for (let x = Math.max(g.x, 0); x < g.x + g.w && x < 24; x++)
      for (let y = Math.max(g.y, 0); y < g.y + g.h; y++) {
        const k = `${x},${y}`;
        if (cells.has(k) && !clash) clash = `'${cells.get(k)}' and '${p.title}' overlap at ${k}`;
        cells.set(k, p.title);
      }
    if (clash) out.push(clash);
  }
  return out;
}

describe('the dashboard file', () => {
  test('written for the monitoring host, valid JSON, the same bytes on every run and for every deployment and stack', () => {
    const a = fileOf(referenceDeployment);
    expect(a).toBeDefined();
    expect(a!.mode).toBe(0o644);
    expect(() => JSON.parse(a!.content)).not.toThrow();
    expect(fileOf(referenceDeployment)!.content).toBe(a!.content);
    // templated by $deployment: one dashboard serves every deployment (importing it again replaces it with itself)
    expect(fileOf(otherDeployment())!.content).toBe(a!.content);
    expect(fileOf(referenceDeployment, 'keepalived')!.content).toBe(a!.content);
  });

  test('importable: a DS_PROMETHEUS input, a datasource variable defaulting to it, current schemaVersion, a uid', () => {
    const j = dashboard();
    expect(j.__inputs).toEqual([expect.objectContaining({ name: 'DS_PROMETHEUS', type: 'datasource', pluginId: 'prometheus' })]);
    const ds = j.templating.list.find((v: { name: string }) => v.name === 'datasource');
    expect(ds).toMatchObject({ type: 'datasource', query: 'prometheus', current: { value: '${DS_PROMETHEUS}' } });
    // Grafana 11-12's classic model; Grafana migrates anything older on load
    expect(j.schemaVersion).toBe(SCHEMA_VERSION);
    expect(j.schemaVersion).toBeGreaterThanOrEqual(39);
    expect(j.schemaVersion).toBeLessThanOrEqual(41);
    expect(j.uid).toBe(DASHBOARD_UID);
    expect(j.uid).toMatch(/^[A-Za-z0-9_-]{1,40}$/);
    expect(j.id).toBeNull();
    expect(typeof j.title).toBe('string');
    // every ${...} in the file is the input or the datasource variable
    const refs = [...new Set(JSON.stringify(j).match(/\$\{[^}]*\}/g))].sort();
    expect(refs).toEqual(['${DS_PROMETHEUS}', '${datasource}']);
  });

  test('variables deployment, director, service: label_values() on lvsha metrics, All = any value', () => {
    const j = dashboard();
    const vars = variableQueries(j);
    expect(vars.map((v) => [v.name, v.label])).toEqual([
      ['deployment', 'deployment'],
      ['director', 'director'],
      ['service', 'service'],
    ]);
    for (const v of j.templating.list.filter((x: { type: string }) => x.type === 'query')) {
      expect(v.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
      expect(v).toMatchObject({ includeAll: true, allValue: '.*', multi: true });
      expect(v.query.query).toBe(v.definition);
    }
    for (const v of vars) expect(metricNames(v.selector).every((n) => n.startsWith('lvsha_'))).toBe(true);
  });

  test('panels: unique ids, the datasource variable, targets with expr and unique refIds, gridPos inside 24 columns without overlap', () => {
    const panels: Panel[] = dashboard().panels;
    expect(panels.length).toBeGreaterThanOrEqual(10);
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    for (const p of panels) {
      expect(p.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
      expect(['state-timeline', 'timeseries']).toContain(p.type);
      expect(p.targets.length).toBeGreaterThan(0);
      expect(new Set(p.targets.map((t) => t.refId)).size).toBe(p.targets.length);
      for (const t of p.targets) {
        expect(t.expr.trim()).not.toBe('');
        expect(t.datasource.uid).toBe('${datasource}');
      }
    }
    expect(gridProblems(panels)).toEqual([]);
    // the layout check sees a panel outside the grid and two that overlap
    const g = (title: string, x: number, y: number, w: number, h: number) => ({ title, gridPos: { x, y, w, h } });
    expect(gridProblems([g('a', 0, 0, 12, 8), g('b', 8, 4, 8, 8), g('c', 20, 0, 8, 2)])).toEqual(["'a' and 'b' overlap at 8,4", 'c: outside 24 columns']);
    // what the issue lists
    const titles = panels.map((p) => p.title);
    expect(titles).toEqual(
      expect.arrayContaining(['VIP holder', 'HA layer', 'Live real servers per service', 'Connections per real server', 'Real server weights', 'Fallback engaged', 'Connection sync: LOCAL vs SYNC', 'Check verdicts', 'Probe success', 'Probe duration']),
    );
    expect(panels.find((p) => p.title === 'VIP holder')!.type).toBe('state-timeline');
    // the HA panel carries both layers
    const ha = panels.find((p) => p.title === 'HA layer')!.targets.map((t) => layerOf(t.expr));
    expect(ha).toEqual(expect.arrayContaining(['heartbeat', 'keepalived', 'pacemaker']));
  });

  test('every series query is filtered by $deployment and $director; the IPVS ones also by $service', () => {
    for (const q of panelQueries(dashboard())) {
      expect([q.panel, q.expr.includes('deployment=~"$deployment"') && q.expr.includes('director=~"$director"')]).toEqual([q.panel, true]);
      if (/lvsha_ipvs_(service|backend|fallback)/.test(q.expr)) expect([q.panel, q.expr.includes('service=~"$service"')]).toEqual([q.panel, true]);
    }
  });
});

describe('metric names', () => {
  test('the name extractor: names, not functions, labels, strings or ranges', () => {
    expect(metricNames('sum by (director, origin) (lvsha_ipvs_sync_connections{deployment=~"$deployment",x="a{b}"})')).toEqual(['lvsha_ipvs_sync_connections']);
    expect(metricNames('rate(lvsha_ipvs_connections_total{a="b"}[$__rate_interval]) or up')).toEqual(['lvsha_ipvs_connections_total', 'up']);
    expect(metricNames('3 * lvsha_a{s="x"} or 2 * lvsha_b')).toEqual(['lvsha_a', 'lvsha_b']);
  });

  let heartbeat = new Set<string>();
  let keepalived = new Set<string>();
  let pacemaker = new Set<string>();
  const exporters = exporterFactory();
  const dirs: string[] = [];
  afterAll(async () => {
    await exporters.stopAll();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  beforeAll(async () => {
    // a Heartbeat director on real captures (healthy frontal1: IPVS table, cl_status, ip, sync daemons)
    const hb = await exporters.start(DIRECTOR);
    const m = await get(hb.port, '/metrics');
    expect(m.status).toBe(200);
    heartbeat = exposedNames(m.body);
    // a keepalived director: the lab's captured tree of healthy frontal1 (pid files, /proc, dumps)
    const root = mkdtempSync(join(tmpdir(), 'lvsha-grafana-ka-'));
    dirs.push(root);
    cpSync(join(__dirname, '..', 'fixtures', 'real', 'keepalived', 'healthy', 'frontal1'), root, { recursive: true });
    const ex = new Exporter({
      host: '127.0.0.1',
      port: 0,
      deployment: { ...referenceDeployment, ha: 'keepalived' },
      timeout: 10,
      root,
      sudo: false,
      ssh: { port: 22, user: 'root' },
      programs: {},
      backendLabels: [...BACKEND_LABELS],
      poolSize: 1,
      poolIdleMs: 60000,
      log: () => undefined,
    });
    const { port } = await ex.listen();
    try {
      const k = await get(port, '/metrics');
      expect(k.status).toBe(200);
      keepalived = exposedNames(k.body);
    } finally {
      await ex.close();
    }
    // a Pacemaker director: crm_mon and cibadmin answering the Pacemaker lab's captures of healthy frontal1
    const pm = join(__dirname, '..', 'fixtures', 'real', 'pacemaker', 'healthy', 'frontal1');
    const answer = (f: string) => ({ stdout: readFileSync(join(pm, f), 'utf8'), stderr: '', code: 0, signal: null });
    const src: Source = {
      host: 'localhost',
      run: async (argv: readonly string[]): Promise<RunResult> => {
        if (argv[0] === 'crm_mon') return answer('crm_mon.xml');
        if (argv[0] === 'cibadmin') return answer('cib.xml');
        throw new Error(`unexpected ${argv.join(' ')}`);
      },
      readFile: () => Promise.reject(new Error('no file here')),
      listDir: async () => [],
      close: async () => undefined,
    } as Source;
    const pmDeployment: Deployment = { ...referenceDeployment, ha: 'pacemaker' };
    const full = moduleSpec('director', undefined, { programs: {}, deployment: pmDeployment });
    const only = { collectors: full.collectors.filter((c) => c.name === 'pacemaker'), checks: full.checks.filter((c) => c.name === 'pacemaker') };
    const env: ScrapeEnv = { source: src, sourceFor: () => src, deployment: pmDeployment, deadline: Date.now() + 5000, programs: {}, backendLabels: [...BACKEND_LABELS] };
    pacemaker = exposedNames(await renderRegistry(await scrape(only, env)));
  }, 60_000);

  test('the replayed exporters export what the HA panel reads (the captures are the right ones)', () => {
    expect(heartbeat.has('lvsha_heartbeat_node_up')).toBe(true);
    expect(heartbeat.has('lvsha_ipvs_backend_weight')).toBe(true);
    expect(keepalived.has('lvsha_keepalived_vrrp_state')).toBe(true);
    expect(pacemaker.has('lvsha_pacemaker_group_node')).toBe(true);
  });

  test('every metric name of every panel and variable is exported by the Heartbeat, the keepalived or the Pacemaker director', () => {
    const known = new Set([...heartbeat, ...keepalived, ...pacemaker]);
    const j = dashboard();
    const used = [...panelQueries(j).map((q) => [q.panel, q.expr]), ...variableQueries(j).map((v) => [`$${v.name}`, v.selector])];
    const unknown = used.flatMap(([where, expr]) => metricNames(expr!).filter((n) => !known.has(n)).map((n) => `${where}: ${n}`));
    expect(unknown).toEqual([]);
    expect(used.flatMap(([, e]) => metricNames(e!)).length).toBeGreaterThan(15);
    // a misspelt name is caught
    expect(metricNames('max by (vip) (lvsha_vip_holder{director=~"$director"})').filter((n) => !known.has(n))).toEqual(['lvsha_vip_holder']);
  });
});

describe('promtool parses every expression', () => {
  const promtool = '/usr/bin/promtool';
  const has = existsSync(promtool);
  if (!has && process.env.CI) test('promtool', () => { throw new Error('promtool (Debian prometheus) is required in CI'); });
  (has ? test : test.skip)('`promtool check rules` on a recording rule per panel query, variables substituted', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lvsha-grafana-promtool-'));
    try {
      const check = (qs: { panel: string; refId: string; expr: string }[]) => {
        const rules = qs.map((q, i) => `      - record: lvsha:dashboard:q${i}\n        # ${q.panel} ${q.refId}\n        expr: ${JSON.stringify(q.expr)}\n`).join('');
        const f = join(dir, 'dashboard-rules.yml');
        writeFileSync(f, `groups:\n  - name: lvsha-dashboard\n    rules:\n${rules}`);
        return spawnSync(promtool, ['check', 'rules', f], { encoding: 'utf8', timeout: 30_000 });
      };
      const qs = panelQueries(dashboard());
      for (const v of [ALL, { deployment: 'reference', director: '(frontal1|frontal2)', service: 'www', rateInterval: '1m' }]) {
        const r = check(qs.map((q) => ({ ...q, expr: substitute(q.expr, v) })));
        expect([r.status, r.stdout + r.stderr]).toEqual([0, expect.stringContaining(`SUCCESS: ${qs.length} rules found`)]);
      }
      // the check sees a broken expression
      const bad = check([{ panel: 'broken', refId: 'A', expr: 'sum by (director (lvsha_vip_held)' }]);
      expect(bad.status).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the scrape configuration gives the labels the variables read', () => {
  test('deployment on every target, service on the IPVS series of the director jobs (also a firewall-mark service)', () => {
    const d = otherDeployment();
    const yml = planFiles(d, testOptions()).files.find((f) => f.host === 'monitoring' && f.path === '/etc/prometheus/lvsha.yml')!.content;
    const cfg = parse(yml);
    for (const job of cfg.scrape_configs) for (const s of job.static_configs) expect([job.job_name, s.labels.deployment]).toEqual([job.job_name, d.name]);
    const relabel = (name: string) => cfg.scrape_configs.find((j: { job_name: string }) => j.job_name === name).metric_relabel_configs;
    const r = relabel('lvsha-directors');
    expect(relabel('lvsha-director-probe')).toEqual(r);
    expect(r.map((x: { replacement: string }) => x.replacement)).toEqual(d.services.map((s) => s.name));
    for (const x of r) expect(x).toMatchObject({ source_labels: ['proto', 'local_address', 'local_port', 'local_mark'], separator: ';', target_label: 'service' });
    // Prometheus anchors the regex; these are the label values collectors/ipvs.ts writes
    const joined = (p: string, a: string, port: string, mark: string) => [p, a, port, mark].join(';');
    const matches = (name: string, value: string) => new RegExp(`^(?:${r.find((x: { replacement: string }) => x.replacement === name).regex})$`).test(value);
    const fwm = d.services.find((s) => s.protocol === 'fwm')!;
    const tcp = d.services.find((s) => s.protocol === 'tcp')!;
    expect(matches(fwm.name, joined('FWM', '', '0', fwm.fwmark!.toString(16).toUpperCase().padStart(8, '0')))).toBe(true);
    expect(matches(tcp.name, joined('TCP', tcp.address!, String(tcp.port), ''))).toBe(true);
    // not another service's series, not an address that only looks alike
    expect(matches(tcp.name, joined('UDP', tcp.address!, String(tcp.port), ''))).toBe(false);
    expect(matches(tcp.name, joined('TCP', tcp.address!.replace(/\./g, 'x'), String(tcp.port), ''))).toBe(false);
  });
});
