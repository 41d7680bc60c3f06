import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ArpModel, arpAnnounceSafe, arpCheck, arpIgnoreSuppresses, evaluateArp, facingInterfaces, serverName, vipsFor } from '../../src/checks/arp';
import { referenceDeployment } from '../../src/model/reference';
import { parseArping } from '../../src/parsers/arping';
import { parseIpAddr } from '../../src/parsers/ipAddr';
import { parseSs } from '../../src/parsers/ss';
import { parseSysctlConf } from '../../src/parsers/sysctl';
import { probeAliasPersistence, probeArpSysctls, probeBootSysctl, probeListeners } from '../../src/probes/realserver';
import { State } from '../../src/runtime/state';
import { RootSource } from '../../src/sources/root';
import { REAL, ReplaySource, capture, replayScript, tempDir as newTempDir } from '../probes/replay';
import { describeSpawning } from './fast';


// Temp dirs this file creates, removed at the end.
const made: string[] = [];
const tempDir = () => {
  const d = newTempDir();
  made.push(d);
  return d;
};
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

const SYN = join(__dirname, '..', 'fixtures', 'synthetic');
const syn = (n: string) => readFileSync(join(SYN, n), 'utf8');
const BIN = join(__dirname, '..', '..', 'bin', 'check_lvs_arp');
const VIP = '192.168.0.3';
const d = referenceDeployment;
const { vips } = vipsFor(d);

/** A Source over a captured /proc/sys tree (and optional /etc files), programs replayed. */
function rootOf(state: string, etc: Record<string, string> = {}): string {
  const root = tempDir();
  cpSync(join(REAL, 'sysctl', state, 'proc'), join(root, 'proc'), { recursive: true });
  for (const [path, text] of Object.entries(etc)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}
const replay = (ipScenario = 'healthy', ssScenario = 'listening-any', host = 'reel2') =>
  new ReplaySource('localhost', (argv) => {
    if (argv[0] === 'ip') return `ip/${ipScenario}/${host}/addr`;
    if (argv[0] === 'ss') return `ss/${ssScenario}/${host}/${argv[1] === '-ltnH' ? 'ltn' : 'lun'}`;
    return undefined;
  });

async function modelFor(state: string, o: { ip?: string; ss?: string; etc?: Record<string, string>; persistence?: boolean } = {}): Promise<ArpModel> {
  const src = new RootSource(rootOf(state, o.etc), replay(o.ip, o.ss));
  const interfaces = parseIpAddr(capture(`ip/${o.ip ?? 'healthy'}/reel2/addr`).stdout);
  const names = ['all', 'default', 'lo', ...facingInterfaces(interfaces, vips[0]!).map((i) => i.name)];
  const m: ArpModel = {
    server: serverName(d.realHosts, interfaces, 'localhost'),
    vips,
    interfaces,
    sysctl: await probeArpSysctls(src, names),
    listeners: { tcp: await probeListeners(src, { protocol: 'tcp' }) },
  };
  if (o.persistence) {
    m.boot = await probeBootSysctl(src);
    m.alias = await probeAliasPersistence(src);
  }
  return m;
}

describe('the kernel rules', () => {
  test('arp_ignore: 1, 2, 8 suppress; 3 only for scope-host VIPs; 0, 4-7, >8 answer', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((v) => arpIgnoreSuppresses(v, 'global'))).toEqual([false, true, true, false, false, false, false, false, true, false]);
    expect(arpIgnoreSuppresses(3, 'host')).toBe(true);
  });
  test('arp_announce: only 2 is safe (>2 is treated as 0)', () => {
    expect([0, 1, 2, 3].map(arpAnnounceSafe)).toEqual([false, false, true, false]);
  });
  test('the interface facing the VIP subnet is eth0, never lo', () => {
    const ifs = parseIpAddr(capture('ip/healthy/reel2/addr').stdout);
    expect(facingInterfaces(ifs, vips[0]!).map((i) => i.name)).toEqual(['eth0']);
    expect(serverName(d.realHosts, ifs, 'x')).toBe('reel2');
    expect(serverName(d.realHosts, [], 'fallback-host')).toBe('fallback-host');
  });
});

