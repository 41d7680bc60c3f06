import { ParseError } from '../runtime/errors';

/**
 * Parsers for Heartbeat's `cl_status` (heartbeat 3.0.x), one per sub-command. Each reads
 * the stdout of one call; the exit code is the probe's business (see `clStatusExit`).
 */

/** cl_status's own exit codes (cl_status.c): anything else is not from cl_status. */
export const CL_STATUS_EXIT = {
  OK: 0,
  /** A "normal" failure: node dead, link dead, Heartbeat stopped, parameter not set. */
  FAIL: 1,
  PARAMETER_ERROR: 11,
  /** Its own 5 s alarm fired: Heartbeat did not answer. */
  TIMEOUT: 12,
  UNKNOWN_ERROR: 13,
} as const;

export type HbDaemonState = 'running' | 'stopped' | 'refused';

/** `cl_status hbstatus` (without -v). */
export interface HbStatus {
  state: HbDaemonState;
  /** The line as printed, for messages. */
  text: string;
}

/** Statuses Heartbeat gives nodes (heartbeat.c): init, up, active, dead; ping nodes `ping`. */
export type NodeStatus = 'init' | 'up' | 'active' | 'ping' | 'dead';
export type NodeType = 'normal' | 'ping' | 'unknown';
export type LinkStatus = 'up' | 'dead';

export interface HbLink {
  name: string;
  /** Present only in `listhblinks -v` output. */
  status?: LinkStatus;
}

function lines(text: string): string[] {
  return text.split('\n').map((l) => l.replace(/\r$/, ''));
}

/** The non-empty lines; trailing whitespace kept (it matters for listhblinks). */
function nonEmpty(text: string): string[] {
  return lines(text).filter((l) => l.trim() !== '');
}

/** Exactly one line holding one word out of `words`. */
function oneWord<T extends string>(what: string, text: string, words: readonly T[]): T {
  const ls = nonEmpty(text);
  if (ls.length !== 1) throw new ParseError(what, ls.length === 0 ? 'empty output' : `expected one line, got ${ls.length}`);
  const w = ls[0]!.trim();
  if (!(words as readonly string[]).includes(w)) throw new ParseError(what, `unexpected '${w.slice(0, 40)}' (expected ${words.join(', ')})`, 1);
  return w as T;
}

const RUNNING = 'Heartbeat is running on this machine.';
const STOPPED = 'Heartbeat is stopped on this machine.';
// Printed with rc 0 when the API refuses us although the daemon answers (permissions).
const REFUSED = /^Heartbeat is apparently running on this machine, but refuses my connection$/;

export function parseHbStatus(text: string): HbStatus {
  const ls = nonEmpty(text);
  if (ls.length === 0) throw new ParseError('cl_status hbstatus', 'empty output');
  const first = ls[0]!.trim();
  // `hbstatus -v` continues with "(reason)" or node details; we read the first line only.
  if (first === RUNNING) return { state: 'running', text: first };
  if (first === STOPPED) return { state: 'stopped', text: first };
  if (REFUSED.test(first)) return { state: 'refused', text: first };
  // `hbstatus -v` once signed on: "version:\t3.0.6 (node: ...)", "managed by:\t...".
  if (/^version:\t\S/.test(ls[0]!)) return { state: 'running', text: RUNNING };
  throw new ParseError('cl_status hbstatus', `unexpected '${first.slice(0, 60)}'`, 1);
}

// Node names are uname -n values or ping addresses: no whitespace, no control characters.
const NAME = /^[^\s\x00-\x1f\x7f]+$/;

/** `cl_status listnodes`: one node name per line (ping nodes included). */
export function parseNodeList(text: string): string[] {
  const out: string[] = [];
  lines(text).forEach((l, i) => {
    if (l.trim() === '') return;
    if (!NAME.test(l)) throw new ParseError('cl_status listnodes', `not a node name: '${l.slice(0, 40)}'`, i + 1);
    if (!out.includes(l)) out.push(l);
  });
  // Heartbeat always lists at least the local node.
  if (out.length === 0) throw new ParseError('cl_status listnodes', 'no nodes');
  return out;
}

export function parseNodeStatus(text: string): NodeStatus {
  return oneWord('cl_status nodestatus', text, ['init', 'up', 'active', 'ping', 'dead'] as const);
}

export function parseNodeType(text: string): NodeType {
  return oneWord('cl_status nodetype', text, ['normal', 'ping', 'unknown'] as const);
}

export function parseLinkStatus(text: string): LinkStatus {
  return oneWord('cl_status hblinkstatus', text, ['up', 'dead'] as const);
}

/**
 * `cl_status listhblinks NODE`: each link on its own line after a leading TAB
 * (`\teth0`); with -v a second TAB and the status (`\teth0\tup`).
 */
export function parseHbLinks(text: string): HbLink[] {
  const out: HbLink[] = [];
  lines(text).forEach((l, i) => {
    if (l.trim() === '') return;
    const m = /^\t([^\s]+)(?:\t(up|dead))?$/.exec(l);
    if (!m) throw new ParseError('cl_status listhblinks', `not a link line: '${l.slice(0, 40)}'`, i + 1);
    out.push(m[2] ? { name: m[1]!, status: m[2] as LinkStatus } : { name: m[1]! });
  });
  return out;
}

