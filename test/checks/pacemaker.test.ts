/**
 * check_lvs_pacemaker: evaluatePacemaker on every state the Pacemaker lab captured
 * (test/fixtures/real/pacemaker), the probe's reading of crm_mon's exit codes, and the plugin
 * replaying captures through --crm-mon/--cibadmin.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evaluatePacemaker, PacemakerCheckConfig, pacemakerDefaults } from '../../src/checks/pacemaker';
import { referenceDeployment } from '../../src/model/reference';
import { Deployment } from '../../src/model/types';
import { CrmMon, parseCrmMon } from '../../src/parsers/crmMon';
import { PacemakerStatus, probePacemaker } from '../../src/probes/pacemaker';
import { State } from '../../src/runtime/state';
import { RunResult, Source } from '../../src/sources/source';
import { describeSpawning } from './fast';

const REAL = join(__dirname, '..', 'fixtures', 'real');
const PM = join(REAL, 'pacemaker');
const has = (scenario: string, node: string) => existsSync(join(PM, scenario, node, 'crm_mon.xml'));
const cap = (scenario: string, node: string, file = 'crm_mon.xml') => readFileSync(join(PM, scenario, node, file), 'utf8');
const config: PacemakerCheckConfig = pacemakerDefaults({ ...referenceDeployment, ha: 'pacemaker' });
const running = (xml: string, cli: PacemakerStatus['cli'] = []): PacemakerStatus => ({ daemon: 'running', detail: 'test', mon: parseCrmMon(xml), cli });
const evalXml = (xml: string, c: PacemakerCheckConfig = config, host = 'frontal1') => evaluatePacemaker({ status: running(xml), host }, c);

/** crm_mon and cibadmin answering from captured files, as a Source. */
class Replay implements Source {
  readonly host = 'frontal1';
  calls: string[][] = [];
  constructor(private readonly answers: Record<string, RunResult>) {}
  async run(argv: readonly string[]): Promise<RunResult> {
    this.calls.push([...argv]);
    const a = this.answers[argv[0]!];
    if (!a) throw new Error(`unexpected ${argv.join(' ')}`);
    return a;
  }
  readFile(): Promise<string> {
    throw new Error('no file read expected');
  }
  async listDir(): Promise<string[]> {
    return [];
  }
  async close(): Promise<void> {}
}
const ok = (stdout: string): RunResult => ({ stdout, stderr: '', code: 0, signal: null });

