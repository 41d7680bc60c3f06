import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dbusState, introspectChildren, parseDbusReply, parseKeepalivedData, parseKeepalivedJson } from '../../src/parsers/keepalived';
import { ParseError } from '../../src/runtime/errors';
import { fuzzParser } from '../helpers/fuzz';

/** Captured from keepalived 2.2.7 in two namespaces (see the fixtures' README). */
const DIR = join(__dirname, '..', 'fixtures', 'real', 'keepalived-pair');
const cap = (scenario: string, host: string, file: string) => readFileSync(join(DIR, scenario, host, file), 'utf8');
const SCENARIOS = ['healthy', 'script-failed', 'split-brain', 'master-stopped', 'rejoined', 'master-killed'];
/** The namespace lab's captures (lab/netns/capture-keepalived.sh): --root trees, same scenarios. */
const LAB = join(__dirname, '..', 'fixtures', 'real', 'keepalived');
const lab = (scenario: string, host: string, file: string) => readFileSync(join(LAB, scenario, host, file), 'utf8');
const labAll = (file: string) => SCENARIOS.flatMap((s) => ['frontal1', 'frontal2'].map((h) => lab(s, h, file)));

describe('the lab\'s captures (lab/netns/capture-keepalived.sh)', () => {
  test('JSON: every scenario and director as the lab drove it', () => {
    const got = Object.fromEntries(
      SCENARIOS.flatMap((s) =>
        ['frontal1', 'frontal2'].map((h) => {
          const i = parseKeepalivedJson(lab(s, h, 'tmp/keepalived.json'))[0]!;
          return [`${s}/${h}`, `${i.name} ${i.vrid} ${i.interface} ${i.state} ${i.effectivePriority}/${i.basePriority}`];
        }),
      ),
    );
    expect(got).toEqual({
      'healthy/frontal1': 'VI_1 51 eth0 MASTER 150/150',
      'healthy/frontal2': 'VI_1 51 eth0 BACKUP 100/100',
      'script-failed/frontal1': 'VI_1 51 eth0 BACKUP 90/150',
      'script-failed/frontal2': 'VI_1 51 eth0 MASTER 100/100',
      'split-brain/frontal1': 'VI_1 51 eth0 MASTER 150/150',
      'split-brain/frontal2': 'VI_1 51 eth0 MASTER 100/100',
      // stale: what keepalived left when it stopped or was killed
      'master-stopped/frontal1': 'VI_1 51 eth0 MASTER 150/150',
      'master-stopped/frontal2': 'VI_1 51 eth0 MASTER 100/100',
      'rejoined/frontal1': 'VI_1 51 eth0 MASTER 150/150',
      'rejoined/frontal2': 'VI_1 51 eth0 BACKUP 100/100',
      'master-killed/frontal1': 'VI_1 51 eth0 MASTER 150/150',
      'master-killed/frontal2': 'VI_1 51 eth0 MASTER 100/100',
    });
  });
  test('data dump: the lab\'s tracked script, BAD only where it failed', () => {
    expect(parseKeepalivedData(lab('healthy', 'frontal1', 'tmp/keepalived.data')).scripts).toEqual([{ name: 'chk_lvsha_lab', status: 'GOOD', weight: -60 }]);
    expect(parseKeepalivedData(lab('script-failed', 'frontal1', 'tmp/keepalived.data')).scripts).toEqual([{ name: 'chk_lvsha_lab', status: 'BAD', weight: -60 }]);
    expect(parseKeepalivedData(lab('script-failed', 'frontal1', 'tmp/keepalived.data')).instances[0]!.tracked).toEqual([{ script: 'chk_lvsha_lab', weight: -60 }]);
  });
  test('DBus: Master, Backup, and keepalived gone from the bus', () => {
    expect(dbusState(parseDbusReply(lab('healthy', 'frontal1', 'dbus/state.txt')) as never)).toBe('MASTER');
    expect(dbusState(parseDbusReply(lab('healthy', 'frontal2', 'dbus/state.txt')) as never)).toBe('BACKUP');
    expect(parseDbusReply(lab('master-stopped', 'frontal1', 'dbus/state.txt'))).toMatchObject({ ok: false, error: 'org.freedesktop.DBus.Error.ServiceUnknown' });
    expect(introspectChildren(lab('healthy', 'frontal1', 'dbus/introspect.txt'))).toEqual(expect.arrayContaining(['eth0']));
  });
  test('fuzz: 10 000 variants of each lab capture kind throw only ParseError', () => {
    expect(fuzzParser(parseKeepalivedJson, labAll('tmp/keepalived.json')).rejected).toBeGreaterThan(0);
    expect(fuzzParser(parseKeepalivedData, labAll('tmp/keepalived.data')).rejected).toBeGreaterThan(0);
    const dbus = (t: string) => {
      const r = parseDbusReply(t);
      if (r.ok) dbusState(r);
    };
    expect(fuzzParser(dbus, labAll('dbus/state.txt').filter((t) => t.startsWith('method return'))).rejected).toBeGreaterThan(0);
  });
});

