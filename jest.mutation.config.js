/**
 * The fast unit tests Stryker runs against each mutant (`npm run mutation`, stryker.config.js):
 * parsers, the runtime's range/perfdata/output and the checks' policies. Not the e2e, hostile or
 * huge-input files, and the fuzz properties at 300 inputs (test/mutation/fuzz.ts) instead of
 * 10 000: a mutant's run must stay short.
 */
const base = require('./jest.config.js');
module.exports = {
  ...base,
  // Only the tested folders are crawled, not test/fixtures (1 700 captures) on every mutant's run.
  roots: ['<rootDir>/test/parsers', '<rootDir>/test/runtime', '<rootDir>/test/checks'],
  testMatch: [
    '<rootDir>/test/parsers/**/*.test.ts',
    '<rootDir>/test/runtime/{range,perfdata,output}.test.ts',
    '<rootDir>/test/checks/**/*.test.ts',
  ],
  moduleNameMapper: { '^(\\.\\./)+helpers/fuzz$': '<rootDir>/test/mutation/fuzz.ts' },
};
