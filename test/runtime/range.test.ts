import { parseRange, rangeAlerts } from '../../src/runtime/range';
import { UsageError } from '../../src/runtime/errors';

// Every example of the monitoring-plugins development guidelines' threshold table.
describe('parseRange + rangeAlerts (guideline examples, inclusive ends)', () => {
  const cases: [string, number[], number[]][] = [
    // spec, values that alert, values that do not
    ['10', [-1, 10.01, 11], [0, 5, 10]],
    ['10:', [-5, 9.99], [10, 11, 1e9]],
    ['~:10', [10.01, 11], [-1e9, -1, 10]],
    ['10:20', [9, 21, 20.5], [10, 15, 20]],
    ['@10:20', [10, 15, 20], [9.99, 20.01]],
    ['0:0', [1, -1], [0]],
    ['@0', [0], [0.5, -0.1, 1]],
    ['-5:-1', [0, -6], [-5, -1, -3]],
    ['1.5:2.5', [1.4, 2.6], [1.5, 2.5]],
    [':10', [11, -1], [0, 10]],
  ];
  test.each(cases)('%s', (spec, alert, ok) => {
    const r = parseRange(spec);
    for (const v of alert) expect([v, rangeAlerts(r, v)]).toEqual([v, true]);
    for (const v of ok) expect([v, rangeAlerts(r, v)]).toEqual([v, false]);
  });

  test('bounds are parsed as given', () => {
    expect(parseRange('~:10')).toMatchObject({ start: -Infinity, end: 10, inside: false });
    expect(parseRange('10:')).toMatchObject({ start: 10, end: Infinity });
    expect(parseRange('@10:20')).toMatchObject({ start: 10, end: 20, inside: true });
  });

  test.each(['', '20:10', 'abc', '1:2:3', '10:x', '@', ':', '1e3', '~', '--1', '10%'])('rejects %j', (bad) => {
    expect(() => parseRange(bad)).toThrow(UsageError);
  });

  test('start > end names both', () => {
    expect(() => parseRange('20:10')).toThrow(/start 20 is greater than end 10/);
  });
});

describe('parseRange: each spelling and each rejection, by its message', () => {
  const msg = (spec: string) => {
    try {
      parseRange(spec);
    } catch (e) {
      expect(e).toBeInstanceOf(UsageError);
      return (e as Error).message;
    }
    return 'accepted';
  };
  test('values as given, text trimmed', () => {
    expect(parseRange(' 10 ')).toEqual({ start: 0, end: 10, inside: false, text: '10' });
    expect(parseRange('@~:-2.5')).toEqual({ start: -Infinity, end: -2.5, inside: true, text: '@~:-2.5' });
    expect(parseRange(':7')).toEqual({ start: 0, end: 7, inside: false, text: ':7' });
    expect(parseRange('+3:')).toEqual({ start: 3, end: Infinity, inside: false, text: '+3:' });
    expect(parseRange('5:5')).toMatchObject({ start: 5, end: 5 });
    expect(parseRange('.5')).toMatchObject({ start: 0, end: 0.5 });
    expect(parseRange('.25')).toMatchObject({ start: 0, end: 0.25 });
    expect(parseRange('5.')).toMatchObject({ end: 5 });
    expect(parseRange('-.5:0')).toMatchObject({ start: -0.5, end: 0 });
  });
  test('messages name the range and the culprit', () => {
    expect(msg('')).toBe('invalid range: empty');
    expect(msg('   ')).toBe('invalid range: empty');
    expect(msg('10:x')).toBe("invalid range '10:x': 'x' is not a number");
    expect(msg('y:10')).toBe("invalid range 'y:10': 'y' is not a number");
    expect(msg('@')).toBe("invalid range '@': '' is not a number");
    expect(msg('1:2:3')).toBe("invalid range '1:2:3': more than one ':'");
    expect(msg(':')).toBe("invalid range ':': no bounds");
    expect(msg('@:')).toBe("invalid range '@:': no bounds");
    expect(msg('20:10')).toBe("invalid range '20:10': start 20 is greater than end 10");
    expect(msg('-1')).toBe("invalid range '-1': start 0 is greater than end -1");
    for (const bad of ['5..', '1.2.3', 'a5', '5a', '+', '-', '.', '5 :6', '~5', '@@5']) expect(msg(bad)).toMatch(/is not a number/);
  });
  test('alerts at the exact bounds', () => {
    const r = parseRange('10:20');
    expect([9.999, 10, 20, 20.001].map((v) => rangeAlerts(r, v))).toEqual([true, false, false, true]);
    const i = parseRange('@10:20');
    expect([9.999, 10, 20, 20.001].map((v) => rangeAlerts(i, v))).toEqual([false, true, true, false]);
  });
});
