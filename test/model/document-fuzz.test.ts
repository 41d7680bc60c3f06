/**
 * Adversarial deployment documents (issue 13, class 5): the reference deployment with one to
 * three values replaced by hostile ones (wrong types, huge and fractional numbers, empty and
 * oversized strings, nulls, nested lists, prototype keys) at random paths, 1 500 documents from a
 * fixed seed. Whatever the document, parseDeploymentText either returns a deployment the
 * validator can judge without throwing, or refuses with a UsageError whose one line names the
 * file; never a TypeError ("forEach is not a function") nor a line over 1 000 characters.
 */
import { UsageError } from '../../src/runtime/errors';
import { parseDeploymentText } from '../../src/model/load';
import { referenceDeployment } from '../../src/model/reference';
import { validateDeployment } from '../../src/model/validate';

/** mulberry32: a small deterministic PRNG, so a failure is reproduced by its index. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HOSTILE: unknown[] = [
  null, true, 0, -1, 1.5, 1e300, -1e300, 65536, 2 ** 53, '', ' ', 'abc', '999.1.1.1', '1e3', '0x10', 'a;b', '../../etc/passwd',
  'x'.repeat(10_000), 'line\nbreak', '\u0000', [], [null], [[]], {}, { a: 1 }, { __proto__: { polluted: 1 } }, ['frontal1'], { length: 3 },
];

/** Every path to a value in the document (objects and arrays walked). */
function paths(v: unknown, at: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [at];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...at, i])));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...at, k]));
  return out;
}

function setAt(doc: Record<string, unknown>, path: (string | number)[], value: unknown): void {
  let o: any = doc;
  for (const k of path.slice(0, -1)) o = o[k];
  o[path[path.length - 1]!] = value;
}

test('1 500 hostile documents: a deployment or one UsageError line, never a crash', () => {
  const rand = rng(13);
  const all = paths(JSON.parse(JSON.stringify(referenceDeployment))).filter((p) => p.length > 0);
  let refused = 0;
  for (let i = 0; i < 1500; i++) {
    const doc = JSON.parse(JSON.stringify(referenceDeployment));
    for (let n = 1 + Math.floor(rand() * 3); n > 0; n--) {
      const p = all[Math.floor(rand() * all.length)]!;
      try {
        setAt(doc, p, HOSTILE[Math.floor(rand() * HOSTILE.length)]);
      } catch {
        /* the parent was replaced by a scalar earlier in this document */
      }
    }
    const text = JSON.stringify(doc);
    try {
      const d = parseDeploymentText(text, 'fuzz.json');
      expect(() => validateDeployment(d)).not.toThrow();
    } catch (e) {
      if (!(e instanceof UsageError)) throw new Error(`document ${i}: ${(e as Error).stack}\n${text.slice(0, 500)}`);
      expect(e.message.startsWith('invalid deployment (fuzz.json): ') || e.message.startsWith('fuzz.json: ')).toBe(true);
      expect(e.message).not.toMatch(/\n/);
      expect(e.message.length).toBeLessThan(1000);
      refused++;
    }
  }
  expect(refused).toBeGreaterThan(1000); // most hostile values are refused
});
