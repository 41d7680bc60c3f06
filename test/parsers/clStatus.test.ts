import { basename } from 'node:path';
import {
  parseClStatusTest,
  parseHbDuration,
  parseHbLinks,
  parseHbParameter,
  parseHbStatus,
  parseLinkStatus,
  parseNodeList,
  parseNodeStatus,
  parseNodeType,
  parseNodesVerbose,
} from '../../src/parsers/clStatus';
import { ParseError } from '../../src/runtime/errors';
import { fuzzParser } from '../helpers/fuzz';
import { capture, capturesUnder } from '../probes/replay';

// Every cl_status capture the lab took, grouped by sub-command (the file name's first word).
const all = capturesUnder('heartbeat');
const byKind = (re: RegExp) => all.filter((c) => re.test(basename(c)));
// Answered (rc 0 or 1 with a word on stdout); on a stopped node every call needing the
// API fails before that: rc 1, nothing on stdout, "Cannot signon with heartbeat" on stderr.
const signonFailed = (c: string) => /Cannot signon with heartbeat/.test(capture(c).stderr);
const ok = (c: string) => (capture(c).rc === 0 || capture(c).rc === 1) && !signonFailed(c);

describe('cl_status on real captures', () => {
  test('the lab captured cl_status output', () => {
    expect(all.length).toBeGreaterThan(20);
  });

  test('hbstatus: running (rc 0) and stopped (rc 1) as Heartbeat prints them', () => {
    // rc 12: cl_status's own 5 s alarm fired (seen on a node whose heartbeat was kill -9'd): no output.
    const caps = byKind(/^hbstatus$/).filter((c) => capture(c).rc !== 12);
    expect(caps.length).toBeGreaterThan(0);
    for (const c of byKind(/^hbstatus$/).filter((c) => capture(c).rc === 12)) expect(capture(c).stdout).toBe('');
    for (const c of caps) {
      const { stdout, rc } = capture(c);
      const s = parseHbStatus(stdout);
      expect(s.state).toBe(rc === 0 ? 'running' : 'stopped');
    }
    expect(parseHbStatus(capture('heartbeat/healthy/frontal1/hbstatus').stdout).state).toBe('running');
    expect(parseHbStatus(capture('heartbeat/stopped/frontal2/hbstatus').stdout).state).toBe('stopped');
  });

  test('hbstatus -v: the first line decides; then every node with its status, type and links', () => {
    for (const c of byKind(/^hbstatus-v$/).filter((c) => capture(c).rc !== 12)) {
      const { stdout, rc } = capture(c);
      expect(parseHbStatus(stdout).state).toBe(rc === 0 ? 'running' : 'stopped');
      if (rc === 0) expect(parseNodesVerbose(stdout, 'hbstatus -v').map((n) => n.name).sort()).toEqual(['frontal1', 'frontal2']);
    }
    // The one call answers what nodestatus, nodetype, listhblinks and hblinkstatus answer one by one.
    expect(parseNodesVerbose(capture('heartbeat/healthy/frontal1/hbstatus-v').stdout)).toEqual([
      { name: 'frontal2', status: 'active', type: 'normal', links: [{ name: 'eth0', status: 'up' }] },
      { name: 'frontal1', status: 'active', type: 'normal', links: [{ name: 'eth0', status: 'dead' }] },
    ]);
    expect(parseNodesVerbose(capture('heartbeat/peer-dead/frontal2/hbstatus-v').stdout).find((n) => n.name === 'frontal1')).toEqual({
      name: 'frontal1',
      status: 'dead',
      type: 'normal',
      links: [{ name: 'eth0', status: 'dead' }],
    });
    // listnodes -v prints the same blocks without the two header lines.
    for (const c of byKind(/^listnodes-v$/).filter((c) => capture(c).rc === 0)) {
      const hb = c.replace(/listnodes-v$/, 'hbstatus-v');
      if (all.includes(hb) && capture(hb).rc === 0) expect(parseNodesVerbose(capture(c).stdout)).toEqual(parseNodesVerbose(capture(hb).stdout));
    }
  });

  test('listnodes -v / hbstatus -v: malformed blocks are refused, a link listed twice is one link', () => {
    const real = capture('heartbeat/healthy/frontal1/hbstatus-v').stdout;
    // labelled synthetic edge (the lab's ha.cf names each link once): eth0 listed twice
    const twice = real.replace('\teth0\tup\n', '\teth0\tup\n\teth0\tup\n');
    expect(twice).not.toBe(real);
    expect(parseNodesVerbose(twice)[0]!.links).toEqual([{ name: 'eth0', status: 'up' }]);
    expect(() => parseNodesVerbose(real.replace('active', 'sleepy'))).toThrow(ParseError);
    expect(() => parseNodesVerbose(real.replace('(nodetype: normal)', '(nodetype: weird)'))).toThrow(ParseError);
    expect(() => parseNodesVerbose(real.replace('\teth0\tup', '\teth0\tmaybe'))).toThrow(ParseError);
    expect(() => parseNodesVerbose('\teth0\tup\n')).toThrow(ParseError); // a link before any node
    expect(() => parseNodesVerbose('version:\t3\n')).toThrow(ParseError); // no nodes
    expect(() => parseNodesVerbose(real + real.split('\n').slice(3).join('\n'))).toThrow(ParseError); // a node twice
  });

  test('listnodes: both directors, in Heartbeat\'s order', () => {
    expect(parseNodeList(capture('heartbeat/healthy/frontal1/listnodes').stdout)).toEqual(['frontal2', 'frontal1']);
    for (const c of byKind(/^listnodes$/).filter((c) => capture(c).rc === 0)) {
      expect(parseNodeList(capture(c).stdout).sort()).toEqual(['frontal1', 'frontal2']);
    }
  });

  test('nodestatus: active (rc 0) / dead (rc 1) agree with the exit code', () => {
    const caps = byKind(/^nodestatus-frontal\d$/).filter(ok);
    expect(caps.length).toBeGreaterThan(0);
    for (const c of caps) {
      const { stdout, rc } = capture(c);
      const s = parseNodeStatus(stdout);
      expect(rc === 0 ? ['active', 'up', 'ping'] : ['dead']).toContain(s);
    }
    expect(parseNodeStatus(capture('heartbeat/healthy/frontal1/nodestatus-frontal2').stdout)).toBe('active');
    expect(parseNodeStatus(capture('heartbeat/split-brain/frontal1/nodestatus-frontal2').stdout)).toBe('dead');
  });

  test('nodetype: normal', () => {
    for (const c of byKind(/^nodetype-/).filter((c) => capture(c).rc === 0)) expect(parseNodeType(capture(c).stdout)).toBe('normal');
  });

  test('listhblinks: leading TAB, plain and -v', () => {
    expect(capture('heartbeat/healthy/frontal1/listhblinks-frontal2').stdout).toBe('\teth0\n');
    expect(parseHbLinks(capture('heartbeat/healthy/frontal1/listhblinks-frontal2').stdout)).toEqual([{ name: 'eth0' }]);
    // ucast: the local node's own link reads dead, the peer's up.
    expect(parseHbLinks(capture('heartbeat/healthy/frontal1/listhblinks-v-frontal1').stdout)).toEqual([{ name: 'eth0', status: 'dead' }]);
    expect(parseHbLinks(capture('heartbeat/healthy/frontal1/listhblinks-v-frontal2').stdout)).toEqual([{ name: 'eth0', status: 'up' }]);
    for (const c of byKind(/^listhblinks-/).filter((c) => capture(c).rc === 0)) expect(parseHbLinks(capture(c).stdout).length).toBeGreaterThan(0);
  });

  test('hblinkstatus: up (rc 0) / dead (rc 1)', () => {
    const caps = byKind(/^hblinkstatus-/).filter(ok);
    expect(caps.length).toBeGreaterThan(0);
    for (const c of caps) {
      const { stdout, rc } = capture(c);
      expect(parseLinkStatus(stdout)).toBe(rc === 0 ? 'up' : 'dead');
    }
  });

  test('hbparameter: timings as seconds', () => {
    const p = (n: string) => parseHbDuration(parseHbParameter(capture(`heartbeat/healthy/frontal1/hbparameter-${n}`).stdout));
    const k = p('keepalive');
    const w = p('warntime');
    const d = p('deadtime');
    expect(k).toBeGreaterThan(0);
    expect(k).toBeLessThan(w);
    expect(w).toBeLessThan(d);
    expect(parseHbParameter(capture('heartbeat/healthy/frontal1/hbparameter-udpport').stdout)).toBe('694');
  });

  test('a stopped node: every sub-command needing the API fails to sign on (rc 1, empty stdout)', () => {
    const caps = all.filter((c) => c.startsWith('heartbeat/stopped/') && !/\/(hbstatus(-v)?|bad-subcommand)$/.test(c));
    expect(caps.length).toBeGreaterThan(0);
    for (const c of caps) {
      expect(capture(c).rc).toBe(1);
      expect(capture(c).stdout).toBe('');
      expect(signonFailed(c)).toBe(true);
    }
  });

  test('error captures carry nothing on stdout: the probe decides by exit code', () => {
    for (const c of byKind(/^(bad-subcommand|hbparameter-missing-name|nodestatus-unknown-node)$/).filter((c) => !signonFailed(c))) {
      expect(capture(c).rc).toBe(11);
      expect(() => parseNodeStatus(capture(c).stdout)).toThrow(ParseError);
    }
    for (const c of byKind(/^hbparameter-unknown-name$/).filter((c) => !signonFailed(c))) {
      expect(capture(c).rc).toBe(1);
      expect(() => parseHbParameter(capture(c).stdout)).toThrow(ParseError);
    }
  });
});