describe('evaluateArp on real sysctl trees, ip and ss captured from lab real servers', () => {
  test('correct (1/2 on all and lo): OK, perfdata per interface', async () => {
    const r = evaluateArp(await modelFor('correct'));
    expect(r.state).toBe(State.OK);
    expect(r.summary).toBe(`reel2 holds ${VIP} on lo and does not answer ARP for it`);
    expect(r.perf).toEqual(
      expect.arrayContaining([
        { label: 'arp_ignore_eth0', value: 1, min: 0 },
        { label: 'arp_announce_eth0', value: 2, min: 0 },
        { label: 'listen_tcp_80', value: 1, min: 0, max: 1 },
      ]),
    );
  });

  test('all-only: OK, since the kernel takes max(all, eth0)', async () => {
    const r = evaluateArp(await modelFor('all-only'));
    expect(r.state).toBe(State.OK);
    expect(r.long).toContain('OK: eth0: arp_ignore=1 arp_announce=2 (max of all and eth0)');
  });

  test('lo-only: CRITICAL naming the classic mistake', async () => {
    const r = evaluateArp(await modelFor('lo-only'));
    expect(r.state).toBe(State.CRITICAL);
    expect(r.summary).toBe(`reel2 answers ARP for ${VIP} on eth0 (arp_ignore=0, arp_announce=0): set on lo only; the kernel uses max(all, eth0)`);
  });

  test('defaults: CRITICAL, answers ARP', async () => {
    const r = evaluateArp(await modelFor('defaults'));
    expect(r.state).toBe(State.CRITICAL);
    expect(r.summary).toBe(`reel2 answers ARP for ${VIP} on eth0 (arp_ignore=0, arp_announce=0)`);
  });

  test('VIP removed from lo: CRITICAL, DR traffic dropped', async () => {
    const r = evaluateArp(await modelFor('correct', { ip: 'real-without-vip' }));
    expect(r.state).toBe(State.CRITICAL);
    expect(r.summary).toBe(`reel2 lacks ${VIP} on lo: DR traffic for ${VIP} would be dropped`);
  });

  test('web server stopped: CRITICAL nothing listens', async () => {
    const r = evaluateArp(await modelFor('correct', { ss: 'not-listening' }));
    expect(r.state).toBe(State.CRITICAL);
    expect(r.summary).toBe(`nothing on reel2 listens on ${VIP}:80/tcp`);
    expect(r.perf).toContainEqual({ label: 'listen_tcp_80', value: 0, min: 0, max: 1 });
  });

  test('bound to the VIP only: OK', async () => {
    const r = evaluateArp(await modelFor('correct', { ss: 'listening-vip' }));
    expect(r.state).toBe(State.OK);
    expect(r.long).toContain(`OK: listening on ${VIP}:80/tcp`);
  });

  test("bound to the server's own address only (synthetic ss): the classic DR mistake", async () => {
    const m = await modelFor('correct');
    m.listeners = { tcp: parseSs(syn('ss/own-address-only.ltn')) };
    const r = evaluateArp(m);
    expect(r.state).toBe(State.CRITICAL);
    expect(r.summary).toMatch(/^reel2 listens on 192\.168\.0\.5:80 only, not on 192\.168\.0\.3: DR packets to the VIP are refused/);
  });

  test('VIP on an ARP interface (a director-style eth0:0): CRITICAL', async () => {
    const m = await modelFor('correct');
    m.interfaces = parseIpAddr(capture('ip/healthy/frontal1/addr').stdout);
    m.server = 'frontal1';
    const r = evaluateArp(m);
    expect(r.state).toBe(State.CRITICAL);
    expect(r.summary).toContain(`frontal1 holds ${VIP} on eth0:0, an ARP interface`);
  });

  test('VIP wider than /32 on lo: WARNING', async () => {
    const m = await modelFor('correct');
    const lo = m.interfaces.find((i) => i.name === 'lo')!;
    lo.addresses = lo.addresses.map((a) => (a.address === VIP ? { ...a, prefixlen: 24 } : a));
    const r = evaluateArp(m);
    expect(r.state).toBe(State.WARNING);
    expect(r.summary).toBe(`${VIP}/24 on lo is wider than /32: reel2 treats the whole subnet as local`);
  });

  test('arp_ignore=3 with a scope global VIP still answers; arp_announce=3 counts as 0', async () => {
    const m = await modelFor('correct');
    m.sysctl.all = { arp_ignore: 3, arp_announce: 3 };
    const r = evaluateArp(m);
    expect(r.state).toBe(State.CRITICAL);
    expect(r.summary).toContain('(arp_ignore=3, arp_announce=3)');
  });

  test('announce only: a different wording; the lo hint when lo alone has it right', async () => {
    const m = await modelFor('all-only');
    m.sysctl.all = { arp_ignore: 1, arp_announce: 1 };
    expect(evaluateArp(m).summary).toBe(`reel2 announces ${VIP} in its ARP requests on eth0 (arp_announce=1)`);
    const c = await modelFor('correct');
    c.sysctl.all = { arp_ignore: 1, arp_announce: 1 };
    expect(evaluateArp(c).summary).toBe(`reel2 announces ${VIP} in its ARP requests on eth0 (arp_announce=1): set on lo only; the kernel uses max(all, eth0)`);
  });

  test('an unreadable /proc/sys value is UNKNOWN, not OK', async () => {
    const m = await modelFor('correct');
    delete m.sysctl.eth0;
    expect(evaluateArp(m).state).toBe(State.UNKNOWN);
  });
});

describe('active view: arping captured from the lab client', () => {
  test("leak: reel2's own MAC among the answers → CRITICAL", async () => {
    const m = await modelFor('defaults');
    m.arping = [{ from: 'client', interface: 'eth0', vip: VIP, result: parseArping(capture('arping/arp-leak/client/arping').stdout) }];
    const r = evaluateArp(m);
    expect(r.state).toBe(State.CRITICAL);
    expect(r.long).toContain(`CRITICAL: reel2 (02:1a:00:00:00:05) answered ARP for ${VIP} (arping from client on eth0)`);
    expect(r.perf).toContainEqual({ label: 'arp_replies_reel2', value: 3, min: 0 });
  });
  test('healthy: only the director answers → OK', async () => {
    const m = await modelFor('correct');
    m.arping = [{ from: 'client', interface: 'eth0', vip: VIP, result: parseArping(capture('arping/healthy/client/arping').stdout) }];
    const r = evaluateArp(m);
    expect(r.state).toBe(State.OK);
    expect(r.long).toContain(`OK: reel2 did not answer ARP for ${VIP} (arping from client on eth0: 02:1a:00:00:00:01)`);
  });
});

