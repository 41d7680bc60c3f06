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
