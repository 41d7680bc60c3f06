/**
 * The doctor's two outputs: the table (aligned columns, colour only when asked, summaries cut
 * to the width at -v 0 and whole with details at -v) and the JSON document; and the exit code
 * the command derives from the rows (`worst`: CRITICAL > UNKNOWN > WARNING > OK).
 */
import { DoctorRow, renderJson, renderTable } from '../../src/doctor/render';
import { State, worst } from '../../src/runtime/state';

const ANSI = /\x1b\[[0-9;]*m/g;
const LONG =
  '127.0.0.4 lacks 192.168.0.3 on lo: DR traffic for 192.168.0.3 would be dropped; 192.168.0.4 answers ARP for 192.168.0.3 on eth0 (arp_ignore=0, arp_announce=0); nothing on 192.168.0.4 listens on 192.168.0.3:80/tcp';

const rows: DoctorRow[] = [
  {
    check: 'vip',
    host: 'frontal1+frontal2',
    state: State.CRITICAL,
    summary: 'split brain: frontal1, frontal2 hold 192.168.0.3',
    long: ['CRITICAL: split brain: frontal1, frontal2 hold 192.168.0.3', 'frontal1 (192.168.0.1): 192.168.0.3 on eth0:0'],
    seconds: 0.12345,
  },
  { check: 'heartbeat', host: 'frontal1', state: State.OK, summary: 'frontal1: peer frontal2 active, 1/1 links up', long: [], seconds: 0.0004 },
  { check: 'sorry', host: 'frontal2', state: State.WARNING, summary: 'sorry server in service for tcp 192.168.0.3:80', long: ['engaged'], seconds: 1 },
  { check: 'arp', host: 'reel1', state: State.UNKNOWN, summary: LONG, long: ['CRITICAL: one', 'lo: arp_ignore=0'], seconds: 2.5 },
];

/** Splits a table row by the header's column starts. */
function columns(table: string): { head: string; cells: string[][]; lines: string[] } {
  const lines = table.split('\n');
  expect(lines.pop()).toBe(''); // ends with a newline
  const head = lines[0]!;
  const starts = ['CHECK', 'HOST', 'STATE', 'SUMMARY'].map((h) => head.indexOf(h));
  const cells = lines.map((l) => starts.map((s, i) => (i < 3 ? l.slice(s, starts[i + 1]) : l.slice(s))));
  return { head, cells, lines };
}

describe('renderTable', () => {
  test('columns align: every row puts check, host, state and summary under their headings, two spaces apart at least', () => {
    const t = renderTable(rows, { colour: false, verbose: 0, width: 400 });
    const { head, cells, lines } = columns(t);
    expect(lines).toHaveLength(1 + rows.length);
    // Widths follow the longest cell: 'heartbeat' (9) and 'frontal1+frontal2' (17); STATE is 8 wide (CRITICAL).
    expect(head).toBe(`${'CHECK'.padEnd(9)}  ${'HOST'.padEnd(17)}  ${'STATE'.padEnd(8)}  SUMMARY`);
    rows.forEach((r, i) => {
      const [check, host, state, summary] = cells[i + 1]!;
      expect([check!.trimEnd(), host!.trimEnd(), state!.trimEnd(), summary]).toEqual([r.check, r.host, State[r.state], r.summary]);
      // Each fixed cell ends with at least two spaces of gutter.
      for (const c of [check!, host!, state!]) expect(c.endsWith('  ')).toBe(true);
    });
  });

  test('short names still get the headings width (CHECK, HOST)', () => {
    const t = renderTable([{ check: 'vip', host: 'a', state: State.OK, summary: 's', long: [], seconds: 0 }], { colour: false, verbose: 0 });
    expect(t).toBe(`CHECK  HOST  STATE     SUMMARY\nvip    a     OK        s\n`);
  });

  test('colour: escape codes only when colour is on; stripped, the table is the same', () => {
    const plain = renderTable(rows, { colour: false, verbose: 1, width: 100 });
    const coloured = renderTable(rows, { colour: true, verbose: 1, width: 100 });
    expect(plain).not.toMatch(/\x1b/);
    expect(coloured.replace(ANSI, '')).toBe(plain);
    // One colour per state, around the padded state name only (the summary is never coloured).
    expect(coloured).toContain('\x1b[31;1mCRITICAL\x1b[0m');
    expect(coloured).toContain('\x1b[32mOK      \x1b[0m');
    expect(coloured).toContain('\x1b[33mWARNING \x1b[0m');
    expect(coloured).toContain('\x1b[35mUNKNOWN \x1b[0m');
    expect(coloured.match(ANSI)).toHaveLength(2 * rows.length);
    // The header and the details carry no codes.
    const lines = coloured.split('\n');
    expect(lines[0]).not.toMatch(/\x1b/);
    expect(lines.filter((l) => /\x1b/.test(l))).toHaveLength(rows.length);
  });

  test('-v 0: a summary longer than the room is cut with … so the row is exactly the width; short ones untouched', () => {
    for (const width of [80, 120, 160]) {
      const { lines } = columns(renderTable(rows, { colour: false, verbose: 0, width }));
      const arp = lines.find((l) => l.startsWith('arp'))!;
      expect(arp.length).toBe(width);
      expect(arp.endsWith('…')).toBe(true);
      const cut = arp.slice(lines[0]!.indexOf('SUMMARY'), -1);
      expect(LONG.startsWith(cut)).toBe(true);
      // No details at -v 0: one line per row.
      expect(lines).toHaveLength(1 + rows.length);
      for (const l of lines) expect(l.length).toBeLessThanOrEqual(width);
      // Room for the summary: the width less the three columns and their gutters (9 + 17 + 8 + 3 × 2).
      const room = width - 40;
      rows.forEach((r, i) => {
        const shown = lines[i + 1]!.slice(lines[0]!.indexOf('SUMMARY'));
        expect(shown).toBe(r.summary.length <= room ? r.summary : `${r.summary.slice(0, room - 1)}…`);
      });
    }
  });

  test('-v 0 without a width (stdout not a terminal): never cut', () => {
    const arp = renderTable(rows, { colour: false, verbose: 0 })
      .split('\n')
      .find((l) => l.startsWith('arp'))!;
    expect(arp.endsWith(LONG)).toBe(true);
    expect(arp).not.toContain('…');
  });

  test('a terminal of width 0 (a pty with no size): 120 columns', () => {
    const arp = renderTable(rows, { colour: false, verbose: 0, width: 0 })
      .split('\n')
      .find((l) => l.startsWith('arp'))!;
    expect([arp.length, arp.at(-1)]).toEqual([120, '…']);
  });

  test('a very narrow terminal still shows 19 characters of each summary before the …', () => {
    const arp = renderTable(rows, { colour: false, verbose: 0, width: 10 })
      .split('\n')
      .find((l) => l.startsWith('arp'))!;
    expect(arp.endsWith(`${LONG.slice(0, 19)}…`)).toBe(true);
  });

  test('-v: summaries whole, each detail line under its row, indented past the host column, in order', () => {
    const t = renderTable(rows, { colour: false, verbose: 1, width: 80 });
    const lines = t.split('\n').slice(0, -1);
    expect(t).not.toContain('…');
    const expected: string[] = [];
    for (const r of rows) expected.push(r.check, ...r.long.map((l) => `detail:${l}`));
    const head = lines[0]!;
    const got = lines.slice(1).map((l) => {
      if (!l.startsWith(' ')) return l.split(' ')[0]!;
      // A detail line: blank under CHECK and HOST.
      expect(l.slice(0, head.indexOf('STATE'))).toMatch(/^ +$/);
      return `detail:${l.trimStart()}`;
    });
    expect(got).toEqual(expected);
    expect(lines.find((l) => l.startsWith('arp'))!.endsWith(LONG)).toBe(true);
    // -vv and more: the same table (the checks add their own lines to `long`).
    expect(renderTable(rows, { colour: false, verbose: 3, width: 80 })).toBe(t);
  });
});

describe('renderJson and the exit code', () => {
  test('JSON: worst state and exit code, then each row with all its fields, summaries never cut', () => {
    const w = worst(...rows.map((r) => r.state));
    const text = renderJson(rows, w);
    expect(text.endsWith('}\n')).toBe(true);
    const j = JSON.parse(text);
    expect(Object.keys(j)).toEqual(['state', 'exitCode', 'results']);
    expect(j.state).toBe('CRITICAL');
    expect(j.exitCode).toBe(2);
    expect(j.results).toEqual([
      {
        check: 'vip',
        host: 'frontal1+frontal2',
        state: 'CRITICAL',
        exitCode: 2,
        summary: 'split brain: frontal1, frontal2 hold 192.168.0.3',
        details: ['CRITICAL: split brain: frontal1, frontal2 hold 192.168.0.3', 'frontal1 (192.168.0.1): 192.168.0.3 on eth0:0'],
        seconds: 0.123,
      },
      { check: 'heartbeat', host: 'frontal1', state: 'OK', exitCode: 0, summary: 'frontal1: peer frontal2 active, 1/1 links up', details: [], seconds: 0 },
      { check: 'sorry', host: 'frontal2', state: 'WARNING', exitCode: 1, summary: 'sorry server in service for tcp 192.168.0.3:80', details: ['engaged'], seconds: 1 },
      { check: 'arp', host: 'reel1', state: 'UNKNOWN', exitCode: 3, summary: LONG, details: ['CRITICAL: one', 'lo: arp_ignore=0'], seconds: 2.5 },
    ]);
    expect(text).not.toMatch(/\x1b/);
  });

  test('JSON: the rows phase, when the command gives it, after the exit code (rows run in parallel: less than their sum)', () => {
    const j = JSON.parse(renderJson(rows, State.CRITICAL, { rowsSeconds: 2.71828 }));
    expect(Object.keys(j)).toEqual(['state', 'exitCode', 'rowsSeconds', 'results']);
    expect(j.rowsSeconds).toBe(2.718);
  });

  // The command sets process.exitCode = worst(rows) and passes the same value to renderJson.
  test.each([
    [[], State.OK],
    [[State.OK, State.OK], State.OK],
    [[State.OK, State.WARNING], State.WARNING],
    [[State.WARNING, State.UNKNOWN, State.OK], State.UNKNOWN],
    // An outage confirmed by one check is not hidden by another check's error: 2 beats 3.
    [[State.UNKNOWN, State.CRITICAL], State.CRITICAL],
    [[State.CRITICAL, State.UNKNOWN, State.WARNING, State.OK], State.CRITICAL],
  ])('states %j → exit code %i', (states, expected) => {
    const rs = states.map((state, i): DoctorRow => ({ check: 'vip', host: `h${i}`, state, summary: 's', long: [], seconds: 0 }));
    const w = worst(...rs.map((r) => r.state));
    expect(w).toBe(expected);
    const j = JSON.parse(renderJson(rs, w));
    expect([j.exitCode, j.state]).toEqual([expected, State[expected]]);
    expect(j.results.map((r: { exitCode: number }) => r.exitCode)).toEqual(states);
  });
});
