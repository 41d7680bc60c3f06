import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BACKEND_LABELS, ScrapeEnv } from '../../src/exporter/collector';
import { renderRegistry } from '../../src/exporter/metrics';
import { moduleSpec } from '../../src/exporter/modules';
import { scrape } from '../../src/exporter/scrape';
import { referenceDeployment } from '../../src/model/reference';
import { Deployment } from '../../src/model/types';
import { RunResult, Source } from '../../src/sources/source';
import { lint } from './lab';

// Pacemaker's collector and check in the director module, on crm_mon's real output captured
// in the Pacemaker lab (test/fixtures/real/pacemaker) and on a host without a cluster.

const REAL = join(__dirname, '..', 'fixtures', 'real');
const PM = join(REAL, 'pacemaker');
const pm: Deployment = { ...referenceDeployment, ha: 'pacemaker' };
const read = (...p: string[]) => readFileSync(join(...p), 'utf8');

/** A director answering crm_mon and cibadmin from captures; counts the calls. */
class Director implements Source {
  readonly host = 'localhost';
  calls: string[] = [];
  constructor(private readonly crmMon: RunResult, private readonly cib?: string) {}
  async run(argv: readonly string[]): Promise<RunResult> {
    this.calls.push(argv[0]!);
    if (argv[0] === 'crm_mon') return this.crmMon;
    if (argv[0] === 'cibadmin' && this.cib !== undefined) return { stdout: this.cib, stderr: '', code: 0, signal: null };
    throw new Error(`unexpected ${argv.join(' ')}`);
  }
  readFile(): Promise<string> {
    throw new Error('no file expected');
  }
  async listDir(): Promise<string[]> {
    return [];
  }
  async close(): Promise<void> {}
}

function env(source: Source): ScrapeEnv {
  return { source, sourceFor: () => source, deployment: pm, deadline: Date.now() + 5000, programs: {}, backendLabels: [...BACKEND_LABELS] };
}

function spec() {
  const full = moduleSpec('director', undefined, { programs: {}, deployment: pm });
  return { collectors: full.collectors.filter((c) => c.name === 'pacemaker'), checks: full.checks.filter((c) => c.name === 'pacemaker') };
}

const scenario = (s: string, node: string) => new Director({ stdout: read(PM, s, node, 'crm_mon.xml'), stderr: '', code: 0, signal: null }, read(PM, s, node, 'cib.xml'));

describe('exporter: Pacemaker as the HA layer', () => {
  test('the director module follows the deployment: pacemaker in place of heartbeat', () => {
    const s = moduleSpec('director', undefined, { programs: {}, deployment: pm });
    expect(s.collectors.map((c) => c.name)).toEqual(['ipvs', 'vip', 'pacemaker', 'sync']);
    expect(s.checks.map((c) => c.name)).toEqual(['ipvs', 'pacemaker', 'sync', 'sorry']);
  });

  test('healthy: quorum, nodes, where each resource runs, the group on frontal1; one crm_mon for collector and check; promtool-clean', async () => {
    const src = scenario('healthy', 'frontal1');
    const text = await renderRegistry(await scrape(spec(), env(src)));
    expect(text).toContain('lvsha_pacemaker_up 1\n');
    expect(text).toContain('lvsha_pacemaker_quorate 1\n');
    expect(text).toContain('lvsha_pacemaker_stonith_enabled 0\n');
    expect(text).toContain('lvsha_pacemaker_node_state{node="frontal1",state="online"} 1\n');
    expect(text).toContain('lvsha_pacemaker_node_state{node="frontal2",state="offline"} 0\n');
    expect(text).toContain('lvsha_pacemaker_node_is_dc{node="frontal2"} 1\n');
    expect(text).toContain('lvsha_pacemaker_resource_running{resource="vip",node="frontal1",group="lvs",agent="ocf:heartbeat:IPaddr2"} 1\n');
    expect(text).not.toContain('lvsha_pacemaker_resource_running{resource="vip",node="frontal2"');
    expect(text).toContain('lvsha_pacemaker_resource_nodes_running{resource="ldirectord",group="lvs",agent="ocf:heartbeat:ldirectord"} 1\n');
    expect(text).toContain('lvsha_pacemaker_group_node{group="lvs",node="frontal1"} 1\n');
    expect(text).toContain('lvsha_pacemaker_group_node{group="lvs",node="frontal2"} 0\n');
    expect(text).toContain('lvsha_pacemaker_resource_failcount{resource="ldirectord",node="frontal1"} 0\n');
    expect(text).toContain('lvsha_pacemaker_failed_actions 0\n');
    expect(text).toContain('lvsha_check_status{check="pacemaker"} 0\n');
    expect(src.calls).toEqual(['crm_mon', 'cibadmin']);
    lint(text);
  });

  test('no cluster (the real exit 102): up 0, daemon_state stopped, no cluster series, the check CRITICAL', async () => {
    const src = new Director({ stdout: read(REAL, 'crm_mon', 'not-running.xml'), stderr: '', code: 102, signal: null });
    const text = await renderRegistry(await scrape(spec(), env(src)));
    expect(text).toContain('lvsha_pacemaker_up 0\n');
    expect(text).toContain('lvsha_pacemaker_daemon_state{state="stopped"} 1\n');
    expect(text).not.toContain('lvsha_pacemaker_quorate');
    expect(text).not.toContain('lvsha_pacemaker_group_node');
    expect(text).toContain('lvsha_check_status{check="pacemaker"} 2\n');
    lint(text);
  });

  test('every captured state renders promtool-clean', async () => {
    for (const s of ['healthy', 'node-crash', 'standby', 'ldirectord-killed', 'split-brain', 'healed'])
      for (const node of ['frontal1', 'frontal2'])
        if (existsSync(join(PM, s, node, 'crm_mon.xml'))) lint(await renderRegistry(await scrape(spec(), env(scenario(s, node)))));
  });
});
