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
