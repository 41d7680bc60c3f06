/**
 * `lvsha generate --stack pacemaker`: corosync.conf, the authkey, the crmsh script and the CIB,
 * read from pacemakerOf (one source of truth), byte-identical for the same input, and accepted
 * by the real tools when they are installed (Debian: corosync, pacemaker, crmsh):
 * `crm_verify --xml-file` on the CIB; crmsh loading the script into an offline CIB (CIB_file)
 * gives the same configuration as the CIB file; `corosync -t` on corosync.conf with its authkey
 * (root only: a private network and mount namespace with the director's address on lo).
 */
import { spawnSync, SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { COROSYNC_AUTHKEY, COROSYNC_CONF, PACEMAKER_CIB, PACEMAKER_CRM, corosyncAuthkey, pacemakerFiles } from '../../src/generate/pacemaker';
import { planFiles } from '../../src/generate/plan';
import { writeFiles } from '../../src/generate/write';
import { pacemakerOf } from '../../src/model/ha';
import { referenceDeployment } from '../../src/model/reference';
import { Deployment } from '../../src/model/types';
import { gen, otherDeployment, testOptions, tmp, TEST_KEY } from './helpers';

const pm = (o: Partial<Parameters<typeof testOptions>[0]> = {}) => testOptions({ stack: 'pacemaker', ...o });
const fileOf = (d: Deployment, host: string, path: string, o = pm()) => {
  const f = planFiles(d, o).files.find((x) => x.host === host && x.path === path);
  if (!f) throw new Error(`no ${host}${path}`);
  return f;
};
const clone = (d: Deployment): Deployment => JSON.parse(JSON.stringify(d));

/** The reference with a pacemaker section of its own: every id and number differs from the defaults. */
function customDeployment(): Deployment {
  const d = clone(referenceDeployment);
  d.name = 'custom--name';   // `--` is not allowed inside an XML comment
  d.ha = 'pacemaker';
  d.pacemaker = { clusterName: 'edge', group: 'web', vipResources: ['web-ip'], ldirectordResource: 'web-ld', stickiness: 50, preferredScore: 300 };
  return d;
}
function threeDirectors(): Deployment {
  const d = clone(referenceDeployment);
  d.directors.push({ name: 'frontal3', address: '192.168.0.6', interface: 'eth0' });
  return d;
}

describe('the files', () => {
  test('four files on each director, identical on all, the authkey 0400', () => {
    const files = pacemakerFiles(referenceDeployment, pm());
    expect(files.map((f) => `${f.mode.toString(8)} ${f.host}${f.path}`).sort()).toEqual(
      ['frontal1', 'frontal2'].flatMap((h) => [`400 ${h}${COROSYNC_AUTHKEY}`, `644 ${h}${COROSYNC_CONF}`, `644 ${h}${PACEMAKER_CIB}`, `644 ${h}${PACEMAKER_CRM}`]).sort(),
    );
    for (const p of [COROSYNC_AUTHKEY, COROSYNC_CONF, PACEMAKER_CIB, PACEMAKER_CRM])
      expect(fileOf(referenceDeployment, 'frontal1', p).content).toBe(fileOf(referenceDeployment, 'frontal2', p).content);
  });

  test('byte-identical for the same input; the authkey follows the secret', () => {
    expect(planFiles(customDeployment(), pm()).files).toEqual(planFiles(customDeployment(), pm()).files);
    const a = fileOf(referenceDeployment, 'frontal1', COROSYNC_AUTHKEY).content;
    const b = fileOf(referenceDeployment, 'frontal1', COROSYNC_AUTHKEY, pm({ authKey: `${TEST_KEY}-other` })).content;
    expect(a).toMatch(/^[0-9a-f]{256}$/);
    expect(b).toMatch(/^[0-9a-f]{256}$/);
    expect(a).not.toBe(b);
    expect(a).toBe(corosyncAuthkey(TEST_KEY));
    expect(a).not.toContain(TEST_KEY.slice(0, 8));
  });

  test('corosync.conf: knet with crypto, the directors as nodes, two_node only with two', () => {
    const c = fileOf(referenceDeployment, 'frontal1', COROSYNC_CONF).content;
    expect(c).toMatch(/^\s+cluster_name: lvsha$/m);
    expect(c).toMatch(/^\s+transport: knet$/m);
    expect(c).toMatch(/^\s+crypto_cipher: aes256$/m);
    expect(c).toMatch(/^\s+crypto_hash: sha256$/m);
    expect(c).toMatch(/^\s+keyfile: \/etc\/corosync\/authkey$/m);
    expect(c).toMatch(/node \{\n\s+ring0_addr: 192\.168\.0\.1\n\s+name: frontal1\n\s+nodeid: 1\n\s+\}/);
    expect(c).toMatch(/node \{\n\s+ring0_addr: 192\.168\.0\.2\n\s+name: frontal2\n\s+nodeid: 2\n\s+\}/);
    expect(c).toMatch(/^\s+provider: corosync_votequorum\n(\s+#.*\n)*\s+two_node: 1$/m);
    const three = fileOf(threeDirectors(), 'frontal3', COROSYNC_CONF).content;
    expect(three).toMatch(/name: frontal3\n\s+nodeid: 3/);
    expect(three).not.toMatch(/two_node/);
    expect(fileOf(customDeployment(), 'frontal1', COROSYNC_CONF).content).toMatch(/^\s+cluster_name: edge$/m);
  });

  test('crmsh script: what pacemakerOf says (ids, group order, location, stickiness), stonith off named as a risk', () => {
    const ref = fileOf(referenceDeployment, 'frontal1', PACEMAKER_CRM).content;
    const p = pacemakerOf(referenceDeployment);
    expect(p.stickiness).toBe(0);
    expect(ref).toContain('primitive vip ocf:heartbeat:IPaddr2 \\\n\tparams ip=192.168.0.3 cidr_netmask=24 nic=eth0 iflabel=0 \\\n\top monitor interval=10s timeout=20s\n');
    expect(ref).toContain('primitive ldirectord ocf:heartbeat:ldirectord \\\n\tparams configfile=/etc/ha.d/conf/www.cf \\\n\top monitor interval=20s timeout=10s\n');
    expect(ref).toMatch(/^group lvs vip ldirectord$/m);
    expect(ref).toMatch(/^location prefer-frontal1 lvs 100: frontal1$/m);
    expect(ref).toMatch(/^\tresource-stickiness=0$/m);
    expect(ref).toMatch(/^\tstonith-enabled=false \\$/m);
    expect(ref).toMatch(/^# RISK: fencing \(STONITH\) is off/m);
    // no auto_failback: the stickiness beats the location score
    expect(fileOf(otherDeployment(), 'frontal1', PACEMAKER_CRM).content).toMatch(/^\tresource-stickiness=200$/m);
    const c = fileOf(customDeployment(), 'frontal1', PACEMAKER_CRM).content;
    expect(c).toMatch(/^primitive web-ip ocf:heartbeat:IPaddr2 \\$/m);
    expect(c).toMatch(/^primitive web-ld ocf:heartbeat:ldirectord \\$/m);
    expect(c).toMatch(/^group web web-ip web-ld$/m);
    expect(c).toMatch(/^location prefer-frontal1 web 300: frontal1$/m);
    expect(c).toMatch(/^\tresource-stickiness=50$/m);
  });

  test("one ldirectord resource per service, each naming the file ldirectordFiles writes", () => {
    const d = otherDeployment();
    const files = planFiles(d, pm()).files;
    const crm = files.find((f) => f.host === 'frontal1' && f.path === PACEMAKER_CRM)!.content;
    const conf = [...crm.matchAll(/^primitive (\S+) ocf:heartbeat:ldirectord \\\n\tparams configfile=(\S+) /gm)].map((m) => [m[1], m[2]]);
    expect(conf).toEqual([
      ['ldirectord', '/etc/ha.d/conf/www.cf'],
      ['ldirectord-dns', '/etc/ha.d/conf/dns.cf'],
      ['ldirectord-fw', '/etc/ha.d/conf/fw.cf'],
    ]);
    for (const [, path] of conf) expect(files.some((f) => f.host === 'frontal1' && f.path === path)).toBe(true);
    expect(crm).toMatch(/^group lvs vip ldirectord ldirectord-dns ldirectord-fw$/m);
  });

  test('lvsha generate --stack pacemaker: the notes name the derived authkey and the haclient group', async () => {
    const out = tmp('pm-cmd');
    try {
      const r = await gen({ out, stack: 'pacemaker' });
      expect(r.code).toBe(0);
      expect(r.err.join('\n')).toMatch(/corosync's authkey .* derived from a new random secret/);
      expect(r.err.join('\n')).toMatch(/usermod -a -G haclient nagios/);
      expect(readFileSync(join(out, 'frontal1', 'etc', 'sudoers.d', 'lvsha'), 'utf8')).toMatch(/^# check_lvs_pacemaker needs no sudo/m);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

// --- the real tools -------------------------------------------------------------------------

function which(program: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin', '/usr/bin'])) {
    const p = join(dir, program);
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}
/** Skipped (and saying so in its name) without the program; in CI a missing program fails. */
function withProgram(program: string, name: string, fn: (path: string) => void, extra?: string): void {
  const path = which(program);
  const why = !path ? `${program} is not installed` : extra;
  if (!why) test(`${program}: ${name}`, () => fn(path!), 120_000);
  else if (process.env.CI && !path) test(`${program}: ${name}`, () => { throw new Error(`${program} is not installed: scripts/install-lab-deps.sh installs it`); });
  else test.skip(`${program}: ${name} [SKIPPED: ${why}]`, () => undefined);
}
const run = (argv: string[], env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> =>
  spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 60_000, env: { ...process.env, LC_ALL: 'C', ...env } });
const show = (r: SpawnSyncReturns<string>) => `status ${r.status}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

const base = tmp('pacemaker-real');
const deployments: [string, Deployment][] = [['reference', referenceDeployment], ['other', otherDeployment()], ['custom', customDeployment()], ['three', threeDirectors()]];
const treeOf = (name: string) => join(base, name);
beforeAll(() => {
  for (const [n, d] of deployments) writeFiles(treeOf(n), planFiles(d, pm()).files, { force: false });
});
afterAll(() => rmSync(base, { recursive: true, force: true }));
const cibPath = (n: string) => join(treeOf(n), 'frontal1', 'etc', 'lvsha', 'pacemaker-cib.xml');

// -V: without it crm_verify says nothing of XML that libxml2 only recovers from (a `--` inside
// a comment: exit 0, silent), which stricter parsers refuse.
withProgram('crm_verify', 'crm_verify -V --xml-file accepts each CIB, silently (and rejects a broken one)', (crmVerify) => {
  for (const [n] of deployments) {
    const r = run([crmVerify, '-V', '--xml-file', cibPath(n)]);
    expect(`${n}: ${show(r)}`).toBe(`${n}: ${show({ ...r, status: 0, stdout: '', stderr: '' })}`);
  }
  const bad = join(base, 'bad-cib.xml');
  writeFileSync(bad, readFileSync(cibPath('reference'), 'utf8').replace('rsc="lvs"', 'rsc="nosuch"'));
  const r = run([crmVerify, '--xml-file', bad]);
  expect(r.status).not.toBe(0);
  expect(r.stdout + r.stderr).toMatch(/nosuch/);
});

/** The <configuration> of a CIB as data (comments and attribute order do not count). */
function configurationOf(xml: string): unknown {
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', isArray: () => true }).parse(xml) as { cib: { configuration: unknown[] }[] };
  return doc.cib[0]!.configuration;
}

withProgram('crm', 'crm configure load update of the script gives the configuration of the CIB file (offline, CIB_file)', (crm) => {
  for (const [n] of deployments) {
    const cib = join(base, `crmsh-${n}.xml`);
    const empty = run([which('cibadmin') ?? 'cibadmin', '--empty']);
    expect(empty.status).toBe(0);
    writeFileSync(cib, empty.stdout);
    const script = join(treeOf(n), 'frontal1', 'etc', 'lvsha', 'pacemaker.crm');
    const r = run([crm, 'configure', 'load', 'update', script], { CIB_file: cib, HOME: base });
    expect(`${n}: status ${r.status}`).toBe(`${n}: status 0`);
    // crmsh warns only of what an offline CIB lacks: nodes and quorum, and fencing disabled on purpose
    expect(r.stderr.replace(/\x1b\[[0-9;]*m/g, '').split('\n').filter((l) => l && !/referenced node \S+ does not exist|Blind faith: not fencing unseen nodes|disabled due to lack of quorum/.test(l))).toEqual([]);
    expect(configurationOf(readFileSync(cib, 'utf8'))).toEqual(configurationOf(readFileSync(cibPath(n), 'utf8')));
  }
}, which('cibadmin') ? undefined : 'cibadmin is not installed');

const asRoot = process.getuid?.() === 0 && which('unshare') !== undefined && which('ip') !== undefined;
withProgram(
  'corosync',
  'corosync -t accepts each corosync.conf with its authkey (and rejects a broken one), in a private network and mount namespace',
  (corosync) => {
    const check = (dir: string, address: string) =>
      run(['unshare', '-m', '-n', 'sh', '-c', 'ip link set lo up && ip addr add "$1/32" dev lo && mount --bind "$2" /etc/corosync && exec "$3" -t', 'sh', address, dir, corosync]);
    for (const [n, d] of deployments)
      for (const x of d.directors) {
        const r = check(join(treeOf(n), x.name, 'etc', 'corosync'), x.address);
        expect(`${n}/${x.name}: status ${r.status}`).toBe(`${n}/${x.name}: status 0`);
        expect(r.stdout + r.stderr).toMatch(/Corosync Cluster Engine exiting normally/);
      }
    const bad = join(base, 'bad-corosync');
    mkdirSync(bad);
    writeFileSync(join(bad, 'corosync.conf'), readFileSync(join(treeOf('reference'), 'frontal1', 'etc', 'corosync', 'corosync.conf'), 'utf8').replace('crypto_cipher: aes256', 'crypto_cipher: nosuch'));
    writeFileSync(join(bad, 'authkey'), corosyncAuthkey(TEST_KEY), { mode: 0o400 });
    const r = check(bad, '192.168.0.1');
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/Invalid cipher type/);
  },
  asRoot ? undefined : 'needs root, unshare and ip',
);
