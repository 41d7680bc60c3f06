#!/usr/bin/env node
// What a --config file costs a check: loading a deployment in a fresh process (parse, schema,
// validation), median CPU time (user+sys) of each case as a ratio to `node -e 0` measured in
// the same run, interleaved. The schema check runs Ajv's generated code
// (src/model/deploymentValidator.ts); the last case shows what compiling the schema with Ajv
// at run time would cost instead; `--config DIR` of a director's /etc/keepalived (the generated
// keepalived.conf of the lab's deployment) reads keepalived.conf natively (src/model/keepalivedConf.ts).
// Needs dist/ (npx tsc -p tsconfig.json).
// Usage: node bench/config-load.js [runs]   (default 21)
'use strict';
const { spawnSync } = require('node:child_process');
const { mkdtempSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const path = require('node:path');

const root = path.join(__dirname, '..');
const runs = Number(process.argv[2]) > 0 ? Number(process.argv[2]) : 21;
const load = JSON.stringify(path.join(root, 'dist', 'model', 'load.js'));
const schema = JSON.stringify(path.join(root, 'dist', 'model', 'schema.js'));
const yaml = JSON.stringify(path.join(root, 'lab', 'deployment.yaml'));
// a director's /etc/keepalived: the generator's keepalived.conf of the lab's deployment
const kaDir = mkdtempSync(path.join(tmpdir(), 'lvsha-bench-ka-'));
{
  const d = require(path.join(root, 'dist', 'model', 'load.js')).loadDeployment(path.join(root, 'lab', 'deployment.yaml')).deployment;
  const { keepalivedConf } = require(path.join(root, 'dist', 'generate', 'keepalived.js'));
  writeFileSync(path.join(kaDir, 'keepalived.conf'), keepalivedConf(d, d.directors[0], { authKey: 'bench-key-0123456789' }));
}
process.on('exit', () => rmSync(kaDir, { recursive: true, force: true }));
const cases = {
  'node -e 0': '0',
  'embedded reference (no --config)': `process.env.LVSHA_CONFIG = ''; require(${load}).loadDeployment()`,
  '--config lab/deployment.yaml': `require(${load}).loadDeployment(${yaml})`,
  '--config /etc/keepalived (keepalived.conf)': `require(${load}).loadDeployment(${JSON.stringify(kaDir)})`,
  '  ... + compiling the schema with Ajv': `require(${load}).loadDeployment(${yaml}); const A = require('ajv').default; new A({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true }).compile(require(${schema}).deploymentSchema)`,
};
const cpu = (code) => {
  const r = spawnSync(process.execPath, ['-e', `${code}; const u = process.cpuUsage(); console.log((u.user + u.system) / 1000)`], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return Number(r.stdout.trim().split('\n').pop());
};
const times = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (let i = 0; i < runs; i++) for (const [k, code] of Object.entries(cases)) times[k].push(cpu(code));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const base = median(times['node -e 0']);
for (const [k, v] of Object.entries(times)) console.log(`${k.padEnd(44)} ${(median(v) / base).toFixed(2)}x node -e 0   (cpu ${median(v).toFixed(1)} ms)`);
