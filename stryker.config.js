/**
 * Mutation testing of the pure core (issue #19): `npm run mutation`, README "Mutation testing".
 * Mutated: the runtime's range, perfdata and output, every parser, and every check's policy:
 * each top-level `function evaluate…` of src/checks/*.ts and the check's `evaluate(m, c)`
 * method, found here by line range so the checks' configure/gather (I/O, covered by the
 * plugin tests' child processes, which Stryker cannot see) are not counted.
 * Tests: jest.mutation.config.js (the fast unit files only).
 */
const { readdirSync, readFileSync } = require('node:fs');
const { join } = require('node:path');

/** `src/checks/x.ts:from-to` for each evaluate function and evaluate method of a check. */
function evaluateRanges() {
  const out = [];
  for (const f of readdirSync(join(__dirname, 'src/checks')).filter((n) => n.endsWith('.ts')).sort()) {
    const lines = readFileSync(join(__dirname, 'src/checks', f), 'utf8').split('\n');
    let start = -1;
    let close = '';
    lines.forEach((l, i) => {
      if (start < 0) {
        if (/^(export )?function evaluate\w*\(/.test(l)) [start, close] = [i, '}'];
        else if (/^  evaluate\(/.test(l) && !l.trimEnd().endsWith(',')) [start, close] = [i, '  }'];
      } else if (l === close || l === close + ',' || l === close + ';') {
        out.push(`src/checks/${f}:${start + 1}-${i + 1}`);
        start = -1;
      }
    });
  }
  return out;
}

// Two scopes, each with the tests of what it mutates (a mutant in a module-level table is
// "static": every test of the run goes against it, so the checks' process-spawning tests must
// not run for a parser's mutants). `npm run mutation` runs both.
const checks = process.env.LVSHA_MUTATION === 'checks';
// The runtime's pure parts: ranges, perfdata, output, the policy core every check ends in
// (result.ts' evaluate/combine, state.ts), option parsing, delays, errors, the deadline-bounded
// regex. Not mutated: the process plumbing (plugin.ts, children.ts, check.ts,
// readBounded.ts, source.ts), tested by spawning the plugin, which a mutant in this process
// never reaches.
const core = [
  'src/runtime/range.ts',
  'src/runtime/perfdata.ts',
  'src/runtime/output.ts',
  'src/runtime/result.ts',
  'src/runtime/state.ts',
  'src/runtime/options.ts',
  'src/runtime/timeouts.ts',
  'src/runtime/errors.ts',
  'src/runtime/deadlineRegExp.ts',
  'src/parsers/*.ts',
];
const report = checks ? 'reports/mutation/checks' : 'reports/mutation/core';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
module.exports = {
  packageManager: 'npm',
  testRunner: 'jest',
  jest: { projectType: 'custom', configFile: 'jest.mutation.config.js' },
  coverageAnalysis: 'perTest',
  mutate: checks ? evaluateRanges() : core,
  // .stryker-tmp: each scope's sandboxes (core/, checks/); Stryker skips only its own tempDirName,
  // so a run beside the other scope's copied that one's sandbox mid-change (ENOENT, run lost).
  ignorePatterns: ['.lab', '.lab-vm', 'coverage', 'reports', '.stryker-tmp'],
  reporters: ['clear-text', 'html', 'json', 'progress-append-only'],
  htmlReporter: { fileName: `${report}/index.html` },
  jsonReporter: { fileName: `${report}/mutation.json` },
  clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0 },
  concurrency: 1,
  timeoutMS: 10000,
  // Incremental (issue #19's cost): the results of the last run, per scope, are kept in
  // reports/ (gitignored); a mutant whose code and covering tests did not change keeps its
  // result, so re-measuring a file after adding tests runs only its survivors and the mutants
  // the new tests cover. Mutants of files outside --mutate are kept. --force re-runs all.
  incremental: true,
  incrementalFile: `reports/stryker-incremental-${checks ? 'checks' : 'core'}.json`,
  tempDirName: checks ? '.stryker-tmp/checks' : '.stryker-tmp/core',
  // The sandbox sits inside the project: node and jest find /work/main/node_modules upwards.
  // Symlinking it made Stryker walk the whole tree for node_modules folders, .stryker-tmp
  // included, and crash (ENOENT) when the other scope's run removed a sandbox meanwhile.
  ...(checks ? { symlinkNodeModules: false } : {}),
  cleanTempDir: true,
  thresholds: { high: 85, low: 70, break: null },
};
