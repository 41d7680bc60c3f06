#!/usr/bin/env node
// Soak: `lvsha exporter` (the compiled CLI, bin/lvsha over dist/: run `npx tsc` first) under
// 100 concurrent clients for 60 s, loopback only, with a hung host and hostile headers in the
// mix (issue 13). Prints:
//   - failed scrapes of healthy targets (goal 0): /metrics, /probe?module=sorry on a healthy
//     page, /probe?module=realserver&target=localhost; a failure is a transport error, a
//     status other than 200, or a healthy probe reported lvsha_probe_success 0;
//   - the exporter's RSS after warm-up vs at the end (ratio; goal: within 10 %);
//   - child processes of the exporter left once the load stops (after the longest deadline),
//     and processes of the run left after the exporter stopped (goal 0 and 0).
// The mix (per 100 clients): 40 /metrics as Prometheus (timeout header 10), 10 /metrics with a
// hostile header (100000, 1e400, junk: clamped or ignored, the scrape is still healthy), 20
// /probe sorry on a healthy loopback page, 10 /probe realserver on this host, 10 /probe
// director over SSH to a hung host (a loopback listener that accepts TCP and never speaks),
// 10 /probe sorry on that hung host. Failures of the hung targets are expected and not counted.
// Options: --seconds N (60) --clients N (100) --dist DIR (compiled tree, default ./dist).
'use strict';
const { execFileSync, spawn } = require('node:child_process');
const { chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const { tmpdir } = require('node:os');
const path = require('node:path');

const argv = process.argv.slice(2);
const opt = (name, def) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : def;
};
const SECONDS = Math.min(3600, Math.max(5, Number(opt('seconds', 60))));
const CLIENTS = Math.min(1000, Math.max(10, Number(opt('clients', 100))));
const REPO = path.join(__dirname, '..');
const REAL = path.join(REPO, 'test', 'fixtures', 'real');
const DIST = path.resolve(opt('dist', path.join(REPO, 'dist')));
const HUNG = '127.0.0.9';
const TAG = `lvsha-soak-${process.pid}-${Date.now()}`;
const q = (s) => `'${s.replace(/'/g, `'\\''`)}'`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A replay of captured program output (test/fixtures/real/<dir>/<name>.{stdout,stderr,rc}), the capture named from the arguments. */
function replay(file, dir, nameOf) {
  writeFileSync(
    file,
    [
      '#!/bin/sh',
      `n=$(printf '%s' "$*" | sed ${q(nameOf)})`,
      `f=${q(dir)}/"$n"`,
      '[ -f "$f.stdout" ] || { echo "replay: no capture for $*" >&2; exit 13; }',
      'cat "$f.stdout"; [ -f "$f.stderr" ] && cat "$f.stderr" >&2',
      'exit "$(cat "$f.rc")"',
      '',
    ].join('\n'),
  );
  chmodSync(file, 0o755);
  return file;
}

function setup(dir) {
  const root = path.join(dir, 'root');
  mkdirSync(path.join(root, 'proc', 'net'), { recursive: true });
  const ipvs = path.join(REAL, 'ipvs', 'reference');
  for (const f of ['ip_vs', 'ip_vs_stats', 'ip_vs_conn', 'ip_vs_conn_sync']) cpSync(path.join(ipvs, `proc-net-${f}.txt`), path.join(root, 'proc', 'net', f));
  cpSync(path.join(REAL, 'sysctl', 'correct', 'proc', 'sys'), path.join(root, 'proc', 'sys'), { recursive: true });
  const ipvsadm = path.join(dir, 'ipvsadm');
  writeFileSync(ipvsadm, `#!/bin/sh\ncase "$*" in\n  '-L --daemon') exec cat ${q(path.join(REAL, 'ipvs', 'sync-daemon', 'ipvsadm-L-daemon.both.txt'))} ;;\n  *) echo "replay: no capture for ipvsadm $*" >&2; exit 13 ;;\nesac\n`);
  chmodSync(ipvsadm, 0o755);
  // Each program's captures in one directory, by the name the lab gave them.
  const ipDir = path.join(dir, 'ip.captures');
  mkdirSync(ipDir);
  for (const ext of ['stdout', 'stderr', 'rc']) cpSync(path.join(REAL, 'ip', 'healthy', 'frontal1', `addr.${ext}`), path.join(ipDir, `-j-addr.${ext}`));
  const ssDir = path.join(dir, 'ss.captures');
  mkdirSync(ssDir);
  for (const ext of ['stdout', 'stderr', 'rc']) cpSync(path.join(REAL, 'ss', 'listening-any', 'reel1', `ltn.${ext}`), path.join(ssDir, `-ltnH.${ext}`));
  return {
    root,
    programs: {
      ipvsadm,
      'cl-status': replay(path.join(dir, 'cl_status'), path.join(REAL, 'heartbeat', 'healthy', 'frontal1'), 's/^hbparameter -p /hbparameter-/; s/ -\\([a-z]\\)/-\\1/g; s/ /-/g'),
      ip: replay(path.join(dir, 'ip'), ipDir, 's/ /-/g'),
      ss: replay(path.join(dir, 'ss'), ssDir, 's/ /-/g'),
    },
  };
}

