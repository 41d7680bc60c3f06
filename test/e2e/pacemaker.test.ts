/**
 * End-to-end: the namespace lab with Corosync + Pacemaker as the HA layer (`lab up --ha
 * pacemaker`), brought up ONCE, then the scenarios in order: healthy; ldirectord killed
 * (Pacemaker restarts it, fail count 1); `crm node standby` and online; a node crash (kill -9 of
 * corosync and Pacemaker, port down) and its return; the Corosync link cut (split brain: two_node
 * without fencing, both run the group) and healed. The ground truth is what Pacemaker itself
 * says (crm_mon's XML on each director, digested by lib.sh pm_summary) and who holds the VIP;
 * at each step the checks from the monitoring host (`lvsha check pacemaker -H`, `lvsha check
 * vip`), the exporter on the director (lab/netns/scrape.sh) and doctor's rows must say the same,
 * and the real Nagios runs the generated objects (healthy, link cut). Failover
 * times (fault -> the VIP answers from frontal2: lab/netns/pacemaker.sh) are recorded, not
 * asserted, in .lab/e2e-pacemaker.json. Runs in CI and locally with LVSHA_E2E=1 (or =pacemaker),
 * after keepalived.test.ts (test/e2e/sequencer.js: one lab at a time). 6/6 pass in 233 s here.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { labDown } from '../../src/lab/command';
import { LAB_DIR, NetnsTier } from '../../src/lab/tiers';
import { nagiosInPacemakerLab } from '../clients/nagios-pacemaker-lab';
import { e2eEnabled, haLabSteps, quietProgress } from './lab';

const enabled = e2eEnabled('netns', 'pacemaker');
const d = enabled ? describe : describe.skip;

type Director = 'frontal1' | 'frontal2';
const ONLINE = 'online=true standby=false unclean=false maintenance=false';
const OFFLINE = 'online=false standby=false unclean=false maintenance=false';

d('lab, namespace tier, Corosync + Pacemaker as the HA layer', () => {
  const tier = new NetnsTier('pacemaker');
  const times: Record<string, number[]> = {};
  const log: string[] = [];

  const { exec, op: pm, at, expectCheck, holders } = haLabSteps(tier, 'lab/netns/pacemaker.sh', log, 200);
  /** A failover: FAULT (a pacemaker.sh step), then the VIP answers from TO; records that time since the fault. */
  const failover = async (name: string, fault: string[], to: Director): Promise<number> => {
    const f = await pm(...fault);
    const w = await pm('wait-group', to, '90', at(f));
    const m = /VIP answers from \S+ in (\d+) ms/.exec(w);
    if (!m) throw new Error(`no failover time in: ${w}`);
    const ms = Number(m[1]);
    (times[name] ??= []).push(ms);
    return ms;
  };
  /** crm_mon on HOST, digested: { dc, quorum, node NAME: flags, rsc ID: 'ROLE NODES' }. */
  const summary = async (h: Director): Promise<Record<string, string>> => {
    const r = await exec('pm_summary "$1"', [h], 60);
    const out: Record<string, string> = {};
    for (const l of r.stdout.trim().split('\n')) {
      const [kind, a, ...rest] = l.split(' ');
      if (kind === 'dc' || kind === 'quorum') out[kind] = a!;
      else out[`${kind} ${a}`] = rest.join(' ');
    }
    return out;
  };
  const xml = async (h: Director): Promise<string> => (await exec('in_host "$1" timeout 20 crm_mon -1 --output-as=xml', [h], 60)).stdout;
  const ADDR = { frontal1: '192.168.0.1', frontal2: '192.168.0.2' } as const;
  /** check_lvs_pacemaker from the monitoring host, over SSH to the director. */
  const pmCheck = (h: Director, exit: number, firstLine: RegExp) => expectCheck(`pacemaker ${h}`, `lvsha check pacemaker -H ${ADDR[h]} -t 60 $SSH`, exit, firstLine);
  const vipCheck = (exit: number, firstLine: RegExp) => expectCheck('vip', 'lvsha check vip -t 60 $SSH', exit, firstLine);
  /**
   * `lvsha doctor`'s vip and pacemaker rows (the lab's deployment says `ha: pacemaker`), spaces
   * squeezed, joined by ' | '; doctor's own exit code is left out (without kernel IPVS its ipvs
   * and sync rows are CRITICAL by nature).
   */
  const doctorPm = (firstLine: RegExp) =>
    expectCheck('doctor vip and pacemaker rows', `lvsha doctor -t 60 --no-color | grep -E '^(vip|pacemaker) ' | sed -E 's/ +/ /g' | paste -sd '|' - | sed 's/|/ | /g'; true`, 0, firstLine);
  /** One scrape of `lvsha exporter` on the director itself (lab/netns/scrape.sh): up, the group's node, the verdict. */
  const exporterPm = (h: Director, firstLine: RegExp) =>
    expectCheck(
      `exporter pacemaker series on ${h}`,
      { host: h, cmd: `lab/netns/scrape.sh | grep -E '^lvsha_(pacemaker_up |pacemaker_group_node\\{.*\\} 1$|check_status\\{check="pacemaker"\\})' | sed 's/^lvsha_//' | sort | paste -sd' ' -` },
      0,
      firstLine,
    );
  const healthy = async (): Promise<void> => {
    await exec(`left=$(wait_lab_ready 120) || die "not healthy after 120 s: \${left//$'\\n'/; }"`, [], 180);
  };
  /** Back to healthy whatever a failed step left: knet flows, frontal1 running and online, no fail counts. */
  const restore = async (): Promise<void> => {
    await exec(
      `lab/netns/pacemaker.sh unblock >/dev/null
      if [[ -z "$(pm_pid frontal1 pacemakerd)" ]]; then lab/netns/pacemaker.sh start frontal1 >/dev/null; fi
      lab/netns/pacemaker.sh wait-online 120 >/dev/null
      lab/netns/pacemaker.sh online frontal1 >/dev/null
      lab/netns/pacemaker.sh cleanup >/dev/null`,
      [],
      300,
    );
    await healthy();
  };

  beforeAll(async () => {
    await labDown(quietProgress());
    await tier.up(quietProgress());
  }, 420_000);
  // each scenario starts from the healthy lab, even after one that failed halfway
  beforeEach(async () => {
    if (tier.isUp()) await restore();
  }, 420_000);
  afterAll(async () => {
    mkdirSync(LAB_DIR, { recursive: true });
    writeFileSync(join(LAB_DIR, 'e2e-pacemaker.json'), JSON.stringify({ failoverMs: times, log }, null, 2));
    process.stderr.write(`pacemaker e2e failover times (ms, fault -> the VIP answers from the other director): ${JSON.stringify(times)}\n${log.join('\n')}\n`);
    await labDown(quietProgress());
  }, 300_000);

  test('healthy: both online, quorate, one DC, the group on frontal1 as both directors see it; stonith disabled', async () => {
    expect(await holders()).toBe('frontal1');
    for (const h of ['frontal1', 'frontal2'] as const) {
      const s = await summary(h);
      expect(s).toEqual({ dc: expect.stringMatching(/^frontal[12]$/), quorum: 'true', 'node frontal1': ONLINE, 'node frontal2': ONLINE, 'rsc vip': 'Started frontal1', 'rsc ldirectord': 'Started frontal1' });
      const x = await xml(h);
      expect(x).toMatch(/<cluster_options stonith-enabled="false"[^>]* no-quorum-policy="stop"/);
      expect(x).toMatch(/<status code="0" message="OK"\/>/);
      expect(x).not.toMatch(/fail-count=/);
    }
    expect((await summary('frontal1')).dc).toBe((await summary('frontal2')).dc);
    // the three faces
    for (const h of ['frontal1', 'frontal2'] as const) await pmCheck(h, 0, /^LVS PACEMAKER OK - lvs on frontal1, 2\/2 nodes online, quorum, DC frontal[12] \| nodes_online=2;;;0;2 /);
    await vipCheck(0, /^LVS VIP OK - 192\.168\.0\.3 on frontal1 /);
    await doctorPm(/^vip frontal1\+frontal2 OK 192\.168\.0\.3 on frontal1 \(eth0:0\) \| pacemaker frontal1 OK lvs on frontal1, 2\/2 nodes online, quorum, DC frontal[12] \| pacemaker frontal2 OK lvs on frontal1, 2\/2 nodes online, quorum, DC frontal[12]$/);
    for (const h of ['frontal1', 'frontal2'] as const)
      await exporterPm(h, /^check_status\{check="pacemaker"\} 0 pacemaker_group_node\{group="lvs",node="frontal1"\} 1 pacemaker_up 1$/);
  }, 300_000);

  test('Nagios in the lab runs the generated pacemaker objects: healthy, then the Corosync link cut (LVS VIP CRITICAL, LVS Pacemaker WARNING), healed', async () => {
    const nagios4 = ['/usr/sbin/nagios4', '/usr/bin/nagios4'].find((p) => existsSync(p));
    if (!nagios4) throw new Error('nagios4 is not installed (scripts/install-deps.sh installs it)');
    const r = await nagiosInPacemakerLab(tier, nagios4);
    log.push(r.timings);
    expect(r.healthy.filter((x) => x.service === 'LVS Pacemaker').map((x) => `${x.host} ${x.state}`)).toEqual(['frontal1 0', 'frontal2 0']);
    expect(r.split.filter((x) => x.service === 'LVS VIP').map((x) => `${x.host} ${x.state}`)).toEqual(['frontal1 2', 'frontal2 2']);
  }, 600_000);

  test('ldirectord killed on frontal1: Pacemaker restarts it there, fail count 1 and a failed monitor', async () => {
    await pm('kill-ldirectord', 'frontal1');
    await pm('wait-failcount', 'frontal1', 'ldirectord', '120');
    expect(await holders()).toBe('frontal1');
    const x = await xml('frontal2');
    expect(x).toMatch(/<resource_history id="ldirectord"[^>]* fail-count="1"/);
    expect(x).toMatch(/<failure op_key="ldirectord_monitor_20000" node="frontal1" exitstatus="not running"/);
    expect((await summary('frontal1'))['rsc ldirectord']).toBe('Started frontal1');
    for (const h of ['frontal1', 'frontal2'] as const) await pmCheck(h, 1, /^LVS PACEMAKER WARNING - ldirectord fail-count 1 on frontal1, monitor not running: crm resource cleanup ldirectord \| /);
    await exporterPm('frontal1', /^check_status\{check="pacemaker"\} 1 pacemaker_group_node\{group="lvs",node="frontal1"\} 1 pacemaker_up 1$/);
    await doctorPm(/^vip frontal1\+frontal2 OK [^|]* \| pacemaker frontal1 WARNING ldirectord fail-count 1 on frontal1[^|]* \| pacemaker frontal2 WARNING ldirectord fail-count 1 on frontal1[^|]*$/);
  }, 300_000);

  test('crm node standby frontal1: the group moves to frontal2; online: back to frontal1 (stickiness 0 < location 100)', async () => {
    await failover('standby', ['standby', 'frontal1'], 'frontal2');
    expect(await holders()).toBe('frontal2');
    const s = await summary('frontal2');
    expect(s['node frontal1']).toBe('online=true standby=true unclean=false maintenance=false');
    expect(s['rsc vip']).toBe('Started frontal2');
    // a planned move, but auto_failback is wanted (stickiness 0 < location 100): WARNING on both
    for (const h of ['frontal1', 'frontal2'] as const) await pmCheck(h, 1, /^LVS PACEMAKER WARNING - lvs on frontal2, preferred frontal1 in standby \(auto_failback\) \| /);
    await vipCheck(1, /^LVS VIP WARNING - 192\.168\.0\.3 running on backup frontal2/);
    await exporterPm('frontal2', /^check_status\{check="pacemaker"\} 1 pacemaker_group_node\{group="lvs",node="frontal2"\} 1 pacemaker_up 1$/);
    await failover('failback after online', ['online', 'frontal1'], 'frontal1');
    await healthy();
  }, 300_000);

  test('frontal1 crashes (kill -9 of corosync and Pacemaker, port down): frontal2 alone quorate runs the group; back: failback', async () => {
    await failover('crash (kill -9, port down)', ['crash', 'frontal1'], 'frontal2');
    // the crashed node keeps the VIP on its eth0, off the wire
    expect(await holders()).toBe('frontal1 frontal2');
    const s = await summary('frontal2');
    expect(s).toMatchObject({ dc: 'frontal2', quorum: 'true', 'node frontal1': OFFLINE, 'node frontal2': ONLINE, 'rsc vip': 'Started frontal2', 'rsc ldirectord': 'Started frontal2' });
    // crm_mon where nothing of the cluster runs: exit 102, the reason in its XML
    const r = await tier.exec('in_host frontal1 timeout 20 crm_mon -1 --output-as=xml', [], 60);
    expect(r.rc).toBe(102);
    expect(r.stdout).toMatch(/<status code="102" message="Not connected">/);
    await pmCheck('frontal2', 1, /^LVS PACEMAKER WARNING - frontal1 OFFLINE: no failover target \| nodes_online=1;;;0;2 /);
    // frontal1's port is down: SSH cannot reach it
    await pmCheck('frontal1', 2, /^LVS PACEMAKER CRITICAL - /);
    await exporterPm('frontal2', /^check_status\{check="pacemaker"\} 1 pacemaker_group_node\{group="lvs",node="frontal2"\} 1 pacemaker_up 1$/);
    // on the crashed director itself (its own loopback): Pacemaker gone, no stale cluster series
    await exporterPm('frontal1', /^check_status\{check="pacemaker"\} 2 pacemaker_up 0$/);
    await pm('start', 'frontal1');
    await pm('wait-online', '120');
    await pm('wait-group', 'frontal1', '120');
    await healthy();
  }, 420_000);

  test("the Corosync link cut: each node sees the other offline, both quorate and running the group; healed: one group on frontal1", async () => {
    try {
      const b = await pm('block');
      await exec(
        `both() { [[ "$(vip_holders)" == "frontal1 frontal2" ]] && pm_summary frontal1 | grep -q '^rsc ldirectord Started frontal1$' && pm_summary frontal2 | grep -q '^rsc ldirectord Started frontal2$'; }
        wait_until 120 0.5 both || die "both directors do not run the group"`,
        [],
        180,
      );
      (times['split brain (both run the group)'] ??= []).push(Date.now() - Number(at(b)));
      for (const [me, peer] of [['frontal1', 'frontal2'], ['frontal2', 'frontal1']] as const) {
        const s = await summary(me);
        expect(s).toMatchObject({ dc: me, quorum: 'true', [`node ${peer}`]: OFFLINE, [`node ${me}`]: ONLINE, 'rsc vip': `Started ${me}`, 'rsc ldirectord': `Started ${me}` });
        // each partition counts the VIP on one node: the split brain is not in one crm_mon
        expect(await xml(me)).toMatch(/<resource id="vip"[^>]* nodes_running_on="1">/);
        // one partition's check sees its peer OFFLINE; the split brain as a whole is check_lvs_vip's
        await pmCheck(me, 1, new RegExp(`^LVS PACEMAKER WARNING - ${peer} OFFLINE: no failover target \\| `));
      }
      await vipCheck(2, /^LVS VIP CRITICAL - split brain: frontal1, frontal2 hold 192\.168\.0\.3/);
      await doctorPm(/^vip frontal1\+frontal2 CRITICAL split brain: frontal1, frontal2 hold 192\.168\.0\.3[^|]* \| pacemaker frontal1 WARNING frontal2 OFFLINE[^|]* \| pacemaker frontal2 WARNING frontal1 OFFLINE[^|]*$/);
    } finally {
      await pm('unblock');
    }
    await healthy();
    expect(await holders()).toBe('frontal1');
    for (const h of ['frontal1', 'frontal2'] as const) await pmCheck(h, 0, /^LVS PACEMAKER OK - lvs on frontal1, 2\/2 nodes online/);
  }, 420_000);

  test('down leaves nothing behind', async () => {
    await labDown(quietProgress());
    const ns = existsSync('/run/netns') ? readdirSync('/run/netns').filter((n) => n.startsWith('lvsha-')) : [];
    expect(ns).toEqual([]);
  }, 300_000);
});
