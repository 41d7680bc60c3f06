// The floor of a check's start-up (bench/startup.js --floor): a bare Node process doing the
// same I/O as the check on the same replayed input, and nothing else: read $LVSHA_CONFIG
// (JSON.parse), run the same programs with the same arguments (at once, like a check's
// parallel reads), read every file of the --root trees it reads, GET the sorry URL, print one
// line. What a check costs above this is lvsha's own: loading, parsing, judging.
// Usage: node floor.js JSON   (JSON = { spawn: [[cmd, ...args]], trees: [dir], url })
'use strict';
const spec = JSON.parse(process.argv[2]);
const fs = require('node:fs');
const path = require('node:path');
if (process.env.LVSHA_CONFIG) JSON.parse(fs.readFileSync(process.env.LVSHA_CONFIG, 'utf8'));
const jobs = [];
const walk = (d) => {
  for (const e of fs.readdirSync(d, { withFileTypes: true })) {
    const p = path.join(d, e.name);
    if (e.isDirectory()) walk(p);
    else jobs.push(fs.promises.readFile(p, 'utf8'));
  }
};
for (const t of spec.trees ?? []) walk(t);
if ((spec.spawn ?? []).length) {
  const { execFile } = require('node:child_process');
  for (const [cmd, ...args] of spec.spawn) jobs.push(new Promise((res) => execFile(cmd, args, () => res())));
}
if (spec.url) {
  jobs.push(new Promise((res, rej) => require('node:http').get(spec.url, (r) => { r.resume(); r.on('end', res); }).on('error', rej)));
}
Promise.all(jobs).then(() => process.stdout.write('FLOOR OK\n'));
