/**
 * lab_unready (lab/netns/lib.sh): what `lvsha lab up` and the scenarios wait for before saying
 * the lab is healthy. `lab up` used to return once a director held the VIP, with ldirectord's
 * table still empty (doctor: `ipvs frontal1 CRITICAL tcp:192.168.0.3:80 not in the IPVS table`).
 * Run without a lab: lib.sh is sourced and the functions that reach lab hosts (in_host,
 * vip_holders, ipvs_available) are replaced by stubs answering with real captured output
 * (test/fixtures/real/{ipvs,heartbeat}).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO } from '../../src/lab/tiers';

const FX = join(REPO, 'test', 'fixtures', 'real');

interface LabState {
  /** vip_holders' answer. */
  holders: string;
  /** The kernel has IPVS (VM tier). */
  ipvs: boolean;
  /** test/fixtures/real/ipvs/<table>/ipvsadm-Ln.txt: the holder's table. */
  table: string;
  /** test/fixtures/real/ipvs/sync-daemon/ipvsadm-L-daemon.<x>.txt per director. */
  sync: { frontal1: string; frontal2: string };
  /** test/fixtures/real/heartbeat/<scenario>/<director>/ per director. */
  hb: { frontal1: string; frontal2: string };
  /** Real servers whose web server does not answer. */
  down: string[];
  /** LVSHA_LAB_HA=keepalived: test/fixtures/real/keepalived/<scenario>/<director>/dbus/state.txt per director. */
  ka?: { frontal1: string; frontal2: string };
}
const HEALTHY: LabState = { holders: 'frontal1', ipvs: true, table: 'ldirectord-up', sync: { frontal1: 'both', frontal2: 'both' }, hb: { frontal1: 'healthy', frontal2: 'healthy' }, down: [] };

const STUBS = `
vip_holders() { printf '%s' "$HOLDERS"; }
ipvs_available() { [[ $IPVS == 1 ]]; }
sleep() { :; }
in_host() {
  local h=$1; shift
  [[ $1 == timeout ]] && shift 2
  local hb=HB_$h sy=SYNC_$h
  case "$1 $2" in
    "cl_status nodestatus") cat "$FX/heartbeat/\${!hb}/$h/nodestatus-$3.stdout" ;;
    "cl_status hblinkstatus") cat "$FX/heartbeat/\${!hb}/$h/hblinkstatus-$3-$4.stdout" ;;
    "dbus-send --system") local ka=KA_$h f
      f="$FX/keepalived/\${!ka}/$h/dbus/state.txt"
      if [[ " $* " == *" org.freedesktop.DBus.NameHasOwner "* ]]; then
        if grep -q '^Error' "$f"; then echo '   boolean false'; else echo '   boolean true'; fi
      elif grep -q '^Error' "$f"; then cat "$f" >&2; return 1
      else cat "$f"; fi ;;
    "ipvsadm -Ln") cat "$FX/ipvs/$TABLE/ipvsadm-Ln.txt" ;;
    "ipvsadm -L") cat "$FX/ipvs/sync-daemon/ipvsadm-L-daemon.\${!sy}.txt" ;;
    "curl -s") local url=\${*: -1} r
      for r in "\${REALS[@]}"; do
        [[ $url == "http://\${IP[$r]}/" && " $DOWN " != *" $r "* ]] && echo "$r"
      done ;;
    *) echo "unexpected in_host $h $*" >&2; return 99 ;;
  esac
}
`;

function run(script: string, s: LabState): { rc: number | null; out: string; err: string } {
  const r = spawnSync('bash', ['-c', `. lab/netns/lib.sh\n${STUBS}\n${script}`], {
    cwd: REPO,
    encoding: 'utf8',
    timeout: 60000,
    env: {
      PATH: process.env.PATH,
      LVSHA_LAB_DIR: '/nonexistent-lvsha-lab',
      FX,
      HOLDERS: s.holders,
      IPVS: s.ipvs ? '1' : '0',
      TABLE: s.table,
      SYNC_frontal1: s.sync.frontal1,
      SYNC_frontal2: s.sync.frontal2,
      HB_frontal1: s.hb.frontal1,
      HB_frontal2: s.hb.frontal2,
      DOWN: s.down.join(' '),
      ...(s.ka ? { LVSHA_LAB_HA: 'keepalived', KA_frontal1: s.ka.frontal1, KA_frontal2: s.ka.frontal2 } : {}),
    },
  });
  return { rc: r.status, out: r.stdout, err: r.stderr };
}
const unready = (s: LabState) => {
  const r = run('lab_unready', s);
  expect(r.err).not.toMatch(/unexpected in_host/);
  expect(r.rc).toBe(0);
  return r.out.trim().split('\n').filter(Boolean);
};

