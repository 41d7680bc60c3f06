/**
 * End-to-end: the namespace lab with Corosync + Pacemaker as the HA layer (`lab up --ha
 * pacemaker`), brought up ONCE, then the scenarios in order: healthy; ldirectord killed
 * (Pacemaker restarts it, fail count 1); `crm node standby` and online; a node crash (kill -9 of
 * corosync and Pacemaker, port down) and its return; the Corosync link cut (split brain: two_node
 * without fencing, both run the group) and healed. The ground truth is what Pacemaker itself
 * says (crm_mon's XML on each director, digested by lib.sh pm_summary) and who holds the VIP;
 * the checks, the exporter and doctor are asserted by their own tests once they exist. Failover
 * times (fault -> the VIP answers from frontal2: lab/netns/pacemaker.sh) are recorded, not
 * asserted, in .lab/e2e-pacemaker.json. Runs in CI and locally with LVSHA_E2E=1 (or =pacemaker),
 * after keepalived.test.ts (test/e2e/sequencer.js: one lab at a time). 6/6 pass in 233 s here.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { labDown } from '../../src/lab/command';
import { ExecResult, LAB_DIR, NetnsTier } from '../../src/lab/tiers';
import { e2eEnabled, quietProgress } from './lab';

const enabled = e2eEnabled('netns', 'pacemaker');
const d = enabled ? describe : describe.skip;

type Director = 'frontal1' | 'frontal2';
const ONLINE = 'online=true standby=false unclean=false maintenance=false';
const OFFLINE = 'online=false standby=false unclean=false maintenance=false';

d('lab, namespace tier, Corosync + Pacemaker as the HA layer', () => {
  const tier = new NetnsTier('pacemaker');
  const times: Record<string, number[]> = {};
  const log: string[] = [];

  const exec = async (script: string, args: string[] = [], timeout = 120): Promise<ExecResult> => {
    const r = await tier.exec(script, args, timeout);
    if (r.rc !== 0) throw new Error(`rc ${r.rc}${r.timedOut ? ' (timed out)' : ''}: ${script} ${args.join(' ')}\n${r.stdout}${r.stderr}`);
    return r;
  };
  /** lab/netns/pacemaker.sh OP ARGS: its one line (`... in N ms (at EPOCH_MS)`). */
  const pm = async (...args: string[]): Promise<string> => {
    const r = await exec('lab/netns/pacemaker.sh "$@"', args, 200);
    const line = r.stdout.trim().split('\n').pop() ?? '';
    log.push(line);
    return line;
  };
  const at = (line: string): string => {
    const m = / \(at (\d+)\)/.exec(line);
    if (!m) throw new Error(`no (at MS) in: ${line}`);
    return m[1]!;
  };
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
  const holders = async (): Promise<string> => (await exec('vip_holders')).stdout.trim();
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
  }, 300_000);

  test('ldirectord killed on frontal1: Pacemaker restarts it there, fail count 1 and a failed monitor', async () => {
    await pm('kill-ldirectord', 'frontal1');
    await pm('wait-failcount', 'frontal1', 'ldirectord', '120');
    expect(await holders()).toBe('frontal1');
    const x = await xml('frontal2');
    expect(x).toMatch(/<resource_history id="ldirectord"[^>]* fail-count="1"/);
    expect(x).toMatch(/<failure op_key="ldirectord_monitor_20000" node="frontal1" exitstatus="not running"/);
    expect((await summary('frontal1'))['rsc ldirectord']).toBe('Started frontal1');
  }, 300_000);

  test('crm node standby frontal1: the group moves to frontal2; online: back to frontal1 (stickiness 0 < location 100)', async () => {
    await failover('standby', ['standby', 'frontal1'], 'frontal2');
    expect(await holders()).toBe('frontal2');
    const s = await summary('frontal2');
    expect(s['node frontal1']).toBe('online=true standby=true unclean=false maintenance=false');
    expect(s['rsc vip']).toBe('Started frontal2');
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
      }
    } finally {
      await pm('unblock');
    }
    await healthy();
    expect(await holders()).toBe('frontal1');
  }, 420_000);

  test('down leaves nothing behind', async () => {
    await labDown(quietProgress());
    const ns = existsSync('/run/netns') ? readdirSync('/run/netns').filter((n) => n.startsWith('lvsha-')) : [];
    expect(ns).toEqual([]);
  }, 300_000);
});
