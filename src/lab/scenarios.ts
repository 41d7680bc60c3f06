import { ExecResult, LabHa, LabTier, TierName } from './tiers';

/**
 * The lab's scenarios: one definition drives `lvsha lab scenario NAME` and the e2e tests
 * (test/e2e/). Steps are bash snippets run in the lab's control context with
 * lab/netns/lib.sh sourced (in_host, vip_holders, crash_host, traffic...); expectations run
 * a real check (or a real program) on one lab host and assert its exit code and first line.
 */

/** One assertion: run `cmd` (bash, PATH has bin/, $SSH = the lab's SSH options) on `host`. */
export interface Expectation {
  /** Short name for reports: `vip`, `heartbeat frontal2`... */
  label: string;
  /** Lab host (namespace) to run on: mon, client, frontal1..., or `lab` for the control context (lib.sh functions). */
  host: string;
  cmd: string;
  /** Expected exit code (a check: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN). */
  exit: number;
  /** Expected first line of stdout. */
  firstLine: RegExp;
  /** Retry for up to this many seconds until it matches (states that settle, e.g. ldirectord's checks). */
  within?: number;
  /** Only on these tiers (default: every tier the scenario runs on). */
  tiers?: TierName[];
}

export interface Step {
  label: string;
  sh: string;
  /** Time bound in seconds. */
  timeout: number;
}

export interface Scenario {
  name: string;
  title: string;
  /** Tiers it can run on: the IPVS scenarios need the VM (a kernel with IPVS). */
  tiers: TierName[];
  /**
   * The directors' HA layer it is written for (default heartbeat: Heartbeat + ldirectord);
   * it runs only on a lab up with that layer (`lab up --ha keepalived`).
   */
  ha?: LabHa;
  setup: Step[];
  expect: Expectation[];
  /** Run whatever happened, to put the lab back to healthy. */
  heal: Step[];
  /** Asserted once heal succeeded: what the checks say when the fault is gone (back to OK). */
  afterHeal?: Expectation[];
}

const VIP = '192.168.0.3';
const F1 = '192.168.0.1';
const F2 = '192.168.0.2';
const R1 = '192.168.0.4';
const R2 = '192.168.0.5';

// -t 60: under TCG a check over SSH takes 7-16 s (node start-up and the SSH handshake are
// emulated; the arp check also sends 3 ARP probes); on the host kernel 0.2-3 s.
const check = (name: string, args = '') => `lvsha check ${name}${args ? ` ${args}` : ''} -t 60 $SSH`;
const checks = {
  vip: (args = '') => ({ host: 'mon', cmd: check('vip', args) }),
  heartbeat: (addr: string) => ({ host: 'mon', cmd: check('heartbeat', `-H ${addr}`) }),
  ipvs: (addr: string, args = '') => ({ host: 'mon', cmd: check('ipvs', `-H ${addr}${args ? ` ${args}` : ''}`) }),
  sync: (addr: string) => ({ host: 'mon', cmd: check('sync', `-H ${addr}`) }),
  keepalived: (addr: string) => ({ host: 'mon', cmd: check('keepalived', `-H ${addr}`) }),
  pacemaker: (addr: string) => ({ host: 'mon', cmd: check('pacemaker', `-H ${addr}`) }),
  /** On the director itself: the sorry page is on its loopback. */
  sorry: (director: string) => ({ host: director, cmd: 'lvsha check sorry -t 60' }),
  /** From the client: the active ARP view (broadcast arping on the client's eth0). */
  arp: (addr: string) => ({ host: 'client', cmd: check('arp', `-H ${addr} --arp-from localhost --arp-interface eth0`) }),
};
const ARP_VIEW = '--arp-from localhost --arp-interface eth0';

/**
 * `lvsha doctor` from the monitoring host, keeping the row of CHECK on HOST: the expectation
 * reads that row as the first line, and the exit code is doctor's (the worst state of all).
 */
const doctorRow = (check: string, host: string) => ({
  host: 'mon',
  cmd: `set -o pipefail; lvsha doctor -t 60 --no-color | grep -E '^${check} +${host.replace(/\+/g, '\\+')} '`,
});

/**
 * `lvsha doctor` from the monitoring host, keeping the rows of several (CHECK, HOST) pairs, in
 * doctor's order, runs of spaces squeezed, joined by ' | ' into one first line: one doctor run
 * (≈40 s under TCG) asserts every row a scenario is about. The exit code is doctor's (the
 * worst state of all its rows), so it also says whether anything else in the lab is off.
 */
const doctorRows = (...rows: [check: string, host: string][]) => ({
  host: 'mon',
  cmd: `set -o pipefail; lvsha doctor -t 60 --no-color | grep -E '^(${rows.map(([c, h]) => `${c} +${h.replace(/\+/g, '\\+')}`).join('|')}) ' | sed -E 's/ +/ /g' | paste -sd '|' - | sed 's/|/ | /g'`,
});

/**
 * lab/netns/faces.sh: every check of every host as the plugin (exit code), the exporter
 * (/probe's lvsha_check_status) and doctor (--json row) see it at the same moment: they must agree.
 */
const facesAgree = (tiers: TierName[]): Expectation => ({
  label: 'plugin, exporter and doctor give the same verdict for every check and host',
  host: 'mon',
  cmd: 'lab/netns/faces.sh $SSH',
  exit: 0,
  firstLine: /^faces agree: 11 verdicts /,
  tiers,
});

/** lab/netns/probe.sh: `lvsha exporter` on mon's loopback, its /probe modules, promtool on each body. */
const probeModules = { host: 'mon', cmd: 'lab/netns/probe.sh $SSH' };

/**
 * The state the lab must be in before a scenario, the one `lab up` waits for (lab_unready in
 * lib.sh): frontal1 alone holds the VIP, peers see each other, real servers answer, and with
 * IPVS ldirectord's table has both real servers live and the sync daemons run.
 */
const HEALTHY_WAIT: Step = {
  label: 'lab healthy: frontal1 alone holds the VIP, both directors see each other, real servers live',
  sh: `left=$(wait_lab_ready 150) || die "not healthy after 150 s: \${left//$'\\n'/; }"`,
  timeout: 200,
};
/** Back to the boot state after a scenario that moved the VIP or restarted Heartbeat. */
const FAILBACK_WAIT: Step = { ...HEALTHY_WAIT, label: 'back to healthy (frontal1 holds the VIP again)' };

/**
 * Every real server's web server stopped (the three HA layers' all-real-servers-down scenarios):
 * the setup, the heal, and what is the same whoever drives the table (frontal1's ipvs check
 * CRITICAL with the fallback serving, its sorry check WARNING, the maintenance page through the
 * VIP); withTable(label) also reads the table itself with ipvsadm: the fallback alone.
 */
