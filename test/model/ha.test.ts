/**
 * The deployment's HA layer (`ha`) and keepalived's VRRP instance (`keepalived`): defaults
 * derived from the Heartbeat settings, exactly what `lvsha generate --stack keepalived` writes;
 * the loader, the schema and the validator; `generate` following the deployment's layer.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { keepalivedConf } from '../../src/generate/keepalived';
import { planFiles } from '../../src/generate/plan';
import { haLayer, keepalivedOf, pacemakerOf } from '../../src/model/ha';
import { loadDeployment, parseDeploymentText } from '../../src/model/load';
import { referenceDeployment } from '../../src/model/reference';
import { Deployment } from '../../src/model/types';
import { validateDeployment } from '../../src/model/validate';
import { gen, otherDeployment, testOptions, tmp } from '../generate/helpers';

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x));
const yamlOf = (d: unknown) => YAML.stringify(d);
/** The VRRP lines of a generated keepalived.conf. */
function vrrpLines(conf: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of ['vrrp_instance', 'state', 'virtual_router_id', 'priority', 'advert_int', 'nopreempt']) {
    const m = new RegExp(`^[ \\t]*${k}\\b[ \\t]*(.*?)[ \\t]*\\{?$`, 'm').exec(conf);
    if (m) out[k] = m[1]!;
  }
  return out;
}

describe('haLayer and keepalivedOf', () => {
  test('absent ha is heartbeat; the reference runs heartbeat', () => {
    expect(haLayer(referenceDeployment)).toBe('heartbeat');
    expect(haLayer({ ha: 'keepalived' })).toBe('keepalived');
  });

  test('defaults from the deployment: VI_1, VRID 51, advert_int from keepalive, 150 for the preferred director, nopreempt = !auto_failback', () => {
    expect(keepalivedOf(referenceDeployment)).toEqual({ instance: 'VI_1', vrid: 51, advertInt: 2, priorities: { frontal1: 150, frontal2: 100 }, nopreempt: false });
    const o = otherDeployment();
    o.heartbeat.keepalive = 0.2;
    o.heartbeat.preferred = 'frontal2';
    expect(keepalivedOf(o)).toEqual({ instance: 'VI_1', vrid: 51, advertInt: 1, priorities: { frontal1: 100, frontal2: 150 }, nopreempt: true });
  });

  test('a partial section keeps the rest derived', () => {
    const d = { ...clone(referenceDeployment), keepalived: { vrid: 7, priorities: { frontal2: 200 } } } as unknown as Deployment;
    expect(keepalivedOf(d)).toEqual({ instance: 'VI_1', vrid: 7, advertInt: 2, priorities: { frontal1: 150, frontal2: 200 }, nopreempt: false });
  });

  test.each([
    ['reference', () => clone(referenceDeployment)],
    ['other (no auto_failback, frontal2 preferred)', () => ({ ...otherDeployment(), heartbeat: { ...otherDeployment().heartbeat, preferred: 'frontal2' } })],
    ['an explicit section', () => ({ ...clone(referenceDeployment), ha: 'keepalived' as const, keepalived: { instance: 'LVS_7', vrid: 77, advertInt: 3, priorities: { frontal1: 90, frontal2: 120 }, nopreempt: true } })],
  ])('the generated keepalived.conf says what keepalivedOf says (%s)', (_, make) => {
    const d = make() as Deployment;
    const k = keepalivedOf(d);
    for (const dir of d.directors) {
      const v = vrrpLines(keepalivedConf(d, dir, testOptions({ stack: 'keepalived' })));
      const top = Math.max(...Object.values(k.priorities));
      expect(v).toEqual({
        vrrp_instance: k.instance,
        state: k.priorities[dir.name] === top && !k.nopreempt ? 'MASTER' : 'BACKUP',
        virtual_router_id: String(k.vrid),
        priority: String(k.priorities[dir.name]),
        advert_int: String(k.advertInt),
        ...(k.nopreempt ? { nopreempt: '' } : {}),
      });
    }
  });

  test('--vrid still overrides the deployment', () => {
    const d = { ...clone(referenceDeployment), ha: 'keepalived' as const, keepalived: keepalivedOf({ ...referenceDeployment, keepalived: { vrid: 77 } as never }) };
    expect(vrrpLines(keepalivedConf(d, d.directors[0]!, testOptions({ stack: 'keepalived' }))).virtual_router_id).toBe('77');
    expect(vrrpLines(keepalivedConf(d, d.directors[0]!, testOptions({ stack: 'keepalived', vrid: 9 }))).virtual_router_id).toBe('9');
  });
});

