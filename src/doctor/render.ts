import { redactUrls } from '../runtime/options';
import { State } from '../runtime/state';

export interface DoctorRow {
  check: string;
  host: string;
  state: State;
  summary: string;
  long: string[];
  seconds: number;
}

const COLOURS: Record<State, string> = {
  [State.OK]: '\x1b[32m',
  [State.WARNING]: '\x1b[33m',
  [State.CRITICAL]: '\x1b[31;1m',
  [State.UNKNOWN]: '\x1b[35m',
};
const RESET = '\x1b[0m';

/** The table a sysadmin reads first: check, host, state, summary; details with -v. */
/** `width`: the terminal's columns (cut summaries to fit), undefined = not a terminal (never cut). */
export function renderTable(rows: DoctorRow[], o: { colour: boolean; verbose: number; width?: number }): string {
  rows = rows.map(redactRow);
  const cw = Math.max(5, ...rows.map((r) => r.check.length));
  const hw = Math.max(4, ...rows.map((r) => r.host.length));
  const sw = 8;
  // Cut only on a terminal (width given; a pty with no size reports 0: 120). Piped into
  // grep, less or a mail, the whole summary is what matters.
  const width = o.width === undefined ? Infinity : o.width || 120;
  const head = `${'CHECK'.padEnd(cw)}  ${'HOST'.padEnd(hw)}  ${'STATE'.padEnd(sw)}  SUMMARY`;
  const lines = [head];
  for (const r of rows) {
    const name = State[r.state];
    const st = o.colour ? `${COLOURS[r.state]}${name.padEnd(sw)}${RESET}` : name.padEnd(sw);
    const room = Math.max(20, width - cw - hw - sw - 6);
    const summary = r.summary.length > room && o.verbose === 0 ? r.summary.slice(0, room - 1) + '…' : r.summary;
    lines.push(`${r.check.padEnd(cw)}  ${r.host.padEnd(hw)}  ${st}  ${summary}`);
    // Details start under SUMMARY.
    if (o.verbose > 0) for (const l of r.long) lines.push(`${' '.repeat(cw + hw + sw + 6)}${l}`);
  }
  return lines.join('\n') + '\n';
}

/** URL user info (http://user:password@) is never printed, whatever -v. */
function redactRow(r: DoctorRow): DoctorRow {
  return { ...r, summary: redactUrls(r.summary), long: r.long.map(redactUrls) };
}

/** `rowsSeconds`: how long the rows took together (they run in parallel), when known. */
export function renderJson(rows: DoctorRow[], worst: State, run: { rowsSeconds?: number } = {}): string {
  rows = rows.map(redactRow);
  return (
    JSON.stringify(
      {
        state: State[worst],
        exitCode: worst,
        ...(run.rowsSeconds !== undefined ? { rowsSeconds: Number(run.rowsSeconds.toFixed(3)) } : {}),
        results: rows.map((r) => ({ check: r.check, host: r.host, state: State[r.state], exitCode: r.state, summary: r.summary, details: r.long, seconds: Number(r.seconds.toFixed(3)) })),
      },
      null,
      2,
    ) + '\n'
  );
}
