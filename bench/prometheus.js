#!/usr/bin/env node
// A real Prometheus scraping both exporters on the same synthetic /proc (run `npx tsc` first;
// `node bench/prometheus.js`). Everything listens on loopback; Prometheus gets a temp config and
// data dir, is killed by its PID and its dir removed at the end.
//   lvsha exporter (/metrics, module director: every collector and check, --root TREE) and
//   Debian's prometheus-node-exporter (ipvs collector only, --path.procfs TREE/proc), scraped
//   by /usr/bin/prometheus every --interval s with a --timeout s scrape timeout, --scrapes times.
//   Then its HTTP API: scrape_duration_seconds and scrape_samples_scraped of each job, every
//   sample Prometheus kept (median, min, max), the ratio lvsha / node_exporter (goal ≤ 0.25),
//   and the series count of each IPVS family on both sides (goal: the same).
//   A third job, `floor`: lvsha's own answer, captured once and served as it is (gzipped once)
//   by a static server in this process. Its scrape_duration_seconds is what Prometheus itself
//   spends on that answer (transfer, parsing, storing ~116 000 samples); each exporter's
//   duration minus the floor is what the exporter adds, printed as a second ratio.
// Options: --services N (2284) --reals N (16) --scrapes N (12) --interval S (5) --timeout S (4)
//          --dist DIR (compiled tree, default ./dist)
'use strict';
const { spawn } = require('node:child_process');
const { existsSync, mkdtempSync, rmSync, writeFileSync } = require('node:fs');
const http = require('node:http');
const { tmpdir } = require('node:os');
const path = require('node:path');
const { writeProcTree } = require('./lib/proctree');
const { freePort } = require('./lib/sshd');

const argv = process.argv.slice(2);
const opt = (name, def) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : def;
};
const SERVICES = Number(opt('services', 2284));
const REALS = Number(opt('reals', 16));
const SCRAPES = Number(opt('scrapes', 12));
const INTERVAL = Number(opt('interval', 5));
const TIMEOUT = Number(opt('timeout', 4));
const DIST = path.resolve(opt('dist', path.join(__dirname, '..', 'dist')));
const NODE_EXPORTER = '/usr/bin/prometheus-node-exporter';
const PROMETHEUS = '/usr/bin/prometheus';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function get(port, p, timeoutMs = 10000) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: p, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (b) => chunks.push(b));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`GET ${p} timed out`)));
    req.on('error', reject);
  });
}

async function waitUp(port, p, what, child) {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`${what} exited (${child.exitCode})`);
    const r = await get(port, p, 2000).catch(() => undefined);
    if (r && r.status === 200) return;
    await sleep(100);
  }
  throw new Error(`${what} did not come up on 127.0.0.1:${port}`);
}

/** Prometheus' instant query API: the result vector or matrix. */
async function query(port, q) {
  const r = await get(port, `/api/v1/query?query=${encodeURIComponent(q)}`);
  const j = JSON.parse(r.body);
  if (j.status !== 'success') throw new Error(`query ${q}: ${r.body.slice(0, 300)}`);
  return j.data.result;
}

function stop(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    process.kill(child.pid, 'SIGTERM');
    setTimeout(() => {
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
    }, 5000).unref();
  });
}

