import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDeployment, parseDeploymentText, readNativeDir } from '../../src/model/load';
import { parseAuthkeys, parseHaCf, parseHaresources, parseLdirectordCf } from '../../src/model/native';
import { referenceDeployment } from '../../src/model/reference';
import { validateDeployment } from '../../src/model/validate';
import { Deployment } from '../../src/model/types';

const seedEtc = join(__dirname, '..', 'fixtures', 'native', 'seed-etc');
const clone = (): Deployment => JSON.parse(JSON.stringify(referenceDeployment));
const errors = (d: Deployment) => validateDeployment(d).filter((p) => p.severity === 'error');
const warnings = (d: Deployment) => validateDeployment(d).filter((p) => p.severity === 'warning');

describe('embedded reference deployment', () => {
  test('is the default and is valid without warnings', () => {
    const prev = process.env.LVSHA_CONFIG;
    delete process.env.LVSHA_CONFIG;
    const l = loadDeployment();
    if (prev !== undefined) process.env.LVSHA_CONFIG = prev;
    expect(l.origin).toBe('embedded reference');
    expect(l.warnings).toEqual([]);
    expect(l.deployment.directors.map((d) => d.name)).toEqual(['frontal1', 'frontal2']);
    expect(l.deployment.services[0]).toMatchObject({ address: '192.168.0.3', port: 80, scheduler: 'wlc', persistent: 3600, quiescent: false });
    expect(l.deployment.sync.syncid).toBe(1);
  });
});

describe('validation names the field and the value', () => {
  test("the seed's typo 192.16.8.0.3 is an invalid address", () => {
    const d = clone();
    d.services[0]!.address = '192.16.8.0.3';
    d.vips[0]!.address = '192.16.8.0.3';
    const e = errors(d);
    expect(e).toContainEqual({ severity: 'error', field: 'services[0].address', message: "'192.16.8.0.3' is not a valid IP address" });
    expect(e).toContainEqual({ severity: 'error', field: 'vips[0].address', message: "'192.16.8.0.3' is not a valid IP address" });
  });
  test('real server outside the VIP subnet in direct routing is a warning', () => {
    const d = clone();
    d.services[0]!.realServers[1]!.address = '10.0.0.5';
    expect(warnings(d).map((w) => w.field)).toContain('services[0].realServers[1].address');
    expect(errors(d)).toEqual([]);
  });
  test('haresources node not in ha.cf', () => {
    const d = clone();
    d.heartbeat.preferred = 'frontal3';
    expect(errors(d)).toContainEqual(expect.objectContaining({ field: 'heartbeat.preferred', message: expect.stringContaining("'frontal3'") }));
  });
  test('syncid 0 warns unconfigured; negative weight and duplicates are errors', () => {
    const d = clone();
    d.sync.syncid = 0;
    d.services[0]!.realServers[0]!.weight = -1;
    d.services[0]!.realServers.push({ ...d.services[0]!.realServers[1]! });
    expect(warnings(d)).toContainEqual(expect.objectContaining({ field: 'sync.syncid', message: expect.stringContaining('unconfigured') }));
    expect(errors(d)).toContainEqual(expect.objectContaining({ field: 'services[0].realServers[0].weight', message: "'-1' is not a weight (0-65535)" }));
    expect(errors(d)).toContainEqual(expect.objectContaining({ field: 'services[0].realServers[2]', message: 'real server 192.168.0.5:80 is listed twice' }));
  });
  test('weak auth warns', () => {
    const d = clone();
    d.heartbeat.auth = 'md5';
    expect(warnings(d).map((w) => w.field)).toEqual(['heartbeat.auth']);
  });
});

describe('YAML and JSON', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lvsha-model-'));
  test('a YAML deployment loads with defaults filled in', () => {
    const f = join(dir, 'd.yaml');
    writeFileSync(
      f,
      `name: shop
directors:
  - { name: lb1, address: 10.1.0.1, interface: ens3 }
  - { name: lb2, address: 10.1.0.2, interface: ens3 }
vips: [{ address: 10.1.0.10, prefix: 24 }]
services:
  - name: shop
    protocol: tcp
    address: 10.1.0.10
    port: 443
    realServers:
      - { address: 10.1.0.21, port: 443 }
      - { address: 10.1.0.22, port: 443, weight: 3 }
heartbeat: { preferred: lb1, deadtime: 20 }
sync: { syncid: 2 }
`,
    );
    const l = loadDeployment(f);
    expect(l.origin).toBe(f);
    expect(l.deployment.services[0]!.realServers.map((r) => [r.weight, r.forwarding])).toEqual([[1, 'gate'], [3, 'gate']]);
    expect(l.deployment.heartbeat).toMatchObject({ preferred: 'lb1', deadtime: 20, keepalive: 2 });
    expect(l.deployment.sync.syncid).toBe(2);
  });
  test('a bad YAML file is refused naming the file and the field', () => {
    const f = join(dir, 'bad.yaml');
    writeFileSync(f, 'directors: [{ name: lb1, address: 192.16.8.0.3, interface: eth0 }]\nvips: []\nservices: []\nheartbeat: { preferred: lb1 }\n');
    expect(() => loadDeployment(f)).toThrow(`invalid deployment (${f}): directors[0].address: '192.16.8.0.3' is not a valid IP address`);
    const g = join(dir, 'broken.yaml');
    writeFileSync(g, 'directors: [\n');
    expect(() => loadDeployment(g)).toThrow(/cannot read .*broken\.yaml/);
    expect(() => loadDeployment(join(dir, 'missing.yaml'))).toThrow(/does not exist/);
  });
  test('JSON round-trips the reference', () => {
    expect(parseDeploymentText(JSON.stringify(referenceDeployment), 'x.json')).toEqual(referenceDeployment);
  });
});