const ALL_DOWN_IPVS: Expectation = { label: 'ipvs frontal1', ...checks.ipvs(F1), exit: 2, firstLine: /^LVS IPVS CRITICAL - (tcp:192\.168\.0\.3:80: )?all real servers down, sorry server serving /, within: 60 };
const ALL_DOWN_SORRY: Expectation[] = [
  { label: 'sorry frontal1', ...checks.sorry('frontal1'), exit: 1, firstLine: /^LVS SORRY WARNING - sorry server in service for 192\.168\.0\.3:80 since all real servers are down/ },
  { label: 'the client gets the maintenance page through the VIP', host: 'lab', cmd: 'traffic 3', exit: 0, firstLine: /^traffic: 3 of 3 requests answered; \[<html><body><h1>frontal1: site under mai\]=3$/ },
];
const ALL_REALS_DOWN = {
  setup: [HEALTHY_WAIT, { label: 'stop the HTTP servers of reel1 and reel2', sh: 'stop_pidfile reel1.httpd; stop_pidfile reel2.httpd', timeout: 20 }] as Step[],
  heal: [{ label: 'start both HTTP servers', sh: 'start_httpd reel1; start_httpd reel2', timeout: 60 }, HEALTHY_WAIT] as Step[],
  expect: [ALL_DOWN_IPVS, ...ALL_DOWN_SORRY],
  withTable: (label: string): Expectation[] => [
    ALL_DOWN_IPVS,
    {
      label,
      host: 'frontal1',
      cmd: `ipvsadm -Ln -t ${VIP}:80 | awk '/^  -> [0-9]/ { r = r " " $2 "/" $3 } END { print "real servers:" r }'`,
      exit: 0,
      firstLine: /^real servers: 127\.0\.0\.1:80\/(Local|Route)$/,
    },
    ...ALL_DOWN_SORRY,
  ],
};

const CLIENT_NEIGH_FLUSH = 'ip -n "$(ns client)" neigh flush all; ip -n "$(ns mon)" neigh flush all';

