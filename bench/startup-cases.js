// The replayed inputs for bench/startup.js (and test/shipping): each check runs on captured
// real output (test/fixtures/real), through --root trees and program-path overrides, with a
// deployment whose directors and real servers are on loopback: nothing leaves this machine
// (no SSH, no traffic to the reference deployment's 192.168.0.x).
//
// cases(binDir) → { setup(), teardown(), list, dir }; each case: { name, bin, args, env, floor
// (the same I/O for bench/lib/floor.js: programs the check runs, trees it reads, URL it asks),
// code (expected exit status), first (RegExp for the first line of output) }.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const REAL = path.join(ROOT, 'test', 'fixtures', 'real');
const SYNTHETIC = path.join(ROOT, 'test', 'fixtures', 'synthetic');

/** The reference deployment with every host on loopback (VIP and services unchanged: they are data). */
const LOOPBACK_DEPLOYMENT = {
  name: 'bench-loopback',
  directors: [{ name: 'frontal1', address: '127.0.0.1', interface: 'eth0' }],
  vips: [{ address: '192.168.0.3', prefix: 24, label: 'eth0:0' }],
  services: [
    {
      name: 'www',
      protocol: 'tcp',
      address: '192.168.0.3',
      port: 80,
      scheduler: 'wlc',
      persistent: 3600,
      realServers: [
        { name: 'reel1', address: '192.168.0.4', port: 80, weight: 1, forwarding: 'gate' },
        { name: 'reel2', address: '192.168.0.5', port: 80, weight: 1, forwarding: 'gate' },
      ],
      fallback: { address: '127.0.0.1', port: 80 },
      quiescent: false,
      checktype: 'connect',
    },
  ],
  // Loopback addresses: the replayed reel2 `ip -j addr` holds 127.0.0.1 on lo, so it is reel2.
  realHosts: [
    { name: 'reel2', address: '127.0.0.1', interface: 'eth0' },
    { name: 'reel1', address: '127.0.0.2', interface: 'eth0' },
  ],
  heartbeat: { keepalive: 2, warntime: 6, deadtime: 10, initdead: 60, udpport: 694, autoFailback: true, preferred: 'frontal1', media: 'ucast', auth: 'sha1', pingNodes: [] },
  sync: { syncid: 1, interface: 'eth0', mode: 'follow-role' },
  sorry: { url: 'http://127.0.0.1:80/' },
};

