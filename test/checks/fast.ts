/**
 * The checks' mutation runs (LVSHA_MUTATION=checks, jest.mutation.config.js sets the global
 * LVSHA_FAST_ONLY) run the fast unit tests only (issue #19). A describe that spawns a program
 * (the plugin from bin/, which runs dist/ and never sees a mutant; openssl, ssh-keygen, sshd) is
 * declared with describeSpawning: skipped there, its body not even collected, so nothing it
 * runs at collection time (a probe for ssh-keygen) costs a mutant's run. Everywhere else
 * (npm test, .ci/run) it is a plain describe.
 */
export const FAST_ONLY = (globalThis as { LVSHA_FAST_ONLY?: unknown }).LVSHA_FAST_ONLY === true;

export const describeSpawning = (name: string, fn: () => void): void =>
  FAST_ONLY ? describe.skip(name, () => test.skip('spawns a program: not in the mutation runs', () => undefined)) : describe(name, fn);