describe('evaluatePacemaker on the lab captures', () => {
  test('healthy, from either director: OK, the group on frontal1, both nodes online, fencing named as a risk', () => {
    for (const node of ['frontal1', 'frontal2']) {
      const r = evalXml(cap('healthy', node), config, node);
      expect([node, r.state, r.summary]).toEqual([node, State.OK, 'lvs on frontal1, 2/2 nodes online, quorum, DC frontal2']);
      expect(r.long).toContain('risk: fencing disabled (stonith-enabled=false) on a 2-node cluster: a cut link lets both nodes run the VIP');
      expect(r.perf).toEqual([
        { label: 'nodes_online', value: 2, min: 0, max: 2 },
        { label: 'resources_active', value: 2, min: 0, max: 2 },
        { label: 'fail_count', value: 0, min: 0 },
        { label: 'failed_actions', value: 0, min: 0 },
      ]);
    }
  });

  test('ldirectord killed and restarted by Pacemaker: WARNING from both directors, naming the resource, the node and the cleanup', () => {
    for (const node of ['frontal1', 'frontal2']) {
      const r = evalXml(cap('ldirectord-killed', node), config, node);
      expect([node, r.state, r.summary]).toEqual([node, State.WARNING, 'ldirectord fail-count 1 on frontal1, monitor not running: crm resource cleanup ldirectord']);
      expect(r.perf).toContainEqual({ label: 'fail_count', value: 1, min: 0 });
      expect(r.perf).toContainEqual({ label: 'failed_actions', value: 1, min: 0 });
    }
  });

  test('frontal1 crashed: CRITICAL on frontal1 (crm_mon exit 102, see the plugin test), WARNING on frontal2 naming frontal1 OFFLINE once, the group on frontal2', () => {
    const r = evalXml(cap('node-crash', 'frontal2'), config, 'frontal2');
    expect([r.state, r.summary]).toEqual([State.WARNING, 'frontal1 OFFLINE: no failover target']);
    expect(r.long).toContain('lvs runs on frontal2, failed over from frontal1 (OFFLINE); it goes back once frontal1 is online');
    expect(r.perf).toContainEqual({ label: 'nodes_online', value: 1, min: 0, max: 2 });
  });

  test('crm node standby frontal1 (planned move): WARNING on both directors because auto_failback is wanted; OK without it', () => {
    for (const node of ['frontal1', 'frontal2']) {
      const r = evalXml(cap('standby', node), config, node);
      expect([node, r.state, r.summary]).toEqual([node, State.WARNING, 'lvs on frontal2, preferred frontal1 in standby (auto_failback)']);
    }
    const noFailback = pacemakerDefaults({ ...referenceDeployment, ha: 'pacemaker', heartbeat: { ...referenceDeployment.heartbeat, autoFailback: false } } as Deployment);
    const r = evalXml(cap('standby', 'frontal2'), noFailback, 'frontal2');
    expect(r.state).toBe(State.OK);
    expect(r.summary).toMatch(/^lvs on frontal2, 2\/2 nodes online, quorum, DC frontal[12]$/);
    expect(r.long).toContain('frontal1 is in standby (planned: crm node online frontal1 to bring it back)');
  });

  test('the Corosync link cut (two_node, no fencing): each partition runs the group and sees the other OFFLINE: WARNING on each; the whole is check_lvs_vip\'s', () => {
    const a = evalXml(cap('split-brain', 'frontal1'), config, 'frontal1');
    const b = evalXml(cap('split-brain', 'frontal2'), config, 'frontal2');
    expect([a.state, a.summary]).toEqual([State.WARNING, 'frontal2 OFFLINE: no failover target']);
    expect([b.state, b.summary]).toEqual([State.WARNING, 'frontal1 OFFLINE: no failover target']);
  });

  test('the link healed, the partitions merged with the group still active on both nodes (real multiple-active): CRITICAL split brain from both, said once', () => {
    for (const node of ['frontal1', 'frontal2']) {
      const r = evalXml(cap('heal-multiple-active', node), config, node);
      expect([node, r.state, r.summary]).toEqual([node, State.CRITICAL, 'split brain: vip runs on frontal1 and frontal2']);
      expect(r.long).toContain('ldirectord too runs on frontal1 and frontal2');
    }
  });

  test('after heal: OK from both directors, the group back on frontal1', () => {
    for (const node of ['frontal1', 'frontal2']) expect(evalXml(cap('after-heal', node), config, node).state).toBe(State.OK);
  });

  test('--require-fencing: the same healthy cluster is a WARNING naming the risk', () => {
    const r = evalXml(cap('healthy', 'frontal1'), { ...config, requireFencing: true });
    expect(r.state).toBe(State.WARNING);
    expect(r.summary).toContain('fencing disabled (stonith-enabled=false) on a 2-node cluster');
  });

  test('a deployment naming other resource ids than the cluster runs: CRITICAL naming them', () => {
    const r = evalXml(cap('healthy', 'frontal1'), { ...config, vipResources: ['www_vip'], ldirectordResource: 'www_ld' });
    expect(r.state).toBe(State.CRITICAL);
    expect(r.summary).toContain('no resource www_vip (VIP) in the cluster');
    expect(r.summary).toContain('no resource www_ld (ldirectord) in the cluster');
  });

  test('the group on frontal2 while frontal1 is online: WARNING under auto_failback, OK without', () => {
    // derived from the healthy capture (labelled): the group's <node> moved to frontal2
    const moved = cap('healthy', 'frontal1').replace(/<node name="frontal1" id="1" cached="true"\/>/g, '<node name="frontal2" id="2" cached="true"/>');
    const r = evalXml(moved);
    expect(r.state).toBe(State.WARNING);
    expect(r.summary).toBe('lvs on frontal2, preferred frontal1 online (auto_failback)');
    const noFailback = pacemakerDefaults({ ...referenceDeployment, ha: 'pacemaker', heartbeat: { ...referenceDeployment.heartbeat, autoFailback: false } } as Deployment);
    expect(noFailback.autoFailback).toBe(false);
    const r2 = evalXml(moved, noFailback);
    expect(r2.state).toBe(State.OK);
    expect(r2.summary).toBe('lvs on frontal2, 2/2 nodes online, quorum, DC frontal2');
  });

  test('the VIP on both nodes: CRITICAL split brain naming them (derived from the healthy capture, labelled)', () => {
    const both = cap('healthy', 'frontal1').replace(
      '<resource id="vip" resource_agent="ocf:heartbeat:IPaddr2" role="Started" active="true" orphaned="false" blocked="false" managed="true" failed="false" failure_ignored="false" nodes_running_on="1">\n        <node name="frontal1" id="1" cached="true"/>',
      '<resource id="vip" resource_agent="ocf:heartbeat:IPaddr2" role="Started" active="true" orphaned="false" blocked="false" managed="true" failed="false" failure_ignored="false" nodes_running_on="2">\n        <node name="frontal1" id="1" cached="true"/>\n        <node name="frontal2" id="2" cached="true"/>',
    );
    const r = evalXml(both);
    expect(r.state).toBe(State.CRITICAL);
    expect(r.summary).toContain('split brain: vip runs on frontal1 and frontal2');
  });

  test('ldirectord on the other node than the VIP: CRITICAL (derived, labelled)', () => {
    const x = cap('healthy', 'frontal1');
    const i = x.indexOf('<resource id="ldirectord"');
    const split = x.slice(0, i) + x.slice(i).replace('<node name="frontal1" id="1" cached="true"/>', '<node name="frontal2" id="2" cached="true"/>');
    const r = evalXml(split);
    expect(r.state).toBe(State.CRITICAL);
    expect(r.summary).toContain('ldirectord runs on frontal2, the VIP on frontal1: nothing drives IPVS where the VIP is');
  });

  test('cli-* constraints left by crm resource move/ban: WARNING with the command that clears them', () => {
    const r = evaluatePacemaker({ status: running(cap('healthy', 'frontal1'), [{ id: 'cli-prefer-lvs', kind: 'prefer', resource: 'lvs', node: 'frontal1', score: 1000000 }]), host: 'frontal1' }, config);
    expect(r.state).toBe(State.WARNING);
    expect(r.summary).toBe('cli-prefer-lvs (crm resource move lvs frontal1) is left in the CIB: crm resource clear lvs');
  });

  test('Pacemaker stopped, refused, hung: CRITICAL, UNKNOWN with the haclient hint, CRITICAL', () => {
    const e = (daemon: PacemakerStatus['daemon']) => evaluatePacemaker({ status: { daemon, detail: 'd', cli: [] }, host: 'frontal1' }, config);
    expect([e('stopped').state, e('stopped').summary]).toEqual([State.CRITICAL, 'Pacemaker is not running on frontal1']);
    expect([e('refused').state, e('refused').summary]).toEqual([State.UNKNOWN, 'crm_mon refused on frontal1: run as root or in group haclient']);
    expect([e('hung').state, e('hung').summary]).toEqual([State.CRITICAL, 'Pacemaker on frontal1 does not answer (crm_mon timed out)']);
  });
});

