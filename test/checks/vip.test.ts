import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { DirectorView, evaluateVip, parseDirectorSpecs, VipModel, VipPolicy } from '../../src/checks/vip';
import { parseArping } from '../../src/parsers/arping';
import { parseIpAddr } from '../../src/parsers/ipAddr';
import { referenceDeployment } from '../../src/model/reference';
import { UsageError } from '../../src/runtime/errors';
import { State } from '../../src/runtime/state';
import { capture, removeTempDirs, replayScript, tempDir } from '../probes/replay';
import { describeSpawning } from './fast';

const VIP = '192.168.0.3';
const policy: VipPolicy = { preferred: 'frontal1', autoFailback: true };
const ADDR: Record<string, string> = { frontal1: '192.168.0.1', frontal2: '192.168.0.2' };
/** A director as it showed itself in a real capture (test/fixtures/real/ip/<scenario>/<name>/addr). */
const seen = (scenario: string, name: string): DirectorView => ({ name, address: ADDR[name]!, ok: true, interfaces: parseIpAddr(capture(`ip/${scenario}/${name}/addr`).stdout) });
const down = (name: string): DirectorView => ({ name, address: ADDR[name]!, ok: false, unreachable: true, error: `cannot reach ${ADDR[name]}:22 over SSH: connect ECONNREFUSED` });
const model = (directors: DirectorView[], extra: Partial<VipModel> = {}): VipModel => ({ vips: [VIP], directors, ...extra });
const arpOf = (scenario: string) => {
  const r = parseArping(capture(`arping/${scenario}/client/arping`).stdout);
  return { [VIP]: { from: 'client', interface: 'eth0', sent: r.sent, received: r.received, macs: r.macs } };
};
const owners = { '02:1a:00:00:00:01': 'frontal1', '02:1a:00:00:00:02': 'frontal2', '02:1a:00:00:00:04': 'reel1', '02:1a:00:00:00:05': 'reel2' };

