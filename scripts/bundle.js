#!/usr/bin/env node
// npm run build: one bundled file, build/lvsha.js (Node 20), and the check_lvs_* names and
// `lvsha` as links to it. ssh2's optional native parts (cpu-features, sshcrypto.node) are left
// out: ssh2 falls back to pure JavaScript.
//
// Start-up: V8 pre-parses every function of a script it compiles, so a plain bundle pays for
// ssh2, yaml, prom-client... (~85% of the code) on every check run. Here only the "hot" modules
// (what every check loads: the runtime, the checks, their probes and parsers, commander) are
// ordinary bundled code; every other module is embedded as a string (its code brotli-compressed,
// in base64) and decompressed and compiled (vm.compileFunction) the first time it is required.
// Compressed, because Node decodes the whole main file as UTF-8 and V8 scans it on every run:
// 1.1 MB cost ~10-20 ms of each check run on this machine; 0.65 MB now (bench: ipvs CPU
// 1.67x -> 1.50x of node -e 0, wall 1.60x -> 1.39x, interleaved in one run). Its require()s still go to the bundle's
// own module instances, so there is one copy of every module, as in a plain bundle.
// LVSHA_BUNDLE_PLAIN=1 builds the plain bundle instead (for comparison).
//
// V8 code cache: even so, compiling the bundle costs ~10 ms of every check run. build/lvsha.js
// is therefore a small loader followed by the bundle's code (the payload) kept in a comment;
// the loader compiles the payload with vm.Script, with the V8 code cache in build/lvsha.js.cache
// when that file is present and valid (same build id, checksum, V8 version and arch), else
// normally: the bundle alone works, the cache only saves time. The cache is made here, at
// build time, by running the bundle over representative paths (each check's --version, each
// check on replayed captures: bench/startup-cases.js) with LVSHA_CODE_CACHE_OUT set; each run
// starts from the previous cache and writes it back after running, so lazily compiled
// functions of every path are in it. A bundle never writes a cache otherwise.
// LVSHA_BUNDLE_NO_CACHE=1 skips making the cache.
'use strict';
const crypto = require('node:crypto');
const { spawnSync } = require('node:child_process');
const esbuild = require('esbuild');
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');

const root = path.join(__dirname, '..');
const out = path.join(root, 'build');
const src = path.join(root, 'src');
const rel = (p) => path.relative(root, p).split(path.sep).join('/');

/** Every check of src/checks/registry.ts (one link each): read from its source, so a new check is never left out. */
const CHECKS = (() => {
  const m = /CHECK_NAMES = \[([^\]]*)\]/.exec(fs.readFileSync(path.join(src, 'checks', 'registry.ts'), 'utf8'));
  if (!m) throw new Error('bundle: CHECK_NAMES not found in src/checks/registry.ts');
  return [...m[1].matchAll(/'([a-z]+)'/g)].map((x) => x[1]);
})();
/**
 * What a check run compiles anyway: kept as ordinary bundled code (with what these import eagerly).
 * The deployment schema and its Ajv validator (112 KiB) run on every check given --config or
 * $LVSHA_CONFIG: hot, they are in the code cache instead of compiled from a string each run
 * (bench: CPU -3 to -11 % per check, and a smaller cache); so is the IP rule the validator requires.
 */