describe('loading and validating ha and keepalived', () => {
  test('YAML with ha: keepalived and a partial section loads, completed from the deployment', () => {
    const doc = { ...clone(referenceDeployment), ha: 'keepalived', keepalived: { vrid: 52 } };
    const d = parseDeploymentText(yamlOf(doc), 'd.yaml');
    expect(d.ha).toBe('keepalived');
    expect(d.keepalived).toEqual({ instance: 'VI_1', vrid: 52, advertInt: 2, priorities: { frontal1: 150, frontal2: 100 }, nopreempt: false });
    expect(validateDeployment(d).filter((p) => p.severity === 'error')).toEqual([]);
  });

  test('ha keepalived without a sync mode: follow-role (lvs_sync_daemon follows VRRP); both is a warning', () => {
    const { sync, ...rest } = clone(referenceDeployment);
    const d = parseDeploymentText(yamlOf({ ...rest, sync: { syncid: sync.syncid, interface: sync.interface }, ha: 'keepalived' }), 'd.yaml');
    expect(d.sync.mode).toBe('follow-role');
    expect(parseDeploymentText(yamlOf({ ...rest, sync: { syncid: 1, interface: 'eth0' } }), 'd.yaml').sync.mode).toBe('both');
    const both = { ...clone(referenceDeployment), ha: 'keepalived' } as Deployment;
    expect(validateDeployment(both)).toContainEqual(expect.objectContaining({ severity: 'warning', field: 'sync.mode' }));
  });

  test('a heartbeat deployment stays as it was: no ha, no keepalived field', () => {
    const d = parseDeploymentText(yamlOf(referenceDeployment), 'd.yaml');
    expect('ha' in d || 'keepalived' in d).toBe(false);
  });

  test('unknown ha: an error naming it, from the file loader too', () => {
    const d = { ...clone(referenceDeployment), ha: 'openais' } as unknown as Deployment;
    expect(validateDeployment(d)).toContainEqual({ severity: 'error', field: 'ha', message: "'openais' is not an HA layer (heartbeat, keepalived or pacemaker)" });
    const f = join(tmp('ha'), 'd.yaml');
    writeFileSync(f, yamlOf(d));
    expect(() => loadDeployment(f)).toThrow(/ha: 'openais' is not an HA layer/);
  });

  test('priorities: 1-254, each naming a director', () => {
    const d = { ...clone(referenceDeployment), ha: 'keepalived', keepalived: { ...keepalivedOf(referenceDeployment), priorities: { frontal1: 0, frontal9: 100 } } } as Deployment;
    const errs = validateDeployment(d).filter((p) => p.severity === 'error');
    expect(errs).toEqual([
      { severity: 'error', field: 'keepalived.priorities.frontal1', message: "'0' is not a VRRP priority (1-254)" },
      { severity: 'error', field: 'keepalived.priorities.frontal9', message: "'frontal9' is not a director (frontal1, frontal2)" },
    ]);
  });

  test('vrid 1-255', () => {
    for (const [vrid, ok] of [[0, false], [1, true], [255, true], [256, false], [1.5, false]] as const) {
      const d = { ...clone(referenceDeployment), ha: 'keepalived', keepalived: { ...keepalivedOf(referenceDeployment), vrid } } as Deployment;
      expect([vrid, validateDeployment(d).some((p) => p.field === 'keepalived.vrid' && p.severity === 'error')]).toEqual([vrid, !ok]);
    }
  });

  test('a keepalived section without ha: keepalived is a warning, not an error', () => {
    const d = { ...clone(referenceDeployment), keepalived: keepalivedOf(referenceDeployment) } as Deployment;
    const p = validateDeployment(d);
    expect(p.filter((x) => x.severity === 'error')).toEqual([]);
    expect(p).toContainEqual({ severity: 'warning', field: 'keepalived', message: "the keepalived section is ignored: ha is 'heartbeat' (set ha: keepalived)" });
  });
});

