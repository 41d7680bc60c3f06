#!/usr/bin/env node
// Start-up benchmark: each check on replayed real input (bench/startup-cases.js), median wall
// time as a ratio to `node -e 0` measured in the same run, interleaved.
// Usage: node bench/startup.js [runs] [--bundle DIR]   (default runs 21, DIR = bin/ i.e. dist/)
// Exit status 1 when a check's exit code or first line is not the expected one.
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { cases } = require('./startup-cases');

const runs = Number(process.argv[2]) > 0 ? Number(process.argv[2]) : 21;
const bundleIdx = process.argv.indexOf('--bundle');
const binDir = bundleIdx > 0 ? path.resolve(process.argv[bundleIdx + 1] ?? 'build') : path.join(__dirname, '..', 'bin');

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

const { setup, teardown, list } = cases(binDir);
setup();
let bad = 0;
try {
  // Interleave baseline and checks so drift in machine load hits both alike.
  const base = [];
  const per = new Map(list.map((c) => [c.name, []]));
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
  }
  const b = median(base);
  console.log(`baseline node -e 0: median ${b.toFixed(1)} ms over ${runs} runs (node ${process.version}, checks from ${binDir})`);
  console.log('check'.padEnd(22) + 'median ms'.padStart(10) + 'ratio'.padStart(8) + '   first run: exit (expected) first line');
  const ratios = [];
  for (const c of list) {
    const m = median(per.get(c.name));
    ratios.push(m / b);
    console.log(c.name.padEnd(22) + m.toFixed(1).padStart(10) + (m / b).toFixed(2).padStart(7) + 'x   ' + first.get(c.name).slice(0, 110));
  }
  console.log(`worst ratio ${Math.max(...ratios).toFixed(2)}x, median of checks ${median(ratios).toFixed(2)}x (goal <= 1.25x)`);
} finally {
  teardown();
}
if (bad) {
  console.log(`${bad} check(s) did not give the expected exit code or first line`);
  process.exitCode = 1;
}
