/**
 * The shared option parsers (src/runtime/options.ts): bad input is a UsageError (UNKNOWN) whose
 * one line names the option and the value; good input comes back unchanged.
 */
import { UsageError } from '../../src/runtime/errors';
import { collectIp, isHostName, MAX_TIMEOUT_SECONDS, parseHost, parseIp, parsePort, parseTimeout, redactUrl, redactUrls } from '../../src/runtime/options';

const usage = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error('no UsageError');
};

describe('parsePort', () => {
  test.each(['1', '22', '65535'])('%s is a port', (v) => expect(parsePort('--ssh-port')(v)).toBe(Number(v)));
  test.each(['0', '99999', '65536', '-1', '22.5', '0x16', '', ' 22', '1e3'])('%j is refused, naming the option', (v) =>
    expect(usage(() => parsePort('--ssh-port')(v))).toBe(`--ssh-port '${v}' is not a port (1-65535)`));
});

describe('parseHost: RFC 1123 names and IP literals', () => {
  test.each(['frontal1', 'localhost', 'reel-1.example.org', 'example.org.', '127.0.0.2', '192.168.0.1', '::1', '2001:db8::4', '3com.net', 'a'.repeat(63)])('%s is accepted', (v) =>
    expect(parseHost('-H/--hostname')(v)).toBe(v));
  test.each(['999.1.1.1', '1.2.3', '256.0.0.1', 'a;b', 'a b', '-H', 'host-', '-host', 'a..b', '', '.', 'a_b', 'x'.repeat(64), `${'a.'.repeat(127)}com`, 'host$(id)', '[::1]', '1.2.3.4.5'])(
    '%j is refused, naming the option',
    (v) => expect(usage(() => parseHost('-H/--hostname')(v))).toBe(`-H/--hostname '${v}' is not a host name or IP address`),
  );
  // Start-up cost (issue 18): for a string that is not an IPv4 literal, node:net's isIP tries
  // its IPv6 regular expression, which V8 compiles on first use (~10 ms of a check run with -H NAME).
  test('a host name is accepted without asking node:net (no IPv6 regular expression compiled)', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const spy = jest.spyOn(require('node:net') as typeof import('node:net'), 'isIP');
    try {
      expect(parseHost('-H')('frontal1.example.org')).toBe('frontal1.example.org');
      expect(spy).not.toHaveBeenCalled();
      expect(parseHost('-H')('2001:db8::4')).toBe('2001:db8::4'); // a literal still goes to isIP
      expect(spy).toHaveBeenCalledWith('2001:db8::4');
    } finally {
      spy.mockRestore();
    }
  });
  test('isHostName: the last label may not be all digits', () => {
    expect(isHostName('host.123')).toBe(false);
    expect(isHostName('123.host')).toBe(true);
  });
});

describe('parseIp / collectIp', () => {
  test('v4 and v6 literals', () => {
    expect(parseIp('--vip')('192.168.0.3')).toBe('192.168.0.3');
    expect(parseIp('--vip')('2001:db8::3')).toBe('2001:db8::3');
  });
  test.each(['999.1.1.1', 'frontal1', '192.168.0.3/24', ''])('%j is refused', (v) => expect(usage(() => parseIp('--vip')(v))).toBe(`--vip '${v}' is not an IP address`));
  test('repeatable', () => {
    const c = collectIp('--vip');
    expect(c('192.168.0.4', c('192.168.0.3', []))).toEqual(['192.168.0.3', '192.168.0.4']);
    expect(c('192.168.0.3')).toEqual(['192.168.0.3']);
    expect(usage(() => c('999.1.1.1', ['192.168.0.3']))).toContain("--vip '999.1.1.1'");
  });
});

describe('parseTimeout', () => {
  test.each([['10', 10], ['0.5', 0.5], [String(MAX_TIMEOUT_SECONDS), MAX_TIMEOUT_SECONDS]])('%s', (v, n) => expect(parseTimeout('--timeout')(v)).toBe(n));
  test.each(['abc', '0', '-1', '', '1e3', 'Infinity'])('%j is not a number of seconds', (v) =>
    expect(usage(() => parseTimeout('--timeout')(v))).toBe(`--timeout '${v}' is not a positive number of seconds`));
  test('beyond 2^31 ms (setTimeout would fire at once) is refused', () =>
    expect(usage(() => parseTimeout('--timeout')('2147484'))).toBe(`--timeout '2147484' is too long (at most ${MAX_TIMEOUT_SECONDS} s)`));
});

describe('redactUrl', () => {
  test.each([
    ['http://user:pw@127.0.0.1/', 'http://***@127.0.0.1/'],
    ['https://user@example.org:8443/x?y=1', 'https://***@example.org:8443/x?y=1'],
    ['http://127.0.0.1:80/', 'http://127.0.0.1:80/'],
    ['http://127.0.0.1/a@b', 'http://127.0.0.1/a@b'],
    ['http://u:p%40ss@[::1]:80/', 'http://***@[::1]:80/'],
  ])('%s', (a, b) => expect(redactUrl(a)).toBe(b));
  test('in running text, every URL', () => {
    const t = redactUrls('GET http://admin:s3cret@127.0.0.1:80/ failed; retry ftp://bob:x@h/ then http://ok/');
    expect(t).toBe('GET http://***@127.0.0.1:80/ failed; retry ftp://***@h/ then http://ok/');
    expect(t).not.toMatch(/s3cret|admin|bob/);
  });
});

describe('the edges mutation testing found unpinned', () => {
  test('isHostName: one final dot is allowed, the 253-character bound, a last label starting with digits', () => {
    expect(isHostName('host.example.')).toBe(true);
    expect(isHostName('a.')).toBe(true);
    expect(isHostName('host.123.')).toBe(false); // the final dot is dropped, then the last label is all digits
    expect(isHostName('.')).toBe(false);
    expect(isHostName('')).toBe(false);
    const label = 'a'.repeat(63);
    const n253 = [label, label, label, 'a'.repeat(61)].join('.');
    expect(n253.length).toBe(253);
    expect(isHostName(n253)).toBe(true);
    expect(isHostName(n253 + '.')).toBe(true);
    expect(isHostName(n253 + 'a')).toBe(false);
    expect(isHostName('host.1a')).toBe(true);
    expect(isHostName('host.1-a')).toBe(true);
  });
  test('parseTimeout: several decimals; the ceiling is 2 147 483 s', () => {
    expect(MAX_TIMEOUT_SECONDS).toBe(2147483);
    expect(parseTimeout('--timeout')('2.25')).toBe(2.25);
    expect(parseTimeout('--timeout')('0.125')).toBe(0.125);
  });
  test('redactUrls: a one-letter scheme and schemes with digits and +.- are URLs too', () => {
    expect(redactUrls('x://u:p@h/')).toBe('x://***@h/');
    expect(redactUrls('x1://u:p@h/ and x+://u@h/')).toBe('x1://***@h/ and x+://***@h/'); // the scheme's last character a digit or +
    expect(redactUrls('svn+ssh://u@h/ and a1.b-c://u:p@h/')).toBe('svn+ssh://***@h/ and a1.b-c://***@h/');
  });
});
