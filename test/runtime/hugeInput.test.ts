import { combine, Finding } from '../../src/runtime/result';
import { State } from '../../src/runtime/state';

// A 100 MB /proc/net/ip_vs is ~1 million real servers, one finding each: combining them must
// not spread one argument per finding (before: RangeError: Maximum call stack size exceeded,
// UNKNOWN "internal error" instead of the verdict).
test('combine() takes a million findings', () => {
  const findings: Finding[] = Array.from({ length: 1_000_000 }, (_, i) => ({ state: i === 500_000 ? State.CRITICAL : i % 3 === 0 ? State.WARNING : State.OK, text: `rs${i}` }));
  const r = combine(findings, 'all fine');
  expect(r.state).toBe(State.CRITICAL);
  expect(r.summary.startsWith('rs500000; rs0; rs3')).toBe(true);
  expect(r.long).toHaveLength(1_000_000);
});

test('combine() order of states is unchanged: CRITICAL > UNKNOWN > WARNING > OK', () => {
  const f = (...s: State[]) => combine(s.map((state, i) => ({ state, text: `f${i}` })), 'ok').state;
  expect(f(State.OK, State.WARNING, State.UNKNOWN)).toBe(State.UNKNOWN);
  expect(f(State.UNKNOWN, State.CRITICAL, State.OK)).toBe(State.CRITICAL);
  expect(f(State.OK, State.OK)).toBe(State.OK);
  expect(f()).toBe(State.OK);
});