describe('cl_status edges', () => {
  test('"refuses my connection" (cl_status.c prints it with rc 0 when signon fails but Heartbeat answers)', () => {
    expect(parseHbStatus('Heartbeat is apparently running on this machine, but refuses my connection\n').state).toBe('refused');
  });
  test('durations with units', () => {
    expect(parseHbDuration('500ms')).toBe(0.5);
    expect(parseHbDuration('2')).toBe(2);
    expect(parseHbDuration('1.5s')).toBe(1.5);
    expect(() => parseHbDuration('soon')).toThrow(ParseError);
  });
  test('cl_status test (measured on the lab\'s frontal1, format of cl_status.c)', () => {
    expect(parseClStatusTest('Dead time: 5000\n keeplive time: 1000\n mynodeid: frontal1\n rsc: all\n')).toEqual({ mynodeid: 'frontal1', deadtimeMs: 5000, keepaliveMs: 1000 });
    expect(() => parseClStatusTest('Dead time: 5000\n')).toThrow(ParseError);
  });
  test('malformed: unknown words, extra lines, links without TAB', () => {
    expect(() => parseNodeStatus('alive\n')).toThrow(ParseError);
    expect(() => parseNodeStatus('active\ndead\n')).toThrow(ParseError);
    expect(() => parseHbLinks('eth0\n')).toThrow(ParseError);
    expect(() => parseNodeList('')).toThrow(ParseError);
    expect(() => parseNodeList('two words\n')).toThrow(ParseError);
    expect(() => parseHbStatus('Segmentation fault\n')).toThrow(ParseError);
  });
});

