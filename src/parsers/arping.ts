import { ParseError } from '../runtime/errors';

export interface ArpingReply {
  kind: 'Unicast' | 'Broadcast';
  from: string;
  mac: string;
  ms: number;
}

export interface ArpingResult {
  target?: string;
  source?: string;
  interface?: string;
  replies: ArpingReply[];
  sent?: number;
  received?: number;
  /** Distinct MACs that answered, in order of first reply. */
  macs: string[];
}

const REPLY = /^(Unicast|Broadcast) reply from (\S+) \[([0-9A-Fa-f:]{17})\]\s+([\d.]+)ms\s*$/;
const HEAD = /^ARPING (\S+) from (\S+) (\S+)\s*$/;
const SENT = /^Sent (\d+) probes?/;
const RECV = /^Received (\d+) response/;

/**
 * Parses iputils arping output. Its exit code is 1 whenever replies ≠ probes, so callers
 * read the lines, not the code: two MACs answering one probe is a duplicate (leak or split
 * brain).
 */
export function parseArping(text: string): ArpingResult {
  const res: ArpingResult = { replies: [], macs: [] };
  let sawAny = false;
  // No trim, no blank-line skip: each pattern ends in \s*$ or has no end anchor, and a blank
  // line matches none of them.
  text.split('\n').forEach((l, i) => {
    let m: RegExpExecArray | null;
    if ((m = HEAD.exec(l))) {
      sawAny = true;
      res.target = m[1];
      res.source = m[2];
      res.interface = m[3];
    } else if ((m = REPLY.exec(l))) {
      sawAny = true;
      const mac = m[3]!.toLowerCase();
      const ms = Number(m[4]);
      if (!Number.isFinite(ms)) throw new ParseError('arping output', `bad time '${m[4]}'`, i + 1);
      res.replies.push({ kind: m[1] as ArpingReply['kind'], from: m[2]!, mac, ms });
      if (!res.macs.includes(mac)) res.macs.push(mac);
    } else if ((m = SENT.exec(l))) {
      sawAny = true;
      res.sent = Number(m[1]);
    } else if ((m = RECV.exec(l))) {
      sawAny = true;
      res.received = Number(m[1]);
    }
    // Other lines (warnings, "Timeout") carry nothing we count.
  });
  if (!sawAny) throw new ParseError('arping output', 'no ARPING header, reply or summary line');
  return res;
}
