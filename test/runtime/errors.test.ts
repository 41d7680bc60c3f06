import { classify, errorMessage, ParseError, PluginError, TimeoutError, UsageError } from '../../src/runtime/errors';
import { State } from '../../src/runtime/state';

// classify() is the one place an error becomes a plugin state: our own failures UNKNOWN with
// their message, a stateful error its own state, anything else "internal error"; a stack only at -vvv.

test('each class carries its name (what a -vvv stack starts with) and UNKNOWN', () => {
  for (const [E, name] of [
    [PluginError, 'PluginError'],
    [UsageError, 'UsageError'],
    [TimeoutError, 'TimeoutError'],
  ] as const) {
    const e = new E('m');
    expect([e.name, e.state, e.message, String(e)]).toEqual([name, State.UNKNOWN, 'm', `${name}: m`]);
  }
  const p = new ParseError('ipvsadm output', 'bad line', 7);
  expect([p.name, p.state, p.message, p.what, p.line]).toEqual(['ParseError', State.UNKNOWN, 'cannot parse ipvsadm output: bad line (line 7)', 'ipvsadm output', 7]);
  expect(new ParseError('x', 'y').message).toBe('cannot parse x: y');
});

test('classify: a stateful error keeps its state and message; the stack only from -vvv', () => {
  const crit = Object.assign(new Error('host unreachable'), { state: State.CRITICAL });
  expect(classify(crit, 0)).toEqual({ state: State.CRITICAL, text: 'host unreachable', stack: undefined });
  expect(classify(new UsageError('--port x'), 2)).toEqual({ state: State.UNKNOWN, text: '--port x', stack: undefined });
  const v3 = classify(new UsageError('--port x'), 3);
  expect(v3.stack).toMatch(/^UsageError: --port x\n\s+at /);
  expect(classify(new Error('boom'), 4).stack).toMatch(/^Error: boom\n/);
  expect(classify('a string', 3)).toEqual({ state: State.UNKNOWN, text: 'internal error: a string', stack: undefined });
});

test('classify: anything else is UNKNOWN "internal error", whatever a state property claims', () => {
  expect(classify(new TypeError('x is undefined'), 0)).toEqual({ state: State.UNKNOWN, text: 'internal error: x is undefined', stack: undefined });
  // A state that is not a number, or not a plugin state, is not trusted.
  expect(classify(Object.assign(new Error('s'), { state: '2' }), 0).state).toBe(State.UNKNOWN);
  expect(classify(Object.assign(new Error('s'), { state: 7 }), 0)).toEqual({ state: State.UNKNOWN, text: 'internal error: s', stack: undefined });
  expect(classify({ state: State.CRITICAL, message: 'not an Error' }, 0).state).toBe(State.UNKNOWN);
  expect(classify(Object.assign(new Error('ok'), { state: State.OK }), 0)).toEqual({ state: State.OK, text: 'ok', stack: undefined });
});

test('errorMessage: the message, else the name, else the value as text', () => {
  expect(errorMessage(new Error('m'))).toBe('m');
  expect(errorMessage(new RangeError(''))).toBe('RangeError');
  expect(errorMessage(42)).toBe('42');
  expect(errorMessage(undefined)).toBe('undefined');
});