describe("native files (the seed article's own)", () => {
  test('ha.cf', () => {
    const cf = parseHaCf('ucast eth0 192.168.0.2\nkeepalive 2\ndeadtime 10\nwarntime 6\ninitdead 60\nudpport 694\nnode frontal1\nnode frontal2\nauto_failback on\n');
    expect(cf).toMatchObject({ nodes: ['frontal1', 'frontal2'], ucast: [{ interface: 'eth0', address: '192.168.0.2' }], keepalive: 2, deadtime: 10, warntime: 6, initdead: 60, udpport: 694, autoFailback: true });
    expect(parseHaCf('keepalive 500ms\n').keepalive).toBe(0.5);
    expect(() => parseHaCf('deadtime ten\n')).toThrow(/deadtime 'ten' is not a time \(line 1\)/);
  });
  test('haresources with continuation lines', () => {
    expect(parseHaresources('# c\nfrontal1 IPaddr::192.168.0.3 \\\n  ldirectord::www.cf\n')).toEqual([
      { node: 'frontal1', resources: [{ agent: 'IPaddr', args: ['192.168.0.3'] }, { agent: 'ldirectord', args: ['www.cf'] }] },
    ]);
  });
  test('authkeys keeps the method, never the secret', () => {
    const a = parseAuthkeys('auth 2\n1 md5 "vive ipvs"\n2 crc\n');
    expect(a).toEqual({ active: 2, methods: { 1: 'md5', 2: 'crc' }, activeMethod: 'crc' });
    expect(JSON.stringify(a)).not.toContain('vive');
    expect(() => parseAuthkeys('auth 3\n1 sha1 k\n')).toThrow(/auth 3 names a key that is not defined/);
  });
  test('ldirectord: indented blocks and the seed flat form', () => {
    const indented = parseLdirectordCf('checktimeout=3\nvirtual=192.168.0.3:80\n\treal=192.168.0.4:80 gate 2\n\tscheduler=rr\nvirtual=5\n\treal=192.168.0.5:80 masq\n');
    expect(indented.global).toEqual({ checktimeout: '3' });
    expect(indented.virtuals).toHaveLength(2);
    expect(indented.virtuals[0]!.reals).toEqual([{ address: '192.168.0.4', port: 80, forwarding: 'gate', weight: 2 }]);
    expect(indented.virtuals[1]!.reals[0]).toMatchObject({ forwarding: 'masq', weight: 1 });
  });
  test('ldirectord IPv6 blocks (virtual6= / real6=)', () => {
    const cf = parseLdirectordCf('virtual6=[2001:db8::3]:80\n\treal6=[2001:db8::4]:80 gate 2\n\tprotocol=tcp\n');
    expect(cf.virtuals).toEqual([{ virtual: '[2001:db8::3]:80', options: { protocol: 'tcp' }, reals: [{ address: '2001:db8::4', port: 80, forwarding: 'gate', weight: 2 }] }]);
  });
  test('a director /etc/ha.d directory gives the reference deployment (auth aside)', () => {
    const d = readNativeDir(join(seedEtc, 'ha.d'));
    expect(d.directors).toEqual(referenceDeployment.directors);
    expect(d.vips[0]!.address).toBe('192.168.0.3');
    expect(d.services[0]).toEqual({ ...referenceDeployment.services[0]!, realServers: referenceDeployment.services[0]!.realServers.map(({ name: _n, ...r }) => r), persistentNetmask: undefined, fwmark: undefined });
    expect(d.heartbeat).toEqual({ ...referenceDeployment.heartbeat, auth: 'crc' });
    expect(d.sync).toEqual({ syncid: 1, interface: 'eth0', mode: 'both' });
    // the seed's authkeys selects crc: loading warns about weak auth
    expect(validateDeployment(d).filter((p) => p.severity === 'error')).toEqual([]);
    expect(validateDeployment(d).map((p) => p.field)).toContain('heartbeat.auth');
  });
});