describe('evaluateVip (policy) on real ip -j addr captures', () => {
  test('exactly one holder, the preferred node: OK naming it and its label; perfdata', () => {
    const r = evaluateVip(model([seen('healthy', 'frontal1'), seen('healthy', 'frontal2')]), { ...policy, seconds: 0.1234 });
    expect(r.state).toBe(State.OK);
    expect(r.summary).toBe('192.168.0.3 on frontal1 (eth0:0)');
    expect(r.perf).toEqual([
      { label: 'holders', value: 1, min: 0 },
      { label: 'time', value: 0.123, uom: 's', min: 0 },
    ]);
    expect(r.long).toContain('frontal2 (192.168.0.2): holds no VIP');
  });

  test('holder is the backup while auto_failback is on: WARNING; the crashed node\'s stale VIP (no carrier) is not a split brain', () => {
    const r = evaluateVip(model([seen('crashed', 'frontal1'), seen('peer-dead', 'frontal2')]), policy);
    expect(r.state).toBe(State.WARNING);
    expect(r.summary).toBe('192.168.0.3 running on backup frontal2; frontal1 also has 192.168.0.3 on eth0:0, link down');
    // Without auto_failback the backup holding it is fine.
    const r2 = evaluateVip(model([down('frontal1'), seen('peer-dead', 'frontal2')]), { ...policy, autoFailback: false });
    expect(r2.state).toBe(State.WARNING); // frontal1 unreachable: split brain cannot be ruled out
    expect(r2.summary).toBe('frontal1 unreachable: split brain cannot be ruled out');
    const r3 = evaluateVip(model([seen('peer-dead', 'frontal2')]), { ...policy, autoFailback: false });
    expect(r3).toMatchObject({ state: State.OK, summary: '192.168.0.3 on frontal2 (eth0:0)' });
  });

  test('two holders: CRITICAL split brain naming both', () => {
    const r = evaluateVip(model([seen('split-brain', 'frontal1'), seen('split-brain', 'frontal2')]), policy);
    expect(r.state).toBe(State.CRITICAL);
    expect(r.summary).toBe('split brain: frontal1, frontal2 hold 192.168.0.3');
    expect(r.perf![0]).toEqual({ label: 'holders', value: 2, min: 0 });
  });

  test('no holder: CRITICAL', () => {
    // Heartbeat stopped on both directors: neither holds it.
    const r = evaluateVip(model([seen('no-holder', 'frontal1'), seen('healthy', 'frontal2')]), policy);
    expect(r).toMatchObject({ state: State.CRITICAL, summary: 'no director holds 192.168.0.3' });
  });

  test('one holder, the other director unreachable: WARNING (split brain cannot be ruled out)', () => {
    const r = evaluateVip(model([seen('healthy', 'frontal1'), down('frontal2')]), policy);
    expect(r.state).toBe(State.WARNING);
    expect(r.summary).toBe('frontal2 unreachable: split brain cannot be ruled out');
    // The reason goes to long output.
    expect(r.long).toContain('frontal2 (192.168.0.2): unreachable: cannot reach 192.168.0.2:22 over SSH: connect ECONNREFUSED');
  });

  test('no holder among the reachable, one unreachable: CRITICAL naming it; none reachable: CRITICAL', () => {
    expect(evaluateVip(model([down('frontal1'), seen('healthy', 'frontal2')]), policy)).toMatchObject({ state: State.CRITICAL, summary: 'no director holds 192.168.0.3 (frontal1 unreachable)' });
    const none = evaluateVip(model([down('frontal1'), down('frontal2')]), policy);
    expect(none.state).toBe(State.CRITICAL);
    expect(none.summary).toBe('no director reachable (frontal1, frontal2)');
  });

  test('a director we could not ask for our own reasons (host key): UNKNOWN, unless the others show an outage', () => {
    const auth: DirectorView = { name: 'frontal2', address: ADDR.frontal2!, ok: false, unreachable: false, error: 'host key of 192.168.0.2:22 is not in known_hosts' };
    expect(evaluateVip(model([seen('healthy', 'frontal1'), auth]), policy)).toMatchObject({ state: State.UNKNOWN, summary: 'frontal2 could not be probed' });
    expect(evaluateVip(model([{ ...auth, name: 'frontal1' }, auth]), policy)).toMatchObject({ state: State.UNKNOWN, summary: 'no director could be probed (frontal1, frontal2)' });
    expect(evaluateVip(model([seen('healthy', 'frontal2'), { ...auth, name: 'frontal1' }]), policy).state).toBe(State.CRITICAL);
  });

  test('a VIP on loopback (a real server\'s) is not held', () => {
    const reel: DirectorView = { name: 'frontal1', address: ADDR.frontal1!, ok: true, interfaces: parseIpAddr(capture('ip/healthy/reel1/addr').stdout) };
    expect(evaluateVip(model([reel, seen('healthy', 'frontal2')]), policy).state).toBe(State.CRITICAL);
  });
});

