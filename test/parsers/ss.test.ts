import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listensFor, parseSs, splitSsEndpoint } from '../../src/parsers/ss';
import { ParseError } from '../../src/runtime/errors';
import { fuzzParser } from '../helpers/fuzz';
import { capture, capturesUnder } from '../probes/replay';

const SYN = join(__dirname, '..', 'fixtures', 'synthetic', 'ss');
const syn = (n: string) => readFileSync(join(SYN, n), 'utf8');
const VIP = '192.168.0.3';

describe('ss -ltnH / -lunH captured on lab hosts', () => {
  const all = capturesUnder('ss');
  test('captures are there', () => {
    expect(all.length).toBeGreaterThanOrEqual(8);
  });

  test.each(all)('%s parses', (rel) => {
    const c = capture(rel);
    expect(c.rc).toBe(0);
    const ls = parseSs(c.stdout);
    expect(ls.length).toBe(c.stdout.split('\n').filter((l) => l.trim()).length);
    for (const l of ls) expect(l.state).toBe(rel.endsWith('ltn') ? 'LISTEN' : 'UNCONN');
  });

  test('real server listening on any address: 0.0.0.0:80 takes the VIP', () => {
    const ls = parseSs(capture('ss/listening-any/reel1/ltn').stdout);
    // socket order varies between captures (hash order)
    expect([...ls].sort((a, b) => a.port - b.port)).toEqual([
      { state: 'LISTEN', address: '192.168.0.4', port: 22, wildcard: false },
      { state: 'LISTEN', address: '0.0.0.0', port: 80, wildcard: 'ipv4' },
    ]);
    expect(ls.some((l) => listensFor(l, VIP, 80))).toBe(true);
    expect(ls.some((l) => listensFor(l, VIP, 22))).toBe(false);
  });

  test('bound to the VIP only: takes it', () => {
    const ls = parseSs(capture('ss/listening-vip/reel2/ltn').stdout);
    expect(ls.find((l) => l.port === 80)).toMatchObject({ address: VIP, wildcard: false });
    expect(ls.some((l) => listensFor(l, VIP, 80))).toBe(true);
  });

  test('web server stopped: nothing on 80', () => {
    const ls = parseSs(capture('ss/not-listening/reel2/ltn').stdout);
    expect(ls.some((l) => listensFor(l, VIP, 80))).toBe(false);
  });

  test('director: heartbeat bound to a device (0.0.0.0%eth0:694), sorry server on 127.0.0.1', () => {
    const u = parseSs(capture('ss/director/frontal1/lun').stdout);
    expect(u.find((l) => l.port === 694)).toEqual({ state: 'UNCONN', address: '0.0.0.0', device: 'eth0', port: 694, wildcard: 'ipv4' });
    const t = parseSs(capture('ss/director/frontal1/ltn').stdout);
    const sorry = t.find((l) => l.port === 80)!;
    expect(sorry).toMatchObject({ address: '127.0.0.1', port: 80 });
    expect(listensFor(sorry, VIP, 80)).toBe(false);
  });

  test('empty output (no UDP socket) is an empty list', () => {
    expect(parseSs(capture('ss/listening-any/reel1/lun').stdout)).toEqual([]);
  });
});

describe('socket kinds (real ss output from a scratch namespace, see synthetic README)', () => {
  test('`*` is a dual-stack socket, `[::]` V6ONLY, `%lo` a device binding, v4-mapped UDP', () => {
    const t = parseSs(syn('socket-kinds.ltn'));
    expect(t.map((l) => [l.address, l.device, l.port, l.wildcard])).toEqual([
      ['0.0.0.0', 'lo', 8003, 'ipv4'],
      ['*', undefined, 8001, 'dual'],
      ['::', undefined, 8002, 'ipv6'],
    ]);
    expect(listensFor(t[1]!, VIP, 8001)).toBe(true);
    expect(listensFor(t[2]!, VIP, 8002)).toBe(false); // IPv6 only: no IPv4 VIP traffic
    expect(listensFor(t[0]!, VIP, 8003)).toBe(false); // bound to lo: DR packets arrive on eth0
    const u = parseSs(syn('socket-kinds.lun'));
    expect(u[0]).toMatchObject({ address: '::ffff:127.0.0.1', port: 8004, state: 'UNCONN' });
    expect(listensFor({ ...u[0]!, address: `::ffff:${VIP}` }, VIP, 8004)).toBe(true);
  });

  test('header, Netid and Process columns, scoped IPv6', () => {
    const ls = parseSs(syn('variants.txt'));
    expect(ls).toHaveLength(5);
    expect(ls[0]).toMatchObject({ protocol: 'tcp', address: '*', port: 80, process: 'users:(("apache2",pid=812,fd=4))' });
    expect(ls[2]).toMatchObject({ address: '127.0.0.53', device: 'lo', port: 53 });
    expect(ls[3]).toMatchObject({ address: 'fe80::1', device: 'eth0', port: 22 });
    expect(ls[4]).toMatchObject({ protocol: 'udp', address: '::ffff:192.168.0.3' });
  });

  test('endpoints', () => {
    expect(splitSsEndpoint('*:*')).toEqual({ address: '*', port: 0, device: undefined });
    expect(splitSsEndpoint('[fe80::1%eth0]:22')).toEqual({ address: 'fe80::1', device: 'eth0', port: 22 });
    expect(splitSsEndpoint('1.2.3.4:99999')).toBeUndefined();
    expect(splitSsEndpoint('[zz]:1')).toBeUndefined();
    expect(splitSsEndpoint(':80')).toBeUndefined();
  });

  test('malformed lines are ParseErrors with the line number', () => {
    expect(() => parseSs('LISTEN 0 9\n')).toThrow(ParseError);
    expect(() => parseSs('LISTEN 0 9 0.0.0.0:80 0.0.0.0:*\nBOGUS 0 0 1.2.3.4:1 *:*\n')).toThrow(/line 2/);
    expect(() => parseSs('LISTEN x 9 0.0.0.0:80 0.0.0.0:*')).toThrow(/queue/);
    expect(() => parseSs('LISTEN 0 9 0.0.0.0 0.0.0.0:*')).toThrow(/local address/);
  });
});