describe('lvsha generate follows the deployment', () => {
  const kaYaml = () => {
    const f = join(tmp('ha-gen'), 'ka.yaml');
    const ref = clone(referenceDeployment);
    writeFileSync(f, yamlOf({ ...ref, sync: { ...ref.sync, mode: 'follow-role' }, ha: 'keepalived', keepalived: { vrid: 61 } }));
    return f;
  };

  test('ha: keepalived → the keepalived stack by default, with check_lvs_keepalived and no Heartbeat', async () => {
    const out = tmp('ha-out');
    const r = await gen({ config: kaYaml(), out, authKey: 'golden-test-key-not-a-secret-0123456789abcdef' });
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    const conf = readFileSync(join(out, 'frontal1', 'etc', 'keepalived', 'keepalived.conf'), 'utf8');
    expect(vrrpLines(conf).virtual_router_id).toBe('61');
    expect(r.out.some((l) => l.includes('/etc/ha.d/'))).toBe(false);
    const cmds = readFileSync(join(out, 'monitoring', 'etc', 'nagios4', 'conf.d', 'lvsha-commands.cfg'), 'utf8');
    expect(cmds).toMatch(/command_name\s+check_lvs_keepalived\n\s+command_line\s+\$USER1\$\/check_lvs_keepalived .*--sudo/);
    expect(cmds).not.toMatch(/heartbeat/);
    const icinga = readFileSync(join(out, 'monitoring', 'etc', 'icinga2', 'conf.d', 'lvsha-services.conf'), 'utf8');
    expect(icinga).toContain('check_command = "lvsha_keepalived"');
    expect(icinga).not.toContain('lvsha_heartbeat');
  });

  test('an explicit --stack heartbeat still wins', async () => {
    const r = await gen({ config: kaYaml(), dryRun: true, stack: 'heartbeat', authKey: 'golden-test-key-not-a-secret-0123456789abcdef' });
    expect(r.code).toBe(0);
    expect(r.out.some((l) => l.includes('etc/ha.d/ha.cf'))).toBe(true);
    expect(r.out.some((l) => l.includes('keepalived.conf'))).toBe(false);
  });

  test('Prometheus: the generic check-status rule covers check="keepalived"; no Heartbeat peer rule', () => {
    const files = planFiles({ ...clone(referenceDeployment), ha: 'keepalived' }, testOptions({ stack: 'keepalived' })).files;
    const rules = files.find((f) => f.path.endsWith('lvsha-rules.yml'))!.content;
    const doc = YAML.parse(rules) as { groups: { rules: { alert: string; expr: string }[] }[] };
    const critical = doc.groups[0]!.rules.find((r) => r.alert === 'LvshaCheckCritical')!;
    expect(critical.expr).toBe('lvsha_check_status == 2'); // no check= matcher that would leave keepalived out
    expect(doc.groups[0]!.rules.map((r) => r.alert)).not.toContain('LvshaPeerDead');
    expect(rules).not.toMatch(/Heartbeat/);
  });
});

describe('pacemaker: the cluster derived from the Heartbeat settings, or given', () => {
  test('defaults: group lvs = vip then ldirectord; preferred node scored 100; stickiness by auto_failback', () => {
    expect(pacemakerOf(referenceDeployment)).toEqual({ clusterName: 'lvsha', group: 'lvs', vipResources: ['vip'], ldirectordResource: 'ldirectord', stickiness: 0, preferredScore: 100 });
    const noFailback = { ...clone(referenceDeployment), heartbeat: { ...referenceDeployment.heartbeat, autoFailback: false } };
    const p = pacemakerOf(noFailback);
    // without auto_failback the group must stay where it is: stickiness beats the location score
    expect(p.stickiness).toBeGreaterThan(p.preferredScore);
    const twoVips = { ...clone(referenceDeployment), vips: [...referenceDeployment.vips, { address: '192.168.0.9', prefix: 24 }] };
    expect(pacemakerOf(twoVips).vipResources).toEqual(['vip', 'vip2']);
    expect(pacemakerOf({ ...clone(referenceDeployment), pacemaker: { group: 'g', stickiness: 7 } as never }).group).toBe('g');
  });

  test('a bad resource id, a count of VIP resources that is not the count of VIPs, a reused id: errors naming the field', () => {
    const d = { ...clone(referenceDeployment), ha: 'pacemaker', pacemaker: { group: '1lvs', vipResources: ['a', 'b'], ldirectordResource: 'a', stickiness: -1 } } as unknown as Deployment;
    const errs = validateDeployment(d).filter((p) => p.severity === 'error');
    expect(errs).toEqual([
      { severity: 'error', field: 'pacemaker.group', message: "'1lvs' is not a Pacemaker resource id (a letter or _, then letters, digits, _ . -)" },
      { severity: 'error', field: 'pacemaker.vipResources', message: '2 resource ids for 1 VIPs: give one per VIP' },
      { severity: 'error', field: 'pacemaker', message: "resource id 'a' is used twice" },
      { severity: 'error', field: 'pacemaker.stickiness', message: "'-1' is not a score (0-1000000)" },
    ]);
  });

  test('ha: pacemaker loads; a pacemaker section without it is a warning', () => {
    const f = join(tmp('ha'), 'p.yaml');
    writeFileSync(f, yamlOf({ ...clone(referenceDeployment), ha: 'pacemaker' }));
    expect(loadDeployment(f).deployment.ha).toBe('pacemaker');
    const p = validateDeployment({ ...clone(referenceDeployment), pacemaker: { group: 'lvs' } } as Deployment);
    expect(p).toContainEqual({ severity: 'warning', field: 'pacemaker', message: "the pacemaker section is ignored: ha is 'heartbeat' (set ha: pacemaker)" });
  });
});