describe('evaluateVip: the ARP view (real arping captures)', () => {
  test('healthy: one MAC, the holder\'s: OK, arp_macs=1', () => {
    const r = evaluateVip(model([seen('healthy', 'frontal1'), seen('healthy', 'frontal2')], { arp: arpOf('healthy'), macOwners: owners }), policy);
    expect(r.state).toBe(State.OK);
    expect(r.perf).toEqual(expect.arrayContaining([{ label: 'arp_macs', value: 1, min: 0 }]));
    expect(r.long).toContain('ARP from client on eth0: 3 replies to 3 requests, MACs: 02:1a:00:00:00:01 (frontal1)');
  });

  test('ARP leak: a real server answers too → CRITICAL naming each MAC and its host', () => {
    const r = evaluateVip(model([seen('healthy', 'frontal1'), seen('healthy', 'frontal2')], { arp: arpOf('arp-leak'), macOwners: owners }), policy);
    expect(r.state).toBe(State.CRITICAL);
    expect(r.summary).toMatch(/^2 MACs answer ARP for 192\.168\.0\.3: (02:1a:00:00:00:05 \(reel2\), 02:1a:00:00:00:01 \(frontal1\)|02:1a:00:00:00:01 \(frontal1\), 02:1a:00:00:00:05 \(reel2\))$/);
  });

  test('a MAC nobody claims is printed bare', () => {
    const r = evaluateVip(model([seen('healthy', 'frontal1')], { arp: arpOf('arp-leak'), macOwners: { '02:1a:00:00:00:01': 'frontal1' } }), policy);
    expect(r.summary).toContain('02:1a:00:00:00:05,');
  });

  test('split brain seen on the wire too: both directors\' MACs', () => {
    const r = evaluateVip(model([seen('split-brain', 'frontal1'), seen('split-brain', 'frontal2')], { arp: arpOf('split-brain'), macOwners: owners }), policy);
    expect(r.state).toBe(State.CRITICAL);
    expect(r.summary).toMatch(/^split brain: frontal1, frontal2 hold 192\.168\.0\.3; 2 MACs answer ARP/);
    expect(r.perf).toEqual(expect.arrayContaining([{ label: 'arp_macs', value: 2, min: 0 }]));
  });

  test('nobody answers: WARNING on its own, the missing holder stays CRITICAL', () => {
    const r = evaluateVip(model([seen('healthy', 'frontal2')], { arp: arpOf('no-holder') }), policy);
    expect(r.state).toBe(State.CRITICAL);
    expect(r.summary).toBe('no director holds 192.168.0.3; no ARP reply for 192.168.0.3 from client on eth0');
  });

  test('one MAC, but not the holder\'s (a real server answers, the director does not): CRITICAL', () => {
    const arp = { [VIP]: { from: 'client', interface: 'eth0', sent: 3, received: 3, macs: ['02:1a:00:00:00:05'] } };
    const r = evaluateVip(model([seen('healthy', 'frontal1')], { arp, macOwners: owners }), policy);
    expect(r).toMatchObject({ state: State.CRITICAL, summary: 'ARP for 192.168.0.3 answered by 02:1a:00:00:00:05 (reel2), not by holder frontal1 (02:1a:00:00:00:01)' });
  });

  test('arping failed: UNKNOWN finding, does not hide a split brain', () => {
    const arp = { [VIP]: { from: 'client', interface: 'eth9', macs: [], error: 'arping exit 2: Device eth9 not available' } };
    expect(evaluateVip(model([seen('healthy', 'frontal1')], { arp }), policy).state).toBe(State.UNKNOWN);
  });

  test('several VIPs: labels unique in 19 characters', () => {
    const r = evaluateVip({ vips: [VIP, '192.168.0.30'], directors: [seen('healthy', 'frontal1')] }, policy);
    expect(r.perf!.map((p) => p.label)).toEqual(['vip_192.168.0.3', 'vip_192.168.0.30']);
    expect(r.state).toBe(State.CRITICAL);
    // An unreachable director is named once, not once per VIP.
    const r2 = evaluateVip({ vips: [VIP, VIP], directors: [seen('healthy', 'frontal1'), down('frontal2')] }, policy);
    expect(r2.summary).toBe('frontal2 unreachable: split brain cannot be ruled out');
  });
});

describe('--director', () => {
  test('NAME=ADDRESS pairs', () => {
    expect(parseDirectorSpecs(['a=10.0.0.1', 'b=::1'])).toEqual([
      { name: 'a', address: '10.0.0.1' },
      { name: 'b', address: '::1' },
    ]);
    expect(() => parseDirectorSpecs(['a'])).toThrow(UsageError);
  });
});