describe('probePacemaker', () => {
  test('crm_mon exit 102 (captured on a host without a cluster): stopped, with what crm_mon said', async () => {
    const xml = readFileSync(join(REAL, 'crm_mon', 'not-running.xml'), 'utf8');
    const src = new Replay({ crm_mon: { stdout: xml, stderr: '', code: 102, signal: null } });
    const s = await probePacemaker(src, { crmMon: 'crm_mon', cibadmin: 'cibadmin' });
    expect(s.daemon).toBe('stopped');
    expect(s.detail).toBe('frontal1: crm_mon: crm_mon: Connection to cluster failed: Connection refused');
    // no cibadmin when crm_mon did not answer
    expect(src.calls).toEqual([['crm_mon', '--one-shot', '--output-as=xml']]);
  });

  test('crm_mon as a user outside haclient (captured in the lab: exit 4 and its XML): refused, UNKNOWN with the hint; in haclient: the cluster', async () => {
    const dir = join(PM, 'unprivileged', 'frontal1');
    const src = new Replay({ crm_mon: { stdout: readFileSync(join(dir, 'crm_mon-nogroup.xml'), 'utf8'), stderr: '', code: 4, signal: null } });
    const s = await probePacemaker(src, { crmMon: 'crm_mon', cibadmin: 'cibadmin' });
    expect(s.daemon).toBe('refused');
    expect(s.detail).toBe('frontal1: crm_mon: crm_mon: Connection to cluster failed: Permission denied');
    expect(evaluatePacemaker({ status: s, host: 'frontal1' }, config).state).toBe(State.UNKNOWN);
    const ok = parseCrmMon(readFileSync(join(dir, 'crm_mon-haclient.xml'), 'utf8'));
    expect(ok.nodes.map((n) => n.name)).toEqual(['frontal1', 'frontal2']);
  });

  test('exit 4: refused; exit 124: hung; another code: an error naming it', async () => {
    const r = (code: number, stderr = '') => new Replay({ crm_mon: { stdout: '', stderr, code, signal: null } });
    expect((await probePacemaker(r(4, 'crm_mon: Insufficient privileges'), { crmMon: 'crm_mon', cibadmin: '' })).daemon).toBe('refused');
    expect((await probePacemaker(r(124), { crmMon: 'crm_mon', cibadmin: '' })).daemon).toBe('hung');
    await expect(probePacemaker(r(1, 'crm_mon: bad option'), { crmMon: 'crm_mon', cibadmin: '' })).rejects.toThrow('frontal1: crm_mon exit 1: crm_mon: bad option');
  });

  test('running: crm_mon then cibadmin for the cli-* constraints; the two callers of one scrape share one crm_mon', async () => {
    const src = new Replay({ crm_mon: ok(cap('healthy', 'frontal1')), cibadmin: ok(cap('healthy', 'frontal1', 'cib.xml')) });
    const [a, b] = await Promise.all([probePacemaker(src, { crmMon: 'crm_mon', cibadmin: 'cibadmin' }), probePacemaker(src, { crmMon: 'crm_mon', cibadmin: 'cibadmin' })]);
    expect(a).toBe(b);
    expect(a.daemon).toBe('running');
    expect(a.cli).toEqual([]);
    expect(src.calls).toEqual([
      ['crm_mon', '--one-shot', '--output-as=xml'],
      ['cibadmin', '--query', '--scope', 'constraints'],
    ]);
  });
});

