/**
 * Generate → read back with the native readers → the same deployment; and `--check`
 * finding drift in a tree edited by hand.
 */
import { chmodSync, readFileSync, rmSync, writeFileSync, cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { checkTree } from '../../src/generate/check';
import { planFiles } from '../../src/generate/plan';
import { writeFiles } from '../../src/generate/write';
import { loadDeployment, readNativeDir } from '../../src/model/load';
import { referenceDeployment } from '../../src/model/reference';
import { Deployment } from '../../src/model/types';
import { gen, otherDeployment, testOptions, tmp } from './helpers';

const clone = (): Deployment => JSON.parse(JSON.stringify(referenceDeployment));

function generateTree(d: Deployment = referenceDeployment): string {
  const dir = tmp('rt');
  writeFiles(dir, planFiles(d, testOptions()).files, { force: false });
  return dir;
}

describe('round trip through the native readers', () => {
  const dir = generateTree();
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test.each(['frontal1', 'frontal2'])('%s: readNativeDir gives back the reference deployment', (name) => {
    const peer = name === 'frontal1' ? 'frontal2' : 'frontal1';
    const back = readNativeDir(join(dir, name, 'etc', 'ha.d'), { localNode: name, peerHaCf: readFileSync(join(dir, peer, 'etc', 'ha.d', 'ha.cf'), 'utf8') });
    const ref = referenceDeployment;
    expect(back.directors).toEqual(ref.directors);
    expect(back.vips).toEqual(ref.vips);
    expect(back.heartbeat).toEqual(ref.heartbeat);
    expect(back.sync).toEqual(ref.sync);
    expect(back.sorry).toEqual(ref.sorry);
    // ldirectord files carry addresses, not host names
    expect(back.services).toEqual(ref.services.map((s) => ({ ...s, persistentNetmask: undefined, fwmark: undefined, realServers: s.realServers.map(({ name: _n, ...r }) => r) })));
  });

  test("monitoring's deployment.json (the checks' --config) loads back as the same deployment", () => {
    const l = loadDeployment(join(dir, 'monitoring', 'etc', 'lvsha', 'deployment.json'));
    expect(l.deployment).toEqual(referenceDeployment);
    expect(l.warnings).toEqual([]);
  });

  test('--check finds no drift in a freshly generated tree', async () => {
    const r = await checkTree(dir, referenceDeployment);
    expect(r).toEqual({ drifts: [], errors: [], hosts: ['frontal1', 'frontal2', 'reel1', 'reel2'] });
    const g = await gen({ check: dir });
    expect(g.code).toBe(0);
    expect(g.out).toEqual(["no drift: frontal1, frontal2, reel1, reel2 match deployment 'reference'"]);
  });

  test('a deployment of another shape round-trips too (3 real servers, udp and fwmark services, follow-role sync)', async () => {
    const d = otherDeployment();
    const other = generateTree(d);
    try {
      const r = await checkTree(other, d);
      expect(r.drifts).toEqual([]);
      expect(r.errors).toEqual([]);
      expect(r.hosts).toEqual(['frontal1', 'frontal2', 'reel1', 'reel2', 'reel3']);
      // and against the reference, the differences show
      const vsRef = await checkTree(other, referenceDeployment);
      expect(vsRef.drifts.map((x) => `${x.host} ${x.what}`)).toEqual(
        expect.arrayContaining(['frontal1 heartbeat.deadtime', 'frontal1 heartbeat.autoFailback', 'frontal1 sync.syncid', 'frontal1 sync.mode', 'frontal1 services', 'frontal2 sync.interface']),
      );
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});

describe('--check reports drift in a hand-edited tree', () => {
  const dir = generateTree();
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const edit = (host: string, path: string, f: (s: string) => string) => {
    const p = join(dir, host, path);
    writeFileSync(p, f(readFileSync(p, 'utf8')));
  };

  test('every edit is named, with expected and found values; exit 1', async () => {
    edit('frontal2', 'etc/ha.d/ha.cf', (s) => s.replace(/^deadtime\s+10$/m, 'deadtime 30'));
    edit('frontal1', 'etc/ha.d/conf/www.cf', (s) => s.replace('real = 192.168.0.5:80 gate 1', 'real = 192.168.0.5:80 gate 5').replace('quiescent = no', 'quiescent = yes'));
    edit('frontal2', 'etc/ha.d/authkeys', (s) => s.replace(/sha1 \S+/, 'sha1 another-key-of-32-characters-xxxxxx'));
    chmodSync(join(dir, 'frontal1', 'etc/ha.d/authkeys'), 0o644);
    edit('reel1', 'etc/sysctl.d/90-lvs-dr.conf', (s) => s.replace('all.arp_ignore = 1', 'all.arp_ignore = 0'));
    edit('reel2', 'etc/systemd/network/10-lvs-vip.network', (s) => s.replace('192.168.0.3/32', '192.168.0.3'));
    edit('frontal1', 'etc/systemd/system/lvsstate.service', (s) => s.replace(/--syncid=1/g, '--syncid=3'));

    const g = await gen({ check: dir });
    expect(g.code).toBe(1);
    expect(g.out).toEqual(
      expect.arrayContaining([
        'drift: frontal2: heartbeat.deadtime: expected 10, found 30',
        'drift: frontal1: services[www].realServers: expected 192.168.0.4:80 gate 1, 192.168.0.5:80 gate 1, found 192.168.0.4:80 gate 1, 192.168.0.5:80 gate 5',
        'drift: frontal1: services[www].quiescent: expected no, found yes',
        'drift: frontal1: /etc/ha.d/authkeys mode: expected 0600, found 0644',
        'drift: frontal1,frontal2: /etc/ha.d/authkeys key: expected the same key on every director, found different keys',
        'drift: reel1: net.ipv4.conf.all.arp_ignore: expected 1, found 0 (/etc/sysctl.d/90-lvs-dr.conf:6)',
        // networkd gives a bare address its classful mask
        'drift: reel2: VIP 192.168.0.3 on lo (/etc/systemd/network/10-lvs-vip.network): expected /32, found /24',
        'drift: frontal1: lvsstate.service syncid: expected 1, found 3',
      ]),
    );
    expect(g.out[g.out.length - 1]).toMatch(/^drift: 8 difference\(s\) from deployment 'reference'/);
    // the key itself is never printed
    expect(g.out.join('\n')).not.toMatch(/another-key|golden-test-key/);
  });

  test('a missing VIP file and an unexpected address on lo', async () => {
    const d2 = generateTree();
    try {
      rmSync(join(d2, 'reel1', 'etc', 'systemd'), { recursive: true });
      rmSync(join(d2, 'reel1', 'etc', 'network'), { recursive: true });
      rmSync(join(d2, 'reel1', 'etc', 'sysconfig'), { recursive: true });
      mkdirSync(join(d2, 'reel2', 'etc', 'sysconfig', 'network-scripts'), { recursive: true });
      writeFileSync(join(d2, 'reel2', 'etc', 'sysconfig', 'network-scripts', 'ifcfg-lo:2'), 'DEVICE=lo:2\nIPADDR=192.168.0.9\nNETMASK=255.255.255.255\nONBOOT=yes\n');
      const r = await checkTree(d2, referenceDeployment);
      expect(r.drifts).toEqual([
        { host: 'reel1', what: 'VIP 192.168.0.3 on lo at boot', expected: '192.168.0.3/32', found: '(absent)' },
        { host: 'reel2', what: 'address on lo (/etc/sysconfig/network-scripts/ifcfg-lo:2)', expected: '(none)', found: '192.168.0.9/32' },
      ]);
    } finally {
      rmSync(d2, { recursive: true, force: true });
    }
  });

  test("the seed article's own files (hand-made tree): the crc key and the missing hosts are drift", async () => {
    const seed = tmp('seed');
    try {
      cpSync(join(__dirname, '..', 'fixtures', 'native', 'seed-etc'), join(seed, 'frontal1', 'etc'), { recursive: true });
      chmodSync(join(seed, 'frontal1', 'etc', 'ha.d', 'authkeys'), 0o600);
      const r = await checkTree(seed, referenceDeployment);
      expect(r.errors).toEqual([]);
      expect(r.drifts).toEqual([
        { host: 'frontal1', what: 'heartbeat.auth', expected: 'sha1', found: 'crc' },
        { host: 'frontal2', what: '/etc/ha.d/ha.cf', expected: 'present', found: '(absent)' },
        { host: 'reel1', what: 'files', expected: 'present', found: '(absent)' },
        { host: 'reel2', what: 'files', expected: 'present', found: '(absent)' },
      ]);
    } finally {
      rmSync(seed, { recursive: true, force: true });
    }
  });

  test('unparseable file: exit 3; missing directory: exit 3', async () => {
    const d3 = generateTree();
    try {
      writeFileSync(join(d3, 'frontal1', 'etc', 'ha.d', 'ha.cf'), 'udpport notaport\n');
      const g = await gen({ check: d3 });
      expect(g.code).toBe(3);
      expect(g.err.join('\n')).toMatch(/frontal1: cannot parse ha\.cf: udpport 'notaport' is not a port/);
    } finally {
      rmSync(d3, { recursive: true, force: true });
    }
    expect((await gen({ check: join(dir, 'does-not-exist') })).code).toBe(3);
  });
});

describe('--check of a keepalived tree (the keepalived.conf reader)', () => {
  const kaTree = (d: Deployment, vrid?: number) => {
    const dir = tmp('rt-ka');
    writeFiles(dir, planFiles(d, testOptions({ stack: 'keepalived', ...(vrid !== undefined && { vrid }) })).files, { force: false });
    return dir;
  };

  test.each([
    ['the reference', () => ({ ...clone(), ha: 'keepalived' as const })],
    ['another shape (fwmark with ping, UDP, HTTP_GET, nopreempt)', () => ({ ...otherDeployment(), ha: 'keepalived' as const })],
  ])('no drift in a freshly generated tree: %s', async (_, make) => {
    const d = make();
    const dir = kaTree(d);
    try {
      const r = await checkTree(dir, d, { stack: 'keepalived' });
      expect(r.errors).toEqual([]);
      expect(r.drifts).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('hand edits are named; the deployment (ha: keepalived) chooses the keepalived reader; exit 1', async () => {
    const d = { ...clone(), ha: 'keepalived' as const };
    const dir = kaTree(d, 60);
    const cfg = join(tmp('rt-ka-cfg'), 'd.json');
    writeFileSync(cfg, JSON.stringify(d));
    try {
      const ok = await gen({ config: cfg, check: dir, vrid: 60 });
      expect([ok.code, ok.out]).toEqual([0, ["no drift: frontal1, frontal2, reel1, reel2 match deployment 'reference'"]]);
      const edit = (host: string, f: (s: string) => string) => {
        const p = join(dir, host, 'etc', 'keepalived', 'keepalived.conf');
        writeFileSync(p, f(readFileSync(p, 'utf8')));
      };
      edit('frontal1', (s) => s.replace('priority 150', 'priority 120').replace(/(real_server 192\.168\.0\.5 80 \{\n\s+weight) 1/, '$1 4'));
      edit('frontal2', (s) => s.replace('lb_algo wlc', 'lb_algo rr').replace('192.168.0.3/24', '192.168.0.3/25'));
      chmodSync(join(dir, 'frontal2', 'etc', 'keepalived', 'keepalived.conf'), 0o644);
      const g = await gen({ config: cfg, check: dir, vrid: 60 });
      expect(g.err).toEqual([]);
      expect(g.code).toBe(1);
      expect(g.out).toEqual([
        'drift: frontal1: keepalived.priorities[frontal1]: expected 150, found 120',
        'drift: frontal1: services[www].realServers: expected 192.168.0.4:80 gate 1, 192.168.0.5:80 gate 1, found 192.168.0.4:80 gate 1, 192.168.0.5:80 gate 4',
        'drift: frontal2: /etc/keepalived/keepalived.conf mode: expected 0600, found 0644',
        'drift: frontal2: services[www].scheduler: expected wlc, found rr',
        'drift: frontal2: vips[192.168.0.3].prefix: expected 24, found 25',
        "drift: 5 difference(s) from deployment 'reference' in " + dir,
      ]);
      // without --vrid 60 the generated VRID 60 is drift against the deployment's 51
      const v = await gen({ config: cfg, check: dir });
      expect(v.out).toEqual(expect.arrayContaining(['drift: frontal1: keepalived.vrid: expected 51, found 60']));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a broken keepalived.conf: named with its line, exit 3', async () => {
    const d = { ...clone(), ha: 'keepalived' as const };
    const dir = kaTree(d);
    try {
      writeFileSync(join(dir, 'frontal2', 'etc', 'keepalived', 'keepalived.conf'), 'vrrp_instance VI_1 {\n');
      const r = await checkTree(dir, d, { stack: 'keepalived' });
      expect(r.errors).toEqual([`frontal2: cannot parse ${join(dir, 'frontal2', 'etc', 'keepalived', 'keepalived.conf')}: block 'vrrp_instance' is not closed (end of ${join(dir, 'frontal2', 'etc', 'keepalived', 'keepalived.conf')}) (line 1)`]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
