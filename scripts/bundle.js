#!/usr/bin/env node
// npm run build: one bundled file, build/lvsha.js (Node 20), and the check_lvs_* names as links
// to it. ssh2's optional native parts (cpu-features, sshcrypto.node) are left out: ssh2 falls
// back to pure JavaScript. Lazy require()s stay lazy inside the bundle.
'use strict';
const { buildSync } = require('esbuild');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const out = path.join(root, 'build');
fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(out, { recursive: true });
buildSync({
  entryPoints: [path.join(root, 'src', 'bundle.ts')],
  bundle: true,
  platform: 'node',
  target: 'node20',
  minify: true,
  legalComments: 'none',
  external: ['cpu-features', '*.node'],
  banner: { js: '#!/usr/bin/env node' },
  outfile: path.join(out, 'lvsha.js'),
  logLevel: 'warning',
});
fs.chmodSync(path.join(out, 'lvsha.js'), 0o755);
for (const n of ['vip', 'heartbeat', 'ipvs', 'sync', 'arp', 'sorry']) fs.symlinkSync('lvsha.js', path.join(out, `check_lvs_${n}`));
fs.symlinkSync('lvsha.js', path.join(out, 'lvsha'));
const size = fs.statSync(path.join(out, 'lvsha.js')).size;
console.log(`build/lvsha.js ${(size / 1024).toFixed(0)} KiB, links: lvsha check_lvs_{vip,heartbeat,ipvs,sync,arp,sorry}`);
