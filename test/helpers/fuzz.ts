import { ParseError } from '../../src/runtime/errors';

/** Small seeded PRNG (mulberry32): property runs are reproducible from the seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const JUNK = ['', ' ', '\t', ':', '::', '-', '0x', 'FFFFFFFF', '-1', '999999999999999999999', 'NaN', '\u00e9', '\u0000', '\n', '[', ']', '{', '"', '%', '->', '1e9'];

/** One malformed variant of a real captured text: cut, spliced, shuffled or sprinkled with junk. */
export function mutate(text: string, rnd: () => number): string {
  const pick = <T>(a: T[]): T => a[Math.floor(rnd() * a.length)]!;
  let s = text;
  const ops = 1 + Math.floor(rnd() * 4);
  for (let k = 0; k < ops; k++) {
    const i = Math.floor(rnd() * (s.length + 1));
    const j = Math.min(s.length, i + Math.floor(rnd() * 40));
    switch (Math.floor(rnd() * 9)) {
      case 0: // delete a span
        s = s.slice(0, i) + s.slice(j);
        break;
      case 1: // insert junk
        s = s.slice(0, i) + pick(JUNK) + s.slice(i);
        break;
      case 2: // truncate
        s = s.slice(0, i);
        break;
      case 3: {
        // duplicate or drop a line
        const lines = s.split('\n');
        const n = Math.floor(rnd() * lines.length);
        if (rnd() < 0.5) lines.splice(n, 0, lines[n] ?? '');
        else lines.splice(n, 1);
        s = lines.join('\n');
        break;
      }
      case 4: {
        // shuffle two lines
        const lines = s.split('\n');
        const a = Math.floor(rnd() * lines.length);
        const b = Math.floor(rnd() * lines.length);
        [lines[a], lines[b]] = [lines[b]!, lines[a]!];
        s = lines.join('\n');
        break;
      }
      case 5: // replace a digit or hex char run with junk
        s = s.replace(/[0-9A-F]+/g, (m) => (rnd() < 0.05 ? pick(JUNK) : m));
        break;
      case 6: // random printable bytes
        s = s.slice(0, i) + String.fromCharCode(32 + Math.floor(rnd() * 95)) + s.slice(j);
        break;
      case 7: // collapse whitespace
        s = s.replace(/ +/g, rnd() < 0.5 ? ' ' : '');
        break;
      default: // random garbage line
        s = s.slice(0, i) + '\n' + Array.from({ length: Math.floor(rnd() * 30) }, () => String.fromCharCode(32 + Math.floor(rnd() * 95))).join('') + '\n' + s.slice(i);
    }
  }
  return s;
}

/**
 * Feeds `count` malformed variants of the real texts to `parse`: it must either return or
 * throw a ParseError (a typed error the checks turn into one UNKNOWN line), never crash with
 * anything else. Returns how many were rejected, so a test can assert both paths ran.
 */
export function fuzzParser(parse: (text: string) => unknown, seeds: string[], count = 10000, seed = 42): { accepted: number; rejected: number } {
  const rnd = prng(seed);
  let accepted = 0;
  let rejected = 0;
  for (let n = 0; n < count; n++) {
    const input = mutate(seeds[n % seeds.length]!, rnd);
    try {
      parse(input);
      accepted++;
    } catch (e) {
      if (!(e instanceof ParseError)) {
        throw new Error(`parser crashed with ${(e as Error)?.name}: ${(e as Error)?.message} on input ${JSON.stringify(input).slice(0, 500)}`);
      }
      rejected++;
    }
  }
  return { accepted, rejected };
}
