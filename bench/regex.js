#!/usr/bin/env node
// What running `-r` under a deadline costs (src/runtime/deadlineRegExp.ts, vm with a timeout):
// 1. start-up: a process that loads it and makes its first match, vs one that matches with a
//    plain RegExp (the baseline, same run, interleaved), median wall and CPU ms;
// 2. per match, in one process: a plain RegExp vs DeadlineRegExp on the same page, as a ratio.
// Usage: node bench/regex.js [runs]   (needs dist/: npm run compile)
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const runs = Number(process.argv[2]) > 0 ? Number(process.argv[2]) : 21;
const mod = path.join(__dirname, '..', 'dist', 'runtime', 'deadlineRegExp.js');
const PAGE = '<html><body><h1>frontal1: site under maintenance</h1></body></html>\n'.repeat(200);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
// Each child prints its own CPU (user+sys) and the ms its first match took, measured inside.
const probe = (body) => `const t0=process.hrtime.bigint();${body};const ms=Number(process.hrtime.bigint()-t0)/1e6;const u=process.cpuUsage();console.log(JSON.stringify({ms,cpu:(u.user+u.system)/1000}))`;
const plain = probe(`new RegExp('maintenance').test(${JSON.stringify(PAGE)})`);
const bounded = probe(`const {DeadlineRegExp}=require(${JSON.stringify(mod)});new DeadlineRegExp('maintenance',Date.now()+10000).test(${JSON.stringify(PAGE)})`);

function run(code) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', timeout: 30000 });
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(r.stderr);
  return { wall, ...JSON.parse(r.stdout) };
}

const a = { wall: [], cpu: [], first: [] };
const b = { wall: [], cpu: [], first: [] };
for (let i = 0; i < runs; i++) {
  for (const [k, code] of [[a, plain], [b, bounded]]) {
    const r = run(code);
    k.wall.push(r.wall);
    k.cpu.push(r.cpu);
    k.first.push(r.ms);
  }
}
console.log(`start-up over ${runs} runs (node ${process.version}), medians:`);
console.log(`  plain RegExp      : wall ${median(a.wall).toFixed(1)} ms, CPU ${median(a.cpu).toFixed(1)} ms, first match ${median(a.first).toFixed(2)} ms`);
console.log(`  DeadlineRegExp    : wall ${median(b.wall).toFixed(1)} ms, CPU ${median(b.cpu).toFixed(1)} ms, first match ${median(b.first).toFixed(2)} ms (load + vm context)`);
console.log(`  ratio wall ${(median(b.wall) / median(a.wall)).toFixed(3)}x, +${(median(b.wall) - median(a.wall)).toFixed(1)} ms; first match +${(median(b.first) - median(a.first)).toFixed(2)} ms`);

// Per match, warm, same process.
const { DeadlineRegExp } = require(mod);
const n = 2000;
const re = new RegExp('site under (repair|works)');
const dre = new DeadlineRegExp('site under (repair|works)', Date.now() + 600000);
const time = (f) => {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) f();
  return Number(process.hrtime.bigint() - t0) / 1e3 / n;
};
time(() => re.test(PAGE));
time(() => dre.test(PAGE));
const tp = [];
const td = [];
for (let k = 0; k < 7; k++) {
  tp.push(time(() => re.test(PAGE)));
  td.push(time(() => dre.test(PAGE)));
}
console.log(`per match on ${PAGE.length} B (warm, ${n} x 7): plain ${median(tp).toFixed(1)} us, DeadlineRegExp ${median(td).toFixed(1)} us, ratio ${(median(td) / median(tp)).toFixed(2)}x`);