function listen(server, host) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve(server.address().port));
  });
}

/** VmRSS of a process, in KiB. */
function rssKiB(pid) {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

/** Processes whose parent chain reaches `pid`. */
function descendants(pid) {
  const parent = new Map();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const st = readFileSync(`/proc/${e}/stat`, 'utf8');
      parent.set(Number(e), Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      /* gone */
    }
  }
  const out = [];
  for (const p of parent.keys()) {
    let x = parent.get(p);
    for (let i = 0; i < 64 && x && x !== 1; i++) {
      if (x === pid) {
        out.push(p);
        break;
      }
      x = parent.get(x);
    }
  }
  return out;
}

/** Processes carrying this run's tag in their environment (inherited from the exporter): what outlived it. */
function tagged() {
  const out = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${e}/environ`, 'latin1').includes(`LVSHA_SOAK_TAG=${TAG}`)) {
        let cmd = '';
        try {
          cmd = readFileSync(`/proc/${e}/cmdline`, 'latin1').replace(/\0/g, ' ').trim();
        } catch {
          /* gone */
        }
        out.push(`${e} ${cmd}`);
      }
    } catch {
      /* gone or not ours */
    }
  }
  return out;
}

function get(agent, port, p, headers, timeoutMs) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: p, agent, headers }, (res) => {
      const chunks = [];
      res.on('data', (b) => chunks.push(b));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (e) => resolve({ status: 0, body: e.message }));
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error('client timeout')));
    req.on('error', (e) => resolve({ status: 0, body: e.message }));
  });
}

async function main() {
  const dir = mkdtempSync(path.join(tmpdir(), 'lvsha-soak-'));
  const closers = [];
  let exporter;
  try {
    const lab = setup(dir);
    // The healthy sorry page and the hung host.
    const page = http.createServer((_q, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end('<h1>Service en maintenance</h1>\n'));
    const pagePort = await listen(page, '127.0.0.1');
    closers.push(() => new Promise((r) => page.close(() => r())));
    const hungSockets = new Set();
    let hungConnections = 0;
    const hung = net.createServer((s) => {
      hungConnections++;
      hungSockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => hungSockets.delete(s));
    });
    const hungPort = await listen(hung, HUNG);
    closers.push(() => new Promise((r) => {
      for (const s of hungSockets) s.destroy();
      hung.close(() => r());
    }));
    // The reference deployment, its sorry page at ours.
    const dep = JSON.parse(execFileSync(process.execPath, ['-e', `process.stdout.write(JSON.stringify(require(${JSON.stringify(path.join(DIST, 'model', 'reference'))}).referenceDeployment))`]).toString());
    dep.sorry = { url: `http://127.0.0.1:${pagePort}/` };
    const config = path.join(dir, 'deployment.json');
    writeFileSync(config, JSON.stringify(dep));
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'key')]);
    writeFileSync(path.join(dir, 'known_hosts'), '');

    // bin/lvsha, for the chosen compiled tree.
    const bin = path.join(dir, 'lvsha');
    writeFileSync(bin, `#!/usr/bin/env node\n'use strict';\nrequire(${JSON.stringify(path.join(DIST, 'cli'))}).main();\n`);
    const args = [
      bin, 'exporter', '--listen', '127.0.0.1:0', '--config', config, '--root', lab.root,
      '--cl-status', lab.programs['cl-status'], '--ip', lab.programs.ip, '--ss', lab.programs.ss, '--ipvsadm', lab.programs.ipvsadm,
      '--ssh-port', String(hungPort), '--ssh-key', path.join(dir, 'key'), '--known-hosts', path.join(dir, 'known_hosts'),
      '--probe-allow', HUNG, '--probe-allow', `http://${HUNG}:${hungPort}/`,
    ];
    exporter = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LVSHA_SOAK_TAG: TAG } });
    let err = '';
    exporter.stderr.on('data', (b) => {
      if (err.length < 100_000) err += b.toString();
    });
    let port = 0;
    for (let i = 0; i < 200 && !port && exporter.exitCode === null; i++) {
      await sleep(50);
      port = Number(/listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(err)?.[1] ?? 0);
    }
    if (!port) throw new Error(`exporter did not start: ${err}`);
    console.log(`# soak: ${CLIENTS} clients for ${SECONDS} s on 127.0.0.1:${port} (exporter PID ${exporter.pid}); hung host ${HUNG}:${hungPort}`);

    const sorryOk = `/probe?module=sorry&target=${encodeURIComponent(`http://127.0.0.1:${pagePort}/`)}`;
    const kinds = [
      { name: 'metrics', share: 40, healthy: true, path: () => '/metrics', headers: () => ({ 'X-Prometheus-Scrape-Timeout-Seconds': '10' }) },
      { name: 'metrics-hostile-header', share: 10, healthy: true, path: () => '/metrics', headers: (i) => ({ 'X-Prometheus-Scrape-Timeout-Seconds': ['100000', '1e400', 'abc', '-1', '99999999999999999999'][i % 5] }) },
      { name: 'probe-sorry', share: 20, healthy: true, path: () => sorryOk, headers: () => ({ 'X-Prometheus-Scrape-Timeout-Seconds': '10' }) },
      { name: 'probe-realserver-local', share: 10, healthy: true, path: () => '/probe?module=realserver&target=localhost', headers: () => ({ 'X-Prometheus-Scrape-Timeout-Seconds': '10' }) },
      { name: 'probe-director-hung', share: 10, healthy: false, path: () => `/probe?module=director&target=${HUNG}`, headers: () => ({ 'X-Prometheus-Scrape-Timeout-Seconds': '3' }) },
      { name: 'probe-sorry-hung', share: 10, healthy: false, path: () => `/probe?module=sorry&target=${encodeURIComponent(`http://${HUNG}:${hungPort}/`)}`, headers: () => ({ 'X-Prometheus-Scrape-Timeout-Seconds': '3' }) },
    ];
    const stats = new Map(kinds.map((k) => [k.name, { requests: 0, failed: 0, statuses: {}, firstFailure: '' }]));
    const plan = [];
    for (const k of kinds) for (let i = 0; i < Math.round((k.share * CLIENTS) / 100); i++) plan.push(k);

    const t0 = Date.now();
    const end = t0 + SECONDS * 1000;
    const warm = t0 + Math.max(5, SECONDS * 0.25) * 1000;
    let rssWarm = NaN;
    let rssMax = 0;
    const sampler = (async () => {
      for (let i = 0; i < SECONDS * 2 + 10 && Date.now() < end; i++) {
        await sleep(500);
        const r = rssKiB(exporter.pid);
        rssMax = Math.max(rssMax, r);
        if (Number.isNaN(rssWarm) && Date.now() >= warm) rssWarm = r;
      }
    })();
    const client = async (k, i) => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const s = stats.get(k.name);
      for (let n = 0; n < 1_000_000 && Date.now() < end; n++) {
        const r = await get(agent, port, k.path(i), k.headers(n + i), 70_000);
        s.requests++;
        s.statuses[r.status] = (s.statuses[r.status] ?? 0) + 1;
        if (k.healthy) {
          const bad = r.status !== 200 ? `HTTP ${r.status} ${r.body.slice(0, 200)}` : /^lvsha_probe_success\{[^}]*\} 0$/m.test(r.body) ? r.body.split('\n').filter((l) => /^lvsha_probe_success\{[^}]*\} 0$/.test(l)).join(', ') : '';
          if (bad) {
            s.failed++;
            s.firstFailure ||= bad;
          }
        }
        if (r.status === 0) await sleep(50);
      }
      agent.destroy();
    };
    await Promise.all(plan.map((k, i) => client(k, i)));
    await sampler;
    const rssEnd = rssKiB(exporter.pid);

    // Load stopped: after the longest deadline any child of a scrape must be gone.
    await sleep(3000);
    // The exporter's own long-lived child (lvsha-spawner, src/sources/spawner.ts) is not a scrape's.
    const isSpawner = (p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0')[0] === 'lvsha-spawner';
      } catch {
        return false;
      }
    };
    const kids = descendants(exporter.pid).filter((p) => !isSpawner(p));
    const rssAfter = rssKiB(exporter.pid);
    await new Promise((resolve) => {
      exporter.once('exit', resolve);
      exporter.kill('SIGTERM');
      setTimeout(() => exporter.exitCode === null && exporter.signalCode === null && exporter.kill('SIGKILL'), 10_000).unref();
    });
    await sleep(1000);
    const left = tagged();

    const total = (f) => [...stats.values()].reduce((a, s) => a + f(s), 0);
    for (const k of kinds) {
      const s = stats.get(k.name);
      console.log(`${k.name.padEnd(24)} ${k.healthy ? 'healthy' : 'hung   '} requests ${String(s.requests).padStart(6)}  statuses ${JSON.stringify(s.statuses)}${k.healthy ? `  failed ${s.failed}` : ''}${s.firstFailure ? `  first failure: ${s.firstFailure}` : ''}`);
    }
    const healthyFailed = kinds.filter((k) => k.healthy).reduce((a, k) => a + stats.get(k.name).failed, 0);
    const healthyRequests = kinds.filter((k) => k.healthy).reduce((a, k) => a + stats.get(k.name).requests, 0);
    const mib = (k) => (k / 1024).toFixed(1);
    console.log(`requests ${total((s) => s.requests)} in ${SECONDS} s; healthy scrapes ${healthyRequests}, failed ${healthyFailed} (goal 0); connections to the hung host ${hungConnections}`);
    console.log(`RSS after warm-up ${mib(rssWarm)} MiB, at the end ${mib(rssEnd)} MiB: ratio ${(rssEnd / rssWarm).toFixed(3)} (goal within 10 %); max ${mib(rssMax)} MiB; 3 s after the load ${mib(rssAfter)} MiB`);
    console.log(`children of the exporter 3 s after the load: ${kids.length}${kids.length ? ` (${kids.join(' ')})` : ''}; processes of the run left after the exporter stopped (code ${exporter.exitCode ?? exporter.signalCode}): ${left.length}${left.length ? `\n  ${left.join('\n  ')}` : ''} (goal 0)`);
    if (healthyFailed || left.length) process.exitCode = 1;
  } finally {
    if (exporter && exporter.exitCode === null && exporter.signalCode === null) exporter.kill('SIGKILL');
    for (const c of closers) await c();
    // Whatever outlived the exporter carries the tag: end it by PID.
    for (const line of tagged()) {
      try {
        process.kill(Number(line.split(' ')[0]), 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(`soak: ${e.stack || e}`);
  process.exitCode = 2;
});