describe('lab_unready: what keeps the lab from being healthy', () => {
  test('healthy, VM tier (IPVS) and namespace tier: nothing', () => {
    expect(unready(HEALTHY)).toEqual([]);
    expect(unready({ ...HEALTHY, ipvs: false, table: 'empty', sync: { frontal1: 'none', frontal2: 'none' } })).toEqual([]);
  });

  test("right after the VIP: ldirectord's table not loaded yet (the bug: lab up returned here)", () => {
    expect(unready({ ...HEALTHY, table: 'empty' })).toEqual(['IPVS on frontal1: no service tcp:192.168.0.3:80 yet (ldirectord has not loaded its table)']);
  });

  test('a real server missing from the table, or at weight 0', () => {
    expect(unready({ ...HEALTHY, table: 'ldirectord-one-down' })).toEqual(['IPVS on frontal1: real server reel2 (192.168.0.5:80) not live in tcp:192.168.0.3:80']);
    expect(unready({ ...HEALTHY, table: 'weight0' })).toEqual(['IPVS on frontal1: real server reel2 (192.168.0.5:80) not live in tcp:192.168.0.3:80']);
  });

  test('the VIP held by none, by two, or by the backup', () => {
    expect(unready({ ...HEALTHY, holders: '' })).toEqual(['VIP 192.168.0.3: held by no director']);
    expect(unready({ ...HEALTHY, holders: 'frontal1 frontal2' })).toEqual(['VIP 192.168.0.3: held by frontal1 frontal2 (more than one director)']);
    expect(unready({ ...HEALTHY, holders: 'frontal2' })).toEqual(['VIP 192.168.0.3: held by frontal2, not by the preferred director frontal1 (auto_failback)']);
  });

  test('a director reading its peer dead', () => {
    expect(unready({ ...HEALTHY, hb: { frontal1: 'healthy', frontal2: 'peer-dead' } })).toEqual([
      'heartbeat on frontal2: peer frontal1 is dead (cl_status nodestatus), not active',
      'heartbeat on frontal2: link to frontal1 over eth0 is dead, not up',
    ]);
  });

  test('a sync daemon missing, a real server not answering', () => {
    expect(unready({ ...HEALTHY, sync: { frontal1: 'master', frontal2: 'both' } })).toEqual(['IPVS sync on frontal1: no backup sync daemon']);
    expect(unready({ ...HEALTHY, down: ['reel1'] })).toEqual(['real server reel1: no answer from http://192.168.0.4/']);
  });

  describe('keepalived (LVSHA_LAB_HA=keepalived): the DBus state of each director', () => {
    const KA: LabState = { ...HEALTHY, ipvs: false, table: 'empty', sync: { frontal1: 'none', frontal2: 'none' }, ka: { frontal1: 'healthy', frontal2: 'healthy' } };
    test('healthy: Master on frontal1, Backup on frontal2; no cl_status asked', () => {
      expect(unready(KA)).toEqual([]);
      // VM tier: keepalived's lvs_sync_daemon runs the master on the MASTER and the backup on the BACKUP only
      expect(unready({ ...KA, ipvs: true, table: 'ldirectord-up', sync: { frontal1: 'master', frontal2: 'backup' } })).toEqual([]);
      expect(unready({ ...KA, ipvs: true, table: 'ldirectord-up', sync: { frontal1: 'master', frontal2: 'none' } })).toEqual([
        'IPVS sync on frontal2: no backup sync daemon (keepalived lvs_sync_daemon)',
      ]);
    });
    test('after a failover (tracked script failed): each director in the wrong state is named', () => {
      expect(unready({ ...KA, holders: 'frontal2', ka: { frontal1: 'script-failed', frontal2: 'script-failed' } })).toEqual([
        'VIP 192.168.0.3: held by frontal2, not by the preferred director frontal1 (auto_failback)',
        'keepalived on frontal1: VRRP instance Backup (DBus State), not Master',
        'keepalived on frontal2: VRRP instance Master (DBus State), not Backup',
      ]);
    });
    test('keepalived stopped or killed on frontal1: its bus name is not owned', () => {
      for (const sc of ['master-stopped', 'master-killed']) {
        expect(unready({ ...KA, holders: 'frontal2', ka: { frontal1: sc, frontal2: 'healthy' } })).toEqual([
          'VIP 192.168.0.3: held by frontal2, not by the preferred director frontal1 (auto_failback)',
          'keepalived on frontal1: org.keepalived.Vrrp1 not owned on its system bus',
        ]);
      }
    });
  });

  test('wait_lab_ready: 0 when healthy; bounded in rounds otherwise, printing what is missing', () => {
    expect(run('wait_lab_ready 60 5', HEALTHY).rc).toBe(0);
    const r = run('wait_lab_ready 60 3', { ...HEALTHY, table: 'empty' });
    expect(r.rc).toBe(1);
    expect(r.out.trim()).toBe('IPVS on frontal1: no service tcp:192.168.0.3:80 yet (ldirectord has not loaded its table)');
    expect(r.err).toMatch(/the lab is not ready after 60 s or 3 rounds \(3 done\): IPVS on frontal1: no service/);
  });
});
