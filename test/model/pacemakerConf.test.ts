/**
 * The native Pacemaker reader: `--config /etc/corosync` reads corosync.conf, the CIB and the
 * ldirectord file the CIB names. On a tree holding what the Pacemaker lab's director holds: the
 * corosync.conf and www.cf `lvsha generate --stack pacemaker` wrote (the lab deploys exactly
 * those) and the CIB the lab's Pacemaker printed (`cibadmin -Q`, test/fixtures/real/pacemaker).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pacemakerCheck } from '../../src/checks/pacemaker';
import { planFiles } from '../../src/generate/plan';
import { pacemakerOf } from '../../src/model/ha';
import { loadDeployment } from '../../src/model/load';
import { parseCib, parseCorosyncConf } from '../../src/model/pacemakerConf';
import { referenceDeployment } from '../../src/model/reference';
import { Deployment } from '../../src/model/types';
import { ParseError } from '../../src/runtime/errors';
import { testOptions, tmp } from '../generate/helpers';

const REAL_CIB = join(__dirname, '..', 'fixtures', 'real', 'pacemaker', 'healthy', 'frontal1', 'cib.xml');
const pm: Deployment = { ...referenceDeployment, ha: 'pacemaker' };

/** A director's root: the generated frontal1 files, the lab's real CIB at its on-disk place. */
function directorTree(cib = readFileSync(REAL_CIB, 'utf8')): string {
  const root = tmp('pmconf');
  for (const f of planFiles(pm, testOptions({ stack: 'pacemaker' })).files.filter((x) => x.host === 'frontal1')) {
    const p = join(root, f.path);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, f.content);
  }
  const c = join(root, 'var', 'lib', 'pacemaker', 'cib', 'cib.xml');
  mkdirSync(dirname(c), { recursive: true });
  writeFileSync(c, cib);
  return root;
}

describe('--config /etc/corosync: the deployment a Pacemaker director holds', () => {
  test('the lab director reads back as the deployment it was generated from', () => {
    const root = directorTree();
    const { deployment: d, origin } = loadDeployment(join(root, 'etc', 'corosync'));
    expect(origin).toBe(join(root, 'etc', 'corosync'));
    expect(d.ha).toBe('pacemaker');
    expect(d.pacemaker).toEqual(pacemakerOf(pm));
    expect(d.directors).toEqual(referenceDeployment.directors);
    expect(d.vips).toEqual([{ address: '192.168.0.3', prefix: 24, label: 'eth0:0' }]);
    expect(d.heartbeat.preferred).toBe('frontal1');
    expect(d.heartbeat.autoFailback).toBe(true);
    const s = d.services[0]!;
    expect([s.protocol, s.address, s.port, s.scheduler, s.persistent, s.quiescent]).toEqual(['tcp', '192.168.0.3', 80, 'wlc', 3600, false]);
    expect(s.realServers.map((r) => `${r.address}:${r.port}/${r.forwarding}/${r.weight}`)).toEqual(['192.168.0.4:80/gate/1', '192.168.0.5:80/gate/1']);
    expect(s.fallback).toEqual({ address: '127.0.0.1', port: 80 });
    // the check's configuration from it is the one from the deployment file
    expect(pacemakerCheck.defaults(d)).toEqual(pacemakerCheck.defaults(pm));
  });

  test('a cib.xml beside corosync.conf (a cibadmin -Q snapshot) wins over the on-disk CIB; its stickiness decides auto_failback', () => {
    const root = directorTree();
    const sticky = readFileSync(REAL_CIB, 'utf8').replace('name="resource-stickiness" value="0"', 'name="resource-stickiness" value="200"');
    writeFileSync(join(root, 'etc', 'corosync', 'cib.xml'), sticky);
    const d = loadDeployment(join(root, 'etc', 'corosync')).deployment;
    expect(d.pacemaker!.stickiness).toBe(200);
    expect(d.heartbeat.autoFailback).toBe(false);
  });

  test('a cli-prefer left by crm resource move is not the preferred node', () => {
    const moved = readFileSync(REAL_CIB, 'utf8').replace('<rsc_location id="prefer-frontal1"', '<rsc_location id="cli-prefer-lvs" rsc="lvs" role="Started" node="frontal2" score="INFINITY"/>\n      <rsc_location id="prefer-frontal1"');
    const d = loadDeployment(join(directorTree(moved), 'etc', 'corosync')).deployment;
    expect(d.heartbeat.preferred).toBe('frontal1');
  });

  test('broken inputs: UNKNOWN-class errors naming the file and the line', () => {
    expect(() => parseCorosyncConf('totem {\n  version: 2\n')).toThrow('cannot parse corosync.conf: section totem is not closed');
    expect(() => parseCorosyncConf('totem {\n  version 2\n}\n')).toThrow("cannot parse corosync.conf: 'version 2' is neither 'key: value', 'section {' nor '}' (line 2)");
    expect(() => parseCorosyncConf('totem {\n}\n')).toThrow('no nodelist with a node');
    expect(() => parseCorosyncConf('nodelist {\n node {\n  ring0_addr: 10.0.0.1\n }\n}\n')).toThrow('nodelist node 1 has no name');
    expect(() => parseCib('<cib><configuration/>')).toThrow(ParseError);
    expect(() => parseCib('<!DOCTYPE cib [<!ENTITY a "b">]><cib/>')).toThrow(/DOCTYPE or ENTITY/);
    const root = directorTree(readFileSync(REAL_CIB, 'utf8').replace('value="/etc/ha.d/conf/www.cf"', 'value="/etc/ha.d/conf/missing.cf"'));
    expect(() => loadDeployment(join(root, 'etc', 'corosync'))).toThrow('primitive ldirectord: its configfile /etc/ha.d/conf/missing.cf cannot be read');
  });
});