describeSpawning('the plugin replaying captures', () => {
  const bin = mkdtempSync(join(tmpdir(), 'lvsha-pm-'));
  const script = (name: string, file: string, code = 0) => {
    const p = join(bin, name);
    writeFileSync(p, `#!/bin/sh\ncat '${file}'\nexit ${code}\n`);
    chmodSync(p, 0o755);
    return p;
  };
  const cfg = join(bin, 'd.json');
  writeFileSync(cfg, JSON.stringify({ ...referenceDeployment, ha: 'pacemaker' }));
  const run = (...args: string[]) => spawnSync(process.execPath, [join(__dirname, '..', '..', 'bin', 'check_lvs_pacemaker'), '--config', cfg, ...args], { encoding: 'utf8', env: { ...process.env, LVSHA_CONFIG: '' } });

  test('healthy: exit 0, one line with perfdata', () => {
    if (!has('healthy', 'frontal1')) throw new Error('no healthy capture');
    const r = run('--crm-mon', script('crm_mon', join(PM, 'healthy', 'frontal1', 'crm_mon.xml')), '--cibadmin', script('cibadmin', join(PM, 'healthy', 'frontal1', 'cib.xml')));
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^LVS PACEMAKER OK - lvs on frontal1, 2\/2 nodes online, quorum, DC frontal2 \| nodes_online=2;;;0;2 /);
  });

  test('crm_mon hangs: CRITICAL "does not answer" within -t (not UNKNOWN "plugin timed out"), and the hung crm_mon is gone', () => {
    const pidFile = join(bin, 'hung.pid');
    const hang = join(bin, 'crm_mon_hang');
    writeFileSync(hang, `#!/bin/sh\necho $$ > '${pidFile}'\nexec sleep 60\n`);
    chmodSync(hang, 0o755);
    const r = run('--crm-mon', hang, '--cibadmin', '', '-t', '3');
    expect(r.status).toBe(2);
    expect(r.stdout.split('\n')[0]).toMatch(/^LVS PACEMAKER CRITICAL - Pacemaker on \S+ does not answer \(crm_mon timed out\)$/);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch {
      alive = false;
    }
    expect(alive).toBe(false);
  });

  test('no cluster (the real exit 102 and its XML): exit 2', () => {
    const r = run('--crm-mon', script('crm_mon_down', join(REAL, 'crm_mon', 'not-running.xml'), 102), '--cibadmin', '');
    expect(r.status).toBe(2);
    expect(r.stdout).toMatch(/^LVS PACEMAKER CRITICAL - Pacemaker is not running on /);
  });
});

