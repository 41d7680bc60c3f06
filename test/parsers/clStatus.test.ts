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

/** The message of the ParseError `f` throws (fails the test if it returns or throws anything else). */
function rejection(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ParseError);
    return (e as Error).message;
  }
  throw new Error('accepted');
}

describe('cl_status: values and rejections, one by one', () => {
  test('hbstatus: each first line, its text as printed; -v after sign-on reads as running', () => {
    const running = capture('heartbeat/healthy/frontal1/hbstatus').stdout;
    expect(parseHbStatus(running)).toEqual({ state: 'running', text: 'Heartbeat is running on this machine.' });
    expect(parseHbStatus(capture('heartbeat/stopped/frontal2/hbstatus').stdout)).toEqual({ state: 'stopped', text: 'Heartbeat is stopped on this machine.' });
    expect(parseHbStatus('\n  Heartbeat is stopped on this machine.  \r\n')).toEqual({ state: 'stopped', text: 'Heartbeat is stopped on this machine.' });
    const refused = 'Heartbeat is apparently running on this machine, but refuses my connection';
    expect(parseHbStatus(`${refused}\n`)).toEqual({ state: 'refused', text: refused });
    // The refusal is the whole line: a prefix or a suffix is something else.
    expect(rejection(() => parseHbStatus(`x${refused}\n`))).toMatch(/^cannot parse cl_status hbstatus: unexpected 'xHeartbeat/);
    expect(rejection(() => parseHbStatus(`${refused}.\n`))).toMatch(/unexpected/);
    expect(parseHbStatus('version:\t3.0.6 (node: 958e11be767ebb0b1b6aa3a1f9ea2a8be9fcc6ed)\nmanaged by:\tx\n')).toEqual({ state: 'running', text: 'Heartbeat is running on this machine.' });
    for (const t of ['version: 3.0.6\n', 'version:\t 3\n', ' version:\t3\n', 'xversion:\t3\n']) expect(rejection(() => parseHbStatus(t))).toMatch(/unexpected/);
    expect(rejection(() => parseHbStatus(' \n\n'))).toBe('cannot parse cl_status hbstatus: empty output');
    expect(rejection(() => parseHbStatus('Segmentation fault\n'))).toBe("cannot parse cl_status hbstatus: unexpected 'Segmentation fault' (line 1)");
    expect(rejection(() => parseHbStatus('y'.repeat(100)))).toBe(`cannot parse cl_status hbstatus: unexpected '${'y'.repeat(60)}' (line 1)`);
  });

  test('one-word answers: trimmed, CRLF tolerated, each rejection named', () => {
    expect(parseNodeStatus(' up \r\n')).toBe('up');
    expect(parseNodeStatus('\ninit\n\n')).toBe('init');
    expect(parseNodeStatus('ping\n')).toBe('ping');
    expect(parseNodeType('ping\n')).toBe('ping');
    expect(parseNodeType('unknown\n')).toBe('unknown');
    expect(parseLinkStatus('dead\n')).toBe('dead');
    expect(rejection(() => parseNodeStatus(''))).toBe('cannot parse cl_status nodestatus: empty output');
    expect(rejection(() => parseNodeStatus('up\ndead\n'))).toBe('cannot parse cl_status nodestatus: expected one line, got 2');
    expect(rejection(() => parseNodeType('weird\n'))).toBe("cannot parse cl_status nodetype: unexpected 'weird' (expected normal, ping, unknown) (line 1)");
    expect(rejection(() => parseLinkStatus('z'.repeat(50)))).toBe(`cannot parse cl_status hblinkstatus: unexpected '${'z'.repeat(40)}' (expected up, dead) (line 1)`);
  });

  test('listnodes: blank lines skipped, a name listed twice once, a bad name named with its line', () => {
    expect(parseNodeList('frontal2\n\nfrontal1\nfrontal2\n')).toEqual(['frontal2', 'frontal1']);
    expect(parseNodeList('frontal1\r\n')).toEqual(['frontal1']);
    expect(rejection(() => parseNodeList('frontal1\ntwo words\n'))).toBe("cannot parse cl_status listnodes: not a node name: 'two words' (line 2)");
    expect(rejection(() => parseNodeList('a\u0001b\n'))).toMatch(/not a node name/);
    expect(rejection(() => parseNodeList('a\u007f\n'))).toMatch(/not a node name/);
    expect(rejection(() => parseNodeList(` ${'n'.repeat(60)}\n`))).toBe(`cannot parse cl_status listnodes: not a node name: ' ${'n'.repeat(39)}' (line 1)`);
    expect(rejection(() => parseNodeList(' \n\n'))).toBe('cannot parse cl_status listnodes: no nodes');
  });

  test('listhblinks: exactly TAB name [TAB up|dead]', () => {
    expect(parseHbLinks('\teth0\n\n\teth1\tdead\r\n')).toEqual([{ name: 'eth0' }, { name: 'eth1', status: 'dead' }]);
    expect(parseHbLinks('\n')).toEqual([]);
    for (const t of [' \teth0', '\teth0 ', '\teth0\tmaybe', '\teth0\tup\tx', '\t\teth0', 'x\teth0']) expect(rejection(() => parseHbLinks(`${t}\n`))).toMatch(/not a link line/);
    expect(rejection(() => parseHbLinks('\teth0\neth1\n'))).toBe("cannot parse cl_status listhblinks: not a link line: 'eth1' (line 2)");
  });

  test('listnodes -v: headers only before the nodes, each line shape checked, messages name the culprit', () => {
    const head = 'version:\t3.0.6\nmanaged by:\tha\n\n';
    const node = 'frontal1\tactive\t(nodetype: normal)\n\teth0\tup\n';
    expect(parseNodesVerbose(head + node + 'frontal2\tdead\t(nodetype: ping)\n\teth0\tdead\n\teth1\tup\n')).toEqual([
      { name: 'frontal1', status: 'active', type: 'normal', links: [{ name: 'eth0', status: 'up' }] },
      { name: 'frontal2', status: 'dead', type: 'ping', links: [{ name: 'eth0', status: 'dead' }, { name: 'eth1', status: 'up' }] },
    ]);
    expect(parseNodesVerbose('n\tinit\t(nodetype: unknown)\n')).toEqual([{ name: 'n', status: 'init', type: 'unknown', links: [] }]);
    expect(rejection(() => parseNodesVerbose(node + 'version:\t3\n', 'hbstatus -v'))).toBe("cannot parse hbstatus -v: 'version:\t3' after the nodes (line 3)");
    expect(rejection(() => parseNodesVerbose(node + 'managed by:\tha\n'))).toMatch(/^cannot parse cl_status listnodes -v: 'managed by:\tha' after the nodes \(line 3\)$/);
    expect(rejection(() => parseNodesVerbose('fr\u0001\tup\t(nodetype: normal)\n'))).toBe("cannot parse cl_status listnodes -v: not a node name: 'fr\u0001' (line 1)");
    expect(rejection(() => parseNodesVerbose('n\tsleepy\t(nodetype: normal)\n'))).toBe("cannot parse cl_status listnodes -v: unexpected node status 'sleepy' (line 1)");
    expect(rejection(() => parseNodesVerbose('n\tup\t(nodetype: weird)\n'))).toBe("cannot parse cl_status listnodes -v: unexpected node type 'weird' (line 1)");
    expect(rejection(() => parseNodesVerbose(node + node))).toBe('cannot parse cl_status listnodes -v: node frontal1 listed twice (line 3)');
    expect(rejection(() => parseNodesVerbose('\teth0\tup\n'))).toBe("cannot parse cl_status listnodes -v: not a node or link line: '\teth0\tup' (line 1)");
    for (const bad of ['frontal1 active (nodetype: normal)', 'frontal1\tactive\t(nodetype: normal) ', 'x frontal1\tactive\t(nodetype: normal)', '\teth0\tup ', ' \teth0\tup', '\teth0\tmaybe'])
      expect(rejection(() => parseNodesVerbose(`${node}${bad}\n`))).toMatch(/not a node or link line|unexpected|not a node name/);
    expect(rejection(() => parseNodesVerbose(head))).toBe('cannot parse cl_status listnodes -v: no nodes');
  });

  test('hbparameter: the one line, trimmed; none or two lines refused', () => {
    expect(parseHbParameter('  2 \n\n')).toBe('2');
    expect(rejection(() => parseHbParameter('\n'))).toBe('cannot parse cl_status hbparameter: empty output');
    expect(rejection(() => parseHbParameter('1\n2\n'))).toBe('cannot parse cl_status hbparameter: expected one line, got 2');
  });

  test('Heartbeat times: every unit, spaces, rejections', () => {
    expect(parseHbDuration('500ms')).toBe(0.5);
    expect(parseHbDuration('500msec')).toBe(0.5);
    expect(parseHbDuration('250000us')).toBe(0.25);
    expect(parseHbDuration('250000usec')).toBe(0.25);
    expect(parseHbDuration('3s')).toBe(3);
    expect(parseHbDuration('3sec')).toBe(3);
    expect(parseHbDuration(' 10 ms ')).toBe(0.01);
    expect(parseHbDuration('30')).toBe(30);
    for (const t of ['', 's', '.5', '1.', '1.5.5', '-1', '1 h', '1e3', 'x1', '1x', '1 2']) expect(rejection(() => parseHbDuration(t))).toMatch(/^cannot parse Heartbeat time: '.*' is not a duration$/);
    expect(rejection(() => parseHbDuration('9'.repeat(400)))).toBe(`cannot parse Heartbeat time: '${'9'.repeat(40)}' is out of range`);
  });

  test('cl_status test: each field alone, surrounding blanks, missing or bad mynodeid', () => {
    expect(parseClStatusTest('mynodeid:frontal2')).toEqual({ mynodeid: 'frontal2', deadtimeMs: undefined, keepaliveMs: undefined });
    expect(parseClStatusTest('  mynodeid:  frontal2  \r\n\tDead time:\t7000 \nkeeplive time:500\n')).toEqual({ mynodeid: 'frontal2', deadtimeMs: 7000, keepaliveMs: 500 });
    expect(parseClStatusTest('mynodeid: a\nDead time: 5 s\nkeeplive time: x\n')).toEqual({ mynodeid: 'a', deadtimeMs: undefined, keepaliveMs: undefined });
    expect(parseClStatusTest('xmynodeid: a\nmynodeid: b\nDead time: 1\nx Dead time: 2\n')).toEqual({ mynodeid: 'b', deadtimeMs: 1, keepaliveMs: undefined });
    expect(rejection(() => parseClStatusTest('mynodeid: a b\n'))).toBe('cannot parse cl_status test: no mynodeid line');
    expect(rejection(() => parseClStatusTest('mynodeid: a\u0001\n'))).toBe('cannot parse cl_status test: no mynodeid line');
    expect(rejection(() => parseClStatusTest('mynodeid:\n'))).toBe('cannot parse cl_status test: no mynodeid line');
  });
});

describe('cl_status: the last survivors of mutation testing', () => {
  test('only a CR at the end of a line is dropped; blank lines may hold blanks', () => {
    expect(() => parseNodeStatus('u\rp\n')).toThrow(ParseError);
    expect(parseHbLinks('\teth0\n  \n\teth1\n')).toEqual([{ name: 'eth0' }, { name: 'eth1' }]);
    expect(parseNodesVerbose('n\tping\t(nodetype: ping)\n \t\n\teth0\tup\n')).toEqual([{ name: 'n', status: 'ping', type: 'ping', links: [{ name: 'eth0', status: 'up' }] }]);
    expect(rejection(() => parseNodesVerbose('n\tup\t(nodetype: normal)\nxversion:\t3\n'))).toMatch(/not a node or link line: 'xversion:\t3' \(line 2\)/);
  });
  test('culprits are cut in messages (40 or 20 characters)', () => {
    const w = 'w'.repeat(60);
    expect(rejection(() => parseHbLinks(w))).toBe(`cannot parse cl_status listhblinks: not a link line: '${'w'.repeat(40)}' (line 1)`);
    expect(rejection(() => parseNodesVerbose(w))).toBe(`cannot parse cl_status listnodes -v: not a node or link line: '${'w'.repeat(40)}' (line 1)`);
    expect(rejection(() => parseNodesVerbose(`n\tup\t(nodetype: normal)\nversion:\t${w}\n`))).toBe(`cannot parse cl_status listnodes -v: 'version:\t${'w'.repeat(11)}' after the nodes (line 2)`);
    expect(rejection(() => parseNodesVerbose(`${w}\u0001\tup\t(nodetype: normal)\n`))).toBe(`cannot parse cl_status listnodes -v: not a node name: '${'w'.repeat(40)}' (line 1)`);
    expect(rejection(() => parseNodesVerbose(`n\t${w}\t(nodetype: normal)\n`))).toBe(`cannot parse cl_status listnodes -v: unexpected node status '${'w'.repeat(20)}' (line 1)`);
    expect(rejection(() => parseNodesVerbose(`n\tup\t(nodetype: ${w})\n`))).toBe(`cannot parse cl_status listnodes -v: unexpected node type '${'w'.repeat(20)}' (line 1)`);
    expect(rejection(() => parseHbDuration(w))).toBe(`cannot parse Heartbeat time: '${'w'.repeat(40)}' is not a duration`);
  });
  test('durations with several decimals; cl_status test lines anchored, blanks optional', () => {
    expect(parseHbDuration('1.25s')).toBe(1.25);
    expect(parseHbDuration('0.125')).toBe(0.125);
    expect(rejection(() => parseClStatusTest('xmynodeid: a\n'))).toBe('cannot parse cl_status test: no mynodeid line');
    expect(parseClStatusTest('mynodeid: a\nDead time:5000\nkeeplive time: 500  \n')).toEqual({ mynodeid: 'a', deadtimeMs: 5000, keepaliveMs: 500 });
    expect(parseClStatusTest('mynodeid: a\nx keeplive time: 5\n').keepaliveMs).toBeUndefined();
    expect(parseClStatusTest('mynodeid: a\nkeeplive time: 5 ms\n').keepaliveMs).toBeUndefined();
  });
});
