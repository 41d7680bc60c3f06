/**
 * The keepalived.conf reader (src/model/keepalivedConf.ts) on the files keepalived itself runs:
 * the generator's output (what the lab deploys), read back into the same services, real
 * servers, VIPs and VRRP settings; a hand-made /etc/keepalived with includes
 * (test/fixtures/synthetic/keepalived, accepted by `keepalived -t`); includes' bounds; malformed
 * input named by file and line; ≥ 10 000 fuzzed variants that only ever end in ParseError or
 * UsageError; `--config /etc/keepalived` through loadDeployment and `lvsha generate`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { keepalivedFiles } from '../../src/generate/keepalived';
import { planFiles } from '../../src/generate/plan';
import { writeFiles } from '../../src/generate/write';
import { keepalivedOf } from '../../src/model/ha';
import {
  deploymentFromKeepalived,
  MAX_INCLUDE_DEPTH,
  memoryFiles,
  parseKeepalivedConf,
  readKeepalivedStatements,
} from '../../src/model/keepalivedConf';
import { diskConfFiles, loadDeployment, readKeepalivedConfig } from '../../src/model/load';
import { referenceDeployment } from '../../src/model/reference';
import { Deployment } from '../../src/model/types';
import { validateDeployment } from '../../src/model/validate';
import { ParseError, UsageError } from '../../src/runtime/errors';
import { fuzzParser } from '../helpers/fuzz';
import { gen, otherDeployment, testOptions, tmp } from '../generate/helpers';

const SYNTH = join(__dirname, '..', 'fixtures', 'synthetic', 'keepalived');
const KEEPALIVED = ['/usr/sbin/keepalived', '/sbin/keepalived'].find((p) => existsSync(p));
const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x));

/** The generated keepalived.conf of each director, by director name. */
function generated(d: Deployment): Record<string, string> {
  return Object.fromEntries(keepalivedFiles(d, testOptions({ stack: 'keepalived' })).map((f) => [f.host, f.content]));
}
const MAIN = '/etc/keepalived/keepalived.conf';
const parseText = (text: string) => parseKeepalivedConf(MAIN, memoryFiles({ [MAIN]: text }));

/** What a round trip must keep: services (without the real servers' names, which keepalived.conf does not hold). */
const servicesOf = (d: Deployment) => d.services.map((s) => ({ ...s, realServers: s.realServers.map(({ name: _n, ...r }) => r) }));

describe.each([
  ['the reference deployment', () => ({ ...clone(referenceDeployment), ha: 'keepalived' as const })],
  ['another shape (fwmark, UDP, HTTP_GET, no auto_failback, VRID 77)', () => ({ ...otherDeployment(), ha: 'keepalived' as const, keepalived: { ...keepalivedOf(otherDeployment()), vrid: 77 } })],
])('round trip: generate --stack keepalived, then read (%s)', (_, make) => {
  const d = make() as Deployment;
  const texts = generated(d);

  test.each(d.directors.map((x) => x.name))('%s: the same services, real servers, VIPs, VRRP instance and directors', (name) => {
    const peerName = d.directors.find((x) => x.name !== name)!.name;
    const peer = parseText(texts[peerName]!);
    const back = deploymentFromKeepalived(parseText(texts[name]!), MAIN, { peer });
    expect(back.ha).toBe('keepalived');
    expect(servicesOf(back)).toEqual(
      servicesOf(d).map((s) => ({
        ...s,
        // keepalived has no checktype `on`; a firewall-mark real server checked by ping has no port in the file
        ...(s.protocol === 'fwm' && { realServers: s.realServers.map((r) => ({ ...r, port: s.checktype === 'ping' ? 0 : r.port })) }),
      })),
    );
    expect(back.vips).toEqual(d.vips);
    expect(back.keepalived).toEqual(keepalivedOf(d));
    expect(back.directors.map((x) => [x.name, x.address])).toEqual([
      [name, d.directors.find((x) => x.name === name)!.address],
      [peerName, d.directors.find((x) => x.name === peerName)!.address],
    ]);
    expect(back.heartbeat.preferred).toBe(d.heartbeat.preferred);
    expect(back.sync).toEqual({ syncid: d.sync.syncid, interface: d.sync.interface, mode: 'follow-role' });
  });

  test('one file alone: the peer named by its address, priorities as the generator writes them', () => {
    for (const dir of d.directors) {
      const back = deploymentFromKeepalived(parseText(texts[dir.name]!), MAIN);
      const peer = d.directors.find((x) => x.name !== dir.name)!;
      expect(back.directors.map((x) => x.name)).toEqual([dir.name, peer.address]);
      const k = keepalivedOf(d);
      expect(back.keepalived!.priorities).toEqual({ [dir.name]: k.priorities[dir.name], [peer.address]: k.priorities[peer.name] });
      expect(validateDeployment(back).filter((p) => p.severity === 'error')).toEqual([]);
    }
  });
});

