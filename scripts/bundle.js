#!/usr/bin/env node
// npm run build: one bundled file, build/lvsha.js (Node 20), and the check_lvs_* names and
// `lvsha` as links to it. ssh2's optional native parts (cpu-features, sshcrypto.node) are left
// out: ssh2 falls back to pure JavaScript.
//
// Start-up: V8 pre-parses every function of a script it compiles, so a plain bundle pays for
// ssh2, yaml, prom-client... (~85% of the code) on every check run. Here only the "hot" modules
// (what every check loads: the runtime, the checks, their probes and parsers, commander) are
// ordinary bundled code; every other module is embedded as a string and compiled
// (vm.compileFunction) the first time it is required. Its require()s still go to the bundle's
// own module instances, so there is one copy of every module, as in a plain bundle.
// LVSHA_BUNDLE_PLAIN=1 builds the plain bundle instead (for comparison).
'use strict';
const esbuild = require('esbuild');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const out = path.join(root, 'build');
const src = path.join(root, 'src');
const rel = (p) => path.relative(root, p).split(path.sep).join('/');

const CHECKS = ['vip', 'heartbeat', 'ipvs', 'sync', 'arp', 'sorry'];
/** What a check run compiles anyway: kept as ordinary bundled code (with what these import eagerly). */
const HOT_ROOTS = ['src/bundle.ts', 'src/cli.ts', 'src/checks/main.ts', ...CHECKS.map((c) => `src/checks/${c}.ts`), 'src/model/load.ts'];
const EXTERNAL = ['cpu-features', '*.node'];

/** `lvsha:commands`: every src/<dir>/command.ts, so the CLI's subcommand loader finds them in the bundle. */
/**
 * `lvsha:lazy`: compiles a cold module's code on its first require, as Node's CJS loader would,
 * with a require() that answers from the bundle (deps) and falls back to Node's (builtins and
 * the externals ssh2 tries and does without). __filename/__dirname are the bundle's.
 */
const LAZY_RUNTIME = `'use strict';
const { compileFunction } = require('node:vm');
const own = Object.prototype.hasOwnProperty;
const nodeRequire = require;
exports.lazyModule = (module, name, deps, code) => {
  const req = (id) => (own.call(deps, id) ? deps[id]() : nodeRequire(id));
  const fn = compileFunction(code, ['exports', 'require', 'module', '__filename', '__dirname'], { filename: __filename + '/' + name });
  fn.call(module.exports, module.exports, req, module, __filename, __dirname);
};
`;

const commandsPlugin = {
  name: 'lvsha-commands',
  setup(build) {
    build.onResolve({ filter: /^lvsha:(commands|lazy)$/ }, (a) => ({ path: a.path.slice(6), namespace: 'lvsha' }));
    build.onLoad({ filter: /.*/, namespace: 'lvsha' }, (a) => {
      if (a.path === 'lazy') return { contents: LAZY_RUNTIME, loader: 'js', resolveDir: src };
      const dirs = fs.readdirSync(src).filter((d) => fs.existsSync(path.join(src, d, 'command.ts'))).sort();
      const lines = dirs.map((d) => `  ${JSON.stringify(`./${d}/command`)}: () => require(${JSON.stringify(`./${d}/command`)}),`);
      return { contents: `module.exports = {\n${lines.join('\n')}\n};\n`, loader: 'js', resolveDir: src };
    });
  },
};

const common = {
  entryPoints: [path.join(src, 'bundle.ts')],
  bundle: true,
  platform: 'node',
  target: 'node20',
  external: EXTERNAL,
  absWorkingDir: root,
  logLevel: 'warning',
};

/** Pass 1: the module graph; hot = closure of HOT_ROOTS over static imports (src) and requires (packages). */
async function hotSet() {
  const r = await esbuild.build({ ...common, write: false, metafile: true, outfile: path.join(out, 'graph.js'), plugins: [commandsPlugin], logLevel: 'error' });
  const inputs = r.metafile.inputs;
  const hot = new Set();
  const visit = (f) => {
    if (hot.has(f) || !inputs[f]) return;
    hot.add(f);
    const pkg = f.startsWith('node_modules/');
    for (const i of inputs[f].imports) if (!i.external && (pkg || i.kind === 'import-statement')) visit(i.path);
  };
  HOT_ROOTS.forEach(visit);
  return { hot, all: Object.keys(inputs) };
}

const REQUIRE = /\brequire\(\s*("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')\s*\)/g;
const isExternal = (id) => id === 'cpu-features' || id.endsWith('.node');

/** Pass 2 plugin: every cold module becomes a string compiled on first require. */
function lazyPlugin(hot, stats) {
  return {
    name: 'lvsha-lazy',
    setup(build) {
      build.onLoad({ filter: /\.(ts|js|cjs)$/ }, (args) => {
        const r = rel(args.path);
        if (hot.has(r)) return undefined;
        const text = fs.readFileSync(args.path, 'utf8');
        const code = esbuild.transformSync(text, {
          loader: args.path.endsWith('.ts') ? 'ts' : 'js',
          format: 'cjs',
          platform: 'node',
          target: 'node20',
          minify: true,
          legalComments: 'none',
          sourcefile: r,
        }).code;
        const ids = [...new Set([...code.matchAll(REQUIRE)].map((m) => JSON.parse(m[1][0] === "'" ? `"${m[1].slice(1, -1).replace(/"/g, '\\"')}"` : m[1])))];
        const deps = ids.filter((id) => !isExternal(id)).map((id) => `${JSON.stringify(id)}:()=>require(${JSON.stringify(id)})`);
        stats.files++;
        stats.bytes += code.length;
        return {
          contents: `require("lvsha:lazy").lazyModule(module,${JSON.stringify(r)},{${deps.join(',')}},${JSON.stringify(code)});`,
          loader: 'js',
          resolveDir: path.dirname(args.path),
        };
      });
    },
  };
}

async function main() {
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  const outfile = path.join(out, 'lvsha.js');
  const plain = !!process.env.LVSHA_BUNDLE_PLAIN;
  const stats = { files: 0, bytes: 0 };
  const plugins = [commandsPlugin];
  let hotCount = 0;
  if (!plain) {
    const { hot } = await hotSet();
    hotCount = hot.size;
    plugins.push(lazyPlugin(hot, stats));
  }
  await esbuild.build({
    ...common,
    minify: true,
    legalComments: 'none',
    banner: { js: '#!/usr/bin/env node' },
    outfile,
    plugins,
  });
  fs.chmodSync(outfile, 0o755);
  for (const n of CHECKS) fs.symlinkSync('lvsha.js', path.join(out, `check_lvs_${n}`));
  fs.symlinkSync('lvsha.js', path.join(out, 'lvsha'));
  const size = fs.statSync(outfile).size;
  const how = plain ? 'plain' : `${hotCount} hot modules, ${stats.files} compiled on first use (${(stats.bytes / 1024).toFixed(0)} KiB)`;
  console.log(`build/lvsha.js ${(size / 1024).toFixed(0)} KiB (${how}), links: lvsha check_lvs_{${CHECKS.join(',')}}`);
}

main().catch((e) => {
  console.error(e.message ?? e);
  process.exitCode = 1;
});