describe('parseKeepalivedJson (real dumps)', () => {
  test('healthy MASTER: every field a check or collector reads', () => {
    const [i, ...rest] = parseKeepalivedJson(cap('healthy', 'frontal1', 'keepalived.json'));
    expect(rest).toEqual([]);
    expect(i).toMatchObject({
      name: 'VI_1',
      vrid: 51,
      interface: 'eth0',
      state: 'MASTER',
      wantState: 'MASTER',
      basePriority: 150,
      effectivePriority: 150,
      nopreempt: false,
      vips: ['192.168.0.3/24 dev eth0 scope global label eth0:0 set'],
    });
    expect(i!.lastTransition).toBeCloseTo(1796037701.243169, 5);
    expect(i!.stats).toMatchObject({ advertRcvd: 0, becomeMaster: 1, releaseMaster: 0, authFailure: 0, packetLenErr: 0 });
    expect(i!.stats.advertSent).toBeGreaterThan(0);
  });

  test('healthy BACKUP, script failure and split brain read as keepalived said', () => {
    const b = parseKeepalivedJson(cap('healthy', 'frontal2', 'keepalived.json'))[0]!;
    expect([b.state, b.wantState, b.basePriority, b.effectivePriority]).toEqual(['BACKUP', 'BACKUP', 100, 100]);
    expect(b.stats.advertRcvd).toBe(21);
    const f = parseKeepalivedJson(cap('script-failed', 'frontal1', 'keepalived.json'))[0]!;
    expect([f.state, f.basePriority, f.effectivePriority]).toEqual(['BACKUP', 150, 90]);
    const s1 = parseKeepalivedJson(cap('split-brain', 'frontal1', 'keepalived.json'))[0]!;
    const s2 = parseKeepalivedJson(cap('split-brain', 'frontal2', 'keepalived.json'))[0]!;
    expect([s1.state, s2.state]).toEqual(['MASTER', 'MASTER']);
  });

  test('the password in the dump is never part of the parsed value', () => {
    const text = cap('healthy', 'frontal1', 'keepalived.json');
    expect(text).toContain('"auth_data"');
    const out = JSON.stringify(parseKeepalivedJson(text));
    expect(out).not.toContain('auth_data');
    expect(out).not.toContain('***');
  });

  test('rejections: half-written, wrong shapes, out-of-range values', () => {
    const good = cap('healthy', 'frontal1', 'keepalived.json');
    expect(() => parseKeepalivedJson(good.slice(0, good.length / 2))).toThrow(/half-written/);
    expect(() => parseKeepalivedJson('{}')).toThrow(/not an array/);
    expect(() => parseKeepalivedJson('[1]')).toThrow(/\[0\] is not an object/);
    expect(() => parseKeepalivedJson(good.replace('"state":2', '"state":7'))).toThrow(/state 7 is no VRRP state/);
    expect(() => parseKeepalivedJson(good.replace('"vrid":51', '"vrid":0'))).toThrow(/vrid 0/);
    expect(() => parseKeepalivedJson(good.replace('"effective_priority":150', '"effective_priority":-1'))).toThrow(/effective_priority/);
    expect(() => parseKeepalivedJson(good.replace('"auth_failure":0', '"auth_failure":"0"'))).toThrow(/auth_failure/);
    expect(() => parseKeepalivedJson(good.replace('"nopreempt":false', '"nopreempt":"no"'))).toThrow(/nopreempt/);
    expect(parseKeepalivedJson('[]')).toEqual([]);
  });

  test('fuzz: 10 000 variants of the real dumps throw only ParseError', () => {
    const seeds = SCENARIOS.flatMap((s) => ['frontal1', 'frontal2'].map((h) => cap(s, h, 'keepalived.json')));
    const r = fuzzParser(parseKeepalivedJson, seeds);
    expect(r.rejected).toBeGreaterThan(0);
  });
});

