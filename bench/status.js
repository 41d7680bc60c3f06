#!/usr/bin/env node
// The status page's cost, against /metrics measured in the same run on the same tree (run
// `npx tsc` first; `node bench/status.js`). Loopback only; the other director is not read.
//   1. One /status gather + HTML render vs one /metrics scrape (the exporter's own render) on a
//      synthetic /proc of N services × M real servers held by this director (the real
//      `ip -j addr` capture of frontal1 holding the VIP): median of interleaved runs, ratio.
//   2. A flood: 200 concurrent GET /status vs 1 GET /status (both through HTTP): gathers run
//      and wall time ratio.
// Options: --runs N (9) --services N (200) --reals N (16) --dist DIR (default ./dist)
'use strict';
const { chmodSync, mkdtempSync, rmSync, writeFileSync } = require('node:fs');
const http = require('node:http');
const { tmpdir } = require('node:os');
const path = require('node:path');
const { writeProcTree } = require('./lib/proctree');

const argv = process.argv.slice(2);
const opt = (name, def) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : def;
};
const RUNS = Number(opt('runs', 9));
const SERVICES = Number(opt('services', 200));
const REALS = Number(opt('reals', 16));
const DIST = path.resolve(opt('dist', path.join(__dirname, '..', 'dist')));
const REAL = path.join(__dirname, '..', 'test', 'fixtures', 'real');

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

function get(port, p) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: p, agent: false }, (res) => {
      let bytes = 0;
      res.on('data', (b) => (bytes += b.length));
      res.on('end', () => resolve({ status: res.statusCode, bytes }));
      res.on('error', reject);
    });
    req.setTimeout(60000, () => req.destroy(new Error(`GET ${p} timed out`)));
    req.on('error', reject);
  });
}

async function main() {
  const { Exporter } = require(path.join(DIST, 'exporter', 'server'));
  const { referenceDeployment } = require(path.join(DIST, 'model', 'reference'));
  const { renderStatusHtml } = require(path.join(DIST, 'exporter', 'status', 'html'));
  const dir = mkdtempSync(path.join(tmpdir(), 'lvsha-bench-status-'));
  writeProcTree(dir, SERVICES, REALS);
  const ipCap = path.join(REAL, 'ip', 'healthy', 'frontal1', 'addr.stdout');
  const ip = path.join(dir, 'ip');
  writeFileSync(ip, `#!/bin/sh\nexec cat '${ipCap}'\n`);
  chmodSync(ip, 0o755);
  const none = path.join(dir, 'absent');
  const e = new Exporter({
    host: '127.0.0.1',
    port: 0,
    deployment: referenceDeployment,
    timeout: 10,
    root: dir,
    sudo: false,
    ssh: { port: 22, user: 'root' },
    programs: { ipvsadm: none, 'cl-status': none, ip },
    backendLabels: ['local_address', 'local_port', 'remote_address', 'remote_port', 'proto', 'local_mark'],
    poolSize: 1,
    poolIdleMs: 1000,
    statusPeers: false,
    node: 'frontal1',
  });
  const { port } = await e.listen();
  const page = e.statusPage();
  page.o.minIntervalMs = 0; // every answer a fresh gather, for (1)
  try {
    console.log(`# 1. gather + render: ${SERVICES} services × ${REALS} real servers, ${RUNS} interleaved runs each`);
    const tm = [];
    const ts = [];
    let htmlBytes = 0;
    let jsonBytes = 0;
    let metricsBytes = 0;
    for (let i = 0; i < RUNS + 1; i++) {
      let t0 = process.hrtime.bigint();
      const m = await e.render('director', undefined, Date.now() + 10000);
      const a = ms(t0);
      t0 = process.hrtime.bigint();
      const h = await page.answer('html');
      const b = ms(t0);
      if (i === 0) continue; // warm-up
      tm.push(a);
      ts.push(b);
      metricsBytes = m.bytes;
      htmlBytes = h.text.length;
    }
    jsonBytes = (await page.answer('json')).text.length;
    const snap = JSON.parse((await page.answer('json')).text);
    let t0 = process.hrtime.bigint();
    for (let i = 0; i < RUNS; i++) renderStatusHtml(snap, page.history, { refresh: 10 });
    const renderOnly = ms(t0) / RUNS;
    console.log(`  /metrics render: median ${median(tm).toFixed(1)} ms (${(metricsBytes / 1024).toFixed(0)} KiB)`);
    console.log(`  /status gather+HTML: median ${median(ts).toFixed(1)} ms (${(htmlBytes / 1024).toFixed(0)} KiB HTML, ${(jsonBytes / 1024).toFixed(0)} KiB JSON; HTML render alone ${renderOnly.toFixed(1)} ms)`);
    console.log(`  ratio /status ÷ /metrics: ${(median(ts) / median(tm)).toFixed(2)}`);

    console.log('# 2. flood over HTTP: 200 concurrent GET /status vs 1 GET /status (2 s gather interval)');
    page.o.minIntervalMs = 2000;
    const g0 = page.gathers;
    await new Promise((r) => setTimeout(r, 2100));
    t0 = process.hrtime.bigint();
    await get(port, '/status');
    const one = ms(t0);
    await new Promise((r) => setTimeout(r, 2100));
    const g1 = page.gathers;
    t0 = process.hrtime.bigint();
    const all = await Promise.all(Array.from({ length: 200 }, () => get(port, '/status')));
    const flood = ms(t0);
    console.log(`  1 request: ${one.toFixed(1)} ms; 200 concurrent: ${flood.toFixed(1)} ms (ratio ${(flood / one).toFixed(2)}), ${all.filter((x) => x.status === 200).length} answered 200, gathers: ${g1 - g0} then ${page.gathers - g1}`);
  } finally {
    await e.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
