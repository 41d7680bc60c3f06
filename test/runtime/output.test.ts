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

describe('render: each rule at its edge', () => {
  test('no perfdata, no bar; the state name and exit code', () => {
    expect(render('LVS X', State.WARNING, 'w')).toEqual({ text: 'LVS X WARNING - w\n', exitCode: 1 });
    expect(render('LVS X', State.UNKNOWN, 'u', [], [])).toEqual({ text: 'LVS X UNKNOWN - u\n', exitCode: 3 });
    expect(render('LVS X', State.OK, 'o', [], [{ label: 'n', value: NaN }])).toEqual({ text: 'LVS X OK - o\n', exitCode: 0 });
  });
  test('text cleaned: | to /, line breaks to one space, trailing blanks gone', () => {
    expect(render('P', State.CRITICAL, 'a|b\r\n\nc  ', ['x|y\nz ']).text).toBe('P CRITICAL - a/b c\nx/y z\n');
  });
  test('perfdata: non-finite dropped, a label repeated in its first 19 characters (quotes aside) dropped', () => {
    const r = render('P', State.OK, 's', [], [
      { label: 'a', value: 1 },
      { label: 'bad', value: Infinity },
      { label: 'abcdefghijklmnopq 1', value: 2 },
      { label: 'abcdefghijklmnopq 2', value: 7 },
      { label: 'abcdefghijklmnopqrs1', value: 3 },
      { label: 'abcdefghijklmnopqrs2', value: 4 },
      { label: 'x y', value: 5 },
      { label: 'x y', value: 6 },
    ]);
    // Quoted labels are compared without their quotes: these two differ in their 19th character.
    expect(r.text).toBe("P OK - s | a=1 'abcdefghijklmnopq 1'=2 'abcdefghijklmnopq 2'=7 abcdefghijklmnopqrs1=3 'x y'=5\n");
  });
  test('8 KiB: a first line too long loses its perfdata and is cut; long output stops with a marker, counted in bytes', () => {
    const long = render('P', State.OK, 'x'.repeat(9000), [], [{ label: 'a', value: 1 }]).text;
    expect(long).toBe('P OK - ' + 'x'.repeat(MAX_OUTPUT - 1 - 7) + '\n');
    const fits = 'P OK - s\n';
    const line = 'é'.repeat(1000); // 1 000 characters, 2 000 bytes: four fit in 8 KiB, not five
    const r = render('P', State.OK, 's', [line, line, line, line, line]).text;
    expect(r).toBe(fits + `${line}\n`.repeat(4) + '... (output truncated)\n');
    expect(Buffer.byteLength(r)).toBeLessThanOrEqual(MAX_OUTPUT);
    const exact = 'y'.repeat(MAX_OUTPUT - '... (output truncated)\n'.length - fits.length - 1);
    expect(render('P', State.OK, 's', [exact]).text).toBe(fits + exact + '\n');
    expect(render('P', State.OK, 's', [exact + 'y']).text).toBe(fits + '... (output truncated)\n');
  });
});

describe('render: the last edges (mutation run)', () => {
  test('a quoted label and the same text unquoted are the same label', () => {
    expect(render('P', State.OK, 's', [], [{ label: "it's a", value: 1 }, { label: 'it_s a', value: 2 }, { label: 'it_s_a', value: 3 }]).text).toBe("P OK - s | 'it_s a'=1 it_s_a=3\n");
  });
  test('a first line of exactly MAX_OUTPUT bytes is kept whole, one more is cut', () => {
    const perf = [{ label: 'n', value: 1 }];
    const fill = (n: number) => 'x'.repeat(MAX_OUTPUT - 'P OK -  | n=1\n'.length + n);
    expect(render('P', State.OK, fill(0), [], perf).text).toBe(`P OK - ${fill(0)} | n=1\n`);
    expect(render('P', State.OK, fill(1), [], perf).text).toBe(`P OK - ${fill(1)}`.slice(0, MAX_OUTPUT - 1) + '\n');
  });
});
