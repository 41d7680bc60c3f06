#!/usr/bin/env node
// Start-up benchmark: each check on replayed real input (bench/startup-cases.js), median wall
// time as a ratio to `node -e 0` measured in the same run, interleaved. Also each process's
// own CPU time (user+sys, through bench/lib/cpu-preload.js, in separate runs also interleaved,
// so the preload does not touch the wall-time runs): on a loaded machine it moves far less than
// wall time. It leaves out the CPU of the programs a check spawns (replays).
// Also each check's floor (bench/lib/floor.js): bare Node doing the same I/O (the same programs
// run, files read, URL asked), so "check / floor" is what lvsha itself adds; a check that runs
// a program can never reach the bare `node -e 0`.
// --against DIR: the same checks from another build too (e.g. the previous commit's bundle),
// interleaved, and the ratio new / old per check.
// Usage: node bench/startup.js [runs] [--bundle DIR] [--against DIR] [--no-cpu]
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
const againstIdx = process.argv.indexOf('--against');
const againstDir = againstIdx > 0 ? path.resolve(process.argv[againstIdx + 1]) : undefined;
const PRELOAD = path.join(__dirname, 'lib', 'cpu-preload.js');
const FLOOR = path.join(__dirname, 'lib', 'floor.js');

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
  // Interleave baseline, floors and checks so drift in machine load hits all alike.
  const other = (c) => path.join(againstDir, path.basename(c.bin));
  const floorArgs = (c) => [FLOOR, JSON.stringify(c.floor ?? {})];
  const kinds = ['check', 'floor', ...(againstDir ? ['old'] : [])];
  const argsOf = (kind, c) => (kind === 'check' ? [c.bin, ...c.args] : kind === 'floor' ? floorArgs(c) : [other(c), ...c.args]);
  const wall = new Map();
  const cpuMs = new Map();
  const at = (m, k) => (m.has(k) ? m.get(k) : m.set(k, []).get(k));
  const first = new Map();
  for (let i = 0; i < runs; i++) {
    at(wall, 'base').push(time(process.execPath, ['-e', '0']).ms);
    for (const c of list) {
      for (const kind of kinds) {
        const { ms, r } = time(process.execPath, argsOf(kind, c), c.env);
        if (i === 0 && kind !== 'floor') {
          const line = (r.stdout ?? '').split('\n')[0];
          const ok = r.status === c.code && c.first.test(line);
          if (!ok) bad++;
          if (kind === 'check') first.set(c.name, `${ok ? '' : 'UNEXPECTED '}exit ${r.status} (want ${c.code}) ${line}`);
          else if (!ok) console.log(`${c.name} from ${againstDir}: UNEXPECTED exit ${r.status} ${line.slice(0, 80)}`);
        }
        if (i === 0 && kind === 'floor' && !/^FLOOR OK/.test(r.stdout ?? '')) {
          bad++;
          console.log(`${c.name} floor failed: ${(r.stderr ?? '').split('\n')[0]}`);
        }
        at(wall, `${kind} ${c.name}`).push(ms);
      }
    }
    if (!cpu) continue;
    at(cpuMs, 'base').push(cpuTime(['-e', '0']));
    for (const c of list) for (const kind of kinds) at(cpuMs, `${kind} ${c.name}`).push(cpuTime(argsOf(kind, c), c.env));
  }
  const med = (m, k) => median(m.get(k));
  const b = med(wall, 'base');
  const bc = cpu ? med(cpuMs, 'base') : NaN;
  console.log(`baseline node -e 0: median ${b.toFixed(1)} ms wall${cpu ? `, ${bc.toFixed(1)} ms CPU` : ''} over ${runs} runs (node ${process.version}, checks from ${binDir}${againstDir ? `, old from ${againstDir}` : ''})`);
  const cpuHead = cpu ? 'CPU ms'.padStart(9) + 'ratio'.padStart(7) + '   +ms' : '';
  const oldHead = againstDir ? ' new/old'.padStart(9) + (cpu ? ' CPU n/o'.padStart(9) : '') : '';
  console.log('check'.padEnd(22) + 'median ms'.padStart(10) + 'ratio'.padStart(8) + cpuHead + ' floor ms'.padStart(10) + ' /floor'.padStart(8) + (cpu ? ' CPU/floor'.padStart(10) : '') + oldHead + '   first run: exit (expected) first line');
  const ratios = [];
  const cpuRatios = [];
  const floorRatios = [];
  const cpuFloorRatios = [];
  for (const c of list) {
    const m = med(wall, `check ${c.name}`);
    const f = med(wall, `floor ${c.name}`);
    ratios.push(m / b);
    floorRatios.push(m / f);
    let cpuCols = '';
    let cpuFloor = '';
    if (cpu) {
      const mc = med(cpuMs, `check ${c.name}`);
      const fc = med(cpuMs, `floor ${c.name}`);
      cpuRatios.push(mc / bc);
      cpuFloorRatios.push(mc / fc);
      cpuCols = mc.toFixed(1).padStart(9) + (mc / bc).toFixed(2).padStart(6) + 'x' + (mc - bc).toFixed(1).padStart(6);
      cpuFloor = (mc / fc).toFixed(2).padStart(9) + 'x';
    }
    let oldCols = '';
    if (againstDir) {
      oldCols = (m / med(wall, `old ${c.name}`)).toFixed(2).padStart(8) + 'x';
      if (cpu) oldCols += (med(cpuMs, `check ${c.name}`) / med(cpuMs, `old ${c.name}`)).toFixed(2).padStart(8) + 'x';
    }
    console.log(c.name.padEnd(22) + m.toFixed(1).padStart(10) + (m / b).toFixed(2).padStart(7) + 'x' + cpuCols + f.toFixed(1).padStart(10) + (m / f).toFixed(2).padStart(7) + 'x' + cpuFloor + oldCols + '   ' + first.get(c.name).slice(0, 100));
  }
  console.log(`worst ratio ${Math.max(...ratios).toFixed(2)}x, median of checks ${median(ratios).toFixed(2)}x (goal <= 1.25x)`);
  console.log(`to the floor (the same I/O in bare Node): worst ${Math.max(...floorRatios).toFixed(2)}x, median ${median(floorRatios).toFixed(2)}x`);
  if (cpu) console.log(`CPU (own process, user+sys): worst ratio ${Math.max(...cpuRatios).toFixed(2)}x, median of checks ${median(cpuRatios).toFixed(2)}x; to the floor: worst ${Math.max(...cpuFloorRatios).toFixed(2)}x, median ${median(cpuFloorRatios).toFixed(2)}x`);
} finally {
  teardown();
}
if (bad) {
  console.log(`${bad} check(s) did not give the expected exit code or first line`);
  process.exitCode = 1;
}