const HOT_ROOTS = ['src/bundle.ts', 'src/cli.ts', 'src/checks/main.ts', ...CHECKS.map((c) => `src/checks/${c}.ts`), 'src/model/load.ts', 'src/model/schema.ts', 'src/model/deploymentValidator.ts', 'src/model/ipLiteral.ts'];
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
exports.lazyModule = (module, name, deps, packed) => {
  const code = require('node:zlib').brotliDecompressSync(Buffer.from(packed, 'base64')).toString('utf8');
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

/**
 * Builtins that hot code imports but most check runs never use: child_process (ipvs and sorry
 * spawn nothing; commander needs it only for executable subcommands), fs/promises (with the
 * readline interface it loads), tls and https (sorry on an http:// URL). In hot code each is a
 * stand-in whose properties load the real module on first use (~1-9 ms of module loading
 * saved per check run that does not use them). Property names are the build Node's; names a
 * newer Node adds are absent from the stand-in, which the sources (typed against this Node's
 * API) cannot use anyway. Cold modules get the real builtins.
 */
const LAZY_BUILTINS = ['child_process', 'fs/promises', 'tls', 'https'];
function lazyBuiltinsPlugin(hot) {
  const filter = new RegExp(`^(node:)?(${LAZY_BUILTINS.map((b) => b.replace('/', '\\/')).join('|')})$`);
  return {
    name: 'lvsha-lazy-builtins',
    setup(build) {
      build.onResolve({ filter }, (a) => (a.namespace === 'file' && hot.has(rel(a.importer)) ? { path: a.path.replace(/^node:/, ''), namespace: 'lvsha-builtin' } : undefined));
      build.onLoad({ filter: /.*/, namespace: 'lvsha-builtin' }, (a) => {
        const id = `node:${a.path}`;
        const props = Object.keys(require(id))
          .sort()
          .map((k) => `  ${JSON.stringify(k)}: { enumerable: true, get: () => load()[${JSON.stringify(k)}] },`);
        return { contents: `let m;\nconst load = () => (m ??= require(${JSON.stringify(id)}));\nmodule.exports = Object.defineProperties({}, {\n${props.join('\n')}\n});\n`, loader: 'js' };
      });
    },
  };
}

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
    // A symlinked node_modules (a worktree sharing the main one) shows as ../x/node_modules/...:
    // startsWith alone left packages out of the hot set, silently (62 hot modules instead of 70).
    const pkg = f.startsWith('node_modules/') || f.includes('/node_modules/');
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
        if (hot.has(r)) {
          // Generated CommonJS in a .ts file (src/model/deploymentValidator.ts) ends with
          // `export {};` for tsc: esbuild would take it for an ES module and break its module.exports.
          const text = r.endsWith('.ts') && fs.readFileSync(args.path, 'utf8');
          if (text && /^"use strict";module\.exports = /m.test(text) && /\nexport \{\};\s*$/.test(text)) return { contents: text.replace(/\nexport \{\};\s*$/, '\n'), loader: 'js' };
          return undefined;
        }
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
        const packed = zlib
          .brotliCompressSync(Buffer.from(code, 'utf8'), { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: code.length } })
          .toString('base64');
        stats.files++;
        stats.bytes += code.length;
        stats.packed += packed.length;
        return {
          contents: `require("lvsha:lazy").lazyModule(module,${JSON.stringify(r)},{${deps.join(',')}},${JSON.stringify(packed)});`,
          loader: 'js',
          resolveDir: path.dirname(args.path),
        };
      });
    },
  };
}

/** Name of the function whose body comment carries the payload (see loader). */
const CARRIER = 'lvshaPayload';
// The payload is a comment, so it cannot hold the comment's end (star slash): each one is
// written as a control character absent from the payload followed by a slash.
const ESCAPES = [...'\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f'];

/**
 * The loader: the start of build/lvsha.js, written here as a function whose source text goes
 * into the bundle (it is never called in this script: its free names, lvshaPayload, require,
 * module, __filename, __dirname, are the bundle file's). It takes the payload from the source
 * text of its carrier function (no second read of the file: V8 only skipped a comment when it
 * compiled the file), compiles it with the code cache when the cache is valid, and runs it with
 * the file's own exports/require/module/__filename/__dirname, as if it were the file's code.
 * Cache file: <bundle>.cache = one header line
 *   `LVSHA-V8-CACHE <build id> <V8 version> <arch> <crc32 of the data>\n`, then V8's data.
 * The checksum matters: V8 checks its version and flags but not the data (a damaged cache
 * crashed it here: SIGSEGV). zlib.crc32 (Node >= 20.15) costs ~0.7 ms where loading
 * node:crypto costs ~3 ms; without it (older Node) the cache is not used.
 * LVSHA_CODE_CACHE_DEBUG=1: one line on stderr saying whether the cache was used.
 * LVSHA_CODE_CACHE_OUT=FILE (build time only): write the cache to FILE after the run.
 */
