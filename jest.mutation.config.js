/**
 * The fast unit tests Stryker runs against each mutant (`npm run mutation`, stryker.config.js):
 * for the core (parsers, the runtime's pure parts: stryker.config.js) their own tests in
 * test/parsers and test/runtime; with LVSHA_MUTATION=checks (the checks' evaluate functions) test/checks.
 * Not the e2e, hostile or huge-input files, nor test/checks' describes that spawn a program;
 * the fuzz properties sampled 1 in 40 (test/mutation/fuzz.ts): a mutant's run must stay short.
 */
const base = require('./jest.config.js');
const checks = process.env.LVSHA_MUTATION === 'checks';
module.exports = {
  ...base,
  // Only the tested folders are crawled, not test/fixtures (1 700 captures) on every mutant's run.
  roots: checks ? ['<rootDir>/test/checks'] : ['<rootDir>/test/parsers', '<rootDir>/test/runtime'],
  testMatch: checks ? ['<rootDir>/test/checks/**/*.test.ts'] : ['<rootDir>/test/parsers/**/*.test.ts', '<rootDir>/test/runtime/{range,perfdata,output,result,errors,options,timeouts,deadlineRegExp}.test.ts'],
  // test/checks/fast.ts: the describes that spawn a program (the plugin from bin/ runs dist/,
  // which no mutant reaches) are skipped: a mutant's run is the fast unit tests only.
  globals: checks ? { LVSHA_FAST_ONLY: true } : {},
  moduleNameMapper: { '^(\\.\\./)+helpers/fuzz$': '<rootDir>/test/mutation/fuzz.ts' },
};