export const SCENARIOS: Scenario[] = [
  {
    name: 'healthy',
    title: 'the reference deployment, healthy: every check OK (IPVS ones: VM tier), exporter green',
    tiers: ['netns', 'vm'],
    setup: [HEALTHY_WAIT],
    expect: [
      { label: 'vip', ...checks.vip(ARP_VIEW), exit: 0, firstLine: /^LVS VIP OK - 192\.168\.0\.3 on frontal1 \(eth0:0\)/ },
      { label: 'heartbeat frontal1', ...checks.heartbeat(F1), exit: 0, firstLine: /^LVS HEARTBEAT OK - frontal1: peer frontal2 active/ },
      { label: 'heartbeat frontal2', ...checks.heartbeat(F2), exit: 0, firstLine: /^LVS HEARTBEAT OK - frontal2: peer frontal1 active/ },
      { label: 'arp reel1', ...checks.arp(R1), exit: 0, firstLine: /^LVS ARP OK/ },
      { label: 'arp reel2', ...checks.arp(R2), exit: 0, firstLine: /^LVS ARP OK/ },
      { label: 'sorry frontal1', ...checks.sorry('frontal1'), exit: 0, firstLine: /^LVS SORRY OK - HTTP\/1\.[01] 200/ },
      { label: 'sorry frontal2', ...checks.sorry('frontal2'), exit: 0, firstLine: /^LVS SORRY OK - HTTP\/1\.[01] 200/ },
      // Host kernel: no IPVS, and the checks say so.
      { label: 'ipvs frontal1', ...checks.ipvs(F1), exit: 2, firstLine: /^LVS IPVS CRITICAL - IPVS not available in this kernel/, tiers: ['netns'] },
      { label: 'sync frontal1', ...checks.sync(F1), exit: 2, firstLine: /^LVS SYNC CRITICAL - IPVS not available in this kernel/, tiers: ['netns'] },
      // Kernel with IPVS: ldirectord's table on the active director, both sync daemons everywhere.
      { label: 'ipvs frontal1', ...checks.ipvs(F1), exit: 0, firstLine: /^LVS IPVS OK - (tcp:192\.168\.0\.3:80: )?2 of 2 real servers live/, within: 30, tiers: ['vm'] },
      { label: 'ipvs frontal2 (passive: empty table)', ...checks.ipvs(F2), exit: 0, firstLine: /^LVS IPVS OK - passive director: 192\.168\.0\.3 not held here/, tiers: ['vm'] },
      { label: 'sync frontal1', ...checks.sync(F1), exit: 0, firstLine: /^LVS SYNC OK - master and backup sync daemons \(syncid 1, eth0\)/, tiers: ['vm'] },
      { label: 'sync frontal2', ...checks.sync(F2), exit: 0, firstLine: /^LVS SYNC OK - master and backup sync daemons \(syncid 1, eth0\)/, tiers: ['vm'] },
      // doctor: the same verdicts in one table (the host kernel's missing IPVS makes it exit 2)
      { label: 'doctor: vip row', ...doctorRow('vip', 'frontal1+frontal2'), exit: 2, firstLine: /^vip +frontal1\+frontal2 +OK +192\.168\.0\.3 on frontal1 \(eth0:0\)/, tiers: ['netns'] },
      { label: 'doctor: sorry row (through SSH to the director loopback)', ...doctorRow('sorry', 'frontal2'), exit: 2, firstLine: /^sorry +frontal2 +OK +HTTP\/1\.[01] 200/, tiers: ['netns'] },
      { label: 'doctor: ipvs and sync rows of frontal1 (no IPVS in the host kernel)', ...doctorRows(['ipvs', 'frontal1'], ['sync', 'frontal1']), exit: 2, firstLine: /^ipvs frontal1 CRITICAL IPVS not available in this kernel [^|]* \| sync frontal1 CRITICAL IPVS not available in this kernel /, tiers: ['netns'] },
      // Kernel with IPVS: every row OK, doctor exits 0.
      {
        label: 'doctor: ipvs and sync rows of both directors (all OK)',
        ...doctorRows(['ipvs', 'frontal1'], ['sync', 'frontal1'], ['ipvs', 'frontal2'], ['sync', 'frontal2']),
        exit: 0,
        firstLine: /^ipvs frontal1 OK (tcp:192\.168\.0\.3:80: )?2 of 2 real servers live \| sync frontal1 OK master and backup sync daemons \(syncid 1, eth0\)[^|]* \| ipvs frontal2 OK passive director: 192\.168\.0\.3 not held here[^|]* \| sync frontal2 OK master and backup sync daemons \(syncid 1, eth0\)[^|]*$/,
        tiers: ['vm'],
      },
      { label: 'traffic through the VIP (DR; persistence: one real server per client)', host: 'lab', cmd: 'traffic 12', exit: 0, firstLine: /^traffic: 12 of 12 requests answered; \[reel[12]\]=12$/, tiers: ['vm'] },
      { label: 'exporter scrape on frontal1', host: 'frontal1', cmd: 'lab/netns/scrape.sh', exit: 0, firstLine: /^probes ok: \S+; failed: none$/, tiers: ['vm'] },
      { label: 'exporter scrape on frontal1', host: 'frontal1', cmd: 'lab/netns/scrape.sh', exit: 0, firstLine: /^probes ok: \S+; failed: (ipvs|sync|,)+$/, tiers: ['netns'] },
      // The /probe modules from the monitoring host over SSH (sorry: HTTP to frontal1's page),
      // each body through `promtool check metrics`, which must print nothing.
      { label: 'exporter /probe director, realserver, sorry from mon (promtool clean)', ...probeModules, exit: 0, firstLine: /^probe director: promtool clean, ok heartbeat,ipvs,sync,vip, failed none, checks heartbeat=0 ipvs=0 sorry=0 sync=0 \| realserver: promtool clean, ok arp, failed none, checks arp=0 \| sorry: promtool clean, ok sorry, failed none, checks sorry=0, page up 1$/, tiers: ['vm'] },
      { label: 'exporter /probe director, realserver, sorry from mon (promtool clean)', ...probeModules, exit: 0, firstLine: /^probe director: promtool clean, ok heartbeat,vip, failed ipvs,sync, checks heartbeat=0 ipvs=2 sorry=0 sync=2 \| realserver: promtool clean, ok arp, failed none, checks arp=0 \| sorry: promtool clean, ok sorry, failed none, checks sorry=0, page up 1$/, tiers: ['netns'] },
      // netns only: in the emulated VM, nine plugins, doctor and the exporter at once exceed
      // -t 60 (test/faces.test.ts compares the three on the VM's captured IPVS states).
      facesAgree(['netns']),
    ],
    heal: [],
  },
  {
    name: 'director-crash',
    title: 'the active director crashes (kill -9 of Heartbeat, switch port down): the VIP moves to frontal2',
    tiers: ['netns', 'vm'],
    setup: [
      HEALTHY_WAIT,
      { label: 'crash frontal1', sh: 'crash_host frontal1; date +%s%3N > "$STATE/crash.t0"', timeout: 20 },
      {
        label: 'frontal2 takes the VIP',
        // frontal1 keeps its (stale) VIP on a dead link: wait for frontal2 among the holders
        sh: `f2_holds() { [[ " $(vip_holders) " == *" frontal2 "* ]]; }
wait_until 60 0.1 f2_holds || die "holders: [$(vip_holders)]"
wait_until 30 0.2 nodestatus_is frontal2 frontal1 dead || die "frontal2 does not read frontal1 dead"
echo "VIP on frontal2 $(( $(now_ms) - $(cat "$STATE/crash.t0") )) ms after the crash"`,
        timeout: 100,
      },
    ],
    expect: [
      { label: 'vip', ...checks.vip(), exit: 1, firstLine: /^LVS VIP WARNING - .*192\.168\.0\.3 running on backup frontal2/ },
      { label: 'heartbeat frontal2', ...checks.heartbeat(F2), exit: 2, firstLine: /^LVS HEARTBEAT CRITICAL - peer frontal1 is dead/ },
      { label: 'heartbeat frontal1 (unreachable)', ...checks.heartbeat(F1), exit: 2, firstLine: /^LVS HEARTBEAT CRITICAL - / },
      { label: 'doctor: heartbeat frontal2 row', ...doctorRow('heartbeat', 'frontal2'), exit: 2, firstLine: /^heartbeat +frontal2 +CRITICAL +peer frontal1 is dead/, tiers: ['netns'] },
      { label: 'ipvs frontal2 (took over the table)', ...checks.ipvs(F2), exit: 0, firstLine: /^LVS IPVS OK - (tcp:192\.168\.0\.3:80: )?2 of 2 real servers live/, within: 60, tiers: ['vm'] },
      {
        label: 'doctor: vip, frontal1 unreachable, frontal2 took over',
        ...doctorRows(['vip', 'frontal1+frontal2'], ['heartbeat', 'frontal1'], ['ipvs', 'frontal1'], ['heartbeat', 'frontal2'], ['ipvs', 'frontal2']),
        exit: 2,
        firstLine: /^vip frontal1\+frontal2 WARNING 192\.168\.0\.3 running on backup frontal2; frontal1 unreachable[^|]* \| heartbeat frontal1 CRITICAL [^|]+ \| ipvs frontal1 CRITICAL [^|]+ \| heartbeat frontal2 CRITICAL peer frontal1 is dead \| ipvs frontal2 OK (tcp:192\.168\.0\.3:80: )?2 of 2 real servers live$/,
        tiers: ['vm'],
      },
    ],
    heal: [
      { label: 'reboot frontal1 (auto_failback)', sh: 'reboot_host frontal1', timeout: 60 },
      FAILBACK_WAIT,
    ],
  },
  {
    name: 'split-brain',
    title: 'heartbeats dropped between the directors (nft udp/694): both take the VIP',
    tiers: ['netns', 'vm'],
    setup: [
      HEALTHY_WAIT,
      {
        label: 'drop udp/694 on both directors',
        sh: `for h in "\${DIRECTORS[@]}"; do in_host "$h" nft -f - <<<'table inet lvsha_split {
  chain input { type filter hook input priority 0; policy accept; udp dport 694 drop; }
}'; done`,
        timeout: 20,
      },
      { label: 'both directors hold the VIP', sh: `wait_until 60 0.1 holders_are frontal1 frontal2 || die "holders: [$(vip_holders)]"; ${CLIENT_NEIGH_FLUSH}`, timeout: 70 },
    ],
    expect: [
      { label: 'vip (with the ARP view)', ...checks.vip(ARP_VIEW), exit: 2, firstLine: /^LVS VIP CRITICAL - split brain: frontal1, frontal2 hold 192\.168\.0\.3/ },
      {
        label: 'arping from the client sees two MACs',
        host: 'client',
        cmd: `arping -b -c 3 -I eth0 ${VIP} | sed -n 's/.*\\[\\(.*\\)\\].*/\\1/p' | sort -u | tr '\\n' ' '; echo`,
        exit: 0,
        firstLine: /^02:1A:00:00:00:01 02:1A:00:00:00:02 $/i,
      },
      { label: 'heartbeat frontal1', ...checks.heartbeat(F1), exit: 2, firstLine: /^LVS HEARTBEAT CRITICAL - peer frontal2 is dead/ },
      { label: 'doctor: vip row', ...doctorRow('vip', 'frontal1+frontal2'), exit: 2, firstLine: /^vip +frontal1\+frontal2 +CRITICAL +split brain: frontal1, frontal2 hold 192\.168\.0\.3/, tiers: ['netns'] },      facesAgree(['netns']),
    ],
    heal: [
      { label: 'let heartbeats through again', sh: `for h in "\${DIRECTORS[@]}"; do in_host "$h" nft delete table inet lvsha_split 2>/dev/null || true; done`, timeout: 20 },
      // Heartbeat restarts itself on both directors after a partition: ~25 s without a holder.
      { ...FAILBACK_WAIT, sh: `wait_until 120 0.2 holders_are frontal1 || die "holders: [$(vip_holders)]"\n${FAILBACK_WAIT.sh}`, timeout: 320 },
      { label: 'record the new Heartbeat PIDs', sh: 'for h in "${DIRECTORS[@]}"; do echo "$(heartbeat_master "$h")" >"$PIDS/$h.heartbeat.pid"; done', timeout: 20 },
    ],
  },
  {
    name: 'real-server-down',
    title: "reel1's web server stops: ldirectord removes it from the IPVS table",
    tiers: ['vm'],
    setup: [HEALTHY_WAIT, { label: 'stop the HTTP server of reel1', sh: 'stop_pidfile reel1.httpd', timeout: 20 }],
    expect: [
      { label: 'ipvs frontal1', ...checks.ipvs(F1), exit: 1, firstLine: /^LVS IPVS WARNING - (tcp:192\.168\.0\.3:80: )?1 of 2 real servers live: 192\.168\.0\.4:80 removed from the table/, within: 60 },
      { label: 'traffic goes to reel2 only', host: 'lab', cmd: 'traffic 6', exit: 0, firstLine: /^traffic: 6 of 6 requests answered; \[reel2\]=6$/ },
      // The arp check also looks for a listener on the VIP: reel1 without its web server is CRITICAL there.
      {
        label: 'doctor: ipvs frontal1, arp reel1 and reel2 rows',
        ...doctorRows(['ipvs', 'frontal1'], ['arp', 'reel1'], ['arp', 'reel2']),
        exit: 2,
        firstLine: /^ipvs frontal1 WARNING (tcp:192\.168\.0\.3:80: )?1 of 2 real servers live: 192\.168\.0\.4:80 removed from the table[^|]* \| arp reel1 CRITICAL nothing on reel1 listens on 192\.168\.0\.3:80\/tcp \| arp reel2 OK reel2 holds 192\.168\.0\.3 on lo and does not answer ARP for it$/,
      },
    ],
    heal: [{ label: 'start the HTTP server of reel1', sh: 'start_httpd reel1', timeout: 20 }, HEALTHY_WAIT],
  },
  {
    name: 'all-real-servers-down',
    title: "both real servers' web servers stop: ldirectord puts the fallback (sorry server) in",
    tiers: ['vm'],
    setup: ALL_REALS_DOWN.setup,
    expect: [
      ...ALL_REALS_DOWN.expect,
      {
        label: 'doctor: ipvs and sorry rows of frontal1, arp rows',
        ...doctorRows(['ipvs', 'frontal1'], ['sorry', 'frontal1'], ['arp', 'reel1'], ['arp', 'reel2']),
        exit: 2,
        firstLine: /^ipvs frontal1 CRITICAL (tcp:192\.168\.0\.3:80: )?all real servers down, sorry server serving 192\.168\.0\.3:80 \| sorry frontal1 WARNING sorry server in service for 192\.168\.0\.3:80 since all real servers are down[^|]* \| arp reel1 CRITICAL nothing on reel1 listens on 192\.168\.0\.3:80\/tcp \| arp reel2 CRITICAL nothing on reel2 listens on 192\.168\.0\.3:80\/tcp$/,
      },
    ],
    heal: ALL_REALS_DOWN.heal,
  },
  {
    name: 'drained',
    title: 'reel2 drained by hand (ipvsadm -e ... -w 0): reported as drained, not failed',
    tiers: ['vm'],
    setup: [HEALTHY_WAIT, { label: 'weight 0 for reel2', sh: `in_host frontal1 ipvsadm -e -t ${VIP}:80 -r ${R2}:80 -g -w 0`, timeout: 20 }],
    expect: [
      { label: 'ipvs frontal1 --drained reel2', ...checks.ipvs(F1, `--drained ${R2}`), exit: 0, firstLine: /^LVS IPVS OK - (tcp:192\.168\.0\.3:80: )?1 of 2 real servers live/ },
      { label: 'ipvs frontal1 (not told)', ...checks.ipvs(F1), exit: 1, firstLine: /^LVS IPVS WARNING - (tcp:192\.168\.0\.3:80: )?1 of 2 real servers live: 192\.168\.0\.5:80 weight 0 \(by hand\?/ },
      // doctor is not told either: WARNING, and nothing worse anywhere (exit 1).
      { label: 'doctor: ipvs frontal1 row', ...doctorRows(['ipvs', 'frontal1']), exit: 1, firstLine: /^ipvs frontal1 WARNING (tcp:192\.168\.0\.3:80: )?1 of 2 real servers live: 192\.168\.0\.5:80 weight 0 \(by hand\?/ },
    ],
    heal: [{ label: 'weight 1 for reel2', sh: `in_host frontal1 ipvsadm -e -t ${VIP}:80 -r ${R2}:80 -g -w 1`, timeout: 20 }],
  },
  {
    name: 'sync-stopped',
    title: "frontal1's master sync daemon stopped",
    tiers: ['vm'],
    setup: [HEALTHY_WAIT, { label: 'ipvsadm --stop-daemon master on frontal1', sh: 'in_host frontal1 ipvsadm --stop-daemon master', timeout: 20 }],
    expect: [
      { label: 'sync frontal1', ...checks.sync(F1), exit: 2, firstLine: /^LVS SYNC CRITICAL - master sync daemon not running on / },
      { label: 'doctor: sync rows', ...doctorRows(['sync', 'frontal1'], ['sync', 'frontal2']), exit: 2, firstLine: /^sync frontal1 CRITICAL master sync daemon not running on 192\.168\.0\.1 \| sync frontal2 OK master and backup sync daemons \(syncid 1, eth0\)[^|]*$/ },
    ],
    heal: [{ label: 'start it again', sh: 'in_host frontal1 ipvsadm --start-daemon master --syncid=1 --mcast-interface eth0', timeout: 20 }],
  },
  {
    name: 'sync-working',
    title: "connections through the VIP reach frontal2's table as SYNC entries",
    tiers: ['vm'],
    setup: [HEALTHY_WAIT, { label: 'client traffic through the VIP', sh: 'traffic 20', timeout: 120 }],
    expect: [
      { label: 'sync frontal2 (backup side)', ...checks.sync(F2), exit: 0, firstLine: /^LVS SYNC OK - master and backup sync daemons \(syncid 1, eth0\), \d+ local, [1-9]\d* synced connections/, within: 20 },
      { label: 'SYNC rows on frontal2', host: 'frontal2', cmd: "grep -c ' SYNC ' /proc/net/ip_vs_conn_sync", exit: 0, firstLine: /^[1-9]\d*$/ },
      // Every row OK: doctor exits 0.
      {
        label: 'doctor: sync rows (synced connections on frontal2)',
        ...doctorRows(['sync', 'frontal1'], ['sync', 'frontal2']),
        exit: 0,
        firstLine: /^sync frontal1 OK master and backup sync daemons \(syncid 1, eth0\), \d+ local, \d+ synced connections \| sync frontal2 OK master and backup sync daemons \(syncid 1, eth0\), \d+ local, [1-9]\d* synced connections$/,
      },
    ],
    heal: [],
  },
  {
    name: 'arp-leak',
    title: 'reel2 with the default ARP sysctls (0/0): it answers ARP for the VIP',
    tiers: ['netns', 'vm'],
    setup: [HEALTHY_WAIT, { label: 'default ARP sysctls on reel2', sh: `set_arp_sysctls reel2 0 0 0 0; ${CLIENT_NEIGH_FLUSH}`, timeout: 20 }],
    expect: [
      { label: 'arp reel2', ...checks.arp(R2), exit: 2, firstLine: /^LVS ARP CRITICAL - reel2 answers ARP for 192\.168\.0\.3 on eth0 \(arp_ignore=0, arp_announce=0\); reel2 \(02:1a:00:00:00:05\) answered ARP/ },
      { label: 'vip (ARP view names reel2)', ...checks.vip(ARP_VIEW), exit: 2, firstLine: /^LVS VIP CRITICAL - .*MACs answer ARP for 192\.168\.0\.3: .*\(reel2\)/ },
      { label: 'arp reel1 still fine', ...checks.arp(R1), exit: 0, firstLine: /^LVS ARP OK/ },
      { label: 'doctor: arp reel2 row', ...doctorRow('arp', 'reel2'), exit: 2, firstLine: /^arp +reel2 +CRITICAL +reel2 answers ARP for 192\.168\.0\.3 on eth0/, tiers: ['netns'] },
    ],
    heal: [{ label: 'ARP sysctls back on reel2', sh: `set_arp_sysctls reel2 1 2 1 2; ${CLIENT_NEIGH_FLUSH}`, timeout: 20 }],
  },
  {
    name: 'vip-missing-on-lo',
    title: "the VIP is missing from reel1's lo",
    tiers: ['netns', 'vm'],
    setup: [HEALTHY_WAIT, { label: 'remove the VIP from reel1 lo', sh: `ip -n "$(ns reel1)" addr del ${VIP}/32 dev lo`, timeout: 20 }],
    expect: [
      { label: 'arp reel1', ...checks.arp(R1), exit: 2, firstLine: /^LVS ARP CRITICAL - reel1 lacks 192\.168\.0\.3 on lo/ },
      { label: 'doctor: arp reel1 row', ...doctorRow('arp', 'reel1'), exit: 2, firstLine: /^arp +reel1 +CRITICAL +reel1 lacks 192\.168\.0\.3 on lo/, tiers: ['netns'] },
    ],
    heal: [{ label: 'VIP back on reel1 lo', sh: `ip -n "$(ns reel1)" addr add ${VIP}/32 dev lo 2>/dev/null || true`, timeout: 20 }],
  },

  // ---------------------------------------------------------------- keepalived lab (VM tier)
  // `lvsha lab up --tier vm --ha keepalived`: keepalived's VRRP, its virtual_server block (the
  // IPVS table, TCP_CHECK checkers, sorry_server) and lvs_sync_daemon on real IPVS.
  {
    name: 'keepalived-healthy',
    title: 'keepalived: MASTER frontal1 / BACKUP frontal2, its IPVS table, lvs_sync_daemon master/backup, doctor OK',
    tiers: ['vm'],
    ha: 'keepalived',
    setup: [HEALTHY_WAIT],
    expect: [
      { label: 'keepalived frontal1', ...checks.keepalived(F1), exit: 0, firstLine: /^LVS KEEPALIVED OK - frontal1: VI_1 MASTER prio 150/ },
      { label: 'keepalived frontal2', ...checks.keepalived(F2), exit: 0, firstLine: /^LVS KEEPALIVED OK - frontal2: VI_1 BACKUP prio 100/ },
      { label: 'vip', ...checks.vip(), exit: 0, firstLine: /^LVS VIP OK - 192\.168\.0\.3 on frontal1 \(eth0:0\)/ },
      {
        label: "keepalived's IPVS table on frontal1 (ipvsadm -Ln: the service, both real servers)",
        host: 'frontal1',
        cmd: `ipvsadm -Ln -t ${VIP}:80 | awk '/^TCP/ { s = $2 " " $3 } /^  -> [0-9]/ { r = r " " $2 "/" $3 "/w" $4 } END { print s ":" r }'`,
        exit: 0,
        firstLine: /^192\.168\.0\.3:80 wlc: 192\.168\.0\.[45]:80\/Route\/w1 192\.168\.0\.[45]:80\/Route\/w1$/,
      },
      { label: 'lvs_sync_daemon master on frontal1', host: 'frontal1', cmd: 'ipvsadm -L --daemon', exit: 0, firstLine: /^master sync daemon \(mcast=eth0, syncid=1/ },
      { label: 'lvs_sync_daemon backup on frontal2', host: 'frontal2', cmd: 'ipvsadm -L --daemon', exit: 0, firstLine: /^backup sync daemon \(mcast=eth0, syncid=1/ },
      { label: 'ipvs frontal1', ...checks.ipvs(F1), exit: 0, firstLine: /^LVS IPVS OK - (tcp:192\.168\.0\.3:80: )?2 of 2 real servers live/, within: 30 },
      // keepalived loads its virtual_server table on the BACKUP too (ldirectord: on the holder only)
      { label: 'ipvs frontal2 (BACKUP: keepalived keeps the table loaded)', ...checks.ipvs(F2), exit: 0, firstLine: /^LVS IPVS OK - (tcp:192\.168\.0\.3:80: )?2 of 2 real servers live/ },
      { label: 'sync frontal1 (master: follow-role)', ...checks.sync(F1), exit: 0, firstLine: /^LVS SYNC OK - master sync daemon \(syncid 1, eth0\)/ },
      { label: 'sync frontal2 (backup: follow-role)', ...checks.sync(F2), exit: 0, firstLine: /^LVS SYNC OK - backup sync daemon \(syncid 1, eth0\)/ },
      { label: 'traffic through the VIP (DR; persistence: one real server per client)', host: 'lab', cmd: 'traffic 6', exit: 0, firstLine: /^traffic: 6 of 6 requests answered; \[reel[12]\]=6$/ },
      {
        label: 'doctor: keepalived, ipvs and sync rows of both directors (every row OK: exit 0)',
        ...doctorRows(['keepalived', 'frontal1'], ['ipvs', 'frontal1'], ['sync', 'frontal1'], ['keepalived', 'frontal2'], ['ipvs', 'frontal2'], ['sync', 'frontal2']),
        exit: 0,
        firstLine: /^keepalived frontal1 OK frontal1: VI_1 MASTER prio 150[^|]* \| ipvs frontal1 OK [^|]* \| sync frontal1 OK master sync daemon \(syncid 1, eth0\)[^|]* \| keepalived frontal2 OK frontal2: VI_1 BACKUP prio 100[^|]* \| ipvs frontal2 OK [^|]* \| sync frontal2 OK backup sync daemon \(syncid 1, eth0\)[^|]*$/,
      },
    ],
    heal: [],
  },
  {
    name: 'keepalived-real-server-down',
    title: "keepalived: reel1's web server stops, its TCP_CHECK removes it from the IPVS table; back: in again",
    tiers: ['vm'],
    ha: 'keepalived',
    setup: [HEALTHY_WAIT, { label: 'stop the HTTP server of reel1', sh: 'stop_pidfile reel1.httpd', timeout: 20 }],
    expect: [
      { label: 'ipvs frontal1', ...checks.ipvs(F1), exit: 1, firstLine: /^LVS IPVS WARNING - (tcp:192\.168\.0\.3:80: )?1 of 2 real servers live: 192\.168\.0\.4:80 removed from the table/, within: 60 },
      { label: 'traffic goes to reel2 only', host: 'lab', cmd: 'traffic 4', exit: 0, firstLine: /^traffic: 4 of 4 requests answered; \[reel2\]=4$/ },
    ],
    heal: [{ label: 'start the HTTP server of reel1', sh: 'start_httpd reel1', timeout: 20 }, HEALTHY_WAIT],
    // back: keepalived's checker puts it in again
    afterHeal: [{ label: 'ipvs frontal1 (reel1 back)', ...checks.ipvs(F1), exit: 0, firstLine: /^LVS IPVS OK - (tcp:192\.168\.0\.3:80: )?2 of 2 real servers live/, within: 60 }],
  },
  {
    name: 'keepalived-all-real-servers-down',
    title: "keepalived: both real servers' web servers stop, its sorry_server takes the service",
    tiers: ['vm'],
    ha: 'keepalived',
    setup: ALL_REALS_DOWN.setup,
    expect: [
      ...ALL_REALS_DOWN.withTable("keepalived's IPVS table on frontal1: the sorry server alone"),
      {
        label: 'doctor: ipvs and sorry rows of frontal1',
        ...doctorRows(['ipvs', 'frontal1'], ['sorry', 'frontal1']),
        exit: 2,
        firstLine: /^ipvs frontal1 CRITICAL (tcp:192\.168\.0\.3:80: )?all real servers down, sorry server serving 192\.168\.0\.3:80 \| sorry frontal1 WARNING sorry server in service for 192\.168\.0\.3:80 since all real servers are down[^|]*$/,
      },
    ],
    heal: ALL_REALS_DOWN.heal,
  },
  {
    name: 'keepalived-sync-working',
    title: "keepalived: connections through the VIP reach the BACKUP's table as SYNC entries (lvs_sync_daemon)",
    tiers: ['vm'],
    ha: 'keepalived',
    setup: [HEALTHY_WAIT, { label: 'client traffic through the VIP', sh: 'traffic 10', timeout: 120 }],
    expect: [
      { label: 'SYNC rows on frontal2', host: 'frontal2', cmd: "grep -c ' SYNC ' /proc/net/ip_vs_conn_sync", exit: 0, firstLine: /^[1-9]\d*$/, within: 20 },
      { label: 'sync frontal2 (backup side)', ...checks.sync(F2), exit: 0, firstLine: /^LVS SYNC OK - backup sync daemon.*[1-9]\d* synced connections/, within: 20 },
    ],
    heal: [],
  },
  {
    name: 'keepalived-director-crash',
    title: 'keepalived: the MASTER crashes (kill -9 of keepalived, switch port down): VIP and table on frontal2',
    tiers: ['vm'],
    ha: 'keepalived',
    setup: [
      HEALTHY_WAIT,
      { label: 'crash frontal1', sh: `mapfile -t p < <(ka_pidfile_pids frontal1); kill -KILL "\${p[@]}"; ip -n "$SW_NS" link set p-frontal1 down; date +%s%3N > "$STATE/crash.t0"`, timeout: 20 },
      {
        label: 'frontal2 takes the VIP',
        sh: `f2_holds() { [[ " $(vip_holders) " == *" frontal2 "* ]] && ka_state_is frontal2 Master; }
wait_until 60 0.1 f2_holds || die "holders: [$(vip_holders)], frontal2 $(ka_state frontal2)"
echo "VIP on frontal2 $(( $(now_ms) - $(cat "$STATE/crash.t0") )) ms after the crash" | tee "$STATE/crash.failover"`,
        timeout: 100,
      },
    ],
    expect: [
      // the failover time, into the report (.lab/e2e-vm.json); no bound asserted on it
      { label: 'failover time (fault -> frontal2 MASTER holding the VIP)', host: 'lab', cmd: 'cat "$STATE/crash.failover"', exit: 0, firstLine: /^VIP on frontal2 \d+ ms after the crash$/ },
      { label: 'keepalived frontal2', ...checks.keepalived(F2), exit: 1, firstLine: /^LVS KEEPALIVED WARNING - .*VI_1 (is )?MASTER/ },
      { label: 'ipvs frontal2 (holds the VIP and the table)', ...checks.ipvs(F2), exit: 0, firstLine: /^LVS IPVS OK - (tcp:192\.168\.0\.3:80: )?2 of 2 real servers live/, within: 60 },
      { label: 'traffic through the VIP (frontal2)', host: 'lab', cmd: `${CLIENT_NEIGH_FLUSH}; traffic 4`, exit: 0, firstLine: /^traffic: 4 of 4 requests answered; \[reel[12]\]=4$/ },
    ],
    heal: [
      { label: 'reboot frontal1 (keepalived preempts)', sh: 'reboot_host frontal1', timeout: 60 },
      FAILBACK_WAIT,
    ],
  },
  // --- Corosync + Pacemaker on real IPVS (VM tier; the namespace tier's Pacemaker scenarios are
  // test/e2e/pacemaker.test.ts): the group lvs = IPaddr2 vip, then ldirectord, which loads the
  // table on the node that holds the VIP only.
  {
    name: 'pacemaker-healthy',
    title: 'Pacemaker: group lvs on frontal1, ldirectord\'s IPVS table there, sync daemons, doctor all OK',
    tiers: ['vm'],
    ha: 'pacemaker',
    setup: [HEALTHY_WAIT],
    expect: [
      { label: 'pacemaker frontal1', ...checks.pacemaker(F1), exit: 0, firstLine: /^LVS PACEMAKER OK - lvs on frontal1, 2\/2 nodes online, quorum, DC frontal[12] / },
      { label: 'pacemaker frontal2', ...checks.pacemaker(F2), exit: 0, firstLine: /^LVS PACEMAKER OK - lvs on frontal1, 2\/2 nodes online, quorum, DC frontal[12] / },
      { label: 'vip', ...checks.vip(), exit: 0, firstLine: /^LVS VIP OK - 192\.168\.0\.3 on frontal1 / },
      {
        label: "ldirectord's IPVS table on frontal1 (ipvsadm -Ln: the service, both real servers)",
        host: 'frontal1',
        cmd: `ipvsadm -Ln -t ${VIP}:80 | awk '/^TCP/ { s = $2 " " $3 } /^  -> [0-9]/ { r = r " " $2 "/" $3 "/w" $4 } END { print s ":" r }'`,
        exit: 0,
        firstLine: /^192\.168\.0\.3:80 wlc: 192\.168\.0\.[45]:80\/Route\/w1 192\.168\.0\.[45]:80\/Route\/w1$/,
      },
      { label: 'no table on frontal2 (ldirectord runs with the VIP only)', host: 'frontal2', cmd: 'echo "services: $(ipvsadm -Ln | grep -c "^TCP")"', exit: 0, firstLine: /^services: 0$/ },
      // ipvs frontal2 (passive) and both sync daemons: doctor's rows below (each check costs 10-30 s under TCG)
      { label: 'ipvs frontal1', ...checks.ipvs(F1), exit: 0, firstLine: /^LVS IPVS OK - (tcp:192\.168\.0\.3:80: )?2 of 2 real servers live/, within: 30 },
      { label: 'traffic through the VIP (DR; persistence: one real server per client)', host: 'lab', cmd: 'traffic 6', exit: 0, firstLine: /^traffic: 6 of 6 requests answered; \[reel[12]\]=6$/ },
      { label: 'exporter scrape on frontal1', host: 'frontal1', cmd: 'lab/netns/scrape.sh', exit: 0, firstLine: /^probes ok: \S+; failed: none$/ },
      {
        label: 'doctor: pacemaker, ipvs and sync rows of both directors (every row of doctor OK: exit 0)',
        ...doctorRows(['pacemaker', 'frontal1'], ['ipvs', 'frontal1'], ['sync', 'frontal1'], ['pacemaker', 'frontal2'], ['ipvs', 'frontal2'], ['sync', 'frontal2']),
        exit: 0,
        firstLine: /^pacemaker frontal1 OK lvs on frontal1[^|]* \| ipvs frontal1 OK [^|]* \| sync frontal1 OK master and backup sync daemons[^|]* \| pacemaker frontal2 OK lvs on frontal1[^|]* \| ipvs frontal2 OK passive director[^|]* \| sync frontal2 OK master and backup sync daemons[^|]*$/,
      },
    ],
    heal: [],
  },
  {
    name: 'pacemaker-all-real-servers-down',
    title: "Pacemaker: both real servers' web servers stop, ldirectord puts the fallback (sorry server) in; the cluster itself stays OK",
    tiers: ['vm'],
    ha: 'pacemaker',
    setup: ALL_REALS_DOWN.setup,
    expect: [
      ...ALL_REALS_DOWN.withTable("ldirectord's IPVS table on frontal1: the fallback alone"),
      // the real servers are the service's problem, not the cluster's: no resource failed
      { label: 'pacemaker frontal1 (the cluster is fine)', ...checks.pacemaker(F1), exit: 0, firstLine: /^LVS PACEMAKER OK - lvs on frontal1, 2\/2 nodes online/ },
      {
        label: 'doctor: ipvs and sorry rows of frontal1, pacemaker row',
        ...doctorRows(['pacemaker', 'frontal1'], ['ipvs', 'frontal1'], ['sorry', 'frontal1']),
        exit: 2,
        firstLine: /^pacemaker frontal1 OK lvs on frontal1[^|]* \| ipvs frontal1 CRITICAL (tcp:192\.168\.0\.3:80: )?all real servers down, sorry server serving 192\.168\.0\.3:80 \| sorry frontal1 WARNING sorry server in service for 192\.168\.0\.3:80 since all real servers are down[^|]*$/,
      },
    ],
    heal: ALL_REALS_DOWN.heal,
  },
  {
    name: 'pacemaker-director-crash',
    title: 'Pacemaker: frontal1 crashes (kill -9 of corosync and Pacemaker, port down): the group and the IPVS table move to frontal2',
    tiers: ['vm'],
    ha: 'pacemaker',
    // bounds: under TCG with other work on the machine, a crash step (finding a dozen host-side
    // PIDs) took over 30 s and a node start over 60 s; ldirectord's start, minutes
    setup: [
      HEALTHY_WAIT,
      { label: 'crash frontal1', sh: 'bash lab/netns/pacemaker.sh crash frontal1 | tee "$STATE/crash.line"', timeout: 120 },
      {
        label: 'the VIP answers through frontal2, the group Started there',
        sh: `at=$(sed -nE 's/.* \\(at ([0-9]+)\\)$/\\1/p' "$STATE/crash.line")
${CLIENT_NEIGH_FLUSH}
bash lab/netns/pacemaker.sh wait-group frontal2 400 "$at" | tee "$STATE/crash.failover"`,
        timeout: 450,
      },
    ],
    expect: [
      // the failover time, into the report (.lab/e2e-vm.json); no bound asserted on it
      { label: 'failover time (fault -> the VIP answers through frontal2)', host: 'lab', cmd: 'cat "$STATE/crash.failover"', exit: 0, firstLine: /^wait-group frontal2: VIP answers from frontal2 in \d+ ms / },
      { label: 'pacemaker frontal2', ...checks.pacemaker(F2), exit: 1, firstLine: /^LVS PACEMAKER WARNING - frontal1 OFFLINE: no failover target / },
      { label: 'ipvs frontal2 (the table followed the VIP)', ...checks.ipvs(F2), exit: 0, firstLine: /^LVS IPVS OK - (tcp:192\.168\.0\.3:80: )?2 of 2 real servers live/, within: 60 },
      { label: 'traffic through the VIP (frontal2)', host: 'lab', cmd: 'traffic 4', exit: 0, firstLine: /^traffic: 4 of 4 requests answered; \[reel[12]\]=4$/ },
      {
        label: 'doctor: pacemaker and ipvs rows of frontal2',
        ...doctorRows(['pacemaker', 'frontal2'], ['ipvs', 'frontal2']),
        exit: 2,
        firstLine: /^pacemaker frontal2 WARNING frontal1 OFFLINE: no failover target[^|]* \| ipvs frontal2 OK (tcp:192\.168\.0\.3:80: )?2 of 2 real servers live[^|]*$/,
      },
    ],
    heal: [
      { label: 'frontal1 boots again (corosync + pacemakerd)', sh: 'bash lab/netns/pacemaker.sh start frontal1', timeout: 300 },
      // stickiness 0 (auto_failback): the group goes back to the preferred node
      { label: 'the group back on frontal1', sh: `${CLIENT_NEIGH_FLUSH}; bash lab/netns/pacemaker.sh wait-group frontal1 400`, timeout: 450 },
      FAILBACK_WAIT,
    ],
  },
];

/** The HA layer a scenario is written for. */
export function scenarioHa(sc: Scenario): LabHa {
  return sc.ha ?? 'heartbeat';
}

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}

// ----------------------------------------------------------------------------- running

export interface ExpectationOutcome {
  expectation: Expectation;
  pass: boolean;
  rc: number;
  firstLine: string;
  output: string;
  stderr: string;
  tries: number;
  seconds: number;
}

export interface ScenarioOutcome {
  scenario: string;
  tier: TierName;
  pass: boolean;
  /** Setup or heal failures, in order. */
  errors: string[];
  results: ExpectationOutcome[];
  seconds: number;
}

export interface RunHooks {
  /** Called around each step and expectation (progress display, logs). */
  step?<T>(label: string, fn: (waiting: (w: string) => void) => Promise<T>): Promise<T>;
  /** Each expectation's outcome once known. */
  result?(o: ExpectationOutcome): void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function runStep(tier: LabTier, s: Step, hooks: RunHooks): Promise<ExecResult> {
  const go = async () => {
    const r = await tier.exec(`set -o pipefail\n${s.sh}`, [], s.timeout);
    if (r.rc !== 0) throw new Error(`${s.label}: rc ${r.rc}${r.timedOut ? ' (timed out)' : ''}: ${(r.stderr.trim() || r.stdout.trim()).split('\n').slice(-4).join(' / ')}`);
    return r;
  };
  return hooks.step ? hooks.step(s.label, go) : go();
}

/** Runs one expectation (retrying up to `within` seconds) and reports what it saw. */
export async function runExpectation(tier: LabTier, e: Expectation): Promise<ExpectationOutcome> {
  const t0 = Date.now();
  const deadline = t0 + (e.within ?? 0) * 1000;
  let tries = 0;
  for (;;) {
    tries++;
    const r = e.host === 'lab' ? await tier.exec(e.cmd, [], 90) : await tier.exec('in_host "$1" bash -c \'cd "$0" || exit 97; eval "$1"\' "$PWD" "$2"', [e.host, e.cmd], 120);
    const firstLine = r.stdout.split('\n')[0] ?? '';
    const pass = r.rc === e.exit && e.firstLine.test(firstLine);
    if (pass || Date.now() >= deadline || tries >= 60) {
      return { expectation: e, pass, rc: r.rc, firstLine, output: r.stdout, stderr: r.stderr, tries, seconds: (Date.now() - t0) / 1000 };
    }
    await sleep(2000);
  }
}

async function runExpectations(tier: LabTier, list: Expectation[], out: ScenarioOutcome, hooks: RunHooks): Promise<void> {
  for (const e of list.filter((x) => !x.tiers || x.tiers.includes(tier.name))) {
    const go = async (waiting: (w: string) => void) => {
      if (e.within) waiting(`up to ${e.within} s for the state to settle`);
      return runExpectation(tier, e);
    };
    const r = hooks.step ? await hooks.step(`check: ${e.label}`, go) : await go(() => undefined);
    out.results.push(r);
    hooks.result?.(r);
  }
}

/** Setup, expectations, heal (always), then the after-heal expectations when heal succeeded. */
export async function runScenario(tier: LabTier, sc: Scenario, hooks: RunHooks = {}): Promise<ScenarioOutcome> {
  const t0 = Date.now();
  const out: ScenarioOutcome = { scenario: sc.name, tier: tier.name, pass: false, errors: [], results: [], seconds: 0 };
  if (!sc.tiers.includes(tier.name)) {
    out.errors.push(`scenario ${sc.name} needs the ${sc.tiers.join(' or ')} tier (the lab is on the ${tier.name} tier)`);
    return out;
  }
  if (scenarioHa(sc) !== tier.ha) {
    out.errors.push(`scenario ${sc.name} is for a lab with ${scenarioHa(sc)} (the lab is up with ${tier.ha}: lvsha lab up --ha ${scenarioHa(sc)})`);
    return out;
  }
  try {
    for (const s of sc.setup) await runStep(tier, s, hooks);
    await runExpectations(tier, sc.expect, out, hooks);
  } catch (e) {
    out.errors.push((e as Error).message);
  } finally {
    let healed = true;
    for (const s of sc.heal) {
      try {
        await runStep(tier, s, hooks);
      } catch (e) {
        out.errors.push(`heal: ${(e as Error).message}`);
        healed = false;
        break;
      }
    }
    if (healed && out.errors.length === 0) await runExpectations(tier, sc.afterHeal ?? [], out, hooks);
  }
  out.pass = out.errors.length === 0 && out.results.length > 0 && out.results.every((r) => r.pass);
  out.seconds = (Date.now() - t0) / 1000;
  return out;
}

/** Human report of one expectation. */
export function formatOutcome(o: ExpectationOutcome): string {
  const e = o.expectation;
  const head = `${o.pass ? 'PASS' : 'FAIL'} ${e.label} [${e.host}: ${e.cmd}] rc ${o.rc} (want ${e.exit}), ${o.seconds.toFixed(1)} s${o.tries > 1 ? `, ${o.tries} tries` : ''}`;
  const body = o.output.trimEnd().split('\n').slice(0, 12).map((l) => `    ${l}`);
  if (!o.pass) body.push(`    want first line: ${e.firstLine}`);
  if (!o.pass && o.stderr.trim()) body.push(...o.stderr.trim().split('\n').slice(-4).map((l) => `    stderr: ${l}`));
  return [head, ...body].join('\n');
}