/* global lvshaPayload */
function loader(BUILD, ESCAPE, lineOffset, columnOffset) {
  const fs = require('node:fs');
  const { Script } = require('node:vm');
  const { crc32 } = require('node:zlib');
  const sum = (b) => (typeof crc32 === 'function' ? crc32(b).toString(16).padStart(8, '0') : 'no-crc32');
  const carrier = String(lvshaPayload);
  const source = carrier.slice(carrier.indexOf('/*') + 2, carrier.lastIndexOf('*/')).replaceAll(ESCAPE, '*/');
  const cacheFile = `${__filename}.cache`;
  let cachedData;
  let why = 'absent';
  try {
    const b = fs.readFileSync(cacheFile);
    const nl = b.indexOf(10);
    const [magic, build, v8, arch, crc] = b.toString('latin1', 0, nl > 0 && nl < 256 ? nl : 0).split(' ');
    const data = b.subarray(nl + 1);
    if (magic !== 'LVSHA-V8-CACHE') why = 'rejected: not a code cache';
    else if (build !== BUILD || v8 !== process.versions.v8 || arch !== process.arch) why = `rejected: made for build ${build}, V8 ${v8}, ${arch}`;
    else if (typeof crc32 !== 'function') why = 'rejected: no zlib.crc32 in this Node';
    else if (sum(data) !== crc) why = 'rejected: crc32 mismatch';
    else cachedData = data;
  } catch (e) {
    if (e.code !== 'ENOENT') why = `rejected: ${e.code || e.message}`;
  }
  const script = new Script(source, { filename: __filename, lineOffset, columnOffset, cachedData });
  if (cachedData) why = script.cachedDataRejected ? 'rejected by V8 (other V8 flags?)' : 'used';
  if (process.env.LVSHA_CODE_CACHE_DEBUG) process.stderr.write(`lvsha: code cache ${cacheFile}: ${why}\n`);
  const out = process.env.LVSHA_CODE_CACHE_OUT;
  if (out) {
    // After the run, so that the functions it compiled lazily are in the cache too.
    process.once('exit', () => {
      const data = script.createCachedData();
      const tmp = `${out}.tmp-${process.pid}`;
      fs.writeFileSync(tmp, Buffer.concat([Buffer.from(`LVSHA-V8-CACHE ${BUILD} ${process.versions.v8} ${process.arch} ${sum(data)}\n`, 'latin1'), data]));
      fs.renameSync(tmp, out);
    });
  }
  script.runInThisContext().call(module.exports, module.exports, require, module, __filename, __dirname);
}

/** The text of build/lvsha.js up to the payload: the loader called with its constants, then the carrier's start. */
function head(buildId, escape, lineOffset, columnOffset) {
  const args = [buildId, `${escape}/`, lineOffset, columnOffset].map((a) => JSON.stringify(a)).join(', ');
  return [
    '#!/usr/bin/env node',
    `// lvsha single-file bundle, build ${buildId}: a loader (scripts/bundle.js), then the code, in the comment of ${CARRIER}.`,
    "'use strict';",
    `(${String(loader)})(${args});`,
    `function ${CARRIER}() {/*`,
  ].join('\n');
}

/** build/lvsha.js from esbuild's output: the loader, then the payload in the carrier's comment. */
function withLoader(code) {
  const payload = `(function (exports, require, module, __filename, __dirname) {${code}\n})`;
  const escape = ESCAPES.find((c) => !payload.includes(c));
  if (!escape) throw new Error('bundle: every escape character occurs in the payload: it cannot be carried in a comment');
  const buildId = crypto.createHash('sha256').update(payload).digest('hex').slice(0, 16);
  // Offsets put the payload's positions (stack traces) on the lines of build/lvsha.js.
  const h0 = head(buildId, escape, 0, 0);
  const lineOffset = h0.split('\n').length - 1;
  const columnOffset = h0.length - h0.lastIndexOf('\n') - 1;
  const text = `${head(buildId, escape, lineOffset, columnOffset)}${payload.replaceAll('*/', `${escape}/`)}*/}\n`;
  if (text.split('\n').length - 1 < lineOffset || !text.split('\n')[lineOffset].startsWith(`function ${CARRIER}() {/*(function (`)) throw new Error('bundle: loader layout');
  return { text, buildId };
}