describe('a hand-made /etc/keepalived with includes (synthetic, accepted by keepalived -t)', () => {
  const canRun = KEEPALIVED !== undefined && process.getuid?.() === 0;
  (canRun ? test : test.skip)(`keepalived 2.2 accepts it (in a namespace with its interface ens3)${canRun ? '' : ' [SKIPPED: needs root and keepalived (scripts/install-deps.sh installs it)]'}`, () => {
    const r = spawnSync('unshare', ['-n', 'sh', '-c', `ip link add ens3 type veth peer name ens4 && ${KEEPALIVED} -t -l -f keepalived.conf`], { cwd: SYNTH, encoding: 'utf8' });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
  });

  test('read from the disk: VRRP, VIPs, sync daemon, services through two includes and a glob', () => {
    const conf = parseKeepalivedConf(join(SYNTH, 'keepalived.conf'), diskConfFiles);
    expect(conf.routerId).toBe('lb-a');
    expect(conf.syncDaemon).toEqual({ interface: 'ens3', instance: 'VI_WEB', syncid: 7 });
    expect(conf.instances).toEqual([
      expect.objectContaining({
        name: 'VI_WEB',
        state: 'BACKUP',
        interface: 'ens3',
        vrid: 77,
        priority: 200,
        advertInt: 1,
        nopreempt: true,
        unicastSrcIp: '10.0.0.2',
        unicastPeers: ['10.0.0.3'],
        vips: [
          { address: '10.0.0.10', prefix: 24, dev: 'ens3', label: 'ens3:web' },
          { address: '10.0.0.11', prefix: 32, dev: undefined, label: undefined },
        ],
        trackScripts: ['chk_haproxy'],
        file: join(SYNTH, 'conf.d', '10-vrrp.conf'),
        line: 2,
      }),
    ]);
    expect(conf.services).toEqual([
      {
        name: 'web',
        protocol: 'tcp',
        address: '10.0.0.10',
        port: 443,
        scheduler: 'rr',
        persistent: 360,
        persistentNetmask: '255.255.255.0',
        realServers: [
          { address: '10.0.1.21', port: 8443, weight: 3, forwarding: 'masq' },
          { address: '10.0.1.22', port: 8443, weight: 2, forwarding: 'masq' },
        ],
        fallback: { address: '10.0.0.50', port: 8443 },
        quiescent: true,
        checktype: 'negotiate',
      },
      { name: 'fwm-5', protocol: 'fwm', fwmark: 5, scheduler: 'wrr', realServers: [{ address: '10.0.0.21', port: 0, weight: 1, forwarding: 'gate' }], quiescent: false, checktype: 'ping' },
    ]);
  });

  test('loads as a deployment through --config: its fwmark real server without a port is :0, as IPVS lists it', () => {
    const l = loadDeployment(SYNTH);
    expect(l.deployment.services.find((x) => x.protocol === 'fwm')!.realServers).toEqual([{ address: '10.0.0.21', port: 0, weight: 1, forwarding: 'gate' }]);
    expect(l.warnings).toEqual([]);
  });

  test('as a deployment: lb-a (BACKUP, 200, nopreempt) is the preferred one; the peer by /etc/hosts', () => {
    const d = deploymentFromKeepalived(parseKeepalivedConf(join(SYNTH, 'keepalived.conf'), diskConfFiles), 'x', { hosts: '127.0.0.1 localhost\n10.0.0.3 lb-b.example lb-b\n' });
    expect(d.directors).toEqual([
      { name: 'lb-a', address: '10.0.0.2', interface: 'ens3' },
      { name: 'lb-b.example', address: '10.0.0.3', interface: 'ens3' },
    ]);
    expect(d.keepalived).toEqual({ instance: 'VI_WEB', vrid: 77, advertInt: 1, priorities: { 'lb-a': 200, 'lb-b.example': 100 }, nopreempt: true });
    expect(d.heartbeat).toMatchObject({ preferred: 'lb-a', autoFailback: false, keepalive: 1 });
    expect(d.sorry.url).toBe('http://10.0.0.50:8443/');
  });
});

