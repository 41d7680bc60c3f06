#!/usr/bin/env node
// Captures what the SSH source's read batch (src/sources/readBatch.ts) really prints, from
// the real shells a target may have: dash (/bin/sh on Debian) and busybox ash. Run as root
// after `npx tsc -p tsconfig.json`; writes test/fixtures/real/readbatch/<shell>.out + .meta.
// The batch runs as nobody (setpriv), so a mode-600 root file gives a real EACCES.
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const { chmodSync, mkdirSync, rmSync, writeFileSync } = require('node:fs');
const path = require('node:path');
const { readBatchArgv } = require(path.join(__dirname, '..', 'dist', 'sources', 'readBatch'));

const T = '/tmp/lvsha-readbatch-capture';
const OUT = path.join(__dirname, '..', 'test', 'fixtures', 'real', 'readbatch');
const BOUNDARY = '5f0c1e2d3b4a69788796a5b4';
const REQS = [
  ['f', `${T}/plain`],
  ['f', `${T}/no-newline`],
  ['f', `${T}/empty`],
  ['f', `${T}/tabs`],
  ['f', `${T}/missing`],
  ['f', `${T}/dir`],
  ['f', `${T}/secret`],
  ['f', `${T}/dangling`],
  ['d', `${T}/dir`],
  ['d', `${T}/empty-dir`],
  ['d', `${T}/missing-dir`],
  ['f', '/proc/sys/net/ipv4/conf/lo/arp_ignore'],
  ['f', `${T}/with space's`],
].map(([kind, p]) => ({ kind, path: p }));

rmSync(T, { recursive: true, force: true });
mkdirSync(`${T}/dir`, { recursive: true });
mkdirSync(`${T}/empty-dir`);
writeFileSync(`${T}/plain`, '1\n');
writeFileSync(`${T}/no-newline`, 'x');
writeFileSync(`${T}/empty`, '');
writeFileSync(`${T}/tabs`, 'net.ipv4.conf.all.arp_ignore\t= 1 \n\n# trailing spaces  \n');
writeFileSync(`${T}/secret`, 'not for nobody\n');
chmodSync(`${T}/secret`, 0o600);
execFileSync('ln', ['-s', `${T}/nowhere`, `${T}/dangling`]);
for (const n of ['b', '.hidden', 'a', 'with space']) writeFileSync(`${T}/dir/${n}`, '');
writeFileSync(`${T}/with space's`, "it's\n");
chmodSync(T, 0o755);

mkdirSync(OUT, { recursive: true });
const shells = [
  ['dash', ['/bin/sh']],
  ['busybox', ['/bin/busybox', 'sh']],
];
try {
  for (const [name, sh] of shells) {
    const argv = readBatchArgv(BOUNDARY, REQS);
    // argv = ['sh', '-c', SCRIPT, ...]: run it with this shell instead of `sh`.
    const full = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--', ...sh, ...argv.slice(1)];
    const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' };
    const r = spawnSync(full[0], full.slice(1), { env, encoding: 'utf8', timeout: 10000 });
    if (r.status !== 0) throw new Error(`${name}: exit ${r.status}: ${r.stderr}`);
    writeFileSync(path.join(OUT, `${name}.out`), r.stdout);
    const version = name === 'busybox' ? spawnSync('/bin/busybox', [], { encoding: 'utf8' }).stdout.split('\n')[0] : execFileSync('dpkg-query', ['-W', '-f', '${Package} ${Version}', 'dash'], { encoding: 'utf8' });
    writeFileSync(
      path.join(OUT, `${name}.meta`),
      [
        `command: setpriv --reuid=65534 --regid=65534 --clear-groups -- ${sh.join(' ')} -c READ_BATCH_SCRIPT lvsha-read ${BOUNDARY} <requests>`,
        `shell: ${version.trim()}`,
        `boundary: ${BOUNDARY}`,
        `requests: ${JSON.stringify(REQS)}`,
        `tree: made by scripts/capture-readbatch.js under ${T} (secret: root, mode 600; dangling: symlink to nowhere)`,
        `exit: ${r.status}`,
        `captured: ${new Date().toISOString()} by scripts/capture-readbatch.js`,
        '',
      ].join('\n'),
    );
    console.log(`${name}: ${r.stdout.length} bytes`);
  }
} finally {
  rmSync(T, { recursive: true, force: true });
}
