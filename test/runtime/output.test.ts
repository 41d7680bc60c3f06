import { combine } from '../../src/runtime/result';
import { MAX_OUTPUT, render } from '../../src/runtime/output';
import { State, worst } from '../../src/runtime/state';

describe('worst-state order CRITICAL > UNKNOWN > WARNING > OK', () => {
  test.each([
    [[State.OK, State.WARNING], State.WARNING],
    [[State.WARNING, State.UNKNOWN], State.UNKNOWN],
    [[State.UNKNOWN, State.CRITICAL], State.CRITICAL],
    [[State.CRITICAL, State.UNKNOWN, State.WARNING, State.OK], State.CRITICAL],
    [[], State.OK],
  ])('%j → %s', (states, expected) => expect(worst(...states)).toBe(expected));
});

describe('render', () => {
  test('first line, perfdata after |, long output after', () => {
    const r = render('LVS VIP', State.CRITICAL, 'two directors hold 192.168.0.3 (frontal1, frontal2)', ['frontal1: eth0:0', 'frontal2: eth0:0'], [
      { label: 'holders', value: 2, min: 0 },
    ]);
    expect(r.exitCode).toBe(2);
    expect(r.text).toBe(
      'LVS VIP CRITICAL - two directors hold 192.168.0.3 (frontal1, frontal2) | holders=2;;;0\nfrontal1: eth0:0\nfrontal2: eth0:0\n',
    );
  });

  test('| in text is stripped; newlines do not split the first line', () => {
    const r = render('LVS X', State.OK, 'a|b\nc', ['d|e']);
    expect(r.text).toBe('LVS X OK - a/b c\nd/e\n');
  });

  test('8 KiB cap keeps the first line and perfdata', () => {
    const long = Array.from({ length: 1000 }, (_, i) => `line ${i} ${'x'.repeat(40)}`);
    const r = render('LVS X', State.WARNING, 'many', long, [{ label: 'n', value: 1000 }]);
    expect(Buffer.byteLength(r.text)).toBeLessThanOrEqual(MAX_OUTPUT);
    expect(r.text.split('\n')[0]).toBe('LVS X WARNING - many | n=1000');
    expect(r.text).toContain('(output truncated)');
  });

  test('perf labels unique in their first 19 characters', () => {
    const r = render('LVS X', State.OK, 'ok', [], [
      { label: 'abcdefghijklmnopqrsXX', value: 1 },
      { label: 'abcdefghijklmnopqrsYY', value: 2 },
    ]);
    expect(r.text.split('|')[1]!.trim().split(' ')).toHaveLength(1);
  });

  test('combine names the worst findings first', () => {
    const c = combine(
      [
        { state: State.OK, text: 'reel1 up' },
        { state: State.WARNING, text: 'reel2 drained' },
        { state: State.CRITICAL, text: 'reel3 down' },
      ],
      'all fine',
    );
    expect(c.state).toBe(State.CRITICAL);
    expect(c.summary).toBe('reel3 down; reel2 drained');
    expect(combine([{ state: State.OK, text: 'x' }], 'all fine').summary).toBe('all fine');
  });
});