/**
 * The code cache: runs the bundle over representative paths, each run starting from the cache
 * the previous one wrote. Paths that fail are reported, not fatal (the cache is only an
 * optimisation; test/shipping checks behaviour). Returns a summary line.
 */
function makeCodeCache(outfile) {
  const cacheFile = `${outfile}.cache`;
  const tmpFile = `${cacheFile}.new`;
  fs.rmSync(cacheFile, { force: true });
  const env = { ...process.env, LVSHA_CODE_CACHE_OUT: tmpFile };
  delete env.LVSHA_CODE_CACHE_DEBUG;
  delete env.NODE_OPTIONS; // V8 flags change the cache's flag hash
  const runs = [];
  const failed = [];
  const runOne = (name, file, args, extraEnv, ok) => {
    const r = spawnSync(process.execPath, [file, ...args], { cwd: out, encoding: 'utf8', env: { ...env, ...extraEnv }, timeout: 30000 });
    if (!ok(r) || !fs.existsSync(tmpFile)) failed.push(`${name} (exit ${r.status}: ${(r.stdout || r.stderr || String(r.error)).split('\n')[0]})`);
    else {
      fs.renameSync(tmpFile, cacheFile);
      runs.push(name);
    }
    fs.rmSync(tmpFile, { force: true });
  };
  const link = (n) => path.join(out, n);
  // Checks only: `lvsha` runs also compile the wrappers of cold modules, whose code strings
  // would then be in the cache (~130 KiB more to read and deserialize on every check run).
  for (const n of CHECKS) runOne(`check_lvs_${n} --version`, link(`check_lvs_${n}`), ['--version'], {}, (r) => r.status === 3);
  let bench;
  try {
    bench = require(path.join(root, 'bench', 'startup-cases.js')).cases(out);
    bench.setup();
  } catch (e) {
    failed.push(`replayed checks: ${e.message}`);
    bench?.teardown();
    bench = undefined;
  }
  if (bench) {
    try {
      for (const c of bench.list) runOne(c.name, c.bin, c.args, c.env, (r) => r.status === c.code && c.first.test(r.stdout.split('\n')[0]));
    } finally {
      bench.teardown();
    }
  }
  for (const f of failed) console.warn(`code cache: not from ${f}`);
  if (!fs.existsSync(cacheFile)) return 'no code cache';
  return `code cache ${(fs.statSync(cacheFile).size / 1024).toFixed(0)} KiB from ${runs.length} runs`;
}

async function main() {
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  const outfile = path.join(out, 'lvsha.js');
  const plain = !!process.env.LVSHA_BUNDLE_PLAIN;
  const stats = { files: 0, bytes: 0, packed: 0 };
  const plugins = [commandsPlugin];
  let hotCount = 0;
  if (!plain) {
    const { hot } = await hotSet();
    hotCount = hot.size;
    plugins.push(lazyBuiltinsPlugin(hot), lazyPlugin(hot, stats));
  }
  const r = await esbuild.build({
    ...common,
    minify: true,
    legalComments: 'none',
    charset: 'ascii',
    outfile,
    write: false,
    plugins,
  });
  const { text, buildId } = withLoader(r.outputFiles[0].text);
  fs.writeFileSync(outfile, text, { mode: 0o755 });
  fs.chmodSync(outfile, 0o755);
  for (const n of CHECKS) fs.symlinkSync('lvsha.js', path.join(out, `check_lvs_${n}`));
  fs.symlinkSync('lvsha.js', path.join(out, 'lvsha'));
  const size = fs.statSync(outfile).size;
  const how = plain ? 'plain' : `${hotCount} hot modules, ${stats.files} compiled on first use (${(stats.bytes / 1024).toFixed(0)} KiB, ${(stats.packed / 1024).toFixed(0)} KiB as brotli in base64)`;
  console.log(`build/lvsha.js ${(size / 1024).toFixed(0)} KiB (${how}), build ${buildId}, links: lvsha check_lvs_{${CHECKS.join(',')}}`);
  if (!process.env.LVSHA_BUNDLE_NO_CACHE) console.log(`build/lvsha.js.cache: ${makeCodeCache(outfile)}`);
}

main().catch((e) => {
  console.error(e.message ?? e);
  process.exitCode = 1;
});