describe('persistence (synthetic /etc files on real /proc trees)', () => {
  const lvs = syn('sysctl/lvs-dr.conf');
  test('sysctl.d sets all and lo, ifcfg-lo:1 restores the VIP: OK', async () => {
    const r = evaluateArp(
      await modelFor('correct', {
        persistence: true,
        etc: { 'etc/sysctl.d/90-lvs-dr.conf': lvs, 'etc/sysconfig/network-scripts/ifcfg-lo:1': syn('netconfig/ifcfg-lo:1') },
      }),
    );
    expect(r.state).toBe(State.OK);
    expect(r.long).toContain(`OK: ${VIP}/32 on lo:1 is restored at boot (/etc/sysconfig/network-scripts/ifcfg-lo:1)`);
  });

  test('no boot file: WARNING will leak after reboot; lo alias not verified (long output only)', async () => {
    const r = evaluateArp(await modelFor('correct', { persistence: true }));
    expect(r.state).toBe(State.WARNING);
    expect(r.summary).toBe('reel2 will leak after reboot: sysctl files give arp_ignore=0 on eth0, arp_announce=0 on eth0');
    expect(r.long).toContain('lo alias persistence not verified (no ifcfg-lo*, /etc/network/interfaces or .network file readable)');
  });

  test('boot file sets lo only: WARNING (the classic mistake, persisted)', async () => {
    const r = evaluateArp(await modelFor('correct', { persistence: true, etc: { 'etc/sysctl.conf': syn('sysctl/lo-only.conf') } }));
    expect(r.state).toBe(State.WARNING);
    expect(r.summary).toContain('will leak after reboot');
  });

  test('a later file in /etc undoes it; a same-named /etc file hides /usr/lib', async () => {
    const r = evaluateArp(
      await modelFor('correct', {
        persistence: true,
        etc: {
          'usr/lib/sysctl.d/90-lvs-dr.conf': lvs,
          'etc/sysctl.d/90-lvs-dr.conf': '# masked by the admin\n',
        },
      }),
    );
    expect(r.state).toBe(State.WARNING);
    const ok = evaluateArp(await modelFor('correct', { persistence: true, etc: { 'usr/lib/sysctl.d/90-lvs-dr.conf': lvs, 'etc/sysctl.d/99-x.conf': 'net.ipv4.conf.*.arp_announce=2\n' } }));
    expect(ok.state).toBe(State.OK);
  });

  test('Debian: lo:1 stanza without auto → WARNING not brought up at boot', async () => {
    const r = evaluateArp(await modelFor('correct', { persistence: true, etc: { 'etc/sysctl.d/90-lvs-dr.conf': lvs, 'etc/network/interfaces': syn('netconfig/interfaces-noauto') } }));
    // `up ip -4 addr add 192.168.0.3/24 dev lo` is at boot but /24
    expect(r.state).toBe(State.WARNING);
    expect(r.summary).toBe(`/etc/network/interfaces restores ${VIP} on lo as /24, not /32`);
  });

  test('Debian with interfaces.d via source, networkd unit for lo', async () => {
    const deb = evaluateArp(
      await modelFor('correct', {
        persistence: true,
        etc: {
          'etc/sysctl.d/90-lvs-dr.conf': lvs,
          'etc/network/interfaces': 'source /etc/network/interfaces.d/*\nauto lo\niface lo inet loopback\n',
          'etc/network/interfaces.d/vip': 'auto lo:1\niface lo:1 inet static\n address 192.168.0.3/32\n',
        },
      }),
    );
    expect(deb.state).toBe(State.OK);
    expect(deb.long).toContain(`OK: ${VIP}/32 on lo:1 is restored at boot (/etc/network/interfaces.d/vip)`);
    const nd = evaluateArp(
      await modelFor('correct', {
        persistence: true,
        etc: { 'etc/sysctl.d/90-lvs-dr.conf': lvs, 'etc/systemd/network/10-lo.network': syn('netconfig/lo.network'), 'etc/systemd/network/20-eth.network': syn('netconfig/eth.network') },
      }),
    );
    expect(nd.state).toBe(State.OK);
    const missing = evaluateArp(
      await modelFor('correct', { persistence: true, etc: { 'etc/sysctl.d/90-lvs-dr.conf': lvs, 'etc/systemd/network/20-eth.network': syn('netconfig/eth.network') } }),
    );
    expect(missing.state).toBe(State.WARNING);
    expect(missing.summary).toBe(`${VIP} on lo will be lost after reboot: no network file restores it`);
  });

  test('probeBootSysctl parses in boot order', async () => {
    const src = new RootSource(rootOf('correct', { 'etc/sysctl.conf': 'a.b=1\n', 'etc/sysctl.d/10-x.conf': 'a.c=2\n' }), replay());
    const b = await probeBootSysctl(src);
    expect(b.files.map((f) => f.path)).toEqual(['/etc/sysctl.d/10-x.conf', '/etc/sysctl.conf']);
  });
});

