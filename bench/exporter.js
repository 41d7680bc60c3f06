#!/usr/bin/env node
// Exporter benchmarks, each against a baseline measured in the same run (run `npx tsc` first;
// `node --expose-gc bench/exporter.js`). Everything listens and connects on loopback only.
//   1. /metrics on a synthetic /proc of 1 000 services × 20 real servers (the kernel's exact
//      line layout): median scrape time of our exporter vs Debian's prometheus-node-exporter
//      (ipvs collector only) on the same tree. Goal: ratio ≤ 0.5.
//   2. Heap after 1 000 and 10 000 scrapes (after gc): flat within 10 %.
//   3. /probe?module=realserver over SSH to a real sshd on 127.0.0.2: pooled connections vs a
//      new connection per scrape (--pool-size 0), on loopback and through a loopback relay
//      adding a LAN's round trip (--rtt-ms 0,1). Goal: ≥ 5× faster pooled.
// Options: --scrapes N (15) --warmup N (2) --heap N (10000) --services N (1000) --reals N (20)
//          --rtt-ms LIST (0,1) --skip-heap --skip-ssh --skip-metrics --dist DIR (compiled tree, default ./dist)
//          --baseline-dist DIR (an older compiled tree, interleaved with this one: its /metrics with gzip
//          in part 1, its pooled /probe in part 3)
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const http = require('node:http');
const { tmpdir } = require('node:os');
const path = require('node:path');
const { writeProcTree } = require('./lib/proctree');
const { startSshd, freePort } = require('./lib/sshd');
const { startDelayProxy } = require('./lib/delayproxy');

const argv = process.argv.slice(2);
const opt = (name, def) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : def;
};
const flag = (name) => argv.includes(`--${name}`);
const SCRAPES = Number(opt('scrapes', 15));
const WARMUP = Number(opt('warmup', 2));
const HEAP_SCRAPES = Number(opt('heap', 10000));
const SERVICES = Number(opt('services', 1000));
const REALS = Number(opt('reals', 20));
const DIST = path.resolve(opt('dist', path.join(__dirname, '..', 'dist')));
const NODE_EXPORTER = '/usr/bin/prometheus-node-exporter';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

/**
 * GET that keeps no body, only its size: for the heap bench, where the client runs in the
 * measured process. Keeping the last 0.5 MB answer (still referenced from a stack slot of
 * the loop) counted once or twice in heapUsed depending on how V8 compiled the loop.
 */
function drain(port, p, timeoutMs = 60000) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: p, agent }, (res) => {
      let bytes = 0;
      res.on('data', (b) => (bytes += b.length));
      res.on('end', () => resolve({ status: res.statusCode, bytes }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`GET ${p} timed out`)));
    req.on('error', reject);
  });
}

function get(port, p, host = '127.0.0.1', timeoutMs = 60000) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path: p, agent }, (res) => {
      const chunks = [];
      res.on('data', (b) => chunks.push(b));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`GET ${p} timed out`)));
    req.on('error', reject);
  });
}