test("multicast VRRP (no unicast_src_ip): the local address from /etc/hosts (not Debian's 127.0.1.1), else from the caller for this machine only", () => {
  const conf = parseText('global_defs {\n router_id lb1\n}\nvrrp_instance V {\n interface eth1\n virtual_router_id 9\n virtual_ipaddress {\n  10.1.1.1/24\n }\n}\n');
  const local = (name: string, iface: string) => (name === 'lb1' && iface === 'eth1' ? '10.1.1.2' : undefined);
  expect(deploymentFromKeepalived(conf, MAIN, { hosts: '10.1.1.5 lb1\n' }).directors).toEqual([{ name: 'lb1', address: '10.1.1.5', interface: 'eth1' }]);
  expect(deploymentFromKeepalived(conf, MAIN, { hosts: '127.0.1.1 lb1\n', localAddress: local }).directors).toEqual([{ name: 'lb1', address: '10.1.1.2', interface: 'eth1' }]);
  expect(deploymentFromKeepalived(conf, MAIN, { hosts: '127.0.1.1 lb1\n' }).directors).toEqual([{ name: 'lb1', address: '', interface: 'eth1' }]);
});

describe('includes: relative, globbed, bounded', () => {
  test('relative to the including file, glob sorted, nested', () => {
    const files = memoryFiles({
      '/e/k/keepalived.conf': 'include a/*.conf\n',
      '/e/k/a/2.conf': 'vrrp_instance V2 {\n virtual_router_id 2\n}\n',
      '/e/k/a/1.conf': 'include ../b/x.inc\n',
      '/e/k/b/x.inc': 'vrrp_instance V1 {\n virtual_router_id 1\n}\n',
    });
    expect(parseKeepalivedConf('/e/k/keepalived.conf', files).instances.map((i) => [i.name, i.file, i.line])).toEqual([
      ['V1', '/e/k/b/x.inc', 1],
      ['V2', '/e/k/a/2.conf', 1],
    ]);
  });

  test(`an include loop stops at depth ${MAX_INCLUDE_DEPTH} with a UsageError naming file and line`, () => {
    const files = memoryFiles({ '/k/keepalived.conf': '# loop\ninclude keepalived.conf\n' });
    expect(() => parseKeepalivedConf('/k/keepalived.conf', files)).toThrow(UsageError);
    expect(() => parseKeepalivedConf('/k/keepalived.conf', files)).toThrow(`/k/keepalived.conf:2: includes nested deeper than ${MAX_INCLUDE_DEPTH}`);
  });

  test('a chain of exactly 8 includes is read; 9 is refused', () => {
    const chain = (n: number) => {
      const t: Record<string, string> = {};
      for (let i = 0; i < n; i++) t[`/k/${i}.conf`] = `include ${i + 1}.conf\n`;
      t[`/k/${n}.conf`] = 'vrrp_instance V {\n virtual_router_id 9\n}\n';
      return memoryFiles(t);
    };
    expect(parseKeepalivedConf('/k/0.conf', chain(8)).instances).toHaveLength(1);
    expect(() => parseKeepalivedConf('/k/0.conf', chain(9))).toThrow(UsageError);
  });

  test('the total size of the files is bounded (1 MiB)', () => {
    const big = `# ${'x'.repeat(600 * 1024)}\n`;
    const files = memoryFiles({ '/k/keepalived.conf': 'include a.conf\ninclude b.conf\n', '/k/a.conf': big, '/k/b.conf': big });
    expect(() => parseKeepalivedConf('/k/keepalived.conf', files)).toThrow(/exceeds 1 MiB/);
  });

  test('a missing include on disk: UsageError naming it', () => {
    const dir = tmp('ka-missing');
    writeFileSync(join(dir, 'keepalived.conf'), 'include nosuch.conf\n');
    expect(() => parseKeepalivedConf(join(dir, 'keepalived.conf'), diskConfFiles)).toThrow(new RegExp(`${join(dir, 'nosuch.conf')}`));
  });
});