describe('property', () => {
  test('parseSs: 10 000 malformed variants of real captures, no crash', () => {
    const seeds = [...capturesUnder('ss').map((r) => capture(r).stdout).filter((s) => s.trim()), syn('socket-kinds.ltn'), syn('variants.txt')];
    const r = fuzzParser(parseSs, seeds, 10000, 3);
    expect(r.accepted).toBeGreaterThan(0);
    expect(r.rejected).toBeGreaterThan(0);
  });
});

describe('ss: every state and Netid, each rejection with its culprit (lines of a real capture, edited)', () => {
  const line = capture('ss/listening-any/reel1/ltn').stdout.split('\n')[1]!; // LISTEN 0      9          0.0.0.0:80 0.0.0.0:*
  const withState = (s: string) => line.replace('LISTEN', s);
  const err = (message: string, n = 1) => new ParseError('ss output', message, n);
  test('each socket state ss prints', () => {
    const states = ['LISTEN', 'UNCONN', 'ESTAB', 'SYN-SENT', 'SYN-RECV', 'FIN-WAIT-1', 'FIN-WAIT-2', 'TIME-WAIT', 'CLOSE-WAIT', 'LAST-ACK', 'CLOSING', 'CLOSED', 'UNKNOWN'];
    expect(parseSs(states.map(withState).join('\n')).map((l) => l.state)).toEqual(states);
  });
  test('each Netid column value', () => {
    const ids = ['tcp', 'udp', 'raw', 'sctp', 'dccp', 'mptcp', 'tipc', 'u_str', 'u_dgr', 'u_seq', 'p_raw', 'p_dgr', 'nl', 'v_str', 'v_dgr', 'xdp'];
    expect(parseSs(ids.map((n) => `${n} ${line}`).join('\n')).map((l) => l.protocol)).toEqual(ids);
  });
  test('the header ss prints without -H is skipped on the first line only', () => {
    const header = 'State  Recv-Q Send-Q Local Address:Port Peer Address:PortProcess';
    expect(parseSs(`${header}\n${line}`)).toEqual([{ state: 'LISTEN', address: '0.0.0.0', port: 80, wildcard: 'ipv4' }]);
    expect(() => parseSs(`${line}\n${header}`)).toThrow(err("unknown socket state 'State'", 2));
    expect(() => parseSs(`${line}\nNetid ${header}`)).toThrow(err("unknown socket state 'Netid'", 2));
  });
  test('blank lines, blanks around a line, CRLF', () => {
    expect(parseSs(`   \n  ${line}  \r\n\t\n${line}\r\n`)).toHaveLength(2);
  });
  test('queue sizes: any digits, nothing else', () => {
    expect(parseSs('ESTAB 12 3456 192.168.0.4:22 192.168.0.10:51234')).toHaveLength(1);
    for (const q of ['1x 0', 'x1 0', '0 1x', '0 x1'])
      expect(() => parseSs(line.replace(/0 +9/, q))).toThrow(err('queue sizes are not numbers'));
  });
  test('every trailing column is kept, joined by one space', () => {
    expect(parseSs(`${line} users:(("httpd",pid=1,fd=3))    ino:123 sk:1`)[0]!.process).toBe('users:(("httpd",pid=1,fd=3)) ino:123 sk:1');
  });
  test('rejections name the culprit, cut, and the line', () => {
    expect(() => parseSs(`${line}\nLISTEN 0 9 0.0.0.0:80`)).toThrow(err('expected State Recv-Q Send-Q Local Peer, got 4 fields', 2));
    expect(() => parseSs(withState('X'.repeat(30)))).toThrow(err(`unknown socket state '${'X'.repeat(20)}'`));
    const long = `${'1'.repeat(70)}:80`;
    expect(() => parseSs(line.replace('0.0.0.0:80', `[${long}]`))).toThrow(err(`bad local address '[${long.slice(0, 59)}'`));
    expect(() => parseSs(`${line}\n${line.replace('0.0.0.0:*', `[${long}]`)}`)).toThrow(err(`bad peer address '[${long.slice(0, 59)}'`, 2));
  });
  test('endpoints: every refusal', () => {
    for (const bad of ['80', ':80', '%lo:80', '0.0.0.0%:80', 'a]b:80', 'a[b:80', '[::1:80', '[::1]x:80', '[::1]x%eth0:80', '[zz::1]:80', '[::1zz]:80', '1.2.3.4:+1', '1.2.3.4:1e3', '1.2.3.4:65536', '1.2.3.4:123456', '1.2.3.4:'])
      expect([bad, splitSsEndpoint(bad)]).toEqual([bad, undefined]);
    expect(splitSsEndpoint('1.2.3.4:65535')).toEqual({ address: '1.2.3.4', port: 65535, device: undefined });
    expect(splitSsEndpoint('[::1]%lo:0')).toEqual({ address: '::1', port: 0, device: 'lo' });
    expect(splitSsEndpoint('[fe80::1%eth0]%eth1:22')).toEqual({ address: 'fe80::1', device: 'eth1', port: 22 });
  });
});