async function waitUp(port, p, what) {
  for (let i = 0; i < 200; i++) {
    try {
      const r = await get(port, p, '127.0.0.1', 2000);
      if (r.status === 200) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not come up on 127.0.0.1:${port}`);
}

/** GET /metrics with Accept-Encoding: gzip: wall time to the last byte and the compressed size (not decoded). */
function gzipScrape(port) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = http.get({ host: '127.0.0.1', port, path: '/metrics', agent, headers: { 'Accept-Encoding': 'gzip' } }, (res) => {
      let wire = 0;
      res.on('data', (b) => (wire += b.length));
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`gzip GET: HTTP ${res.statusCode}`));
        if (res.headers['content-encoding'] !== 'gzip') return reject(new Error(`port ${port} ignored Accept-Encoding: gzip`));
        resolve({ ms: ms(t0), wire });
      });
      res.on('error', reject);
    });
    req.setTimeout(60000, () => req.destroy(new Error('gzip GET timed out')));
    req.on('error', reject);
  });
}

async function timeScrapes(port, p, n) {
  const out = [];
  let bytes = 0;
  let series = 0;
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    const r = await get(port, p);
    out.push(ms(t0));
    if (r.status !== 200) throw new Error(`GET ${p}: HTTP ${r.status}`);
    bytes = r.body.length;
    series = r.body.split('\n').filter((l) => l && !l.startsWith('#')).length;
  }
  return { times: out, bytes, series };
}

function stopChild(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }, 3000).unref();
  });
}

// ------------------------------------------------------------------ 1. /metrics vs node_exporter
async function benchMetrics() {
  const dir = mkdtempSync(path.join(tmpdir(), 'lvsha-bench-proc-'));
  const children = [];
  try {
    const lines = writeProcTree(dir, SERVICES, REALS);
    console.log(`# /metrics: synthetic ${dir}/proc/net/ip_vs, ${SERVICES} services × ${REALS} real servers (${lines} lines)`);
    if (!existsSync(NODE_EXPORTER)) {
      console.log(`${NODE_EXPORTER} missing: apt-get install -y prometheus-node-exporter`);
      return;
    }
    const version = spawnSync(NODE_EXPORTER, ['--version'], { encoding: 'utf8' });
    const ourPort = await freePort();
    const nePort = await freePort();
    // Our exporter as its own process, like node_exporter (bin/lvsha loads DIST/cli).
    const ours = spawn(process.execPath, ['-e', `require(${JSON.stringify(path.join(DIST, 'cli'))}).main()`, 'lvsha', 'exporter', '--listen', `127.0.0.1:${ourPort}`, '--root', dir], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    children.push(ours);
    // --baseline-dist: the older exporter on the same tree, its gzip scrapes interleaved with ours.
    const baseDist = opt('baseline-dist');
    const basePort = baseDist ? await freePort() : undefined;
    if (baseDist) {
      const base = spawn(process.execPath, ['-e', `require(${JSON.stringify(path.join(path.resolve(baseDist), 'cli'))}).main()`, 'lvsha', 'exporter', '--listen', `127.0.0.1:${basePort}`, '--root', dir], { stdio: 'ignore' });
      children.push(base);
      await waitUp(basePort, '/-/healthy', `baseline exporter ${baseDist}`);
      await gzipScrape(basePort);
    }
    let ourLog = '';
    ours.stderr.on('data', (b) => (ourLog += b.toString()));
    const ne = spawn(NODE_EXPORTER, [`--path.procfs=${dir}/proc`, '--collector.disable-defaults', '--collector.ipvs', `--web.listen-address=127.0.0.1:${nePort}`], { stdio: 'ignore' });
    children.push(ne);
    await waitUp(ourPort, '/-/healthy', 'lvsha exporter').catch((e) => {
      throw new Error(`${e.message}\n${ourLog}`);
    });
    await waitUp(nePort, '/', 'node_exporter'); // its landing page: /metrics of a large tree takes seconds
    await timeScrapes(ourPort, '/metrics', WARMUP);
    await timeScrapes(nePort, '/metrics', WARMUP);
    // Interleaved, so drift in machine load hits both alike.
    const a = [];
    const b = [];
    let oa;
    let ob;
    for (let i = 0; i < SCRAPES; i++) {
      oa = await timeScrapes(ourPort, '/metrics', 1);
      a.push(...oa.times);
      ob = await timeScrapes(nePort, '/metrics', 1);
      b.push(...ob.times);
    }
    const ma = median(a);
    const mb = median(b);
    console.log(`lvsha exporter /metrics (module director, all collectors and checks): median ${ma.toFixed(1)} ms over ${SCRAPES} (min ${Math.min(...a).toFixed(1)}, max ${Math.max(...a).toFixed(1)}), ${oa.series} series, ${(oa.bytes / 1e6).toFixed(2)} MB`);
    console.log(`${(version.stdout || version.stderr).split('\n')[0]} (ipvs collector only): median ${mb.toFixed(1)} ms over ${SCRAPES} (min ${Math.min(...b).toFixed(1)}, max ${Math.max(...b).toFixed(1)}), ${ob.series} series, ${(ob.bytes / 1e6).toFixed(2)} MB`);
    console.log(`ratio lvsha / node_exporter: ${(ma / mb).toFixed(2)} (goal ≤ 0.5)`);

    // As Prometheus asks: Accept-Encoding: gzip on both sides; time to the last byte and bytes on the wire.
    const ga = [];
    const gb = [];
    let wa = 0;
    let wb = 0;
    const gbase = [];
    const pairs = [];
    for (let i = 0; i < SCRAPES; i++) {
      const x = await gzipScrape(ourPort);
      ga.push(x.ms);
      wa = x.wire;
      if (basePort) {
        const z = await gzipScrape(basePort);
        gbase.push(z.ms);
        pairs.push(x.ms / z.ms);
      }
      const y = await gzipScrape(nePort);
      gb.push(y.ms);
      wb = y.wire;
    }
    if (basePort) {
      console.log(`gzip: baseline ${opt('baseline-dist')} median ${median(gbase).toFixed(1)} ms (min ${Math.min(...gbase).toFixed(1)}), this median ${median(ga).toFixed(1)} ms (min ${Math.min(...ga).toFixed(1)})`);
      console.log(`ratio this / baseline with gzip, per interleaved pair: median ${median(pairs).toFixed(2)} (min ${Math.min(...pairs).toFixed(2)}, max ${Math.max(...pairs).toFixed(2)}); of the medians ${(median(ga) / median(gbase)).toFixed(2)}`);
    }
    const mga = median(ga);
    const mgb = median(gb);
    console.log(`gzip: lvsha median ${mga.toFixed(1)} ms, ${(wa / 1024).toFixed(0)} KiB on the wire; node_exporter median ${mgb.toFixed(1)} ms, ${(wb / 1024).toFixed(0)} KiB`);
    console.log(`ratio lvsha / node_exporter with gzip: ${(mga / mgb).toFixed(2)} (goal ≤ 0.2); bytes ${(wa / wb).toFixed(2)} (goal ≤ 1)`);
  } finally {
    for (const c of children) await stopChild(c);
    rmSync(dir, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------ 2. heap over many scrapes
async function benchHeap() {
  if (typeof global.gc !== 'function') {
    console.log('# heap: skipped (run node with --expose-gc)');
    return;
  }
  const { Exporter } = require(path.join(DIST, 'exporter', 'server'));
  const { referenceDeployment } = require(path.join(DIST, 'model', 'reference'));
  const dir = mkdtempSync(path.join(tmpdir(), 'lvsha-bench-heap-'));
  writeProcTree(dir, 50, REALS);
  // Programs that cannot start (ENOENT, no process): the scrape machinery, the IPVS path and
  // the failure paths are what runs 10 000 times, not fork/exec.
  const none = path.join(dir, 'absent');
  const e = new Exporter({
    host: '127.0.0.1',
    port: 0,
    deployment: referenceDeployment,
    timeout: 10,
    root: dir,
    sudo: false,
    ssh: { port: 22, user: 'root' },
    programs: { ipvsadm: none, 'cl-status': none, ip: none, ss: none, arping: none },
    backendLabels: ['local_address', 'local_port', 'remote_address', 'remote_port', 'proto', 'local_mark'],
    poolSize: 4,
    poolIdleMs: 60000,
  });
  const { port } = await e.listen();
  const { getHeapCodeStatistics } = require('node:v8');
  const heap = () => {
    global.gc();
    global.gc();
    // Code and its metadata apart (machine code, deoptimisation data, bytecode): V8 goes on
    // optimising functions for thousands of scrapes (JIT warm-up, not data); a leak shows in
    // the rest.
    const c = getHeapCodeStatistics();
    const code = c.code_and_metadata_size + c.bytecode_and_metadata_size;
    const used = process.memoryUsage().heapUsed;
    return { used, code, data: used - code };
  };
  try {
    console.log(`# heap: ${HEAP_SCRAPES} scrapes of /metrics in-process (50 services × ${REALS} real servers)`);
    const t0 = process.hrtime.bigint();
    // Also half-way: V8 keeps warming up (code, feedback) for a few thousand scrapes; a leak
    // grows on in the second half too.
    const marks = [...new Set([Math.min(1000, HEAP_SCRAPES), Math.floor(HEAP_SCRAPES / 2), HEAP_SCRAPES])];
    const at = new Map();
    for (let i = 1; i <= HEAP_SCRAPES; i++) {
      const r = await drain(port, '/metrics');
      if (r.status !== 200) throw new Error(`scrape ${i}: HTTP ${r.status}`);
      if (marks.includes(i)) at.set(i, heap());
    }
    const mb = (x) => (x / 1048576).toFixed(2);
    const pct = (k, a, b) => `${(((at.get(b)[k] - at.get(a)[k]) / at.get(a)[k]) * 100).toFixed(1)} %`;
    const growth = (k) => `${marks[0]} → ${HEAP_SCRAPES}: ${pct(k, marks[0], HEAP_SCRAPES)}; ${marks[1]} → ${HEAP_SCRAPES}: ${pct(k, marks[1], HEAP_SCRAPES)}`;
    console.log(`heapUsed after gc: ${marks.map((m) => `${mb(at.get(m).used)} MiB at scrape ${m}`).join(', ')}; ${(ms(t0) / HEAP_SCRAPES).toFixed(2)} ms per scrape`);
    console.log(`growth ${growth('used')} (goal: flat within 10 %)`);
    console.log(`  of which code and metadata (JIT): ${marks.map((m) => `${mb(at.get(m).code)}`).join(', ')} MiB; the rest: ${marks.map((m) => `${mb(at.get(m).data)}`).join(', ')} MiB, growth ${growth('data')}`);
  } finally {
    await e.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------ 3. SSH pool vs a connection per scrape
async function benchSsh() {
  if (!existsSync('/usr/sbin/sshd') || process.getuid?.() !== 0) {
    console.log('# ssh: skipped (needs /usr/sbin/sshd and root)');
    return;
  }
  const { Exporter } = require(path.join(DIST, 'exporter', 'server'));
  const { referenceDeployment } = require(path.join(DIST, 'model', 'reference'));
  const { SshSource } = require(path.join(DIST, 'sources', 'ssh'));
  const sshd = await startSshd('127.0.0.2');
  // On loopback the costs are CPU only (key exchange, sshd's fork, the remote programs); a
  // LAN adds round trips, which is what a pool saves most: the second run goes through a
  // relay holding each chunk RTT/2 each way (loopback only; this kernel has no netem).
  const rtts = String(opt('rtt-ms', '0,1'))
    .split(',')
    .map(Number)
    .filter((x) => Number.isFinite(x) && x >= 0);
  // --baseline-dist DIR: an older compiled tree measured in the same run, interleaved scrape
  // by scrape with this one (before/after on the same load).
  const variants = [{ label: 'this', Exporter }];
  const baseDist = opt('baseline-dist');
  if (baseDist) variants.push({ label: `baseline ${baseDist}`, Exporter: require(path.join(path.resolve(baseDist), 'exporter', 'server')).Exporter });
  const start = async (E, poolSize, port, knownHostsPath) => {
    const e = new E({
      host: '127.0.0.1',
      port: 0,
      deployment: referenceDeployment,
      timeout: 10,
      sudo: false,
      ssh: { port, user: 'root', keyPath: sshd.userKey, knownHostsPath },
      programs: {},
      backendLabels: [],
      poolSize,
      poolIdleMs: 60000,
      probeAllow: [sshd.address],
    });
    const { port: httpPort } = await e.listen();
    const p = `/probe?module=realserver&target=${sshd.address}`;
    const first = await get(httpPort, p);
    if (!/lvsha_probe_success\{probe="arp"\} 1/.test(first.body)) throw new Error(`realserver probe over SSH failed:\n${first.body.slice(0, 2000)}`);
    await timeScrapes(httpPort, p, WARMUP);
    return { e, httpPort, p, times: [] };
  };
  const stats = (xs) => `median ${median(xs).toFixed(1)} ms (min ${Math.min(...xs).toFixed(1)}, max ${Math.max(...xs).toFixed(1)})`;
  try {
    for (const rtt of rtts) {
      let port = sshd.port;
      let knownHostsPath = sshd.knownHosts;
      let proxy;
      if (rtt > 0) {
        proxy = await startDelayProxy(sshd.address, sshd.address, sshd.port, rtt / 2);
        port = proxy.port;
        knownHostsPath = `${sshd.knownHosts}.${port}`;
        writeFileSync(knownHostsPath, readFileSync(sshd.knownHosts, 'utf8').replace(`]:${sshd.port} `, `]:${port} `));
      }
      const where = rtt > 0 ? `through a relay adding ${rtt} ms of round trip` : 'on loopback';
      try {
        console.log(`# ssh: /probe?module=realserver&target=${sshd.address} over SSH to a real sshd on ${sshd.address}, ${where}`);
        // Every variant's pooled and fresh exporter up at once, then one scrape of each in turn.
        const runs = [];
        for (const v of variants) runs.push({ v, pooled: await start(v.Exporter, 32, port, knownHostsPath), fresh: await start(v.Exporter, 0, port, knownHostsPath) });
        try {
          for (let i = 0; i < SCRAPES; i++)
            for (const r of runs)
              for (const x of [r.pooled, r.fresh]) x.times.push(...(await timeScrapes(x.httpPort, x.p, 1)).times);
        } finally {
          for (const r of runs) for (const x of [r.pooled, r.fresh]) await x.e.close();
        }
        for (const r of runs) {
          const mp = median(r.pooled.times);
          const mf = median(r.fresh.times);
          console.log(`[${r.v.label}] pooled (--pool-size 32): ${stats(r.pooled.times)} over ${SCRAPES}`);
          console.log(`[${r.v.label}] new connection per scrape (--pool-size 0): ${stats(r.fresh.times)}`);
          console.log(`[${r.v.label}] ratio new / pooled (RTT +${rtt} ms): ${(mf / mp).toFixed(1)}× (goal ≥ 5×)`);
        }
        if (runs.length > 1) console.log(`pooled scrape this / baseline: ${(median(runs[0].pooled.times) / median(runs[1].pooled.times)).toFixed(2)}×`);
        // What the pool saves, alone: one command on an open connection vs connect + command.
        const o = { host: sshd.address, port, user: 'root', keyPath: sshd.userKey, knownHostsPath };
        const kept = new SshSource(o);
        // The pool's way (keepShell: one long-lived remote shell per connection), if this build has it.
        const shell = new SshSource({ ...o, keepShell: true });
        await kept.run(['true']);
        await shell.run(['true']);
        const onOpen = [];
        const inShell = [];
        const fresh1 = [];
        for (let i = 0; i < SCRAPES; i++) {
          let t0 = process.hrtime.bigint();
          await kept.run(['true']);
          onOpen.push(ms(t0));
          t0 = process.hrtime.bigint();
          await shell.run(['true']);
          inShell.push(ms(t0));
          t0 = process.hrtime.bigint();
          const f = new SshSource(o);
          await f.run(['true']);
          fresh1.push(ms(t0));
          await f.close();
        }
        await kept.close();
        await shell.close();
        console.log(`one command (true): ${median(onOpen).toFixed(1)} ms on its own channel of an open connection, ${median(inShell).toFixed(1)} ms in the connection's long-lived shell (the pool's way), ${median(fresh1).toFixed(1)} ms with a new connection: ${(median(fresh1) / median(onOpen)).toFixed(1)}× and ${(median(fresh1) / median(inShell)).toFixed(1)}×`);
      } finally {
        await proxy?.close();
      }
    }
  } finally {
    await sshd.stop();
  }
}

(async () => {
  console.log(`node ${process.version}, dist ${DIST}`);
  if (!flag('skip-metrics')) await benchMetrics();
  if (!flag('skip-heap')) await benchHeap();
  if (!flag('skip-ssh')) await benchSsh();
  agent.destroy();
})().catch((e) => {
  console.error(e.stack || String(e));
  process.exitCode = 1;
});
