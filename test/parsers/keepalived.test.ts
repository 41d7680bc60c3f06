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

describe('keepalived parsers: each field and rejection with its message (real dumps, one value edited)', () => {
  const J = (m: string, ...a: [string, string][]) => () => parseKeepalivedJson(a.reduce((t, [x, y]) => t.replace(x, y), good));
  const good = cap('healthy', 'frontal1', 'keepalived.json');
  const e = (m: string) => new ParseError('keepalived JSON dump', m);
  test('JSON: shapes', () => {
    expect(() => parseKeepalivedJson('{}')).toThrow(e('not an array of instances'));
    expect(() => parseKeepalivedJson('[null]')).toThrow(e('[0] is not an object'));
    expect(() => parseKeepalivedJson('[[]]')).toThrow(e('[0] is not an object'));
    expect(() => parseKeepalivedJson('[{"data":1,"stats":{}}]')).toThrow(e('[0].data is not an object'));
    expect(() => parseKeepalivedJson('[{"data":{},"stats":1}]')).toThrow(e('[0].stats is not an object'));
    const long = 'x'.repeat(300);
    let why = '';
    try {
      JSON.parse(long);
    } catch (err) {
      why = (err as Error).message.slice(0, 80);
    }
    expect(() => parseKeepalivedJson(long)).toThrow(e(`not JSON (${why}); half-written?`));
  });
  test('JSON: counts, numbers, names, flags, router ids, VIP lists', () => {
    expect(J('', ['"auth_failure":0', '"auth_failure":0.5'])).toThrow(e('[0].stats.auth_failure is not a count'));
    expect(J('', ['"last_transition":1796037701.243169', '"last_transition":"1"'])).toThrow(e('[0].data.last_transition is not a number'));
    expect(J('', ['"last_transition":1796037701.243169', '"last_transition":-1'])).toThrow(e('[0].data.last_transition is not a number'));
    expect(parseKeepalivedJson(good)[0]!.lastTransition).toBe(1796037701.243169);
    expect(J('', ['"iname":"VI_1"', '"iname":5'])).toThrow(e('[0].data.iname is not a name'));
    expect(J('', ['"iname":"VI_1"', `"iname":"${'n'.repeat(257)}"`])).toThrow(e('[0].data.iname is not a name'));
    expect(parseKeepalivedJson(good.replace('"iname":"VI_1"', `"iname":"${'n'.repeat(256)}"`))[0]!.name).toHaveLength(256);
    expect(parseKeepalivedJson(good.replace('"nopreempt":false', '"nopreempt":1'))[0]!.nopreempt).toBe(true);
    expect(parseKeepalivedJson(good.replace('"nopreempt":false', '"nopreempt":0'))[0]!.nopreempt).toBe(false);
    expect(J('', ['"nopreempt":false', '"nopreempt":2'])).toThrow(e('[0].data.nopreempt is not a flag'));
    for (const v of [1, 255]) expect(parseKeepalivedJson(good.replace('"vrid":51', `"vrid":${v}`))[0]!.vrid).toBe(v);
    expect(J('', ['"vrid":51', '"vrid":256'])).toThrow(e('[0].data.vrid 256 is not a VRRP router id (1-255)'));
    expect(J('', ['"state":2', '"state":4'])).toThrow(e('[0].data.state 4 is no VRRP state (0-3)'));
    expect(['0', '1', '2', '3'].map((n) => parseKeepalivedJson(good.replace('"state":2', `"state":${n}`))[0]!.state)).toEqual(['INIT', 'BACKUP', 'MASTER', 'FAULT']);
    const vips = /"vips":\[[^\]]*\]/;
    expect(parseKeepalivedJson(good.replace(vips, '"novips":[]'))[0]!.vips).toEqual([]);
    for (const bad of ['"vips":"192.168.0.3"', '"vips":[1]', '"vips":["192.168.0.3",1]'])
      expect(() => parseKeepalivedJson(good.replace(vips, bad))).toThrow(e('[0].data.vips is not a list of addresses'));
  });
  const data = cap('healthy', 'frontal1', 'keepalived.data');
  const d = (m: string, line?: number) => new ParseError('keepalived data dump', m, line);
  const lineOf = (needle: string) => data.split('\n').findIndex((l) => l === needle) + 1;
  test('data: headers anchored, CRLF, state, tracked and script lines', () => {
    expect(() => parseKeepalivedData(`x${data}`)).toThrow(d('no section header on line 1', 1));
    expect(() => parseKeepalivedData(data.replace('------< Global definitions >------', '------< Global definitions >------x'))).toThrow(d('no section header on line 1', 1));
    const crlf = parseKeepalivedData(data.replace(/\n/g, '\r\n'));
    expect(crlf).toEqual(parseKeepalivedData(data));
    // a section header inside another line is no header: the topology goes on
    expect(parseKeepalivedData(data.replace('------< VRRP Sockpool >------', ' x------< VRRP Sockpool >------')).instances).toHaveLength(1);
    expect(parseKeepalivedData(data.replace(' VRRP Instance = VI_1', ' VRRP Instance = VI_1 x')).instances).toEqual([]);
    expect(parseKeepalivedData(data.replace(' VRRP Instance = VI_1', 'x VRRP Instance = VI_1')).instances).toEqual([]);
    // a 5-space line before the instance's first 3-space line is not a tracked script
    expect(parseKeepalivedData(data.replace(' VRRP Instance = VI_1\n', ' VRRP Instance = VI_1\n     stray\n')).instances[0]!.tracked).toHaveLength(1);
    // 'Tracked scripts :' must be the whole 3-space line
    expect(parseKeepalivedData(data.replace('   Tracked scripts :', '   Tracked scripts : x')).instances[0]!.tracked).toEqual([]);
    expect(parseKeepalivedData(data.replace('   Tracked scripts :', '   Tracked scripts :  ')).instances[0]!.tracked).toHaveLength(1);
    expect(parseKeepalivedData(data.replace('   State = MASTER', '   State = MASTER  ')).instances[0]!.state).toBe('MASTER  ');
    expect(parseKeepalivedData(data.replace('   State = MASTER', 'x  State = MASTER')).instances[0]!.state).toBe('');
    expect(parseKeepalivedData(data.replace('     chk_sorry weight -60', '     chk_sorry weight 60 reverse')).instances[0]!.tracked).toEqual([{ script: 'chk_sorry', weight: 60 }]);
    const at = lineOf('     chk_sorry weight -60');
    expect(() => parseKeepalivedData(data.replace('     chk_sorry weight -60', '     chk_sorry weight -60 x'))).toThrow(d("tracked script line 'chk_sorry weight -60 x'", at));
    expect(() => parseKeepalivedData(data.replace('     chk_sorry weight -60', `     chk_sorry weight ${'9'.repeat(70)}x`))).toThrow(d(`tracked script line '${`chk_sorry weight ${'9'.repeat(70)}x`.slice(0, 60)}'`, at));
  });
  test('data: scripts', () => {
    expect(parseKeepalivedData(data.replace(' VRRP Script = chk_sorry', ' VRRP Script = chk_sorry x')).scripts).toEqual([]);
    expect(parseKeepalivedData(data.replace(' VRRP Script = chk_sorry', 'x VRRP Script = chk_sorry')).scripts).toEqual([]);
    expect(parseKeepalivedData(data.replace('   Weight = -60', '   Weight = 60 reverse')).scripts[0]!.weight).toBe(60);
    expect(parseKeepalivedData(data.replace('   Weight = -60', '   Weight = 100')).scripts[0]!.weight).toBe(100);
    for (const w of ['   Weight=-60', '   Weight =-60', '   Weight= -60']) expect(parseKeepalivedData(data.replace('   Weight = -60', w)).scripts[0]!.weight).toBe(-60);
    const at = lineOf('   Weight = -60');
    expect(() => parseKeepalivedData(data.replace('   Weight = -60', '   Weight = -60x'))).toThrow(d("script chk_sorry: weight '-60x'", at));
    expect(() => parseKeepalivedData(data.replace('   Weight = -60', '   Weight = x-60'))).toThrow(d("script chk_sorry: weight 'x-60'", at));
    expect(() => parseKeepalivedData(data.replace('   Weight = -60', `   Weight = ${'x'.repeat(30)}`))).toThrow(d(`script chk_sorry: weight '${'x'.repeat(20)}'`, at));
  });
  test('DBus: error lines anchored, either stream, the message cut at 200', () => {
    const err = cap('master-stopped', 'frontal1', 'dbus-state.stderr');
    expect(parseDbusReply('', err)).toEqual({ ok: false, error: 'org.freedesktop.DBus.Error.ServiceUnknown', message: 'The name org.keepalived.Vrrp1 was not provided by any .service files' });
    expect(parseDbusReply(err)).toEqual(parseDbusReply('', err));
    expect(() => parseDbusReply('', `x${err}`)).toThrow(new ParseError('dbus-send output', "no 'method return' line: ''", 1));
    expect(parseDbusReply('', 'Error a.b:c')).toEqual({ ok: false, error: 'a.b', message: 'c' });
    expect(parseDbusReply('', `Error a.b: ${'m'.repeat(300)}`)).toEqual({ ok: false, error: 'a.b', message: 'm'.repeat(200) });
    const nobus = cap('master-killed', 'frontal1', 'dbus-nobus.stderr');
    expect(parseDbusReply('', nobus)).toEqual({ ok: false, error: 'NoBus', message: 'Failed to connect to socket /run/dbus/system_bus_socket: No such file or directory' });
    expect(parseDbusReply('', nobus.replace('"system"', 'system'))).toMatchObject({ error: 'NoBus' });
    expect(parseDbusReply(nobus)).toMatchObject({ error: 'NoBus' });
    expect(parseDbusReply('', `Failed to open connection to "system" message bus: ${'m'.repeat(300)}`)).toEqual({ ok: false, error: 'NoBus', message: 'm'.repeat(200) });
  });
});