(async () => {
  for (const f of [NODE_EXPORTER, PROMETHEUS]) if (!existsSync(f)) throw new Error(`${f} missing (apt-get install -y prometheus prometheus-node-exporter)`);
  const dir = mkdtempSync(path.join(tmpdir(), 'lvsha-bench-prom-'));
  const children = [];
  try {
    const lines = writeProcTree(dir, SERVICES, REALS);
    const [ourPort, nePort, promPort] = [await freePort(), await freePort(), await freePort()];
    console.log(`node ${process.version}, dist ${DIST}; synthetic ${SERVICES} services × ${REALS} real servers (${lines} lines of /proc/net/ip_vs)`);
    const ours = spawn(process.execPath, ['-e', `require(${JSON.stringify(path.join(DIST, 'cli'))}).main()`, 'lvsha', 'exporter', '--listen', `127.0.0.1:${ourPort}`, '--root', dir], { stdio: 'ignore' });
    children.push(ours);
    const ne = spawn(NODE_EXPORTER, [`--path.procfs=${dir}/proc`, '--collector.disable-defaults', '--collector.ipvs', `--web.listen-address=127.0.0.1:${nePort}`], { stdio: 'ignore' });
    children.push(ne);
    await waitUp(ourPort, '/-/healthy', 'lvsha exporter', ours);
    await waitUp(nePort, '/', 'node_exporter', ne);
    // The floor: lvsha's answer (one capture, both encodings) from a static loopback server.
    const captured = await new Promise((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port: ourPort, path: '/metrics', agent: false }, (res) => {
        const chunks = [];
        res.on('data', (b) => chunks.push(b));
        res.on('end', () => resolve({ type: res.headers['content-type'], body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.setTimeout(60000, () => req.destroy(new Error('capture timed out')));
      req.on('error', reject);
    });
    const zipped = require('node:zlib').gzipSync(captured.body, { level: 6 });
    const floor = http.createServer((req, res) => {
      const gz = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
      res.writeHead(200, { 'Content-Type': captured.type, ...(gz ? { 'Content-Encoding': 'gzip' } : {}) }).end(gz ? zipped : captured.body);
    });
    const floorPort = await freePort();
    await new Promise((r) => floor.listen(floorPort, '127.0.0.1', r));
    children.push({ exitCode: null, signalCode: null, floor });
    const cfg = path.join(dir, 'prometheus.yml');
    writeFileSync(
      cfg,
      [
        'global:',
        `  scrape_interval: ${INTERVAL}s`,
        `  scrape_timeout: ${TIMEOUT}s`,
        'scrape_configs:',
        '  - job_name: lvsha',
        `    static_configs: [{ targets: ['127.0.0.1:${ourPort}'] }]`,
        '  - job_name: node',
        `    static_configs: [{ targets: ['127.0.0.1:${nePort}'] }]`,
        '  - job_name: floor',
        `    static_configs: [{ targets: ['127.0.0.1:${floorPort}'] }]`,
        '',
      ].join('\n'),
    );
    const prom = spawn(PROMETHEUS, [`--config.file=${cfg}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`, '--storage.tsdb.retention.time=1h'], { stdio: 'ignore' });
    children.push(prom);
    await waitUp(promPort, '/-/ready', 'prometheus', prom);
    console.log(`prometheus on 127.0.0.1:${promPort}: scrape_interval ${INTERVAL}s, scrape_timeout ${TIMEOUT}s, waiting for ${SCRAPES} scrapes of each job`);
    // Bounded: at most SCRAPES intervals and a margin.
    const window = `${(SCRAPES + 4) * INTERVAL}s`;
    const count = async (job) => Number((await query(promPort, `count_over_time(scrape_duration_seconds{job="${job}"}[${window}])`))[0]?.value[1] ?? 0);
    for (let i = 0; i < (SCRAPES + 6) * INTERVAL && ((await count('lvsha')) < SCRAPES || (await count('node')) < SCRAPES || (await count('floor')) < SCRAPES); i++) await sleep(1000);
    const samplesOf = async (metric, job) => ((await query(promPort, `${metric}{job="${job}"}[${window}]`))[0]?.values ?? []).map((v) => Number(v[1]));
    const up = async (job) => (await samplesOf('up', job)).filter((x) => x === 0).length;
    const d = { lvsha: await samplesOf('scrape_duration_seconds', 'lvsha'), node: await samplesOf('scrape_duration_seconds', 'node'), floor: await samplesOf('scrape_duration_seconds', 'floor') };
    const n = { lvsha: await samplesOf('scrape_samples_scraped', 'lvsha'), node: await samplesOf('scrape_samples_scraped', 'node') };
    const fmt = (xs) => `median ${(median(xs) * 1000).toFixed(0)} ms (min ${(Math.min(...xs) * 1000).toFixed(0)}, max ${(Math.max(...xs) * 1000).toFixed(0)}) over ${xs.length} scrapes`;
    console.log(`lvsha exporter: scrape_duration_seconds ${fmt(d.lvsha)}; scrape_samples_scraped ${median(n.lvsha)}; failed scrapes (up 0) ${await up('lvsha')}`);
    console.log(`node_exporter (ipvs): scrape_duration_seconds ${fmt(d.node)}; scrape_samples_scraped ${median(n.node)}; failed scrapes (up 0) ${await up('node')}`);
    console.log(`floor (lvsha's answer from a static server): scrape_duration_seconds ${fmt(d.floor)}; failed scrapes (up 0) ${await up('floor')}`);
    console.log(`ratio lvsha / node_exporter (median scrape_duration_seconds): ${(median(d.lvsha) / median(d.node)).toFixed(2)} (goal ≤ 0.25)`);
    const f = median(d.floor);
    console.log(`above the floor: lvsha ${((median(d.lvsha) - f) * 1000).toFixed(0)} ms, node_exporter ${((median(d.node) - f) * 1000).toFixed(0)} ms: ratio ${((median(d.lvsha) - f) / (median(d.node) - f)).toFixed(2)}`);
    // The IPVS families: lvsha_ipvs_X against node_ipvs_X, series in the last scrape.
    // The series of each IPVS family in the job's last successful scrape: an instant query at
    // that scrape's time (a failed scrape leaves staleness markers, and the series API on
    // 100 000 series is slow).
    const fam = async (job, prefix) => {
      const ok = ((await query(promPort, `up{job="${job}"}[${window}]`))[0]?.values ?? []).filter((v) => v[1] === '1');
      const m = new Map();
      if (!ok.length) return m;
      const at = Number(ok[ok.length - 1][0]) + 0.5;
      const r = await get(promPort, `/api/v1/query?time=${at}&query=${encodeURIComponent(`count by (__name__) ({job="${job}", __name__=~"${prefix}_ipvs_.*"})`)}`, 60000);
      for (const x of JSON.parse(r.body).data.result) m.set(x.metric.__name__.slice(prefix.length + 1), Number(x.value[1]));
      return m;
    };
    const a = await fam('lvsha', 'lvsha');
    const b = await fam('node', 'node');
    let same = 0;
    let shared = 0;
    for (const k of [...new Set([...a.keys(), ...b.keys()])].sort()) {
      const x = a.get(k);
      const y = b.get(k);
      if (x !== undefined && y !== undefined) shared++;
      if (x !== undefined && x === y) same++;
      const note = y === undefined ? '  (lvsha only)' : x === undefined ? '  (node_exporter only)' : x === y ? '' : '  (differs)';
      console.log(`  ${k}: lvsha ${x ?? '-'}, node_exporter ${y ?? '-'}${note}`);
    }
    console.log(`IPVS families of node_exporter's with the same series count in lvsha's: ${same} of ${shared}${b.size ? '' : ' (no successful node_exporter scrape)'}`);
  } finally {
    for (const c of children.reverse()) await (c.floor ? new Promise((r) => (c.floor.close(r), c.floor.closeAllConnections())) : stop(c));
    rmSync(dir, { recursive: true, force: true });
  }
})().catch((e) => {
  console.error(e.stack || String(e));
  process.exitCode = 1;
});