describe('malformed input: ParseError naming file and line', () => {
  test.each([
    ['an unclosed block', 'vrrp_instance V {\n  virtual_router_id 5\n', "cannot parse /etc/keepalived/keepalived.conf: block 'vrrp_instance' is not closed (end of /etc/keepalived/keepalived.conf) (line 1)"],
    ['a stray }', 'global_defs {\n}\n}\n', "cannot parse /etc/keepalived/keepalived.conf: '}' closes no block (line 3)"],
    ['VRID 300', 'vrrp_instance V {\n  virtual_router_id 300\n}\n', "cannot parse /etc/keepalived/keepalived.conf: virtual_router_id '300' is not a number from 1 to 255 (line 2)"],
    ['no VRID', 'vrrp_instance V {\n  priority 100\n}\n', 'cannot parse /etc/keepalived/keepalived.conf: vrrp_instance V has no virtual_router_id (line 1)'],
    ['a VIP that is no address', 'vrrp_instance V {\n virtual_router_id 1\n virtual_ipaddress {\n  192.168.0.300/24\n }\n}\n', "cannot parse /etc/keepalived/keepalived.conf: virtual_ipaddress: '192.168.0.300/24' is not an address[/prefix] (line 4)"],
    ['lb_kind XX', 'virtual_server 1.2.3.4 80 {\n lb_kind XX\n}\n', "cannot parse /etc/keepalived/keepalived.conf: lb_kind 'XX' is not DR, NAT or TUN (line 2)"],
    ['an unclosed quote', 'global_defs {\n router_id "abc\n}\n', 'cannot parse /etc/keepalived/keepalived.conf: a quoted string is not closed (line 2)'],
  ])('%s', (_, text, message) => {
    expect(() => parseText(text)).toThrow(ParseError);
    expect(() => parseText(text)).toThrow(message);
  });

  test('no vrrp_instance: no deployment (ParseError)', () => {
    expect(() => deploymentFromKeepalived(parseText('global_defs {\n router_id a\n}\n'), MAIN)).toThrow(ParseError);
  });

  test('comments with # and !, a brace on the next line, $VAR and @config_id lines', () => {
    const text = '$ID=42\n! bang\nvrrp_instance V # trailing\n{\n  virtual_router_id ${ID}\n  @lb1 priority 150\n  @^lb1 priority 100\n}\n';
    expect(parseKeepalivedConf(MAIN, memoryFiles({ [MAIN]: text }), { configId: 'lb1' }).instances[0]).toMatchObject({ vrid: 42, priority: 150 });
    expect(parseKeepalivedConf(MAIN, memoryFiles({ [MAIN]: text }), { configId: 'lb2' }).instances[0]).toMatchObject({ vrid: 42, priority: 100 });
  });
});