describeSpawning('end to end: bin/check_lvs_arp --root (captured sysctl tree) with replayed ip and ss', () => {
  const env = { ...process.env };
  delete env.LVSHA_CONFIG;
  const run = (state: string, extra: string[] = [], etc: Record<string, string> = { 'etc/sysctl.d/90-lvs-dr.conf': syn('sysctl/lvs-dr.conf') }, ss = 'listening-any') => {
    const root = rootOf(state, etc);
    const dir = tempDir();
    const ip = replayScript(join(dir, 'ip'), { byArgs: { '-j addr': ['ip/healthy/reel2/addr'] } });
    const ssScript = replayScript(join(dir, 'ss'), { byArgs: { '-ltnH': [`ss/${ss}/reel2/ltn`], '-lunH': [`ss/${ss}/reel2/lun`] } });
    const r = spawnSync(process.execPath, [BIN, '--root', root, '--ip', ip, '--ss', ssScript, ...extra], { encoding: 'utf8', env, timeout: 20000 });
    return { code: r.status, first: r.stdout.split('\n')[0]!, out: r.stdout };
  };

  test('correct → OK', () => {
    const r = run('correct');
    expect(r.code).toBe(0);
    expect(r.first).toBe(
      'LVS ARP OK - reel2 holds 192.168.0.3 on lo and does not answer ARP for it | listen_tcp_80=1;;;0;1 arp_ignore_eth0=1;;;0 arp_announce_eth0=2;;;0 arp_ignore_lo=1;;;0 arp_announce_lo=2;;;0',
    );
  });

  test('all-only → OK (max(all, eth0))', () => {
    const r = run('all-only');
    expect(r.code).toBe(0);
    expect(r.first).toMatch(/^LVS ARP OK - reel2 holds 192\.168\.0\.3 on lo and does not answer ARP for it \| .*arp_ignore_eth0=1;;;0 arp_announce_eth0=2;;;0 arp_ignore_lo=1;;;0 arp_announce_lo=2/);
  });

  test('lo-only → CRITICAL naming the classic mistake', () => {
    const r = run('lo-only');
    expect(r.code).toBe(2);
    expect(r.first).toMatch(/^LVS ARP CRITICAL - reel2 answers ARP for 192\.168\.0\.3 on eth0 \(arp_ignore=0, arp_announce=0\): set on lo only; the kernel uses max\(all, eth0\) \| /);
  });

  test('defaults → CRITICAL', () => {
    const r = run('defaults');
    expect(r.code).toBe(2);
    expect(r.first).toMatch(/^LVS ARP CRITICAL - reel2 answers ARP for 192\.168\.0\.3 on eth0 \(arp_ignore=0, arp_announce=0\) \| /);
  });

  test('correct at runtime but no sysctl file → WARNING will leak after reboot; --no-persistence → OK', () => {
    const r = run('correct', [], {});
    expect(r.code).toBe(1);
    expect(r.first).toMatch(/^LVS ARP WARNING - reel2 will leak after reboot: /);
    expect(run('correct', ['--no-persistence'], {}).code).toBe(0);
  });

  test('defaults + arping replay from a "client" showing the leak → CRITICAL with our MAC', () => {
    const dir = tempDir();
    const arping = replayScript(join(dir, 'arping'), { byArgs: { '*': ['arping/arp-leak/client/arping'] } });
    const r = run('defaults', ['--arp-from', 'localhost', '--arping', arping]);
    expect(r.code).toBe(2);
    expect(r.out).toContain('CRITICAL: reel2 (02:1a:00:00:00:05) answered ARP for 192.168.0.3 (arping from localhost on eth0)');
  });

  test('--vip / --port override; bad --port is UNKNOWN', () => {
    const r = run('correct', ['--vip', '192.168.0.3', '--port', '80', '--port', '22/tcp']);
    expect(r.code).toBe(2);
    expect(r.first).toContain('reel2 listens on 192.168.0.5:22 only, not on 192.168.0.3: DR packets to the VIP are refused');
    expect(r.first).toContain('listen_tcp_80=1;;;0;1 listen_tcp_22=0;;;0;1');
    const bad = run('correct', ['--port', '70000']);
    expect(bad.code).toBe(3);
    expect(bad.first).toBe("LVS ARP UNKNOWN - --port '70000' is not PORT or PORT/tcp or PORT/udp");
  });

  test('a replayed ip that fails is UNKNOWN with the cause', () => {
    const dir = tempDir();
    const ip = join(dir, 'ip');
    writeFileSync(ip, '#!/bin/sh\necho "Cannot open netlink socket" >&2\nexit 1\n', { mode: 0o755 });
    const r = spawnSync(process.execPath, [BIN, '--root', rootOf('correct'), '--ip', ip], { encoding: 'utf8', env });
    expect(r.status).toBe(3);
    expect(r.stdout.split('\n')[0]).toMatch(/^LVS ARP UNKNOWN - .*exit 1: Cannot open netlink socket on localhost/);
  });
});