describe('evaluatePacemaker: whole results (summary, long output, perfdata) on the lab captures', () => {
  test('healthy, seen from frontal1', () => {
    expect(evalXml(cap('healthy', 'frontal1'), config, 'frontal1')).toEqual({
      state: State.OK,
      summary: 'lvs on frontal1, 2/2 nodes online, quorum, DC frontal2',
      long: [
        'test',
        'node frontal1: online, 2 resources',
        'node frontal2: online, DC, 0 resources',
        'risk: fencing disabled (stonith-enabled=false) on a 2-node cluster: a cut link lets both nodes run the VIP'
      ],
      perf: [
        { label: 'nodes_online', value: 2, min: 0, max: 2 },
        { label: 'resources_active', value: 2, min: 0, max: 2 },
        { label: 'fail_count', value: 0, min: 0 },
        { label: 'failed_actions', value: 0, min: 0 }
      ]
    });
  });
  test('ldirectord-killed, seen from frontal2', () => {
    expect(evalXml(cap('ldirectord-killed', 'frontal2'), config, 'frontal2')).toEqual({
      state: State.WARNING,
      summary: 'ldirectord fail-count 1 on frontal1, monitor not running: crm resource cleanup ldirectord',
      long: [
        'WARNING: ldirectord fail-count 1 on frontal1, monitor not running: crm resource cleanup ldirectord',
        'test',
        'node frontal1: online, DC, 2 resources',
        'node frontal2: online, 0 resources',
        'risk: fencing disabled (stonith-enabled=false) on a 2-node cluster: a cut link lets both nodes run the VIP'
      ],
      perf: [
        { label: 'nodes_online', value: 2, min: 0, max: 2 },
        { label: 'resources_active', value: 2, min: 0, max: 2 },
        { label: 'fail_count', value: 1, min: 0 },
        { label: 'failed_actions', value: 1, min: 0 }
      ]
    });
  });
  test('node-crash, seen from frontal2', () => {
    expect(evalXml(cap('node-crash', 'frontal2'), config, 'frontal2')).toEqual({
      state: State.WARNING,
      summary: 'frontal1 OFFLINE: no failover target',
      long: [
        'WARNING: frontal1 OFFLINE: no failover target',
        'test',
        'node frontal1: OFFLINE, 0 resources',
        'node frontal2: online, DC, 2 resources',
        'lvs runs on frontal2, failed over from frontal1 (OFFLINE); it goes back once frontal1 is online',
        'risk: fencing disabled (stonith-enabled=false) on a 2-node cluster: a cut link lets both nodes run the VIP'
      ],
      perf: [
        { label: 'nodes_online', value: 1, min: 0, max: 2 },
        { label: 'resources_active', value: 2, min: 0, max: 2 },
        { label: 'fail_count', value: 0, min: 0 },
        { label: 'failed_actions', value: 0, min: 0 }
      ]
    });
  });
  test('standby, seen from frontal1', () => {
    expect(evalXml(cap('standby', 'frontal1'), config, 'frontal1')).toEqual({
      state: State.WARNING,
      summary: 'lvs on frontal2, preferred frontal1 in standby (auto_failback)',
      long: [
        'WARNING: lvs on frontal2, preferred frontal1 in standby (auto_failback)',
        'test',
        'node frontal1: online, standby, DC, 0 resources',
        'node frontal2: online, 2 resources',
        'risk: fencing disabled (stonith-enabled=false) on a 2-node cluster: a cut link lets both nodes run the VIP'
      ],
      perf: [
        { label: 'nodes_online', value: 2, min: 0, max: 2 },
        { label: 'resources_active', value: 2, min: 0, max: 2 },
        { label: 'fail_count', value: 0, min: 0 },
        { label: 'failed_actions', value: 0, min: 0 }
      ]
    });
  });
  test('split-brain, seen from frontal1', () => {
    expect(evalXml(cap('split-brain', 'frontal1'), config, 'frontal1')).toEqual({
      state: State.WARNING,
      summary: 'frontal2 OFFLINE: no failover target',
      long: [
        'WARNING: frontal2 OFFLINE: no failover target',
        'test',
        'node frontal1: online, DC, 2 resources',
        'node frontal2: OFFLINE, 0 resources',
        'risk: fencing disabled (stonith-enabled=false) on a 2-node cluster: a cut link lets both nodes run the VIP'
      ],
      perf: [
        { label: 'nodes_online', value: 1, min: 0, max: 2 },
        { label: 'resources_active', value: 2, min: 0, max: 2 },
        { label: 'fail_count', value: 0, min: 0 },
        { label: 'failed_actions', value: 0, min: 0 }
      ]
    });
  });
  test('heal-multiple-active, seen from frontal2', () => {
    expect(evalXml(cap('heal-multiple-active', 'frontal2'), config, 'frontal2')).toEqual({
      state: State.CRITICAL,
      summary: 'split brain: vip runs on frontal1 and frontal2',
      long: [
        'CRITICAL: split brain: vip runs on frontal1 and frontal2',
        'test',
        'node frontal1: online, 2 resources',
        'node frontal2: online, DC, 2 resources',
        'ldirectord too runs on frontal1 and frontal2',
        'risk: fencing disabled (stonith-enabled=false) on a 2-node cluster: a cut link lets both nodes run the VIP'
      ],
      perf: [
        { label: 'nodes_online', value: 2, min: 0, max: 2 },
        { label: 'resources_active', value: 2, min: 0, max: 2 },
        { label: 'fail_count', value: 0, min: 0 },
        { label: 'failed_actions', value: 0, min: 0 }
      ]
    });
  });
});