test('fuzz: 10 000 variants of the generated files and the synthetic one end in a model or in ParseError/UsageError only', () => {
  const seeds = [...Object.values(generated({ ...clone(referenceDeployment), ha: 'keepalived' })), ...Object.values(generated(otherDeployment()))];
  const synth = ['keepalived.conf', 'conf.d/10-vrrp.conf', 'vs/web.conf'].map((f) => readFileSync(join(SYNTH, f), 'utf8'));
  const parse = (text: string) => {
    try {
      const conf = parseKeepalivedConf(MAIN, memoryFiles({ [MAIN]: text, '/etc/keepalived/inc.conf': 'vrrp_instance I {\n virtual_router_id 3\n}\n' }));
      return deploymentFromKeepalived(conf, MAIN);
    } catch (e) {
      if (e instanceof UsageError) throw new ParseError('usage', e.message); // allowed too: counted as a rejection
      throw e;
    }
  };
  const r = fuzzParser(parse, [...seeds, ...synth, `include inc.conf\n${seeds[0]}`], 10000);
  expect(r.accepted + r.rejected).toBe(10000);
  expect(r.accepted).toBeGreaterThan(1000);
  expect(r.rejected).toBeGreaterThan(1000);
});

describe('--config /etc/keepalived', () => {
  const tree = () => {
    const out = tmp('ka-tree');
    const d = { ...clone(referenceDeployment), ha: 'keepalived' as const };
    writeFiles(out, planFiles(d, testOptions({ stack: 'keepalived' })).files, { force: false });
    return out;
  };

  test('loadDeployment reads a directory holding keepalived.conf, and a keepalived.conf path', () => {
    const out = tree();
    const dir = join(out, 'frontal2', 'etc', 'keepalived');
    for (const p of [dir, join(dir, 'keepalived.conf')]) {
      const l = loadDeployment(p);
      expect(l.deployment.ha).toBe('keepalived');
      expect(l.deployment.directors.map((x) => x.name)).toEqual(['frontal2', '192.168.0.1']);
      expect(servicesOf(l.deployment)).toEqual(servicesOf(referenceDeployment));
      expect(l.origin).toBe(p);
    }
  });

  test('/etc/hosts beside /etc/keepalived names the peer', () => {
    const out = tree();
    writeFileSync(join(out, 'frontal1', 'etc', 'hosts'), '192.168.0.1 frontal1\n192.168.0.2 frontal2\n');
    expect(readKeepalivedConfig(join(out, 'frontal1', 'etc', 'keepalived')).directors.map((x) => x.name)).toEqual(['frontal1', 'frontal2']);
  });

  test('a broken keepalived.conf: UNKNOWN-class error naming the file and line', () => {
    const dir = tmp('ka-broken');
    mkdirSync(join(dir, 'keepalived'));
    writeFileSync(join(dir, 'keepalived', 'keepalived.conf'), 'vrrp_instance V {\n virtual_router_id x\n}\n');
    expect(() => loadDeployment(join(dir, 'keepalived'))).toThrow(`cannot parse ${join(dir, 'keepalived', 'keepalived.conf')}: virtual_router_id 'x' is not a number from 1 to 255 (line 2)`);
  });

  test('lvsha generate --config /etc/keepalived writes the keepalived stack again, the same keepalived.conf', async () => {
    const out = tree();
    const again = tmp('ka-again');
    const r = await gen({ config: join(out, 'frontal1', 'etc', 'keepalived'), out: again, authKey: 'golden-test-key-not-a-secret-0123456789abcdef' });
    expect(r.code).toBe(0);
    const conf = (root: string) => readFileSync(join(root, 'frontal1', 'etc', 'keepalived', 'keepalived.conf'), 'utf8').replace(/deployment '[^']*'/, '');
    expect(conf(again)).toBe(conf(out));
  });
});

test('statements keep file and line', () => {
  const s = readKeepalivedStatements(MAIN, memoryFiles({ [MAIN]: '\n\nglobal_defs {\n  router_id x\n}\n' }));
  expect(s).toEqual([{ key: 'global_defs', args: [], file: MAIN, line: 3, block: [{ key: 'router_id', args: ['x'], file: MAIN, line: 4 }] }]);
});
