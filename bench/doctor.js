#!/usr/bin/env node
// `lvsha doctor` wall time against its slowest single row, in the same run (run `npx tsc`
// first; `node bench/doctor.js`). A loopback site: one real sshd listening on 127.0.0.2..5
// (frontal1, frontal2, reel1, reel2 of a test deployment), the sorry page on 127.0.0.1; the
// checks run this machine's programs over SSH, as test/doctor/command.test.ts does. The VIP is
// a documentation address (192.0.2.3): no packet is sent to it (no --arp-from).
//   wall: the doctor process from spawn to exit (node start, config, SSH handshakes, rows);
//   slowest row: the largest `seconds` of its --json rows; sum of rows: what rows one after
//   the other would take; rows phase: doctor's own rowsSeconds (first row's start to the last
//   row's end, without start-up and handshakes). Goal: wall ≤ 1.3× the slowest row (rows in
//   parallel, bounded).
// Options: --runs N (7) --dist DIR (compiled tree, default ./dist) -t S (doctor's -t, 10)
'use strict';
const { spawn } = require('node:child_process');
const { mkdtempSync, rmSync, writeFileSync } = require('node:fs');
const http = require('node:http');
const { tmpdir } = require('node:os');
const path = require('node:path');
const { startSshd } = require('./lib/sshd');

const argv = process.argv.slice(2);
const opt = (name, def) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : def;
};
const RUNS = Number(opt('--runs', 7));
const DIST = path.resolve(opt('--dist', path.join(__dirname, '..', 'dist')));
const T = String(opt('-t', '10'));
const HOSTS = { frontal1: '127.0.0.2', frontal2: '127.0.0.3', reel1: '127.0.0.4', reel2: '127.0.0.5' };

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const range = (xs) => `median ${median(xs).toFixed(2)} (min ${Math.min(...xs).toFixed(2)}, max ${Math.max(...xs).toFixed(2)})`;

function doctor(args) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const env = { ...process.env };
    for (const k of ['NO_COLOR', 'LVSHA_CONFIG', 'LVSHA_SSH_USER', 'LVSHA_SSH_KEY', 'LVSHA_KNOWN_HOSTS', 'LVSHA_SSH_PORT']) delete env[k];
    const c = spawn(process.execPath, ['-e', `require(${JSON.stringify(path.join(DIST, 'cli'))}).main()`, 'lvsha', 'doctor', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    let err = '';
    c.stdout.on('data', (b) => (out += b));
    c.stderr.on('data', (b) => (err += b));
    const guard = setTimeout(() => process.kill(c.pid, 'SIGKILL'), 120000);
    c.on('close', (code) => {
      clearTimeout(guard);
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      try {
        resolve({ wall, code, json: JSON.parse(out) });
      } catch {
        reject(new Error(`doctor exited ${code}, no JSON:\n${out}\n${err}`));
      }
    });
  });
}

(async () => {
  if (process.getuid?.() !== 0) throw new Error('needs root (sshd on loopback addresses, root login with a key)');
  const sshd = await startSshd(Object.values(HOSTS));
  const page = '<html><body>maintenance</body></html>\n';
  const server = http.createServer((_q, r) => r.writeHead(200, { 'content-type': 'text/html' }).end(page));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const dir = mkdtempSync(path.join(tmpdir(), 'lvsha-bench-doctor-'));
  try {
    const cfg = path.join(dir, 'deployment.yaml');
    writeFileSync(
      cfg,
      `name: loopback
directors:
  - { name: frontal1, address: ${HOSTS.frontal1}, interface: eth0 }
  - { name: frontal2, address: ${HOSTS.frontal2}, interface: eth0 }
vips: [{ address: 192.0.2.3, prefix: 24, label: 'eth0:0' }]
services:
  - name: www
    protocol: tcp
    address: 192.0.2.3
    port: 80
    persistent: 3600
    realServers:
      - { name: reel1, address: ${HOSTS.reel1}, port: 80 }
      - { name: reel2, address: ${HOSTS.reel2}, port: 80 }
realHosts:
  - { name: reel1, address: ${HOSTS.reel1}, interface: eth0 }
  - { name: reel2, address: ${HOSTS.reel2}, interface: eth0 }
heartbeat: { preferred: frontal1 }
sorry: { url: 'http://127.0.0.1:${server.address().port}/' }
`,
    );
    const args = ['--config', cfg, '--json', '-t', T, '--ssh-user', 'root', '--ssh-port', String(sshd.port), '--ssh-key', sshd.userKey, '--known-hosts', sshd.knownHosts];
    console.log(`node ${process.version}, dist ${DIST}; lvsha doctor -t ${T} on a loopback site (sshd on ${Object.values(HOSTS).join(', ')}), ${RUNS} runs`);
    const walls = [];
    const slowest = [];
    const sums = [];
    const ratios = [];
    const phases = [];
    let last;
    await doctor(args); // warm-up: the page cache, sshd's first forks
    for (let i = 0; i < RUNS; i++) {
      const r = await doctor(args);
      const secs = r.json.results.map((x) => x.seconds);
      const max = Math.max(...secs);
      walls.push(r.wall);
      slowest.push(max);
      sums.push(secs.reduce((a, b) => a + b, 0));
      ratios.push(r.wall / max);
      phases.push(r.json.rowsSeconds / max);
      last = r.json.results;
    }
    console.log(`rows: ${last.length}; last run: ${last.map((x) => `${x.check}@${x.host} ${x.state} ${x.seconds.toFixed(2)} s`).join(', ')}`);
    console.log(`doctor wall (process, spawn to exit): ${range(walls)} s`);
    console.log(`slowest row: ${range(slowest)} s; sum of rows (one after the other): ${range(sums)} s`);
    console.log(`ratio wall / slowest row, per run: ${range(ratios)} (goal ≤ 1.3); sum of rows / wall: ${(median(sums) / median(walls)).toFixed(2)}×`);
    console.log(`ratio rows phase (doctor's rowsSeconds: first row start to last row end) / slowest row, per run: ${range(phases)}`);
  } finally {
    // Sorry-page fetches come through sshd's forwarded channels, kept alive: cut them.
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await sshd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
})().catch((e) => {
  console.error(e.stack || String(e));
  process.exitCode = 1;
});