describe('evaluateArp: whole results on the real trees and captures', () => {
  const lvs = syn('sysctl/lvs-dr.conf');
  test('correct at runtime and at boot, arping for two VIPs (the other VIP\'s answers are not looked at)', async () => {
    const a = await modelFor('correct', { persistence: true, etc: { 'etc/sysctl.d/90-lvs-dr.conf': lvs, 'etc/sysconfig/network-scripts/ifcfg-lo:1': syn('netconfig/ifcfg-lo:1') } });
    a.arping = [{ from: 'client', interface: 'eth0', vip: VIP, result: parseArping(capture('arping/healthy/client/arping').stdout) }, { from: 'client', interface: 'eth0', vip: '192.168.0.99', result: parseArping(capture('arping/arp-leak/client/arping').stdout) }];
    expect(evaluateArp(a)).toEqual({
      state: State.OK,
      summary: 'reel2 holds 192.168.0.3 on lo and does not answer ARP for it',
      long: [
        'OK: 192.168.0.3/32 on lo',
        'OK: eth0: arp_ignore=1 arp_announce=2 (max of all and eth0)',
        'OK: listening on 0.0.0.0:80/tcp',
        'OK: reel2 did not answer ARP for 192.168.0.3 (arping from client on eth0: 02:1a:00:00:00:01)',
        'OK: sysctl files restore arp_ignore/arp_announce at boot',
        'OK: 192.168.0.3/32 on lo:1 is restored at boot (/etc/sysconfig/network-scripts/ifcfg-lo:1)',
        'boot: eth0 arp_ignore=1 (/etc/sysctl.d/90-lvs-dr.conf:2) arp_announce=2 (/etc/sysctl.d/90-lvs-dr.conf:3)',
        'lo: arp_ignore=1 arp_announce=2 (effective; lo itself never sends or answers ARP)',
      ],
      perf: [
        { label: 'listen_tcp_80', value: 1, min: 0, max: 1 },
        { label: 'arp_replies_reel2', value: 0, min: 0 },
        { label: 'arp_ignore_eth0', value: 1, min: 0 },
        { label: 'arp_announce_eth0', value: 2, min: 0 },
        { label: 'arp_ignore_lo', value: 1, min: 0 },
        { label: 'arp_announce_lo', value: 2, min: 0 },
      ]
    });
  });
  test('correct at runtime, no boot file, nobody answers arping: the leak warning lists the files read (none)', async () => {
    const b = await modelFor('correct', { persistence: true });
    b.arping = [{ from: 'client', interface: 'eth0', vip: VIP, result: parseArping(capture('arping/no-holder/client/arping').stdout) }];
    expect(evaluateArp(b)).toEqual({
      state: State.WARNING,
      summary: 'reel2 will leak after reboot: sysctl files give arp_ignore=0 on eth0, arp_announce=0 on eth0',
      long: [
        'WARNING: reel2 will leak after reboot: sysctl files give arp_ignore=0 on eth0, arp_announce=0 on eth0',
        'OK: 192.168.0.3/32 on lo',
        'OK: eth0: arp_ignore=1 arp_announce=2 (max of all and eth0)',
        'OK: listening on 0.0.0.0:80/tcp',
        'OK: reel2 did not answer ARP for 192.168.0.3 (arping from client on eth0, no replies at all)',
        'arping from client on eth0: no answer for 192.168.0.3 (no director holds it?)',
        'sysctl files read: none',
        'lo alias persistence not verified (no ifcfg-lo*, /etc/network/interfaces or .network file readable)',
        'lo: arp_ignore=1 arp_announce=2 (effective; lo itself never sends or answers ARP)',
      ],
      perf: [
        { label: 'listen_tcp_80', value: 1, min: 0, max: 1 },
        { label: 'arp_replies_reel2', value: 0, min: 0 },
        { label: 'arp_ignore_eth0', value: 1, min: 0 },
        { label: 'arp_announce_eth0', value: 2, min: 0 },
        { label: 'arp_ignore_lo', value: 1, min: 0 },
        { label: 'arp_announce_lo', value: 2, min: 0 },
      ]
    });
  });
  test('defaults with the leak seen on the wire: both findings, our replies counted', async () => {
    const c = await modelFor('defaults', { persistence: true });
    c.arping = [{ from: 'client', interface: 'eth0', vip: VIP, result: parseArping(capture('arping/arp-leak/client/arping').stdout) }];
    expect(evaluateArp(c)).toEqual({
      state: State.CRITICAL,
      summary: 'reel2 answers ARP for 192.168.0.3 on eth0 (arp_ignore=0, arp_announce=0); reel2 (02:1a:00:00:00:05) answered ARP for 192.168.0.3 (arping from client on eth0)',
      long: [
        'CRITICAL: reel2 answers ARP for 192.168.0.3 on eth0 (arp_ignore=0, arp_announce=0)',
        'CRITICAL: reel2 (02:1a:00:00:00:05) answered ARP for 192.168.0.3 (arping from client on eth0)',
        'OK: 192.168.0.3/32 on lo',
        'OK: listening on 0.0.0.0:80/tcp',
        'lo alias persistence not verified (no ifcfg-lo*, /etc/network/interfaces or .network file readable)',
        'lo: arp_ignore=0 arp_announce=0 (effective; lo itself never sends or answers ARP)',
      ],
      perf: [
        { label: 'listen_tcp_80', value: 1, min: 0, max: 1 },
        { label: 'arp_replies_reel2', value: 3, min: 0 },
        { label: 'arp_ignore_eth0', value: 0, min: 0 },
        { label: 'arp_announce_eth0', value: 0, min: 0 },
        { label: 'arp_ignore_lo', value: 0, min: 0 },
        { label: 'arp_announce_lo', value: 0, min: 0 },
      ]
    });
  });
  test('lo-only: the hint that lo alone has it right', async () => {
    expect(evaluateArp(await modelFor('lo-only'))).toEqual({
      state: State.CRITICAL,
      summary: 'reel2 answers ARP for 192.168.0.3 on eth0 (arp_ignore=0, arp_announce=0): set on lo only; the kernel uses max(all, eth0)',
      long: [
        'CRITICAL: reel2 answers ARP for 192.168.0.3 on eth0 (arp_ignore=0, arp_announce=0): set on lo only; the kernel uses max(all, eth0)',
        'OK: 192.168.0.3/32 on lo',
        'OK: listening on 0.0.0.0:80/tcp',
        'lo: arp_ignore=1 arp_announce=2 (effective; lo itself never sends or answers ARP)',
      ],
      perf: [
        { label: 'listen_tcp_80', value: 1, min: 0, max: 1 },
        { label: 'arp_ignore_eth0', value: 0, min: 0 },
        { label: 'arp_announce_eth0', value: 0, min: 0 },
        { label: 'arp_ignore_lo', value: 1, min: 0 },
        { label: 'arp_announce_lo', value: 2, min: 0 },
      ]
    });
  });
  test('nothing listening, all and eth0 unreadable', async () => {
    const e = await modelFor('correct', { ss: 'not-listening' });
    e.sysctl = { lo: e.sysctl.lo! };
    expect(evaluateArp(e)).toEqual({
      state: State.CRITICAL,
      summary: 'nothing on reel2 listens on 192.168.0.3:80/tcp; cannot read /proc/sys/net/ipv4/conf/all/arp_ignore and arp_announce on reel2; cannot read the ARP sysctls of eth0 on reel2',
      long: [
        'CRITICAL: nothing on reel2 listens on 192.168.0.3:80/tcp',
        'UNKNOWN: cannot read /proc/sys/net/ipv4/conf/all/arp_ignore and arp_announce on reel2',
        'UNKNOWN: cannot read the ARP sysctls of eth0 on reel2',
        'OK: 192.168.0.3/32 on lo',
        'lo: arp_ignore=1 arp_announce=2 (effective; lo itself never sends or answers ARP)',
      ],
      perf: [
        { label: 'listen_tcp_80', value: 0, min: 0, max: 1 },
        { label: 'arp_ignore_lo', value: 1, min: 0 },
        { label: 'arp_announce_lo', value: 2, min: 0 },
      ]
    });
  });
  test('no listener view at all: no listen finding', async () => {
    const f = await modelFor('correct');
    delete f.listeners;
    expect(evaluateArp(f)).toEqual({
      state: State.OK,
      summary: 'reel2 holds 192.168.0.3 on lo and does not answer ARP for it',
      long: [
        'OK: 192.168.0.3/32 on lo',
        'OK: eth0: arp_ignore=1 arp_announce=2 (max of all and eth0)',
        'lo: arp_ignore=1 arp_announce=2 (effective; lo itself never sends or answers ARP)',
      ],
      perf: [
        { label: 'arp_ignore_eth0', value: 1, min: 0 },
        { label: 'arp_announce_eth0', value: 2, min: 0 },
        { label: 'arp_ignore_lo', value: 1, min: 0 },
        { label: 'arp_announce_lo', value: 2, min: 0 },
      ]
    });
  });
});

