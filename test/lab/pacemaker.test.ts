/**
 * `lvsha lab up --ha pacemaker` on the TypeScript side: the layer is accepted and recorded, its
 * programs are asked for before anything runs, its deployment is the lab's own with
 * `ha: pacemaker`, and the resource ids the lab's scripts wait for (lab/netns/lib.sh PM_GROUP,
 * PM_RESOURCES) are those pacemakerOf gives that deployment. Never brings a lab up.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatMissing, missingForLab } from '../../src/lab/preflight';
import { DEPLOYMENT, LAB_HAS, pacemakerDeploymentText, parseLabHa, REPO } from '../../src/lab/tiers';
import { pacemakerOf } from '../../src/model/ha';
import { parseDeploymentText } from '../../src/model/load';
import { validateDeployment } from '../../src/model/validate';

test('--ha pacemaker is a lab HA layer; anything else is refused, naming the three', () => {
  expect(LAB_HAS).toContain('pacemaker');
  expect(parseLabHa('pacemaker')).toBe('pacemaker');
  expect(() => parseLabHa('corosync')).toThrow(/--ha 'corosync': expected heartbeat or keepalived or pacemaker/);
});

test('--ha pacemaker asks for corosync, Pacemaker, crmsh and the resource agents, not for Heartbeat or keepalived', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lvsha-lab-pm-'));
  try {
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    const m = missingForLab('netns', { path: empty, root: empty, isRoot: true, ha: 'pacemaker' });
    const names = m.map((x) => x.what);
    for (const w of ['corosync', 'pacemakerd', 'crm_mon', 'cibadmin', 'crm', '/usr/lib/ocf/resource.d/heartbeat/IPaddr2', 'ldirectord', 'nft']) expect(names).toContain(w);
    expect(names).not.toContain('/usr/libexec/heartbeat/heartbeat');
    expect(names).not.toContain('keepalived');
    expect(formatMissing('netns', m, '/repo')).toMatch(/apt-get install --no-install-recommends .*\bcorosync\b.*\bpacemaker\b.*\bpacemaker-cli-utils\b.*\bcrmsh\b.*\bresource-agents\b/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe("the pacemaker lab's deployment", () => {
  const d = parseDeploymentText(pacemakerDeploymentText(readFileSync(DEPLOYMENT, 'utf8')), 'deployment-pacemaker.yaml');

  test('ha pacemaker, valid without warnings', () => {
    expect(d.ha).toBe('pacemaker');
    expect(validateDeployment(d)).toEqual([]);
  });

  test("the lab's scripts wait for the group and resources pacemakerOf gives it", () => {
    const lib = readFileSync(join(REPO, 'lab', 'netns', 'lib.sh'), 'utf8');
    const p = pacemakerOf(d);
    expect(lib).toMatch(new RegExp(`^PM_GROUP=${p.group}$`, 'm'));
    expect(lib).toMatch(new RegExp(`^PM_RESOURCES=\\(${[...p.vipResources, p.ldirectordResource].join(' ')}\\)$`, 'm'));
  });
});