describe('keepalived parsers: the last mutation survivors (real dumps and replies, one line edited)', () => {
  const data = cap('healthy', 'frontal1', 'keepalived.data');
  const d = (m: string, line?: number) => new ParseError('keepalived data dump', m, line);
  const at = (needle: string) => data.split('\n').findIndex((l) => l === needle) + 1;
  // parsed inside each test: a describe-level call makes the parser's mutants 'static' for Stryker (all tests run on them)
  const healthy = () => parseKeepalivedData(data);
  test('data: a section header is a whole line; its name picks the section', () => {
    expect(healthy()).toEqual({ instances: [{ name: 'VI_1', state: 'MASTER', tracked: [{ script: 'chk_sorry', weight: -60 }] }], scripts: [{ name: 'chk_sorry', status: 'GOOD', weight: -60 }] });
    // a header-like line inside the topology with text before or after it ends nothing
    for (const h of ['x------< Other >------', '------< Other >------x'])
      expect(parseKeepalivedData(data.replace(' VRRP Instance = VI_1\n', ` VRRP Instance = VI_1\n${h}\n`))).toEqual(healthy());
    expect(parseKeepalivedData(data.replace(' VRRP Instance = VI_1\n', ' VRRP Instance = VI_1\n------< Other >------\n')).instances).toEqual([{ name: 'VI_1', state: '', tracked: [] }]);
    // script lines read only under VRRP Scripts
    expect(parseKeepalivedData(data.replace('------< VRRP Scripts >------', '------< VRRP Scripts 2 >------')).scripts).toEqual([]);
  });
  test('data: the indentation of state, tracked and script lines counts from the line start', () => {
    expect(parseKeepalivedData(data.replace('   State = MASTER', '    State = MASTER')).instances[0]!.state).toBe('');
    expect(parseKeepalivedData(data.replace('   Tracked scripts :', '   x   Tracked scripts :')).instances[0]!.tracked).toEqual([]);
    // a 6-space line under Tracked scripts is no script line (and no error)
    expect(parseKeepalivedData(data.replace('     chk_sorry weight -60\n', '     chk_sorry weight -60\n      more\n'))).toEqual(healthy());
    const line = at('     chk_sorry weight -60');
    expect(() => parseKeepalivedData(data.replace('     chk_sorry weight -60', '     x     chk_sorry weight -60'))).toThrow(d("tracked script line 'x     chk_sorry weight -60'", line));
    // a 4-space Status line is not the script's: it has none then
    expect(() => parseKeepalivedData(data.replace('   Status = GOOD', '    Status = GOOD'))).toThrow(d('script chk_sorry has no Status line'));
  });
  test('DBus: error and NoBus lines anchored on stdout too, the two streams kept apart', () => {
    const err = cap('master-stopped', 'frontal1', 'dbus-state.stderr');
    expect(() => parseDbusReply(`x${err}`)).toThrow(new ParseError('dbus-send output', `no 'method return' line: '${`x${err}`.split('\n')[0]!.slice(0, 60)}'`, 1));
    expect(parseDbusReply('Error a.b:c')).toEqual({ ok: false, error: 'a.b', message: 'c' });
    const nobus = cap('master-killed', 'frontal1', 'dbus-nobus.stderr');
    const line = nobus.split('\n').find((l) => l.startsWith('Failed to open'))!;
    expect(() => parseDbusReply('', `x${line}`)).toThrow(new ParseError('dbus-send output', "no 'method return' line: ''", 1));
    // stderr without a final newline, then stdout's line: still a line start
    expect(parseDbusReply(line, 'warning')).toMatchObject({ ok: false, error: 'NoBus' });
  });
  test('DBus: the method return line first, its text cut at 60 in the error; typed values', () => {
    const state = cap('healthy', 'frontal1', 'dbus-state.txt');
    expect(() => parseDbusReply(`x ${state}`)).toThrow(new ParseError('dbus-send output', `no 'method return' line: '${`x ${state}`.split('\n')[0]!.slice(0, 60)}'`, 1));
    expect(() => parseDbusReply('garbage\nmethod return')).toThrow(new ParseError('dbus-send output', "no 'method return' line: 'garbage'", 1));
    expect(parseDbusReply(state.replace('uint32 2', 'int32 12'))).toEqual({ ok: true, value: ['12', 'Master'] });
  });
  test('DBus State: one digit, the culprit joined and cut at 40', () => {
    for (const v of ['', '1e0', '01', '2x']) expect(() => dbusState({ ok: true, value: [v, 'Backup'] })).toThrow(new ParseError('keepalived DBus State', `'${v} Backup' is no VRRP state`));
    expect(() => dbusState({ ok: true, value: ['9', 'x'.repeat(50)] })).toThrow(new ParseError('keepalived DBus State', `'9 ${'x'.repeat(38)}' is no VRRP state`));
    expect(dbusState({ ok: true, value: ['3', 'Fault'] })).toBe('FAULT');
  });
  test('introspection: self-closed or not, blanks before the end', () => {
    expect(introspectChildren('<node>\n  <node name="eth0" />\n  <node name="51">\n</node></node>')).toEqual(['eth0', '51']);
  });
});
