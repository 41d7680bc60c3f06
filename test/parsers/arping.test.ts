import { parseArping } from '../../src/parsers/arping';
import { ParseError } from '../../src/runtime/errors';
import { fuzzParser } from '../helpers/fuzz';
import { capture, capturesUnder } from '../probes/replay';

const all = capturesUnder('arping');
const MAC = { frontal1: '02:1a:00:00:00:01', frontal2: '02:1a:00:00:00:02', reel2: '02:1a:00:00:00:05' };

describe('arping on real captures (iputils, -b -c 3 -I eth0 192.168.0.3 from the client)', () => {
  test('the lab captured arping', () => {
    expect(all.length).toBeGreaterThanOrEqual(2);
  });

  test('healthy: one MAC (frontal1) answers each of 3 probes; rc 0', () => {
    const c = capture('arping/healthy/client/arping');
    expect(c.rc).toBe(0);
    const r = parseArping(c.stdout);
    expect(r).toMatchObject({ target: '192.168.0.3', source: '192.168.0.10', interface: 'eth0', sent: 3, received: 3 });
    expect(r.replies).toHaveLength(3);
    expect(r.replies[0]!.kind).toBe('Unicast');
    expect(r.macs).toEqual([MAC.frontal1]);
  });

  test('ARP leak: reel2 (default sysctls) answers too; rc 1 because replies ≠ probes', () => {
    const c = capture('arping/arp-leak/client/arping');
    expect(c.rc).toBe(1);
    const r = parseArping(c.stdout);
    expect(r.sent).toBe(3);
    expect(r.received).toBe(6);
    expect([...r.macs].sort()).toEqual([MAC.frontal1, MAC.reel2].sort());
  });

  test('split brain: both directors answer', () => {
    const r = parseArping(capture('arping/split-brain/client/arping').stdout);
    expect([...r.macs].sort()).toEqual([MAC.frontal1, MAC.frontal2]);
  });

  test('peer dead: only frontal2 answers; no holder: nobody answers (rc 1, still parsed)', () => {
    expect(parseArping(capture('arping/peer-dead/client/arping').stdout).macs).toEqual([MAC.frontal2]);
    {
      const c = capture('arping/no-holder/client/arping');
      expect(c.rc).toBe(1);
      const r = parseArping(c.stdout);
      expect(r.macs).toEqual([]);
      expect(r.received).toBe(0);
    }
  });

  test('every capture parses and counts agree with the reply lines', () => {
    for (const c of all) {
      const r = parseArping(capture(c).stdout);
      expect(r.received).toBe(r.replies.length);
    }
  });
});

describe('arping edges', () => {
  test('error text only (stderr went elsewhere) is a ParseError', () => {
    expect(() => parseArping('')).toThrow(ParseError);
    expect(() => parseArping('arping: Device eth9 not available.\n')).toThrow(ParseError);
    expect(() => parseArping('Unicast reply from 192.168.0.3 [02:1A:00:00:00:01]  0.5.1ms\n')).toThrow(ParseError);
  });
});

describe('arping never crashes (property)', () => {
  test('10 000 malformed variants of the real captures: only ParseError', () => {
    const r = fuzzParser(parseArping, all.map((c) => capture(c).stdout), 10000);
    expect(r.rejected).toBeGreaterThan(0);
    expect(r.accepted + r.rejected).toBe(10000);
  });
});

describe('arping: each line alone, anchors, culprits (lines of the real arp-leak capture, edited)', () => {
  const real = capture('arping/arp-leak/client/arping').stdout.split('\n');
  const [head, reply] = [real[0]!, real[1]!]; // ARPING 192.168.0.3 from 192.168.0.10 eth0 / Unicast reply ... 0.570ms
  test('values of a reply line', () => {
    expect(parseArping(reply).replies).toEqual([{ kind: 'Unicast', from: '192.168.0.3', mac: '02:1a:00:00:00:05', ms: 0.57 }]);
  });
  test('any one kind of line is enough (arping killed after its header, a lone reply or summary)', () => {
    expect(parseArping(head)).toEqual({ target: '192.168.0.3', source: '192.168.0.10', interface: 'eth0', replies: [], macs: [] });
    expect(parseArping(reply).macs).toEqual(['02:1a:00:00:00:05']);
    expect(parseArping('Sent 3 probes (3 broadcast(s))')).toEqual({ replies: [], macs: [], sent: 3 });
    expect(parseArping('Received 6 response(s)')).toEqual({ replies: [], macs: [], received: 6 });
  });
  test('counts of two digits and more; the older "probe(s)" wording', () => {
    const r = parseArping(`${head}\nSent 10 probes (10 broadcast(s))\nReceived 12 response(s)\n`);
    expect([r.sent, r.received]).toEqual([10, 12]);
    expect(parseArping('Sent 1 probe(s) (1 broadcast(s))').sent).toBe(1);
  });
  test('CRLF line ends and trailing blanks are read as the plain lines', () => {
    const r = parseArping(real.map((l) => `${l}  \r`).join('\n'));
    expect(r).toMatchObject({ target: '192.168.0.3', source: '192.168.0.10', interface: 'eth0', sent: 3, received: 6 });
    expect(r.replies).toHaveLength(6);
    expect(r.replies[0]!.ms).toBe(0.57);
  });
  test('a known line inside another text, or with more after it, is not that line', () => {
    for (const l of [`x${head}`, `${head} extra`, `x${reply}`, `${reply} extra`, `${reply}X`, 'xSent 3 probes', 'xReceived 6 response(s)'])
      expect(() => parseArping(l)).toThrow(new ParseError('arping output', 'no ARPING header, reply or summary line'));
  });
  test('a time that is no number names itself and its line', () => {
    expect(() => parseArping(`${head}\n${reply.replace('0.570ms', '0.5.1ms')}`)).toThrow(new ParseError('arping output', "bad time '0.5.1'", 2));
  });
});