describe('cl_status parsers never crash (property)', () => {
  const seeds = (re: RegExp, extra: string[] = []) => [...byKind(re).map((c) => capture(c).stdout).filter((s) => s !== ''), ...extra];
  const cases: [string, (t: string) => unknown, string[]][] = [
    ['hbstatus', parseHbStatus, seeds(/^hbstatus(-v)?$/)],
    ['listnodes', parseNodeList, seeds(/^listnodes$/)],
    ['listnodes -v / hbstatus -v nodes', (t) => parseNodesVerbose(t), seeds(/^(listnodes|hbstatus)-v$/).filter((t) => t.includes('nodetype'))],
    ['nodestatus', parseNodeStatus, seeds(/^nodestatus-/)],
    ['nodetype', parseNodeType, seeds(/^nodetype-/)],
    ['listhblinks', parseHbLinks, seeds(/^listhblinks-/)],
    ['hblinkstatus', parseLinkStatus, seeds(/^hblinkstatus-/)],
    ['hbparameter', (t) => parseHbDuration(parseHbParameter(t)), seeds(/^hbparameter-(keepalive|warntime|deadtime|initdead)$/)],
    ['test', parseClStatusTest, ['Dead time: 5000\n keeplive time: 1000\n mynodeid: frontal1\n rsc: all\n']],
  ];
  test.each(cases)('%s: 10 000 malformed inputs, only ParseError', (_n, parse, s) => {
    expect(s.length).toBeGreaterThan(0);
    const r = fuzzParser(parse, s, 10000);
    expect(r.accepted + r.rejected).toBe(10000);
    expect(r.rejected).toBeGreaterThan(0);
  });
});
