/** Tests are TypeScript, transpiled only (type checking is `tsc -p tsconfig.test.json`). */
const e2e = !!(process.env.CI || process.env.LVSHA_E2E);
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }] },
  testTimeout: 60000,
  // The lab's end-to-end files share one set of namespaces (and `lab down` clears both tiers):
  // when they run, files run one at a time whatever the number of cores.
  // test/e2e/sequencer.js: the e2e files last, netns -> keepalived -> vm.
  ...(e2e ? { maxWorkers: 1, testSequencer: '<rootDir>/test/e2e/sequencer.js' } : {}),
};
