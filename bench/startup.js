#!/usr/bin/env node
// Start-up benchmark: each check on replayed real input (bench/startup-cases.js), median wall
// time as a ratio to `node -e 0` measured in the same run, interleaved. Also each process's
// own CPU time (user+sys, through bench/lib/cpu-preload.js, in separate runs also interleaved,
// so the preload does not touch the wall-time runs): on a loaded machine it moves far less than
// wall time. It leaves out the CPU of the programs a check spawns (replays).
// Usage: node bench/startup.js [runs] [--bundle DIR] [--no-cpu]
//   (default runs 21, DIR = bin/ i.e. dist/; a bundle DIR uses DIR/lvsha.js.cache if present)
// Exit status 1 when a check's exit code or first line is not the expected one.
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { cases } = require('./startup-cases');

const runs = Number(process.argv[2]) > 0 ? Number(process.argv[2]) : 21;
const bundleIdx = process.argv.indexOf('--bundle');
const binDir = bundleIdx > 0 ? path.resolve(process.argv[bundleIdx + 1] ?? 'build') : path.join(__dirname, '..', 'bin');
const cpu = !process.argv.includes('--no-cpu');
const PRELOAD = path.join(__dirname, 'lib', 'cpu-preload.js');

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
function time(cmd, args, env) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 30000 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return { ms, r };
}
/** CPU ms (user+sys) of one node process, reported by the preload on fd 3. */
function cpuTime(args, env) {
  const r = spawnSync(process.execPath, ['-r', PRELOAD, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe', 'pipe'], timeout: 30000 });
  const us = Number(String(r.output[3] ?? '').trim());
  return us > 0 ? us / 1000 : NaN;
}

const { setup, teardown, list } = cases(binDir);
setup();
let bad = 0;
try {
  // Interleave baseline and checks so drift in machine load hits both alike.
  const base = [];
  const baseCpu = [];
  const per = new Map(list.map((c) => [c.name, []]));
  const perCpu = new Map(list.map((c) => [c.name, []]));
  const first = new Map();
  for (let i = 0; i < runs; i++) {
    base.push(time(process.execPath, ['-e', '0']).ms);
    for (const c of list) {
      const { ms, r } = time(process.execPath, [c.bin, ...c.args], c.env);
      if (i === 0) {
        const line = (r.stdout ?? '').split('\n')[0];
        const ok = r.status === c.code && c.first.test(line);
        if (!ok) bad++;
        first.set(c.name, `${ok ? '' : 'UNEXPECTED '}exit ${r.status} (want ${c.code}) ${line}`);
      }
      per.get(c.name).push(ms);
    }
    if (!cpu) continue;
    baseCpu.push(cpuTime(['-e', '0']));
    for (const c of list) perCpu.get(c.name).push(cpuTime([c.bin, ...c.args], c.env));
  }
  const b = median(base);
  const bc = cpu ? median(baseCpu) : NaN;
  console.log(`baseline node -e 0: median ${b.toFixed(1)} ms wall${cpu ? `, ${bc.toFixed(1)} ms CPU` : ''} over ${runs} runs (node ${process.version}, checks from ${binDir})`);
  const cpuHead = cpu ? 'CPU ms'.padStart(9) + 'ratio'.padStart(7) + '   +ms' : '';
  console.log('check'.padEnd(22) + 'median ms'.padStart(10) + 'ratio'.padStart(8) + cpuHead + '   first run: exit (expected) first line');
  const ratios = [];
  const cpuRatios = [];
  for (const c of list) {
    const m = median(per.get(c.name));
    ratios.push(m / b);
    let cpuCols = '';
    if (cpu) {
      const mc = median(perCpu.get(c.name));
      cpuRatios.push(mc / bc);
      cpuCols = mc.toFixed(1).padStart(9) + (mc / bc).toFixed(2).padStart(6) + 'x' + (mc - bc).toFixed(1).padStart(6);
    }
    console.log(c.name.padEnd(22) + m.toFixed(1).padStart(10) + (m / b).toFixed(2).padStart(7) + 'x' + cpuCols + '   ' + first.get(c.name).slice(0, 100));
  }
  console.log(`worst ratio ${Math.max(...ratios).toFixed(2)}x, median of checks ${median(ratios).toFixed(2)}x (goal <= 1.25x)`);
  if (cpu) console.log(`CPU (own process, user+sys): worst ratio ${Math.max(...cpuRatios).toFixed(2)}x, median of checks ${median(cpuRatios).toFixed(2)}x`);
} finally {
  teardown();
}
if (bad) {
  console.log(`${bad} check(s) did not give the expected exit code or first line`);
  process.exitCode = 1;
}
