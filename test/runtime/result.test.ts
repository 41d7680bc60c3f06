import { combine, evaluate, Finding } from '../../src/runtime/result';
import { parseRange } from '../../src/runtime/range';
import { compareSeverity, State, worst } from '../../src/runtime/state';

// The policy core every check's evaluate ends in: one threshold test and one way of folding
// findings into the plugin's state, first line, long output and perfdata.

// Ranges are parsed inside the tests, never in a describe body: code run at collection is
// "static" coverage for Stryker (README, Mutation testing).
describe('evaluate: critical first, then warning', () => {
  test.each([
    [5, State.OK],
    [10, State.OK],
    [11, State.WARNING],
    [20, State.WARNING],
    [21, State.CRITICAL],
    [-1, State.CRITICAL],
  ])('%d → %s', (v, s) => {
    expect(evaluate(v, parseRange('10'), parseRange('20'))).toBe(s);
  });
  test('an absent range never alerts, whatever the value', () => {
    const warn = parseRange('10');
    const crit = parseRange('20');
    expect(evaluate(99, undefined, undefined)).toBe(State.OK);
    expect(evaluate(99, warn, undefined)).toBe(State.WARNING);
    expect(evaluate(99, undefined, crit)).toBe(State.CRITICAL);
    expect(evaluate(5, undefined, crit)).toBe(State.OK);
    // A value in both ranges is CRITICAL: the critical range is tested first.
    expect(evaluate(50, parseRange('@0:100'), parseRange('@40:60'))).toBe(State.CRITICAL);
    expect(evaluate(30, parseRange('@0:100'), parseRange('@40:60'))).toBe(State.WARNING);
  });
});

describe('worst and compareSeverity: CRITICAL outranks UNKNOWN', () => {
  test('worst', () => {
    expect(worst()).toBe(State.OK);
    expect(worst(State.OK, State.WARNING)).toBe(State.WARNING);
    expect(worst(State.UNKNOWN, State.WARNING)).toBe(State.UNKNOWN);
    expect(worst(State.UNKNOWN, State.CRITICAL, State.WARNING)).toBe(State.CRITICAL);
    expect(worst(State.CRITICAL, State.UNKNOWN)).toBe(State.CRITICAL);
  });
  test('compareSeverity orders OK < WARNING < UNKNOWN < CRITICAL', () => {
    const order = [State.CRITICAL, State.OK, State.UNKNOWN, State.WARNING].sort(compareSeverity);
    expect(order).toEqual([State.OK, State.WARNING, State.UNKNOWN, State.CRITICAL]);
    expect(compareSeverity(State.UNKNOWN, State.UNKNOWN)).toBe(0);
  });
});

describe('combine', () => {
  const f = (state: State, text: string, perf?: Finding['perf']): Finding => (perf ? { state, text, perf } : { state, text });

  test('all OK: the OK summary, every finding in the long output, no perfdata added', () => {
    const r = combine([f(State.OK, 'a'), f(State.OK, 'b')], 'all good');
    expect(r).toEqual({ state: State.OK, summary: 'all good', long: ['OK: a', 'OK: b'], perf: [] });
    expect(combine([], 'nothing')).toEqual({ state: State.OK, summary: 'nothing', long: [], perf: [] });
  });

  test('the summary names the worst findings first, then the other non-OK ones, most severe first', () => {
    const r = combine(
      [f(State.OK, 'ok1'), f(State.WARNING, 'w1'), f(State.CRITICAL, 'c1'), f(State.UNKNOWN, 'u1'), f(State.CRITICAL, 'c2'), f(State.WARNING, 'w2')],
      'unused',
    );
    expect(r.state).toBe(State.CRITICAL);
    expect(r.summary).toBe('c1; c2; u1; w1; w2');
    // Long output: every finding, most severe first, stable within a state.
    expect(r.long).toEqual(['CRITICAL: c1', 'CRITICAL: c2', 'UNKNOWN: u1', 'WARNING: w1', 'WARNING: w2', 'OK: ok1']);
  });

  test('a single state among OKs: only its findings, in their order', () => {
    const r = combine([f(State.WARNING, 'w1'), f(State.OK, 'ok'), f(State.WARNING, 'w2')], 'unused');
    expect(r).toMatchObject({ state: State.WARNING, summary: 'w1; w2', long: ['WARNING: w1', 'WARNING: w2', 'OK: ok'] });
  });

  test('extra long lines come after the findings; perfdata: the findings\' own first, in finding order, then the rest', () => {
    const p = (label: string) => ({ label, value: 1 });
    const r = combine([f(State.OK, 'a', [p('a1'), p('a2')]), f(State.CRITICAL, 'b'), f(State.OK, 'c', [p('c1')])], 'x', [p('total')], ['extra 1', 'extra 2']);
    expect(r.long).toEqual(['CRITICAL: b', 'OK: a', 'OK: c', 'extra 1', 'extra 2']);
    expect(r.perf!.map((x) => x.label)).toEqual(['a1', 'a2', 'c1', 'total']);
    // No finding with perfdata: the perfdata given, as it is.
    const given = [p('only')];
    expect(combine([f(State.OK, 'a')], 'x', given).perf).toBe(given);
  });

  test('a huge table of findings does not overflow the stack', () => {
    const many = Array.from({ length: 200_000 }, (_, i) => f(i === 123_456 ? State.CRITICAL : State.OK, `rs${i}`));
    const r = combine(many, 'x');
    expect(r.state).toBe(State.CRITICAL);
    expect(r.summary).toBe('rs123456');
  });
});