/** One node of `listnodes -v` / `hbstatus -v`: status, type and links with their status. */
export interface HbNodeVerbose {
  name: string;
  status: NodeStatus;
  type: NodeType;
  links: { name: string; status: LinkStatus }[];
}

const NODE_STATUSES: readonly string[] = ['init', 'up', 'active', 'ping', 'dead'];
const NODE_TYPES: readonly string[] = ['normal', 'ping', 'unknown'];

/**
 * The node blocks of `cl_status listnodes -v`, also printed by `hbstatus -v` after its
 * `version:` and `managed by:` lines (cl_status.c __listnodes): a blank line, then
 * `NAME\tSTATUS\t(nodetype: TYPE)`, then one `\tLINK\tSTATUS` line per Heartbeat link. One call
 * answers what nodestatus, nodetype, listhblinks and hblinkstatus answer one node or link at a
 * time. A link listed twice is one link.
 */
export function parseNodesVerbose(text: string, what = 'cl_status listnodes -v'): HbNodeVerbose[] {
  const out: HbNodeVerbose[] = [];
  let cur: HbNodeVerbose | undefined;
  lines(text).forEach((l, i) => {
    if (l.trim() === '') return;
    if (/^(version|managed by):\t/.test(l)) {
      if (out.length > 0) throw new ParseError(what, `'${l.slice(0, 20)}' after the nodes`, i + 1);
      return;
    }
    const n = /^([^\s]+)\t(\S+)\t\(nodetype: (\S+)\)$/.exec(l);
    if (n) {
      if (!NAME.test(n[1]!)) throw new ParseError(what, `not a node name: '${n[1]!.slice(0, 40)}'`, i + 1);
      if (!NODE_STATUSES.includes(n[2]!)) throw new ParseError(what, `unexpected node status '${n[2]!.slice(0, 20)}'`, i + 1);
      if (!NODE_TYPES.includes(n[3]!)) throw new ParseError(what, `unexpected node type '${n[3]!.slice(0, 20)}'`, i + 1);
      if (out.some((x) => x.name === n[1])) throw new ParseError(what, `node ${n[1]} listed twice`, i + 1);
      cur = { name: n[1]!, status: n[2] as NodeStatus, type: n[3] as NodeType, links: [] };
      out.push(cur);
      return;
    }
    const k = /^\t([^\s]+)\t(up|dead)$/.exec(l);
    if (k && cur) {
      if (!cur.links.some((x) => x.name === k[1])) cur.links.push({ name: k[1]!, status: k[2] as LinkStatus });
      return;
    }
    throw new ParseError(what, `not a node or link line: '${l.slice(0, 40)}'`, i + 1);
  });
  if (out.length === 0) throw new ParseError(what, 'no nodes');
  return out;
}

/** `cl_status hbparameter -p NAME`: the value as Heartbeat holds it (one line). */
export function parseHbParameter(text: string): string {
  const ls = nonEmpty(text);
  if (ls.length !== 1) throw new ParseError('cl_status hbparameter', ls.length === 0 ? 'empty output' : `expected one line, got ${ls.length}`);
  return ls[0]!.trim();
}

/**
 * A Heartbeat time (keepalive, warntime, deadtime) in seconds: ha.cf takes a number with
 * an optional unit, `ms`/`msec`, `us`/`usec` or `s`/`sec` (plain = seconds).
 */
export function parseHbDuration(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|msec|us|usec|s|sec)?$/.exec(value.trim());
  if (!m) throw new ParseError('Heartbeat time', `'${value.slice(0, 40)}' is not a duration`);
  const n = Number(m[1]);
  const unit = m[2];
  const s = unit?.startsWith('ms') ? n / 1000 : unit?.startsWith('us') ? n / 1e6 : n;
  if (!Number.isFinite(s)) throw new ParseError('Heartbeat time', `'${value.slice(0, 40)}' is out of range`);
  return s;
}

/** `cl_status test` (undocumented but present in 3.0.x): the only way to ask Heartbeat its own node name. */
export function parseClStatusTest(text: string): { mynodeid: string; deadtimeMs?: number; keepaliveMs?: number } {
  let mynodeid: string | undefined;
  let deadtimeMs: number | undefined;
  let keepaliveMs: number | undefined;
  for (const l of lines(text)) {
    let m: RegExpExecArray | null;
    if ((m = /^\s*mynodeid:\s*(\S+)\s*$/.exec(l))) mynodeid = m[1];
    else if ((m = /^\s*Dead time:\s*(\d+)\s*$/.exec(l))) deadtimeMs = Number(m[1]);
    else if ((m = /^\s*keeplive time:\s*(\d+)\s*$/.exec(l))) keepaliveMs = Number(m[1]);
  }
  if (!mynodeid || !NAME.test(mynodeid)) throw new ParseError('cl_status test', 'no mynodeid line');
  return { mynodeid, deadtimeMs, keepaliveMs };
}