const q = (s) => `'${s.replace(/'/g, `'\\''`)}'`;
function script(file, lines) {
  fs.writeFileSync(file, ['#!/bin/sh', ...lines].join('\n') + '\n', { mode: 0o755 });
  return file;
}
// Replays are one process per call, like the real program: /bin/sh with the captured bytes in
// the script (printf is a shell builtin), no cat/sed children. A replay that forked 3-4
// programs per call made the bench measure the replay (heartbeat ran cl_status 13 times; 4 now).
/** Shell lines printing a text byte for byte on fd 1 or 2 (captures are text: no NUL). */
function emit(text, fd = 1) {
  if (text.includes('\0')) throw new Error('replay: NUL byte in a capture');
  return text === '' ? [] : [`printf '%s' ${q(text)}${fd === 2 ? ' >&2' : ''}`];
}
const readIf = (f) => (fs.existsSync(f) ? fs.readFileSync(f, 'latin1') : '');
/** Lines replaying one capture (`<abs>.stdout/.stderr/.rc`): its output, then its exit status. */
function emitCapture(abs) {
  const rc = readIf(`${abs}.rc`).trim() || '0';
  if (!/^\d+$/.test(rc)) throw new Error(`replay: ${abs}.rc is not an exit status`);
  return [...emit(readIf(`${abs}.stdout`)), ...emit(readIf(`${abs}.stderr`), 2), `exit ${rc}`];
}
/** A replay of one capture (`<rel>.stdout/.stderr/.rc` under test/fixtures/real), whatever the arguments. */
const replayCapture = (file, rel) => script(file, emitCapture(path.join(REAL, rel)));
/** A replay that prints a captured text file for any arguments (ipvs captures: plain .txt). */
const replayText = (file, abs) => script(file, emit(fs.readFileSync(abs, 'latin1')));
/** cl_status replay: `nodestatus frontal2` → <dir>/nodestatus-frontal2.{stdout,stderr,rc} (see test/probes/replay.ts). */
const replayClStatus = (file, rel) => {
  const d = path.join(REAL, rel);
  const names = fs.readdirSync(d).filter((f) => f.endsWith('.stdout')).map((f) => f.slice(0, -'.stdout'.length)).sort();
  return script(file, [
    'c=$1',
    // `hbparameter -p deadtime` → hbparameter-deadtime; `hbstatus -v` → hbstatus-v; other words joined with '-'.
    'if [ "$1 $2" = "hbparameter -p" ]; then shift 2; set -- "hbparameter-$1"; fi',
    'n=; for w in "$@"; do n="${n:+$n-}${w#-}"; done',
    'case "$n" in',
    ...names.map((n) => `${q(n)}) ${emitCapture(path.join(d, n)).join('; ')};;`),
    'esac',
    'echo "cl_status: $c: invalid sub-command." >&2',
    'exit 11',
  ]);
};
const copy = (from, to) => {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.copyFileSync(from, to);
};
const sleepMs = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

// The sorry server: its own process, since the bench blocks in spawnSync while a check runs.
const SORRY_SERVER = `
const http = require('node:http');
const page = '<html><body><h1>Maintenance</h1><p>The service is being maintained.</p></body></html>\\n';
const s = http.createServer((req, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end(page); });
s.listen(0, '127.0.0.1', () => require('node:fs').writeFileSync(process.argv[1], String(s.address().port)));
setTimeout(() => process.exit(0), 30 * 60 * 1000).unref();
process.on('SIGTERM', () => process.exit(0));
`;

exports.LOOPBACK_DEPLOYMENT = LOOPBACK_DEPLOYMENT;

exports.cases = (binDir) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lvsha-bench-'));
  const j = (...p) => path.join(dir, ...p);
  let server;
  const env = { LVSHA_CONFIG: j('deployment.json') };
  const bin = (n) => path.join(binDir, `check_lvs_${n}`);
  const list = [
    {
      name: 'check_lvs_vip',
      bin: bin('vip'),
      args: ['--ip', j('vip-ip')],
      floor: { spawn: [[j('vip-ip'), '-j', 'addr']] },
      code: 0,
      first: /^LVS VIP OK - 192\.168\.0\.3 on frontal1 \(eth0:0\) \| holders=1;;;0 time=[\d.]+s;;;0$/,
    },
    {
      name: 'check_lvs_heartbeat',
      bin: bin('heartbeat'),
      args: ['--cl-status', j('cl_status'), '--node', 'frontal1'],
      floor: { spawn: [['hbstatus', '-v'], ['hbparameter', '-p', 'keepalive'], ['hbparameter', '-p', 'warntime'], ['hbparameter', '-p', 'deadtime']].map((a) => [j('cl_status'), ...a]) },
      code: 0,
      first: /^LVS HEARTBEAT OK - frontal1: peer frontal2 active, 1\/1 links up \| links_up=1;;;0;1 links_total=1;;;0 /,
    },
    {
      name: 'check_lvs_ipvs',
      bin: bin('ipvs'),
      args: ['--root', j('ipvs-root'), '--hz', '250'],
      floor: { trees: [j('ipvs-root')] },
      code: 0,
      first: /^LVS IPVS OK - tcp:192\.168\.0\.3:80: 2 of 2 real servers live \| /,
    },
    {
      name: 'check_lvs_sync',
      bin: bin('sync'),
      args: ['--root', j('sync-root'), '--ipvsadm', j('sync-ipvsadm'), '--ip', j('sync-ip'), '-H', 'localhost'],
      floor: { spawn: [[j('sync-ipvsadm'), '-L', '--daemon'], [j('sync-ip'), '-j', 'addr']], trees: [j('sync-root')] },
      code: 0,
      first: /^LVS SYNC OK - master sync daemon \(syncid 1, eth0\), 12 local, 0 synced connections \| conns_local=12;;;0 conns_sync=0;;;0$/,
    },
    {
      name: 'check_lvs_arp',
      bin: bin('arp'),
      args: ['--root', j('arp-root'), '--ip', j('arp-ip'), '--ss', j('arp-ss')],
      floor: { spawn: [[j('arp-ip'), '-j', 'addr'], [j('arp-ss'), '-ltnH']], trees: [j('arp-root')] },
      code: 0,
      first: /^LVS ARP OK - reel2 holds 192\.168\.0\.3 on lo and does not answer ARP for it \| listen_tcp_80=1;;;0;1 arp_ignore_eth0=1;;;0 arp_announce_eth0=2;;;0 /,
    },
    {
      name: 'check_lvs_sorry',
      bin: bin('sorry'),
      args: ['-u', 'http://127.0.0.1:PORT/', '--no-engaged', '-s', 'Maintenance'],
      code: 0,
      first: /^LVS SORRY OK - /,
    },
  ].map((c) => ({ ...c, env }));

  function setup() {
    fs.writeFileSync(j('deployment.json'), JSON.stringify(LOOPBACK_DEPLOYMENT, null, 1));
    // vip: the active director's real `ip -j addr` (healthy scenario).
    replayCapture(j('vip-ip'), 'ip/healthy/frontal1/addr');
    // heartbeat: cl_status on frontal1, healthy scenario.
    replayClStatus(j('cl_status'), 'heartbeat/healthy/frontal1');
    // ipvs: /proc/net/ip_vs{,_stats} of the reference state (real kernel IPVS, lab VM).
    copy(path.join(REAL, 'ipvs', 'reference', 'proc-net-ip_vs.txt'), j('ipvs-root', 'proc', 'net', 'ip_vs'));
    copy(path.join(REAL, 'ipvs', 'reference', 'proc-net-ip_vs_stats.txt'), j('ipvs-root', 'proc', 'net', 'ip_vs_stats'));
    // sync: the master's connection table, `ipvsadm -L --daemon` with the master daemon, frontal1's addresses.
    copy(path.join(REAL, 'ipvs', 'sync-master', 'proc-net-ip_vs_conn_sync.txt'), j('sync-root', 'proc', 'net', 'ip_vs_conn_sync'));
    replayText(j('sync-ipvsadm'), path.join(REAL, 'ipvs', 'sync-daemon', 'ipvsadm-L-daemon.master.txt'));
    replayCapture(j('sync-ip'), 'ip/healthy/frontal1/addr');
    // arp: reel2's real sysctl tree (1/2 on all and lo), its addresses and listeners; a boot sysctl file.
    fs.cpSync(path.join(REAL, 'sysctl', 'correct'), j('arp-root'), { recursive: true });
    copy(path.join(SYNTHETIC, 'sysctl', 'lvs-dr.conf'), j('arp-root', 'etc', 'sysctl.d', '90-lvs-dr.conf'));
    replayCapture(j('arp-ip'), 'ip/healthy/reel2/addr');
    const ss = path.join(REAL, 'ss', 'listening-any', 'reel2');
    script(j('arp-ss'), ['case "$*" in', `*-u*) ${emitCapture(path.join(ss, 'lun')).join('; ')};;`, `*) ${emitCapture(path.join(ss, 'ltn')).join('; ')};;`, 'esac']);
    // sorry: a tiny HTTP server on 127.0.0.1 (an ephemeral port), in its own process.
    const portFile = j('sorry-port');
    server = spawn(process.execPath, ['-e', SORRY_SERVER, portFile], { stdio: 'ignore' });
    const readPort = () => (fs.existsSync(portFile) ? fs.readFileSync(portFile, 'utf8').trim() : '');
    for (let i = 0; i < 250 && !/^\d+$/.test(readPort()); i++) sleepMs(20);
    const port = readPort();
    if (!/^\d+$/.test(port)) throw new Error('the sorry server did not start within 5 s');
    const sorry = list.find((c) => c.name === 'check_lvs_sorry');
    sorry.args = sorry.args.map((a) => a.replace('PORT', port));
    sorry.floor = { url: `http://127.0.0.1:${port}/` };
  }

  function teardown() {
    if (server && server.exitCode === null) server.kill('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return { setup, teardown, list, dir };
};