describe('parseKeepalivedData (real dumps)', () => {
  test('tracked scripts: names, weights, status GOOD / BAD', () => {
    const ok = parseKeepalivedData(cap('healthy', 'frontal1', 'keepalived.data'));
    expect(ok.instances).toEqual([{ name: 'VI_1', state: 'MASTER', tracked: [{ script: 'chk_sorry', weight: -60 }] }]);
    expect(ok.scripts).toEqual([{ name: 'chk_sorry', status: 'GOOD', weight: -60 }]);
    const bad = parseKeepalivedData(cap('script-failed', 'frontal1', 'keepalived.data'));
    expect(bad.scripts).toEqual([{ name: 'chk_sorry', status: 'BAD', weight: -60 }]);
    expect(bad.instances[0]!.state).toBe('BACKUP');
  });

  test('the password line is not kept', () => {
    const text = cap('healthy', 'frontal1', 'keepalived.data');
    expect(text).toMatch(/Password = /);
    expect(JSON.stringify(parseKeepalivedData(text))).not.toMatch(/Password|\*\*\*/);
  });

  test('rejections name what is wrong', () => {
    const good = cap('healthy', 'frontal1', 'keepalived.data');
    expect(() => parseKeepalivedData('hello')).toThrow(/no section header/);
    expect(() => parseKeepalivedData(good.replace('chk_sorry weight -60', 'chk_sorry heavy'))).toThrow(/tracked script line/);
    expect(() => parseKeepalivedData(good.replace('   Status = GOOD\n', ''))).toThrow(/no Status line/);
    expect(() => parseKeepalivedData(good.replace('   Weight = -60', '   Weight = x'))).toThrow(/weight 'x'/);
  });

  test('fuzz: 10 000 variants throw only ParseError', () => {
    const seeds = SCENARIOS.flatMap((s) => ['frontal1', 'frontal2'].map((h) => cap(s, h, 'keepalived.data')));
    expect(fuzzParser(parseKeepalivedData, seeds).rejected).toBeGreaterThan(0);
  });
});

describe('DBus answers (dbus-send --print-reply, real)', () => {
  test('State of a MASTER and a BACKUP', () => {
    const m = parseDbusReply(cap('healthy', 'frontal1', 'dbus-state.txt'));
    expect(m).toEqual({ ok: true, value: ['2', 'Master'] });
    expect(dbusState(m as never)).toBe('MASTER');
    expect(dbusState(parseDbusReply(cap('healthy', 'frontal2', 'dbus-state.txt')) as never)).toBe('BACKUP');
  });
  test('GetAll: name and state', () => {
    expect(parseDbusReply(cap('healthy', 'frontal1', 'dbus-getall.txt'))).toEqual({ ok: true, value: ['Name', 'VI_1', 'State', '2', 'Master'] });
  });
  test('keepalived gone from the bus, and no bus at all', () => {
    expect(parseDbusReply('', cap('master-stopped', 'frontal1', 'dbus-state.stderr'))).toMatchObject({ ok: false, error: 'org.freedesktop.DBus.Error.ServiceUnknown' });
    expect(parseDbusReply('', cap('master-killed', 'frontal1', 'dbus-nobus.stderr'))).toMatchObject({ ok: false, error: 'NoBus' });
  });
  test('rejections', () => {
    expect(() => parseDbusReply('garbage')).toThrow(ParseError);
    expect(() => dbusState({ ok: true, value: ['9', 'Weird'] })).toThrow(/no VRRP state/);
    expect(() => dbusState({ ok: true, value: [] })).toThrow(ParseError);
  });
  test('introspection children', () => {
    expect(introspectChildren('<node>\n  <node name="eth0"/>\n  <node name="51"/>\n</node>')).toEqual(['eth0', '51']);
    expect(introspectChildren('<node name="a b"/>')).toEqual([]);
  });
  test('fuzz: 10 000 variants throw only ParseError', () => {
    const seeds = SCENARIOS.flatMap((s) => ['frontal2'].map((h) => cap(s, h, 'dbus-state.txt')));
    const parse = (t: string) => {
      const r = parseDbusReply(t);
      if (r.ok) dbusState(r);
    };
    expect(fuzzParser(parse, seeds).rejected).toBeGreaterThan(0);
  });
});
