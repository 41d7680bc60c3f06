/**
 * The fast unit tests Stryker runs against each mutant (`npm run mutation`, stryker.config.js):
 * for the core (parsers, the runtime's range/perfdata/output) their own tests in test/parsers
 * and test/runtime; with LVSHA_MUTATION=checks (the checks' evaluate functions) test/checks.
 * Not the e2e, hostile or huge-input files, and the fuzz properties sampled 1 in 40
 * (test/mutation/fuzz.ts): a mutant's run must stay short.
 */
const base = require('./jest.config.js');
const checks = process.env.LVSHA_MUTATION === 'checks';
module.exports = {
  ...base,
  // Only the tested folders are crawled, not test/fixtures (1 700 captures) on every mutant's run.
  roots: checks ? ['<rootDir>/test/checks'] : ['<rootDir>/test/parsers', '<rootDir>/test/runtime'],
  testMatch: checks ? ['<rootDir>/test/checks/**/*.test.ts'] : ['<rootDir>/test/parsers/**/*.test.ts', '<rootDir>/test/runtime/{range,perfdata,output}.test.ts'],
  moduleNameMapper: { '^(\\.\\./)+helpers/fuzz$': '<rootDir>/test/mutation/fuzz.ts' },
};
