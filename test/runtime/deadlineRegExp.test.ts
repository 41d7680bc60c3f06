import { execFile } from 'node:child_process';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { DeadlineRegExp, matchBudget } from '../../src/runtime/deadlineRegExp';
import { PluginError } from '../../src/runtime/errors';

const EVIL = '^(a+)+$';
const PAGE = 'a'.repeat(40) + '!';

test('a catastrophic pattern stops before its deadline with a PluginError naming --regex', () => {
  const re = new DeadlineRegExp(EVIL, Date.now() + 1500);
  let e: unknown;
  try {
    re.test(PAGE); // minutes, unbounded
  } catch (x) {
    e = x;
  }
  expect(e).toBeInstanceOf(PluginError);
  expect((e as Error).message).toMatch(/^--regex \/\^\(a\+\)\+\$\/ did not finish within \d+\.\d s on 41 B of text/);
});

test('the late error reports how long the match ran, in seconds (not ms, not a timestamp)', () => {
  const re = new DeadlineRegExp(EVIL, Date.now() + 1500);
  let e: unknown;
  try {
    re.test(PAGE);
  } catch (x) {
    e = x;
  }
  const s = Number(/within (\d+\.\d) s/.exec((e as Error).message)?.[1]);
  // A wrong unit or a timestamp reads as thousands of seconds; no bound on speed is asserted.
  expect(s).toBeGreaterThanOrEqual(0);
  expect(s).toBeLessThan(60);
});

test('the match budget: what is left minus a tenth, the margin at most 500 ms, none under 1 ms', () => {
  expect(matchBudget(1000)).toBe(900);
  expect(matchBudget(10_000)).toBe(9500);
  expect(matchBudget(5000)).toBe(4500);
  expect(matchBudget(2)).toBe(1);
  expect(matchBudget(1)).toBeUndefined();
  expect(matchBudget(0)).toBeUndefined();
  expect(matchBudget(-5)).toBeUndefined();
});

test('ordinary matching is unchanged: test, exec, match, replace, split', () => {
  const re = new DeadlineRegExp('b(c)', Date.now() + 10_000);
  expect(re.test('abc')).toBe(true);
  expect(re.test('abd')).toBe(false);
  expect(re.exec('abc')?.[1]).toBe('c');
  expect('xbcx'.replace(re, '-')).toBe('x-x');
  expect('1bc2bc3'.split(re)).toEqual(['1', 'c', '2', 'c', '3']);
  const g = new DeadlineRegExp('a', Date.now() + 10_000, 'g');
  expect('banana'.match(g)).toEqual(['a', 'a', 'a']);
  expect(re.source).toBe('b(c)');
});

test('one vm context serves every match (made once, not per match)', () => {
  // A fresh copy of the module, so that this test itself makes the context it counts.
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const m = require('../../src/runtime/deadlineRegExp') as typeof import('../../src/runtime/deadlineRegExp');
    expect(m.deadlineContexts()).toBe(0);
    const re = new m.DeadlineRegExp('a', Date.now() + 10_000);
    expect(re.test('a')).toBe(true);
    expect(m.deadlineContexts()).toBe(1);
    for (let i = 0; i < 5; i++) re.test('ba');
    expect(new m.DeadlineRegExp('b', Date.now() + 10_000).test('b')).toBe(true);
    expect(m.deadlineContexts()).toBe(1);
  });
});

test('a deadline already passed fails at once (no match attempted)', () => {
  expect(() => new DeadlineRegExp('a', Date.now() - 1).test('a')).toThrow(PluginError);
});

describe('check_lvs_sorry -r against a page that makes the pattern backtrack', () => {
  let server: http.Server;
  let port: number;
  beforeAll(async () => {
    server = http.createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/plain' }).end(PAGE));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  test('-t 3 holds: UNKNOWN naming --regex, the process ends by itself', async () => {
    const bin = join(__dirname, '..', '..', 'bin', 'check_lvs_sorry');
    // Before: minutes of backtracking on the main thread, where -t's timer cannot fire; the
    // test stops it at 30 s (killed = the promise broken).
    const r = await new Promise<{ code: number | null; signal: string | null; out: string }>((resolve) => {
      execFile(bin, ['-u', `http://127.0.0.1:${port}/`, '--no-engaged', '-r', EVIL, '-t', '3'], { timeout: 30_000, killSignal: 'SIGKILL' }, (err, stdout) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, signal: err ? ((err as { signal?: string }).signal ?? null) : null, out: stdout }),
      );
    });
    expect(r.signal).toBeNull();
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/^LVS SORRY UNKNOWN - --regex \/\^\(a\+\)\+\$\/ did not finish within/);
  });
});