describe('evaluateArp: the survivors of the second mutation run (real trees, one value edited)', () => {
  const lvs = syn('sysctl/lvs-dr.conf');
  const base = () => modelFor('correct');
  const lines = (m: ArpModel) => evaluateArp(m).long!;
  test('all: one of arp_ignore/arp_announce unreadable is UNKNOWN, either one', async () => {
    for (const all of [{ arp_ignore: 1 }, { arp_announce: 2 }]) {
      const m = await base();
      m.sysctl.all = all;
      expect(lines(m)).toContain('UNKNOWN: cannot read /proc/sys/net/ipv4/conf/all/arp_ignore and arp_announce on reel2');
    }
  });
  test('eth0: one of its two unreadable is UNKNOWN, either one', async () => {
    for (const eth0 of [{ arp_ignore: 1 }, { arp_announce: 2 }]) {
      const m = await base();
      m.sysctl.eth0 = eth0;
      const r = evaluateArp(m);
      expect(r.long).toContain('UNKNOWN: cannot read the ARP sysctls of eth0 on reel2');
      expect(r.perf!.map((p) => p.label)).not.toContain('arp_ignore_eth0');
    }
  });
  test('arp_ignore=3 suppresses only for a VIP of scope host: the scope is the VIP address own', async () => {
    const host = await modelFor('correct', { persistence: true, etc: { 'etc/sysctl.d/90-lvs-dr.conf': 'net.ipv4.conf.all.arp_ignore = 3\nnet.ipv4.conf.all.arp_announce = 2\n' } });
    host.sysctl.all = { arp_ignore: 3, arp_announce: 2 };
    host.interfaces = host.interfaces.map((i) => (i.name !== 'lo' ? i : { ...i, addresses: i.addresses.map((a) => (a.address === VIP ? { ...a, scope: 'host' } : a)) }));
    const r = evaluateArp(host);
    expect(r.long!.slice(0, 2)).toEqual(['OK: 192.168.0.3/32 on lo', 'OK: eth0: arp_ignore=3 arp_announce=2 (max of all and eth0)']);
    expect(r.long).toContain('OK: sysctl files restore arp_ignore/arp_announce at boot');
    // The real capture: scope global, 3 answers.
    const global = await modelFor('correct');
    global.sysctl.all = { arp_ignore: 3, arp_announce: 2 };
    // lo has 1, all 3: all is too high, not "set on lo only"
    expect(evaluateArp(global).summary).toBe('reel2 answers ARP for 192.168.0.3 on eth0 (arp_ignore=3): 3 only hides scope host addresses, set 1');
    // lo 8 would fix it when raised onto all: the lo hint
    global.sysctl.lo = { arp_ignore: 8, arp_announce: 2 };
    expect(evaluateArp(global).summary).toBe('reel2 answers ARP for 192.168.0.3 on eth0 (arp_ignore=3): set on lo only; the kernel uses max(all, eth0)');
    // arp_announce above 2 (the kernel treats it as 0) over lo's 2: too high, no lo hint either
    const high = await modelFor('correct');
    high.sysctl.all = { arp_ignore: 1, arp_announce: 3 };
    expect(evaluateArp(high).summary).toBe('reel2 announces 192.168.0.3 in its ARP requests on eth0 (arp_announce=3)');
    // both too low and lo no better: no hint
    const low = await modelFor('correct');
    low.sysctl.all = { arp_ignore: 0, arp_announce: 0 };
    low.sysctl.lo = { arp_ignore: 0, arp_announce: 0 };
    expect(evaluateArp(low).summary).toBe('reel2 answers ARP for 192.168.0.3 on eth0 (arp_ignore=0, arp_announce=0)');
  });
  test('VIP missing, or on an ARP interface: no lo alias persistence verdict', async () => {
    const missing = await modelFor('correct', { persistence: true, ip: 'real-without-vip', etc: { 'etc/sysconfig/network-scripts/ifcfg-lo:1': syn('netconfig/ifcfg-lo:1') } });
    expect(lines(missing).join('\n')).not.toMatch(/restored at boot|lost after reboot/);
    const onEth0 = await modelFor('correct', { persistence: true, etc: { 'etc/sysconfig/network-scripts/ifcfg-lo:1': syn('netconfig/ifcfg-lo:1') } });
    const lo = onEth0.interfaces.find((i) => i.name === 'lo')!;
    const vipAddr = lo.addresses.find((a) => a.address === VIP)!;
    onEth0.interfaces = onEth0.interfaces.map((i) =>
      i.name === 'lo' ? { ...i, addresses: i.addresses.filter((a) => a !== vipAddr) } : i.name === 'eth0' ? { ...i, addresses: [...i.addresses, { ...vipAddr, label: 'eth0' }] } : i,
    );
    const r = evaluateArp(onEth0);
    expect(r.long![0]).toBe('CRITICAL: reel2 holds 192.168.0.3 on eth0, an ARP interface: it answers ARP for the VIP (put it on lo)');
    expect(r.long!.join('\n')).not.toMatch(/restored at boot|lost after reboot/);
  });
  test('no ARP-capable interface: said in long output, no boot verdict without a runtime one', async () => {
    const m = await modelFor('correct', { persistence: true, etc: { 'etc/sysctl.d/90-lvs-dr.conf': lvs } });
    m.interfaces = m.interfaces.filter((i) => i.name === 'lo');
    const r = evaluateArp(m);
    expect(r.long).toContain('no ARP-capable interface with an IPv4 address on reel2: nothing to answer ARP');
    expect(r.long!.join('\n')).not.toMatch(/sysctl files restore/);
  });
  test('arp_ignore wrong, arp_announce right: only arp_ignore named; lo hints need both of lo\'s values right', async () => {
    const m = await base();
    m.sysctl.all = { arp_ignore: 0, arp_announce: 0 };
    m.sysctl.eth0 = { arp_ignore: 0, arp_announce: 2 };
    m.sysctl.lo = { arp_ignore: 1, arp_announce: 2 };
    expect(evaluateArp(m).summary).toBe('reel2 answers ARP for 192.168.0.3 on eth0 (arp_ignore=0): set on lo only; the kernel uses max(all, eth0)');
    m.sysctl.lo = { arp_ignore: 0, arp_announce: 2 }; // lo's arp_ignore wrong too: no hint
    expect(evaluateArp(m).summary).toBe('reel2 answers ARP for 192.168.0.3 on eth0 (arp_ignore=0)');
    m.sysctl.lo = { arp_ignore: 1 }; // lo's arp_announce unreadable: no hint, no lo line
    const r = evaluateArp(m);
    expect(r.summary).toBe('reel2 answers ARP for 192.168.0.3 on eth0 (arp_ignore=0)');
    expect(r.long!.join('\n')).not.toMatch(/^lo: /m);
    expect(r.perf!.map((p) => p.label)).not.toContain('arp_ignore_lo');
  });
  test('arp_announce wrong, arp_ignore right: the lo hint when lo has arp_announce=2, whatever lo\'s arp_ignore', async () => {
    const m = await base();
    m.sysctl.all = { arp_ignore: 0, arp_announce: 0 };
    m.sysctl.eth0 = { arp_ignore: 1, arp_announce: 0 };
    m.sysctl.lo = { arp_ignore: 0, arp_announce: 2 };
    expect(evaluateArp(m).summary).toBe('reel2 announces 192.168.0.3 in its ARP requests on eth0 (arp_announce=0): set on lo only; the kernel uses max(all, eth0)');
    m.sysctl.lo = { arp_announce: 2 }; // lo's arp_ignore unreadable: no hint
    const r = evaluateArp(m);
    expect(r.summary).toBe('reel2 announces 192.168.0.3 in its ARP requests on eth0 (arp_announce=0)');
    expect(r.long!.join('\n')).not.toMatch(/^lo: /m);
  });
  test('listeners: on the VIP bound to lo, on 127.0.0.1 only; the one found named with its device', async () => {
    const m = await base();
    const l = (address: string, device?: string) => ({ state: 'LISTEN', address, port: 80, wildcard: false as const, ...(device ? { device } : {}) });
    m.listeners = { tcp: [l(VIP, 'lo')] };
    expect(evaluateArp(m).summary).toBe('nothing on reel2 listens on 192.168.0.3:80/tcp (only 192.168.0.3%lo:80)');
    m.listeners = { tcp: [l('127.0.0.1')] };
    expect(evaluateArp(m).summary).toBe('nothing on reel2 listens on 192.168.0.3:80/tcp (only 127.0.0.1:80)');
    m.listeners = { tcp: [{ ...l('192.168.0.5'), port: 22 }] };
    expect(evaluateArp(m).summary).toBe('nothing on reel2 listens on 192.168.0.3:80/tcp');
  });
  test('arping: two of our MACs, two others; the perfdata label of a server name with a dash', async () => {
    const m = await base();
    m.server = 'reel-2.lab';
    const mac5 = '02:1a:00:00:00:05';
    m.interfaces = [...m.interfaces, { ...m.interfaces.find((i) => i.name === 'eth0')!, name: 'eth1', mac: '02:1a:00:00:00:06', addresses: [] }];
    const result = (macs: string[]) => ({ ...parseArping(capture('arping/arp-leak/client/arping').stdout), macs });
    m.arping = [{ from: 'client', interface: 'eth0', vip: VIP, result: result([mac5, '02:1a:00:00:00:06']) }];
    let r = evaluateArp(m);
    expect(r.long).toContain(`CRITICAL: reel-2.lab (${mac5}, 02:1a:00:00:00:06) answered ARP for 192.168.0.3 (arping from client on eth0)`);
    expect(r.perf!.map((p) => p.label)).toContain('arp_replies_reel_2_lab');
    m.arping = [{ from: 'client', interface: 'eth0', vip: VIP, result: result(['02:1a:00:00:00:01', '02:1a:00:00:00:02']) }];
    r = evaluateArp(m);
    expect(r.long).toContain('OK: reel-2.lab did not answer ARP for 192.168.0.3 (arping from client on eth0: 02:1a:00:00:00:01, 02:1a:00:00:00:02)');
  });
  test('boot files: unreadable ones named; where each value comes from, or nothing; every file read listed', async () => {
    const m = await modelFor('correct', { persistence: true, etc: { 'etc/sysctl.d/10-a.conf': 'net.ipv4.conf.all.arp_ignore = 1\n', 'etc/sysctl.conf': '# nothing\n' } });
    m.boot!.unreadable = ['/etc/sysctl.d/99-secret.conf'];
    const r = evaluateArp(m);
    expect(r.summary).toBe('reel2 will leak after reboot: sysctl files give arp_announce=0 on eth0');
    expect(r.long).toEqual(expect.arrayContaining([
      'sysctl file not readable: /etc/sysctl.d/99-secret.conf',
      'boot: eth0 arp_ignore=1 (/etc/sysctl.d/10-a.conf:1) arp_announce=0',
      'sysctl files read: /etc/sysctl.d/10-a.conf /etc/sysctl.conf',
    ]));
    const a = await modelFor('correct', { persistence: true, etc: { 'etc/sysctl.d/10-a.conf': 'net.ipv4.conf.eth0.arp_announce = 2\n' } });
    expect(evaluateArp(a).long).toContain('boot: eth0 arp_ignore=0 arp_announce=2 (/etc/sysctl.d/10-a.conf:1)');
  });
  test('lo alias: unparsable files named; in a file but not at boot; read files listed when none restores it', async () => {
    const m = await modelFor('correct', { persistence: true, etc: { 'etc/sysctl.d/90-lvs-dr.conf': lvs, 'etc/network/interfaces': syn('netconfig/interfaces-noauto').split('\n\n')[1]! } }); // its lo:1 stanza, no auto
    m.alias!.errors = ['/etc/sysconfig/network-scripts/ifcfg-lo:2: bad line'];
    const r = evaluateArp(m);
    expect(r.long).toContain('cannot parse /etc/sysconfig/network-scripts/ifcfg-lo:2: bad line');
    expect(r.summary).toMatch(/^192\.168\.0\.3 on lo(:1)? is in \/etc\/network\/interfaces but not brought up at boot: will be lost after reboot$/);
    expect(r.state).toBe(State.WARNING);
    const none = await modelFor('correct', { persistence: true, etc: { 'etc/sysctl.d/90-lvs-dr.conf': lvs, 'etc/network/interfaces': 'auto lo\niface lo inet loopback\n' } });
    none.alias!.read = [...none.alias!.read, '/etc/systemd/network/lo.network'];
    expect(evaluateArp(none).long).toContain('network files read: /etc/network/interfaces /etc/systemd/network/lo.network');
  });
  test('two VIPs: both named in the OK summary; the check\'s evaluate appends the config notes', async () => {
    const m = await base();
    m.vips = [vips[0]!, { ...vips[0]!, address: VIP, ports: [] }];
    expect(evaluateArp(m).summary).toBe('reel2 holds 192.168.0.3, 192.168.0.3 on lo and does not answer ARP for it');
    const c = { ...arpCheck.defaults(d), notes: ['a note from the deployment'] };
    const r = arpCheck.evaluate(await base(), c);
    expect(r.long!.slice(-2)).toEqual(['lo: arp_ignore=1 arp_announce=2 (effective; lo itself never sends or answers ARP)', 'a note from the deployment']);
  });
});