describe('evaluatePacemaker: the survivors of the second mutation run (the healthy capture, one field edited)', () => {
  const healthy = () => parseCrmMon(cap('healthy', 'frontal1'));
  const ev = (m: CrmMon, c: Partial<PacemakerCheckConfig> = {}, extra: Partial<PacemakerStatus> = {}) =>
    evaluatePacemaker({ status: { daemon: 'running', detail: 'test', mon: m, cli: [], ...extra }, host: 'frontal1' }, { ...config, ...c });
  const node = (m: CrmMon, name: string) => m.nodes.find((n) => n.name === name)!;
  const res = (m: CrmMon, id: string) => m.resources.find((r) => r.id === id)!;
  const vip = config.vipResources[0]!;
  const ld = config.ldirectordResource;
  test('crm_mon not answering: its detail is the long output', () => {
    for (const daemon of ['stopped', 'hung', 'refused'] as const)
      expect(evaluatePacemaker({ status: { daemon, detail: `frontal1: ${daemon}`, cli: [] }, host: 'frontal1' }, config).long).toEqual([`frontal1: ${daemon}`]);
  });
  test('the cluster as a whole: status code, no DC, no quorum (stop / ignore / unset), maintenance-mode, stop-all-resources', () => {
    const m = healthy();
    m.status = { code: 1, message: 'Error occurred' };
    expect(ev(m).summary).toBe('crm_mon status 1: Error occurred');
    const nodc = healthy();
    delete nodc.dc;
    const r = ev(nodc);
    expect([r.state, r.summary]).toEqual([State.WARNING, 'no DC elected (the cluster is forming or split)']);
    expect(r.long!.slice(-1)).toEqual(['risk: fencing disabled (stonith-enabled=false) on a 2-node cluster: a cut link lets both nodes run the VIP']);
    const q = healthy();
    q.quorum = false;
    for (const [policy, state, text] of [['stop', State.CRITICAL, 'stop'], ['ignore', State.WARNING, 'ignore'], [undefined, State.CRITICAL, 'stop']] as const) {
      q.noQuorumPolicy = policy;
      const x = ev(q);
      expect([x.state, x.summary]).toEqual([state, `frontal1's partition has no quorum (no-quorum-policy ${text})`]);
    }
    q.noQuorumPolicy = 'ignore';
    expect(ev(q).long).toContain('WARNING: frontal1\'s partition has no quorum (no-quorum-policy ignore)');
    const mm = healthy();
    mm.maintenanceMode = true;
    expect([ev(mm).state, ev(mm).summary]).toEqual([State.WARNING, 'cluster in maintenance-mode: Pacemaker neither starts, stops nor moves anything']);
    const sa = healthy();
    sa.stopAllResources = true;
    expect([ev(sa).state, ev(sa).summary]).toEqual([State.CRITICAL, 'stop-all-resources is set: every resource is stopped']);
  });
  test('the directors as nodes: not a node, UNCLEAN, pending, maintenance, standby on-fail; their long lines', () => {
    const m = healthy();
    expect(ev(m, { directors: ['frontal1', 'frontal3'] }).summary).toBe('frontal3 is not a node of the cluster (nodes: frontal1, frontal2)');
    const none = healthy();
    none.nodes = [];
    expect(ev(none).summary).toMatch(/^frontal1 is not a node of the cluster \(nodes: none\); frontal2 is not a node of the cluster \(nodes: none\)/);
    const u = healthy();
    node(u, 'frontal2').unclean = true;
    const ru = ev(u);
    expect([ru.state, ru.summary]).toEqual([State.CRITICAL, 'frontal2 UNCLEAN: to be fenced before the cluster trusts it']);
    expect(ru.long).toContain('node frontal2: UNCLEAN, DC, 0 resources');
    expect(ru.perf![0]).toEqual({ label: 'nodes_online', value: 1, min: 0, max: 2 });
    const p = healthy();
    node(p, 'frontal2').pending = true;
    expect(ev(p).summary).toBe('frontal2 is pending (joining)');
    const mt = healthy();
    node(mt, 'frontal2').maintenance = true;
    const rm = ev(mt);
    expect(rm.summary).toBe('frontal2 is in maintenance: its resources are unmanaged');
    expect(rm.long).toContain('node frontal2: online, maintenance, DC, 0 resources');
    const so = healthy();
    node(so, 'frontal2').standbyOnfail = true;
    expect(ev(so).summary).toBe('frontal2 was put in standby by a failure (on-fail=standby)');
    // a director that is not a node has no maintenance or standby flags to read
    expect(ev(healthy(), { directors: ['frontal9'] }).summary).toBe('frontal9 is not a node of the cluster (nodes: frontal1, frontal2)');
  });
  test('VIP and ldirectord: split brain said once, ldirectord twice in long output; ldirectord elsewhere; VIPs split', () => {
    const sb = healthy();
    res(sb, vip).nodes = ['frontal1', 'frontal2'];
    res(sb, ld).nodes = ['frontal1', 'frontal2'];
    const r = ev(sb);
    expect(r.summary).toBe(`split brain: ${vip} runs on frontal1 and frontal2`);
    expect(r.long).toContain(`${ld} too runs on frontal1 and frontal2`);
    // ldirectord alone twice: its own split brain
    const l2 = healthy();
    res(l2, ld).nodes = ['frontal1', 'frontal2'];
    expect(ev(l2).summary).toBe(`split brain: ${ld} runs on frontal1 and frontal2`);
    expect(ev(l2).long!.join('\n')).not.toContain('too runs on');
    // the VIP twice, ldirectord once: no "too runs" line
    const v2 = healthy();
    res(v2, vip).nodes = ['frontal1', 'frontal2'];
    expect(ev(v2).long!.join('\n')).not.toContain('too runs on');
    // ldirectord on the other node than the VIP
    const away = healthy();
    res(away, ld).nodes = ['frontal2'];
    expect(ev(away).summary).toBe(`${ld} runs on frontal2, the VIP on frontal1: nothing drives IPVS where the VIP is`);
    // ldirectord stopped: its own finding only
    const ldStopped = healthy();
    res(ldStopped, ld).nodes = [];
    expect(ev(ldStopped).summary).toBe(`${ld} (ldirectord) is stopped`);
    // two VIPs on two nodes
    const two = healthy();
    const vip2 = { ...res(two, vip), id: 'vip2', nodes: ['frontal2'] };
    two.resources.push(vip2);
    const rt = ev(two, { vipResources: [vip, 'vip2'] });
    expect(rt.summary).toBe(`the VIPs are split: ${vip} on frontal1, vip2 on frontal2`);
    // one of two VIPs missing: named with '?' only when the VIPs are split
    const miss = ev(healthy(), { vipResources: [vip, 'vip3'] });
    expect(miss.summary).toBe('no resource vip3 (VIP) in the cluster');
  });
  test('placement: the group away from the preferred node, with and without auto_failback, per reason', () => {
    const away = healthy();
    res(away, vip).nodes = ['frontal2'];
    res(away, ld).nodes = ['frontal2'];
    const on = ev(away, { autoFailback: true });
    expect(on.summary).toBe(`${config.group} on frontal2, preferred frontal1 online (auto_failback)`);
    expect(on.long).toContain(`frontal1 is online and not in standby: a ban, a move or a failure keeps ${config.group} away (crm_simulate -sL shows the scores)`);
    const off = ev(away, { autoFailback: false });
    expect(off.state).toBe(State.OK);
    expect(off.long).toContain(`${config.group} runs on frontal2, failed over from frontal1 (online); no auto_failback: it stays`);
    expect(off.long!.join('\n')).not.toContain('is online and not in standby');
    const unclean = healthy();
    res(unclean, vip).nodes = ['frontal2'];
    res(unclean, ld).nodes = ['frontal2'];
    node(unclean, 'frontal1').unclean = true;
    const ru = ev(unclean, { autoFailback: true });
    expect(ru.summary).toBe('frontal1 UNCLEAN: to be fenced before the cluster trusts it');
    expect(ru.long).toContain(`${config.group} runs on frontal2, failed over from frontal1 (UNCLEAN); it goes back once frontal1 is online`);
    expect(ru.long!.join('\n')).not.toContain('is online and not in standby');
    const gone = ev(away, { autoFailback: true, preferred: 'frontal9' });
    expect(gone.summary).toBe(`${config.group} on frontal2, preferred frontal9 not a node (auto_failback)`);
    expect(gone.long!.join('\n')).not.toContain('is online and not in standby');
    const standby = healthy();
    res(standby, vip).nodes = ['frontal2'];
    res(standby, ld).nodes = ['frontal2'];
    node(standby, 'frontal1').standby = true;
    node(standby, 'frontal2').standby = true;
    const rs = ev(standby, { autoFailback: true });
    expect(rs.summary).toBe(`${config.group} on frontal2, preferred frontal1 in standby (auto_failback)`);
    expect(rs.long).toContain('frontal2 is in standby (planned: crm node online frontal2 to bring it back)');
    expect(rs.long!.join('\n')).not.toContain('frontal1 is in standby (planned');
    expect(rs.long!.join('\n')).not.toContain('is online and not in standby');
  });
  test('failures and fail counts: INFINITY from 1000000, operation and exit code when crm_mon leaves them out; cli-* constraints', () => {
    const m = healthy();
    m.history = [{ node: 'frontal1', resource: ld, failCount: 1000000 }, { node: 'frontal2', resource: ld, failCount: 999999 }];
    m.failures = [{ opKey: 'x', resource: vip, node: 'frontal2', task: '', exitstatus: '', exitreason: 'no such device', exitcode: 5 }];
    const r = ev(m);
    expect(r.long!.filter((l) => l.startsWith('WARNING: '))).toEqual([
      `WARNING: ${ld} fail-count INFINITY on frontal1: crm resource cleanup ${ld}`,
      `WARNING: ${ld} fail-count 999999 on frontal2: crm resource cleanup ${ld}`,
      `WARNING: ${vip} failed on frontal2: operation exit 5 (no such device): crm resource cleanup ${vip}`,
    ]);
    expect(r.perf!.slice(2)).toEqual([{ label: 'fail_count', value: 1999999, min: 0 }, { label: 'failed_actions', value: 1, min: 0 }]);
    const b = healthy();
    b.bans = [
      { id: 'cli-ban-lvs-on-frontal1', resource: 'lvs', node: 'frontal1', weight: -1000000 },
      { id: 'cli-prefer-lvs', resource: 'lvs', node: 'frontal2', weight: 1000000 },
      { id: 'no-frontal3', resource: 'lvs', node: 'frontal3', weight: -1000000 },
    ];
    const cli = [
      { id: 'cli-prefer-lvs', kind: 'prefer' as const, resource: 'lvs', node: 'frontal2' },
      { id: 'cli-ban-x', kind: 'ban' as const, resource: 'x', node: 'frontal1' },
    ];
    const rb = ev(b, {}, { cli: cli as PacemakerStatus['cli'], cliError: 'cibadmin: timed out' });
    expect(rb.long!.filter((l) => l.startsWith('WARNING: ')).sort()).toEqual([
      'WARNING: cli-ban-lvs-on-frontal1 (crm resource ban lvs frontal1) is left in the CIB: crm resource clear lvs',
      'WARNING: cli-ban-x (crm resource ban x frontal1) is left in the CIB: crm resource clear x',
      'WARNING: cli-prefer-lvs (crm resource move lvs frontal2) is left in the CIB: crm resource clear lvs',
    ]);
    expect(rb.long).toContain('ban no-frontal3: lvs never on frontal3 (score -1000000)');
    expect(rb.long).toContain('cli-* constraints not read: cibadmin: timed out');
  });
  test('fencing on: no risk line; the OK summary without a holder, quorum or DC; only active resources counted', () => {
    const m = healthy();
    m.stonithEnabled = true;
    expect(ev(m).long!.join('\n')).not.toContain('fencing disabled');
    const q = healthy();
    q.quorum = false;
    q.noQuorumPolicy = 'ignore';
    delete q.dc;
    res(q, vip).nodes = [];
    res(q, vip).active = false;
    const r = ev(q, {});
    expect(r.perf![1]).toEqual({ label: 'resources_active', value: 1, min: 0, max: 2 });
    const ok = healthy();
    res(ok, vip).nodes = [];
    const x = ev(ok, { vipResources: [] });
    expect(x.summary).toBe(`${config.group} on ?, 2/2 nodes online, quorum, DC frontal2`);
    const nq = healthy();
    nq.quorum = false;
    nq.noQuorumPolicy = 'ignore';
    delete nq.dc;
    const y = ev(nq, { vipResources: [] });
    expect(y.long).toContain('WARNING: no DC elected (the cluster is forming or split)');
  });
  test('two VIPs, one of them twice: one split brain, ldirectord twice only in long output; VIPs split with one missing named by its id', () => {
    const m = healthy();
    m.resources.push({ ...res(m, vip), id: 'vip2', nodes: ['frontal1'] });
    res(m, vip).nodes = ['frontal1', 'frontal2'];
    res(m, ld).nodes = ['frontal1', 'frontal2'];
    res(m, ld).managed = false;
    const r = ev(m, { vipResources: ['vip2', vip] });
    expect(r.long!.filter((l) => /^(CRITICAL|WARNING): /.test(l))).toEqual([`CRITICAL: split brain: ${vip} runs on frontal1 and frontal2`, `WARNING: ${ld} is unmanaged: Pacemaker will not recover it`]);
    expect(r.long).toContain(`${ld} too runs on frontal1 and frontal2`);
    // ldirectord missing while the VIP is split
    const g = healthy();
    res(g, vip).nodes = ['frontal1', 'frontal2'];
    expect(ev(g, { ldirectordResource: 'nope' }).long).toContain('CRITICAL: no resource nope (ldirectord) in the cluster');
    // VIPs on two nodes, ldirectord with the second: the split, not a mismatch with the first
    const two = healthy();
    two.resources.push({ ...res(two, vip), id: 'vip2', nodes: ['frontal2'] });
    res(two, ld).nodes = ['frontal2'];
    expect(ev(two, { vipResources: [vip, 'vip2'] }).summary).toBe(`the VIPs are split: ${vip} on frontal1, vip2 on frontal2`);
    // ...and a third VIP missing: named by its id (it read 'undefined ?')
    expect(ev(two, { vipResources: [vip, 'vip2', 'vip3'] }).long).toContain(`CRITICAL: the VIPs are split: ${vip} on frontal1, vip2 on frontal2, vip3 missing`);
  });
  test('a ban whose id only contains cli-ban- is not one of crm\'s', () => {
    const b = healthy();
    b.bans = [{ id: 'keep-cli-ban-lvs', resource: 'lvs', node: 'frontal2', weight: -1000000 }];
    const r = ev(b);
    expect(r.state).toBe(State.OK);
    expect(r.long).toContain('ban keep-cli-ban-lvs: lvs never on frontal2 (score -1000000)');
  });
});
