/**
 * End-to-end: the namespace lab with keepalived as the HA layer (`lab up --ha keepalived`),
 * brought up ONCE, then the scenarios in order: healthy; tracked script fails (failover) and
 * passes again (failback); graceful stop and start; VRRP blocked between the directors (split
 * brain) and unblocked; keepalived killed with -9 on the MASTER. At each step it asserts what
 * the lab shows (who holds the VIP, keepalived's state from fresh dumps) and what the checks
 * say from the monitoring host (`lvsha check keepalived -H`, `lvsha check vip`), and records
 * the failover times (lab/netns/keepalived.sh; no assertion on them) in
 * .lab/e2e-keepalived.json. Runs in CI and locally with LVSHA_E2E=1 (or =netns, =keepalived),
 * after netns.test.ts (jest.config.js orders the e2e files: one lab at a time).
 */
import { mkdirSync, readdirSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { labDown } from '../../src/lab/command';
import { LAB_DIR, NetnsTier } from '../../src/lab/tiers';
import { e2eEnabled, haLabSteps, quietProgress } from './lab';

const enabled = e2eEnabled('netns', 'keepalived');
const d = enabled ? describe : describe.skip;

const ADDR = { frontal1: '192.168.0.1', frontal2: '192.168.0.2' } as const;
type Director = keyof typeof ADDR;
/** VRRP states in keepalived's JSON dump. */
const BACKUP = 1;
const MASTER = 2;

d('lab, namespace tier, keepalived as the HA layer', () => {
  const tier = new NetnsTier('keepalived');
  const times: Record<string, number[]> = {};
  const log: string[] = [];

  const { exec, op: ka, at, expectCheck, holders } = haLabSteps(tier, 'lab/netns/keepalived.sh', log, 120);
  /** A failover: FAULT (a keepalived.sh step), then HOST becomes MASTER; records VIP-on-HOST time since the fault. */
  const failover = async (name: string, fault: string[], to: Director): Promise<number> => {
    const f = await ka(...fault);
    const w = await ka('wait-master', to, '30', at(f));
    const m = /VIP on \S+ in (\d+) ms/.exec(w);
    if (!m) throw new Error(`no failover time in: ${w}`);
    const ms = Number(m[1]);
    (times[name] ??= []).push(ms);
    return ms;
  };
  /** keepalived's state, effective and base priority from a fresh JSON dump (signal 36). */
  const dumped = async (h: Director): Promise<{ state: number; prio: number; base: number }> => {
    const r = await exec('lab/netns/keepalived.sh dump "$1"', [h], 60);
    const json = r.stdout.split('==> /tmp/keepalived.json <==\n')[1]!.split('\n==> ')[0]!;
    const inst = (JSON.parse(json) as { data: { state: number; effective_priority: number; base_priority: number } }[])[0]!.data;
    return { state: inst.state, prio: inst.effective_priority, base: inst.base_priority };
  };
  /** The dump keepalived left in HOST's /tmp, read without signalling (it may be stale). */
  const leftDumpState = async (h: Director): Promise<number> => {
    const r = await exec('cat "$(hroot "$1")/tmp/keepalived.json"', [h]);
    return (JSON.parse(r.stdout) as { data: { state: number } }[])[0]!.data.state;
  };
  const kaCheck = (h: Director, exit: number, firstLine: RegExp) => expectCheck(`keepalived ${h}`, `lvsha check keepalived -H ${ADDR[h]} -t 60 $SSH`, exit, firstLine);
  /** --method dbus (no root): state only; the exit code and the state word it names. */
  const kaDbus = (h: Director, exit: number, firstLine: RegExp) => expectCheck(`keepalived --method dbus ${h}`, `lvsha check keepalived --method dbus -H ${ADDR[h]} -t 60 $SSH`, exit, firstLine);
  const vipCheck = (exit: number, firstLine: RegExp) => expectCheck('vip', 'lvsha check vip -t 60 $SSH', exit, firstLine);
  /**
   * `lvsha doctor`'s keepalived rows (the lab's deployment says `ha: keepalived`), spaces
   * squeezed, joined by ' | '; doctor's own exit code is left out (without kernel IPVS its ipvs
   * and sync rows are CRITICAL by nature).
   */
  const doctorKeepalived = (firstLine: RegExp) =>
    expectCheck('doctor keepalived rows', `lvsha doctor -t 60 --no-color | grep -E '^keepalived ' | sed -E 's/ +/ /g' | paste -sd '|' - | sed 's/|/ | /g'; true`, 0, firstLine);
  /**
   * One scrape of `lvsha exporter` run on the director itself (lab/netns/scrape.sh): its
   * keepalived series and verdict, sorted, `lvsha_` dropped, on one line.
   */
  const exporterKeepalived = (h: Director, firstLine: RegExp) =>
    expectCheck(
      `exporter keepalived series on ${h}`,
      { host: h, cmd: `lab/netns/scrape.sh | grep -E '^lvsha_(keepalived_up |keepalived_vrrp_state\\{.*\\} 1$|check_status\\{check="keepalived"\\})' | sed 's/^lvsha_//' | sort | paste -sd' ' -` },
      0,
      firstLine,
    );
  const healthy = async (): Promise<void> => {
    await exec(`left=$(wait_lab_ready 60) || die "not healthy after 60 s: \${left//$'\\n'/; }"`, [], 120);
  };

  /** Back to healthy whatever a failed step left: VRRP flows, scripts pass, keepalived runs on both. */
  const restore = async (): Promise<void> => {
    await exec(`lab/netns/keepalived.sh unblock >/dev/null
      for h in "\${DIRECTORS[@]}"; do
        lab/netns/keepalived.sh script-ok "$h" >/dev/null
        [[ -n "$(ka_parent "$h")" ]] || lab/netns/keepalived.sh start "$h" >/dev/null
      done`, [], 120);
    await healthy();
  };

  beforeAll(async () => {
    await labDown(quietProgress());
    await tier.up(quietProgress());
  }, 300_000);
  // each scenario starts from the healthy lab, even after one that failed halfway
  beforeEach(async () => {
    if (tier.isUp()) await restore();
  }, 300_000);
  afterAll(async () => {
    mkdirSync(LAB_DIR, { recursive: true });
    writeFileSync(join(LAB_DIR, 'e2e-keepalived.json'), JSON.stringify({ failoverMs: times, log }, null, 2));
    process.stderr.write(`keepalived e2e failover times (ms, fault -> VIP on the new MASTER): ${JSON.stringify(times)}\n${log.join('\n')}\n`);
    await labDown(quietProgress());
  }, 300_000);

  test('healthy: frontal1 MASTER with the VIP, frontal2 BACKUP; the checks OK', async () => {
    expect(await holders()).toBe('frontal1');
    expect(await dumped('frontal1')).toEqual({ state: MASTER, prio: 150, base: 150 });
    expect(await dumped('frontal2')).toEqual({ state: BACKUP, prio: 100, base: 100 });
    await kaCheck('frontal1', 0, /^LVS KEEPALIVED OK - frontal1: VI_1 MASTER prio 150/);
    await kaCheck('frontal2', 0, /^LVS KEEPALIVED OK - frontal2: VI_1 BACKUP prio 100/);
    await kaDbus('frontal1', 0, /^LVS KEEPALIVED OK - .*VI_1 MASTER/);
    await kaDbus('frontal2', 0, /^LVS KEEPALIVED OK - .*VI_1 BACKUP/);
    await vipCheck(0, /^LVS VIP OK - 192\.168\.0\.3 on frontal1 /);
    await doctorKeepalived(/^keepalived frontal1 OK frontal1: VI_1 MASTER prio 150 \| keepalived frontal2 OK frontal2: VI_1 BACKUP prio 100$/);
    await exporterKeepalived('frontal1', /^check_status\{check="keepalived"\} 0 keepalived_up 1 keepalived_vrrp_state\{iname="VI_1",intf="eth0",vrid="51",state="MASTER"\} 1$/);
    await exporterKeepalived('frontal2', /^check_status\{check="keepalived"\} 0 keepalived_up 1 keepalived_vrrp_state\{iname="VI_1",intf="eth0",vrid="51",state="BACKUP"\} 1$/);
  }, 300_000);

  test('tracked script fails on frontal1: priority 90, frontal2 takes over; passes again: frontal1 back', async () => {
    await failover('priority drop (tracked script)', ['script-fail', 'frontal1'], 'frontal2');
    await ka('wait-state', 'frontal1', 'Backup', '30');
    expect(await holders()).toBe('frontal2');
    expect(await dumped('frontal1')).toEqual({ state: BACKUP, prio: 90, base: 150 });
    expect((await dumped('frontal2')).state).toBe(MASTER);
    await kaCheck('frontal1', 1, /^LVS KEEPALIVED WARNING - VI_1 priority 90 of 150: chk_lvsha_lab BAD/);
    await kaCheck('frontal2', 1, /^LVS KEEPALIVED WARNING - VI_1 is MASTER on frontal2: failed over from frontal1/);
    // the VIP on the director that is not the preferred one: check_lvs_vip's WARNING, whatever the HA layer
    await vipCheck(1, /^LVS VIP WARNING - 192\.168\.0\.3 running on backup frontal2/);

    await failover('failback (tracked script passes, preemption)', ['script-ok', 'frontal1'], 'frontal1');
    await ka('wait-state', 'frontal2', 'Backup', '30');
    await healthy();
    expect(await holders()).toBe('frontal1');
    expect(await dumped('frontal1')).toEqual({ state: MASTER, prio: 150, base: 150 });
    await kaCheck('frontal1', 0, /^LVS KEEPALIVED OK - frontal1: VI_1 MASTER prio 150/);
    await kaCheck('frontal2', 0, /^LVS KEEPALIVED OK - frontal2: VI_1 BACKUP/);
  }, 300_000);

  test('graceful stop on frontal1: frontal2 takes over; the stale MASTER dump is not believed; start: frontal1 preempts', async () => {
    await exec('lab/netns/keepalived.sh dump frontal1 >/dev/null'); // leave a MASTER dump behind
    await failover('graceful stop (SIGTERM)', ['stop', 'frontal1'], 'frontal2');
    expect(await holders()).toBe('frontal2');
    // keepalived removed its pid file and left its dumps: they still say MASTER
    await exec('! test -e "$(hroot frontal1)/run/keepalived.pid"');
    expect(await leftDumpState('frontal1')).toBe(MASTER);
    await kaCheck('frontal1', 2, /^LVS KEEPALIVED CRITICAL - keepalived is not running on /);
    await kaDbus('frontal1', 2, /^LVS KEEPALIVED CRITICAL - keepalived is not running on /);
    await kaCheck('frontal2', 1, /^LVS KEEPALIVED WARNING - VI_1 is MASTER on frontal2: failed over from frontal1/);
    await vipCheck(1, /^LVS VIP WARNING - 192\.168\.0\.3 running on backup frontal2/);

    await failover('rejoin after start (preemption)', ['start', 'frontal1'], 'frontal1');
    await ka('wait-state', 'frontal2', 'Backup', '30');
    await healthy();
    expect(await holders()).toBe('frontal1');
    await kaCheck('frontal1', 0, /^LVS KEEPALIVED OK - frontal1: VI_1 MASTER prio 150/);
    await kaCheck('frontal2', 0, /^LVS KEEPALIVED OK - frontal2: VI_1 BACKUP/);
  }, 300_000);

  test('VRRP blocked between the directors: two MASTERs, split brain; unblocked: one MASTER', async () => {
    try {
      await failover('split brain (VRRP blocked)', ['block'], 'frontal2');
      expect(await holders()).toBe('frontal1 frontal2');
      expect((await dumped('frontal1')).state).toBe(MASTER);
      expect((await dumped('frontal2')).state).toBe(MASTER);
      await vipCheck(2, /^LVS VIP CRITICAL - split brain: frontal1, frontal2 hold 192\.168\.0\.3/);
      await kaCheck('frontal1', 0, /^LVS KEEPALIVED OK - frontal1: VI_1 MASTER/);
      await kaCheck('frontal2', 1, /^LVS KEEPALIVED WARNING - VI_1 is MASTER on frontal2/);
      // DBus gives no priority: -H 192.168.0.2 tells which director it is
      await kaDbus('frontal2', 1, /^LVS KEEPALIVED WARNING - VI_1 is MASTER on frontal2: failed over from frontal1/);
    } finally {
      await ka('unblock');
    }
    await ka('wait-state', 'frontal2', 'Backup', '30');
    await healthy();
    expect(await holders()).toBe('frontal1');
    await vipCheck(0, /^LVS VIP OK - 192\.168\.0\.3 on frontal1 /);
  }, 300_000);

  test('kill -9 of keepalived on frontal1: frontal2 takes over, the VIP stays on frontal1 too; no stale MASTER reported', async () => {
    await exec('lab/netns/keepalived.sh dump frontal1 >/dev/null');
    await failover('crash (kill -9)', ['crash', 'frontal1'], 'frontal2');
    expect(await holders()).toBe('frontal1 frontal2');
    // the pid file stays (stale) and so does the MASTER dump
    await exec('test -s "$(hroot frontal1)/run/keepalived.pid" && [[ -z "$(ka_parent frontal1)" ]]');
    expect(await leftDumpState('frontal1')).toBe(MASTER);
    await kaCheck('frontal1', 2, /^LVS KEEPALIVED CRITICAL - keepalived is not running on /);
    await kaDbus('frontal1', 2, /^LVS KEEPALIVED CRITICAL - keepalived is not running on /);
    await kaCheck('frontal2', 1, /^LVS KEEPALIVED WARNING - VI_1 is MASTER on frontal2: failed over from frontal1/);
    await vipCheck(2, /^LVS VIP CRITICAL - split brain: frontal1, frontal2 hold 192\.168\.0\.3/);
    await doctorKeepalived(/^keepalived frontal1 CRITICAL keepalived is not running on .* \| keepalived frontal2 WARNING VI_1 is MASTER on frontal2: failed over from frontal1$/);
    // the exporter on the crashed director: no stale MASTER series, keepalived down
    await exporterKeepalived('frontal1', /^check_status\{check="keepalived"\} 2 keepalived_up 0$/);

    await ka('start', 'frontal1');
    await ka('wait-master', 'frontal1', '30');
    await ka('wait-state', 'frontal2', 'Backup', '30');
    await healthy();
    expect(await holders()).toBe('frontal1');
  }, 300_000);

  test('down leaves nothing behind', async () => {
    await labDown(quietProgress());
    const ns = existsSync('/run/netns') ? readdirSync('/run/netns').filter((n) => n.startsWith('lvsha-')) : [];
    expect(ns).toEqual([]);
  }, 300_000);
});