describeSpawning('bin/check_lvs_vip end to end (replayed captures)', () => {
  // Directors on loopback addresses are probed with a local spawn of --ip, so no test
  // ever opens a connection outside this machine.
  const bin = join(__dirname, '..', '..', 'bin', 'check_lvs_vip');
  const env = { ...process.env };
  delete env.LVSHA_CONFIG;
  const run = (args: string[]) => {
    const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 30000, env });
    return { code: r.status, first: r.stdout.split('\n')[0]!, out: r.stdout };
  };
  const ip = (byArgs: Record<string, string[]>) => replayScript(join(tempDir(), 'ip'), { byArgs });

  test('holder: OK', () => {
    const r = run(['--director', 'frontal1=127.0.0.1', '--ip', ip({ '*': ['ip/healthy/frontal1/addr'] })]);
    expect(r.code).toBe(0);
    expect(r.first).toMatch(/^LVS VIP OK - 192\.168\.0\.3 on frontal1 \(eth0:0\) \| holders=1;;;0 time=[\d.]+s;;;0$/);
  });

  test('backup holds it: WARNING', () => {
    const r = run(['--director', 'frontal2=127.0.0.1', '--ip', ip({ '*': ['ip/peer-dead/frontal2/addr'] })]);
    expect(r.code).toBe(1);
    expect(r.first).toMatch(/^LVS VIP WARNING - 192\.168\.0\.3 running on backup frontal2 \| holders=1;;;0 /);
  });

  test('no holder: CRITICAL', () => {
    const r = run(['--director', 'frontal2=127.0.0.1', '--ip', ip({ '*': ['ip/healthy/frontal2/addr'] })]);
    expect(r.code).toBe(2);
    expect(r.first).toMatch(/^LVS VIP CRITICAL - no director holds 192\.168\.0\.3 \| holders=0;;;0 /);
  });

  test('split brain: CRITICAL', () => {
    // Two loopback "directors": two spawns of the replay script, one capture each.
    const r = run(['--director', 'frontal1=127.0.0.1', '--director', 'frontal2=::1', '--ip', ip({ '-j addr': ['ip/split-brain/frontal1/addr', 'ip/split-brain/frontal2/addr'] })]);
    expect(r.code).toBe(2);
    expect(r.first).toMatch(/^LVS VIP CRITICAL - split brain: frontal1, frontal2 hold 192\.168\.0\.3 \| holders=2;;;0 /);
  });

  const keygen = spawnSync('ssh-keygen', ['-?'], { encoding: 'utf8' }).error === undefined;
  (keygen ? test : test.skip)('the other director unreachable (closed loopback port): WARNING naming it', async () => {
    const dir = tempDir();
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'key')]);
    writeFileSync(join(dir, 'known_hosts'), '');
    // A port that was just free on 127.0.0.2: connecting is refused.
    const port = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.2', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const r = run(['--director', 'frontal1=127.0.0.1', '--director', `frontal2=127.0.0.2`, '--ssh-port', String(port), '--ssh-key', join(dir, 'key'), '--known-hosts', join(dir, 'known_hosts'), '--ip', ip({ '*': ['ip/healthy/frontal1/addr'] })]);
    expect(r.code).toBe(1);
    expect(r.first).toMatch(/^LVS VIP WARNING - frontal2 unreachable: split brain cannot be ruled out \| holders=1;;;0 /);
    expect(r.out).toMatch(/frontal2 \(127\.0\.0\.2\): unreachable: cannot reach 127\.0\.0\.2:\d+ over SSH: .*ECONNREFUSED/);
    expect(r.out).toContain('frontal1 (127.0.0.1): 192.168.0.3 on eth0:0');
  });

  test('ARP leak seen from here: CRITICAL naming both MACs and their hosts (real server MACs via ip -j link)', () => {
    // A deployment whose real server reel2 is this host, so its `ip -j link` is the local replay.
    const cfg = join(tempDir(), 'deployment.json');
    writeFileSync(cfg, JSON.stringify({ ...referenceDeployment, realHosts: [{ name: 'reel2', address: '127.0.0.1', interface: 'eth0' }] }));
    const arping = replayScript(join(tempDir(), 'arping'), { byArgs: { '-b -c 3 -I eth0 192.168.0.3': ['arping/arp-leak/client/arping'] } });
    const r = run([
      '--config', cfg,
      '--director', 'frontal1=127.0.0.1',
      '--ip', ip({ '-j addr': ['ip/healthy/frontal1/addr'], '-j link': ['ip/healthy/reel2/link'] }),
      '--arping', arping,
      '--arp-interface', 'eth0',
    ]);
    expect(r.code).toBe(2);
    expect(r.first).toMatch(/^LVS VIP CRITICAL - 2 MACs answer ARP for 192\.168\.0\.3: .*02:1a:00:00:00:05 \(reel2\).* \| holders=1;;;0 arp_macs=2;;;0 time=/);
    expect(r.first).toContain('02:1a:00:00:00:01 (frontal1)');
  });

  test('healthy ARP: OK; arping exits 1 on duplicates, never read as failure', () => {
    const arping = replayScript(join(tempDir(), 'arping'), { byArgs: { '*': ['arping/healthy/client/arping'] } });
    const r = run(['--director', 'frontal1=127.0.0.1', '--ip', ip({ '*': ['ip/healthy/frontal1/addr'] }), '--arping', arping, '--arp-from', 'localhost', '--arp-interface', 'eth0', '--arp-count', '3']);
    expect(r.code).toBe(0);
    expect(r.first).toMatch(/^LVS VIP OK - 192\.168\.0\.3 on frontal1 \(eth0:0\) \| holders=1;;;0 arp_macs=1;;;0 /);
  });

  test('bad arguments: UNKNOWN', () => {
    expect(run(['--vip', 'nope']).first).toBe("LVS VIP UNKNOWN - --vip 'nope' is not an IP address");
    expect(run(['--director', 'frontal1']).code).toBe(3);
    expect(run(['--arp-from', 'client']).first).toBe('LVS VIP UNKNOWN - --arp-from needs --arp-interface');
    expect(run(['--arp-interface', 'eth0', '--arp-count', '0']).code).toBe(3);
  });
});

