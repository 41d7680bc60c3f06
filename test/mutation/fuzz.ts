/**
 * The fuzz helper under mutation testing (jest.mutation.config.js maps `../helpers/fuzz` here):
 * the same property on 1 input in 40 (250 instead of 10 000), so a parser's crash class still
 * kills its mutant while each mutant's run stays short. The counts it returns are scaled back
 * by 40, so the tests' proportions (accepted + rejected = count, rejected > 10 %) keep their
 * meaning. The real helper is loaded by absolute path, which the mapper does not match.
 */
import { join } from 'node:path';
import type * as Real from '../helpers/fuzz';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const real = require(join(__dirname, '..', 'helpers', 'fuzz.ts')) as typeof Real;

const SAMPLE = 40;

export const prng = real.prng;
export const mutate = real.mutate;
export const fuzzParser: typeof real.fuzzParser = (parse, seeds, count = 10000, seed = 42) => {
  if (count % SAMPLE !== 0) return real.fuzzParser(parse, seeds, count, seed);
  const r = real.fuzzParser(parse, seeds, count / SAMPLE, seed);
  return { accepted: r.accepted * SAMPLE, rejected: r.rejected * SAMPLE };
};