afterAll(removeTempDirs);

describe('evaluateVip: whole results (long output, perfdata, summaries)', () => {
  const auth: DirectorView = { name: 'frontal2', address: '192.168.0.2', ok: false, unreachable: false, error: 'host key mismatch' };
  test('stale VIP, holder listed second with its own MAC answering, one unreachable, one not probed, notes; no MAC owners known', () => {
    const r = evaluateVip(
      {
        vips: [VIP],
        directors: [seen('crashed', 'frontal1'), seen('peer-dead', 'frontal2'), { ...auth, name: 'x', unreachable: true, error: 'timeout' }, auth],
        notes: ['reel1: no MAC'],
        arp: { [VIP]: { from: 'client', interface: 'eth0', macs: ['02:1a:00:00:00:02'] } },
      },
      { autoFailback: false },
    );
    expect(r).toEqual({
      state: State.UNKNOWN,
      summary: 'frontal2 could not be probed; frontal1 also has 192.168.0.3 on eth0:0, link down; x unreachable: split brain cannot be ruled out',
      long: [
        'UNKNOWN: frontal2 could not be probed',
        'WARNING: frontal1 also has 192.168.0.3 on eth0:0, link down',
        'WARNING: x unreachable: split brain cannot be ruled out',
        'OK: 192.168.0.3 on frontal2 (eth0:0)',
        'frontal1 (192.168.0.1): 192.168.0.3 on eth0:0 (link down)',
        'frontal2 (192.168.0.2): 192.168.0.3 on eth0:0',
        'ARP from client on eth0: ? replies to ? requests, MACs: 02:1a:00:00:00:02',
        'x (192.168.0.2): unreachable: timeout',
        'frontal2 (192.168.0.2): not probed: host key mismatch',
        'reel1: no MAC',
      ],
      perf: [
        { label: 'holders', value: 1, min: 0 },
        { label: 'arp_macs', value: 1, min: 0 },
      ],
    });
  });
  test('none reachable, one of them down: CRITICAL (an outage), even if the other failed on our side', () => {
    expect(evaluateVip({ vips: [VIP], directors: [{ ...auth, name: 'frontal1', unreachable: true }, auth] }, policy)).toEqual({
      state: State.CRITICAL,
      summary: 'no director reachable (frontal1, frontal2)',
      long: ['CRITICAL: no director reachable (frontal1, frontal2)', 'frontal1 (192.168.0.2): unreachable: host key mismatch', 'frontal2 (192.168.0.2): not probed: host key mismatch'],
      perf: [{ label: 'holders', value: 0, min: 0 }],
    });
  });
  test('no holder, one MAC answers: no holder MAC to compare; a director not probed is not called unreachable', () => {
    const arp = { [VIP]: { from: 'client', interface: 'eth0', sent: 3, received: 3, macs: ['02:1a:00:00:00:05'] } };
    expect(evaluateVip({ vips: [VIP], directors: [seen('no-holder', 'frontal1'), auth], arp }, policy)).toEqual({
      state: State.CRITICAL,
      summary: 'no director holds 192.168.0.3; frontal2 could not be probed',
      long: [
        'CRITICAL: no director holds 192.168.0.3',
        'UNKNOWN: frontal2 could not be probed',
        'frontal1 (192.168.0.1): holds no VIP',
        'ARP from client on eth0: 3 replies to 3 requests, MACs: 02:1a:00:00:00:05',
        'frontal2 (192.168.0.2): not probed: host key mismatch',
      ],
      perf: [
        { label: 'holders', value: 0, min: 0 },
        { label: 'arp_macs', value: 1, min: 0 },
      ],
    });
  });
  test('two VIPs: an ARP leak without MAC owners, an arping failure named, labels per VIP', () => {
    const arp = {
      [VIP]: { from: 'client', interface: 'eth0', sent: 3, received: 6, macs: ['02:1a:00:00:00:05', '02:1a:00:00:00:01'] },
      '192.168.0.30': { from: 'client', interface: 'eth9', macs: [], error: 'arping exit 2' },
    };
    const r = evaluateVip({ vips: [VIP, '192.168.0.30'], directors: [seen('healthy', 'frontal1')], arp }, policy);
    expect(r.summary).toBe('2 MACs answer ARP for 192.168.0.3: 02:1a:00:00:00:05, 02:1a:00:00:00:01; no director holds 192.168.0.30; ARP view from client on eth9 failed: arping exit 2');
    expect(r.perf).toEqual([
      { label: 'vip_192.168.0.3', value: 1, min: 0 },
      { label: 'arp_192.168.0.3', value: 2, min: 0 },
      { label: 'vip_192.168.0.30', value: 0, min: 0 },
    ]);
    expect(r.long!.slice(-1)).toEqual(['ARP from client on eth0: 6 replies to 3 requests, MACs: 02:1a:00:00:00:05, 02:1a:00:00:00:01']);
  });
  test('the survivors of the second mutation run: lists of two joined by ", ", an ARP view with no MAC says none', () => {
    // One director holding two VIPs (the same address asked twice: the capture holds one VIP).
    expect(evaluateVip({ vips: [VIP, VIP], directors: [seen('healthy', 'frontal1')] }, policy).long!.slice(-1)).toEqual(['frontal1 (192.168.0.1): 192.168.0.3 on eth0:0, 192.168.0.3 on eth0:0']);
    // Nobody holds the VIP, two of three directors unreachable.
    const three = evaluateVip({ vips: [VIP], directors: [seen('no-holder', 'frontal1'), down('frontal2'), { ...down('frontal2'), name: 'frontal3' }] }, policy);
    expect(three.long![0]).toBe('CRITICAL: no director holds 192.168.0.3 (frontal2, frontal3 unreachable)');
    // arping ran, nobody answered.
    const arp = { [VIP]: { from: 'client', interface: 'eth0', sent: 3, received: 0, macs: [] } };
    expect(evaluateVip({ vips: [VIP], directors: [seen('healthy', 'frontal1')], arp }, policy).long).toContain('ARP from client on eth0: 0 replies to 3 requests, MACs: none');
  });
  test('OK summaries: each VIP joined by "; "; no VIP at all', () => {
    expect(evaluateVip({ vips: [VIP, VIP], directors: [seen('healthy', 'frontal1')] }, policy).summary).toBe('192.168.0.3 on frontal1 (eth0:0); 192.168.0.3 on frontal1 (eth0:0)');
    expect(evaluateVip({ vips: [], directors: [seen('healthy', 'frontal1')] }, policy)).toEqual({ state: State.OK, summary: 'no VIP to check', long: ['frontal1 (192.168.0.1): holds no VIP'], perf: [] });
  });
});
