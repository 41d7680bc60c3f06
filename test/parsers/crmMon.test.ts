/**
 * parseCrmMon / parseCliConstraints on what Pacemaker 2.1.5 printed in the lab
 * (test/fixtures/real/pacemaker/<scenario>/<director>/, lab/netns/capture-pacemaker.sh) and on a
 * host without a cluster (test/fixtures/real/crm_mon/not-running.xml).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCib } from '../../src/model/pacemakerConf';
import { parseCliConstraints, parseCrmMon } from '../../src/parsers/crmMon';
import { ParseError } from '../../src/runtime/errors';
import { fuzzParser } from '../helpers/fuzz';

const PM = join(__dirname, '..', 'fixtures', 'real', 'pacemaker');
const cap = (scenario: string, node: string, file = 'crm_mon.xml') => readFileSync(join(PM, scenario, node, file), 'utf8');
const scenarios = readdirSync(PM).filter((s) => existsSync(join(PM, s, 'frontal1', 'crm_mon.xml')) || existsSync(join(PM, s, 'frontal2', 'crm_mon.xml')));
const allXml = scenarios.flatMap((s) => ['frontal1', 'frontal2'].filter((n) => existsSync(join(PM, s, n, 'crm_mon.xml'))).map((n) => cap(s, n)));

describe('parseCrmMon on the lab', () => {
  test('healthy, seen from frontal1: both members online, quorum, DC frontal2, group lvs = vip then ldirectord on frontal1', () => {
    const m = parseCrmMon(cap('healthy', 'frontal1'));
    expect(m.apiVersion).toBe('2.25');
    expect(m.stack).toBe('corosync');
    expect(m.dc).toBe('frontal2');
    expect(m.quorum).toBe(true);
    expect(m.stonithEnabled).toBe(false);
    expect(m.maintenanceMode).toBe(false);
    expect(m.stopAllResources).toBe(false);
    expect(m.noQuorumPolicy).toBe('stop');
    expect([m.nodesConfigured, m.resourcesConfigured, m.resourcesDisabled, m.resourcesBlocked]).toEqual([2, 2, 0, 0]);
    expect(m.nodes).toEqual([
      { name: 'frontal1', id: '1', online: true, standby: false, standbyOnfail: false, maintenance: false, pending: false, unclean: false, shutdown: false, isDc: false, resourcesRunning: 2, type: 'member' },
      { name: 'frontal2', id: '2', online: true, standby: false, standbyOnfail: false, maintenance: false, pending: false, unclean: false, shutdown: false, isDc: true, resourcesRunning: 0, type: 'member' },
    ]);
    const base = { role: 'Started', active: true, failed: false, managed: true, blocked: false, orphaned: false, maintenance: false, failureIgnored: false, nodes: ['frontal1'], group: 'lvs' };
    expect(m.resources).toEqual([
      { id: 'vip', agent: 'ocf:heartbeat:IPaddr2', ...base },
      { id: 'ldirectord', agent: 'ocf:heartbeat:ldirectord', ...base },
    ]);
    expect(m.groups).toEqual([{ id: 'lvs', managed: true, disabled: false, resources: ['vip', 'ldirectord'] }]);
    expect(m.history).toEqual([
      { node: 'frontal1', resource: 'vip', failCount: 0, migrationThreshold: 1000000 },
      { node: 'frontal1', resource: 'ldirectord', failCount: 0, migrationThreshold: 1000000 },
    ]);
    expect([m.failures, m.bans]).toEqual([[], []]);
    expect(m.status).toEqual({ code: 0, message: 'OK' });
  });

  test('ldirectord killed on frontal1 and restarted by Pacemaker: its failed monitor and fail-count 1 (a failure\'s node attribute is a string, not a list)', () => {
    const m = parseCrmMon(cap('ldirectord-killed', 'frontal1'));
    expect(m.failures).toEqual([
      { opKey: 'ldirectord_monitor_20000', resource: 'ldirectord', node: 'frontal1', task: 'monitor', exitstatus: 'not running', exitreason: '', exitcode: 7, lastRcChange: expect.stringMatching(/^2026-11-30 /) },
    ]);
    expect(m.history.find((h) => h.resource === 'ldirectord')).toEqual({ node: 'frontal1', resource: 'ldirectord', failCount: 1, migrationThreshold: 1000000 });
    expect(m.resources.map((r) => [r.id, r.nodes, r.failed])).toEqual([
      ['vip', ['frontal1'], false],
      ['ldirectord', ['frontal1'], false],
    ]);
  });

  test('both directors agree on the healthy cluster', () => {
    const a = parseCrmMon(cap('healthy', 'frontal1'));
    const b = parseCrmMon(cap('healthy', 'frontal2'));
    expect([b.dc, b.quorum, b.nodes.map((n) => n.online), b.resources.map((r) => r.nodes)]).toEqual([a.dc, a.quorum, a.nodes.map((n) => n.online), a.resources.map((r) => r.nodes)]);
  });

  test('every captured state parses, and each resource lists as many nodes as nodes_running_on says', () => {
    expect(allXml.length).toBeGreaterThanOrEqual(2);
    for (const x of allXml) {
      const m = parseCrmMon(x);
      expect(m.nodes.length).toBe(m.nodesConfigured);
      for (const r of m.resources) expect(r.active).toBe(r.nodes.length > 0);
    }
  });

  test('no cluster on this host: status 102 Not connected, nothing else', () => {
    const m = parseCrmMon(readFileSync(join(__dirname, '..', 'fixtures', 'real', 'crm_mon', 'not-running.xml'), 'utf8'));
    expect(m.status).toEqual({ code: 102, message: 'Not connected' });
    expect([m.nodes, m.resources, m.dc, m.quorum]).toEqual([[], [], undefined, false]);
  });
});

describe('parseCrmMon refuses what crm_mon never writes', () => {
  const healthy = () => cap('healthy', 'frontal1');
  test.each([
    ['entity expansion (billion laughs)', `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>${healthy()}`, /DOCTYPE or ENTITY/],
    ['text that is not crm_mon', 'Connection to cluster failed\n', /no <pacemaker-result>/],
    ['an attribute that is not a boolean', healthy().replace('online="true"', 'online="yes"'), /node frontal1: online="yes" is not true or false/],
    ['a count that disagrees with the nodes listed', healthy().replace('nodes_running_on="1"', 'nodes_running_on="2"'), /resource vip: nodes_running_on=2 but 1 <node> listed/],
    ['a node without a name', healthy().replace('<node name="frontal2" id="2" online', '<node id="2" online'), /node: name is missing/],
    ['cut in the middle', healthy().slice(0, 900), /cannot parse crm_mon XML/],
    ['a summary without current_dc is no cluster: missing summary', healthy().replace(/<summary>[\s\S]*<\/summary>/, ''), /no <summary>/],
  ])('%s', (_what, text, re) => {
    expect(() => parseCrmMon(text)).toThrow(ParseError);
    expect(() => parseCrmMon(text)).toThrow(re);
  });

  test('tags nested past the XML parser\'s limit: a ParseError, not the library\'s own Error (crm_mon, cibadmin and the CIB reader)', () => {
    const deep = (root: string) => `<${root}>${'<summary>'.repeat(3000)}${'</summary>'.repeat(3000)}</${root}>`;
    expect(() => parseCrmMon(deep('pacemaker-result'))).toThrow(ParseError);
    expect(() => parseCliConstraints(deep('constraints'))).toThrow(ParseError);
    expect(() => parseCib(deep('cib'))).toThrow(ParseError);
    expect(() => parseCrmMon(deep('pacemaker-result'))).toThrow('cannot parse crm_mon XML: Maximum nested tags exceeded');
  });

  test('fuzzing the captures: only ParseError, never another exception', () => {
    const r = fuzzParser(parseCrmMon, allXml, 10000);
    expect(r.rejected).toBeGreaterThan(0);
    expect(r.accepted).toBeGreaterThan(0);
  });
});

describe('parseCliConstraints', () => {
  test('the healthy CIB (cibadmin -Q): prefer-frontal1 is the site\'s own, no cli-* left', () => {
    expect(parseCliConstraints(cap('healthy', 'frontal1', 'cib.xml'))).toEqual([]);
  });

  test('a constraints section with what crm resource move and ban leave (hand-written, labelled: the ids and attributes crmsh 4.4 writes)', () => {
    const text = `<constraints>
  <rsc_location id="prefer-frontal1" rsc="lvs" score="100" node="frontal1"/>
  <rsc_location id="cli-prefer-lvs" rsc="lvs" role="Started" node="frontal2" score="INFINITY"/>
  <rsc_location id="cli-ban-lvs-on-frontal1" rsc="lvs" role="Started" node="frontal1" score="-INFINITY"/>
</constraints>`;
    expect(parseCliConstraints(text)).toEqual([
      { id: 'cli-prefer-lvs', kind: 'prefer', resource: 'lvs', node: 'frontal2', score: 1000000 },
      { id: 'cli-ban-lvs-on-frontal1', kind: 'ban', resource: 'lvs', node: 'frontal1', score: -1000000 },
    ]);
  });

  test('refuses entities and text that is not a CIB', () => {
    expect(() => parseCliConstraints('<!DOCTYPE c [<!ENTITY x "y">]><constraints/>')).toThrow(ParseError);
    expect(() => parseCliConstraints('Could not connect to the CIB\n')).toThrow(/no <constraints> or <cib>/);
  });

  describe('the real CIB (cibadmin -Q, healthy) with cli-* locations added as crmsh writes them', () => {
    const cib = cap('healthy', 'frontal1', 'cib.xml');
    const site = '      <rsc_location id="prefer-frontal1" rsc="lvs" score="100" node="frontal1"/>\n';
    const withLoc = (...locs: string[]) => cib.replace(site, site + locs.map((l) => `      ${l}\n`).join(''));
    const ban = '<rsc_location id="cli-ban-lvs-on-frontal1" rsc="lvs" role="Started" node="frontal1" score="-INFINITY"/>';
    const banned = { id: 'cli-ban-lvs-on-frontal1', kind: 'ban', resource: 'lvs', node: 'frontal1', score: -1000000 };
    const e = (m: string) => new ParseError('cibadmin XML', m);
    test('found under cib/configuration/constraints, one or two; only ids starting cli-prefer- or cli-ban-', () => {
      expect(parseCliConstraints(withLoc(ban))).toEqual([banned]);
      expect(parseCliConstraints(withLoc(ban, '<rsc_location id="x-cli-ban-lvs" rsc="lvs" node="frontal2" score="-INFINITY"/>', '<rsc_location id="cli-prefer-lvs" rsc="lvs" node="frontal2" score="+INFINITY"/>'))).toEqual([
        banned,
        { id: 'cli-prefer-lvs', kind: 'prefer', resource: 'lvs', node: 'frontal2', score: 1000000 },
      ]);
    });
    test('no node: an empty name; no score: 0; a score of digits; no rsc: refused with the location named', () => {
      expect(parseCliConstraints(withLoc('<rsc_location id="cli-prefer-lvs" rsc="lvs" score="50"/>'))).toEqual([{ id: 'cli-prefer-lvs', kind: 'prefer', resource: 'lvs', node: '', score: 50 }]);
      expect(parseCliConstraints(withLoc('<rsc_location id="cli-prefer-lvs" rsc="lvs" node="frontal2"/>'))).toEqual([{ id: 'cli-prefer-lvs', kind: 'prefer', resource: 'lvs', node: 'frontal2', score: 0 }]);
      expect(() => parseCliConstraints(withLoc('<rsc_location id="cli-ban-x" node="frontal1" score="-INFINITY"/>'))).toThrow(e('rsc_location cli-ban-x: rsc is missing'));
      expect(() => parseCliConstraints(withLoc('<rsc_location id="cli-ban-x" rsc="lvs" score="high"/>'))).toThrow(e('rsc_location cli-ban-x: score="high" is not an integer'));
    });
    test('the XML declaration and blanks before the root; DOCTYPE and ENTITY refused by their own message', () => {
      expect(parseCliConstraints(`\n ${withLoc(ban)}`)).toEqual([banned]);
      for (const decl of ['<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-8"?>\n'])
        expect(parseCliConstraints(decl + withLoc(ban))).toEqual([banned]);
      expect(() => parseCliConstraints(`x${cib}`)).toThrow(e('no <constraints> or <cib> element (is this cibadmin --query --scope constraints?)'));
      for (const decl of ['<!ENTITY x "y">', '<!doctype cib>'])
        expect(() => parseCliConstraints(cib.replace('<constraints>', `<constraints>${decl}`))).toThrow(e('a DOCTYPE or ENTITY declaration (cibadmin writes none)'));
    });
  });

  test('fuzzing the CIB: only ParseError', () => {
    fuzzParser(parseCliConstraints, [cap('healthy', 'frontal1', 'cib.xml')], 3000);
  });
});

describe('parseCrmMon: every field of real captures (frontal1), whole', () => {
  const read = (s: string) => parseCrmMon(cap(s, 'frontal1'));
  test('healthy: DC frontal2, the group on frontal1', () => {
    expect(read('healthy')).toEqual({
      apiVersion: '2.25',
      stack: 'corosync',
      dc: 'frontal2',
      quorum: true,
      lastUpdate: 'Mon Nov 30 14:30:57 2026',
      nodesConfigured: 2,
      resourcesConfigured: 2,
      resourcesDisabled: 0,
      resourcesBlocked: 0,
      stonithEnabled: false,
      maintenanceMode: false,
      stopAllResources: false,
      noQuorumPolicy: 'stop',
      nodes: [
        {
          name: 'frontal1',
          id: '1',
          online: true,
          standby: false,
          standbyOnfail: false,
          maintenance: false,
          pending: false,
          unclean: false,
          shutdown: false,
          isDc: false,
          resourcesRunning: 2,
          type: 'member'
        },
        {
          name: 'frontal2',
          id: '2',
          online: true,
          standby: false,
          standbyOnfail: false,
          maintenance: false,
          pending: false,
          unclean: false,
          shutdown: false,
          isDc: true,
          resourcesRunning: 0,
          type: 'member'
        }
      ],
      resources: [
        {
          id: 'vip',
          agent: 'ocf:heartbeat:IPaddr2',
          role: 'Started',
          active: true,
          failed: false,
          managed: true,
          blocked: false,
          orphaned: false,
          maintenance: false,
          failureIgnored: false,
          nodes: ['frontal1'],
          group: 'lvs'
        },
        {
          id: 'ldirectord',
          agent: 'ocf:heartbeat:ldirectord',
          role: 'Started',
          active: true,
          failed: false,
          managed: true,
          blocked: false,
          orphaned: false,
          maintenance: false,
          failureIgnored: false,
          nodes: ['frontal1'],
          group: 'lvs'
        }
      ],
      groups: [
        {
          id: 'lvs',
          managed: true,
          disabled: false,
          resources: ['vip', 'ldirectord']
        }
      ],
      failures: [],
      history: [
        { node: 'frontal1', resource: 'vip', failCount: 0, migrationThreshold: 1000000 },
        { node: 'frontal1', resource: 'ldirectord', failCount: 0, migrationThreshold: 1000000 }
      ],
      bans: [],
      status: {
        code: 0,
        message: 'OK'
      }
    });
  });
  test('standby: frontal1 in standby and DC, the group on frontal2', () => {
    expect(read('standby')).toEqual({
      apiVersion: '2.25',
      stack: 'corosync',
      dc: 'frontal1',
      quorum: true,
      lastUpdate: 'Mon Nov 30 14:40:32 2026',
      nodesConfigured: 2,
      resourcesConfigured: 2,
      resourcesDisabled: 0,
      resourcesBlocked: 0,
      stonithEnabled: false,
      maintenanceMode: false,
      stopAllResources: false,
      noQuorumPolicy: 'stop',
      nodes: [
        {
          name: 'frontal1',
          id: '1',
          online: true,
          standby: true,
          standbyOnfail: false,
          maintenance: false,
          pending: false,
          unclean: false,
          shutdown: false,
          isDc: true,
          resourcesRunning: 0,
          type: 'member'
        },
        {
          name: 'frontal2',
          id: '2',
          online: true,
          standby: false,
          standbyOnfail: false,
          maintenance: false,
          pending: false,
          unclean: false,
          shutdown: false,
          isDc: false,
          resourcesRunning: 2,
          type: 'member'
        }
      ],
      resources: [
        {
          id: 'vip',
          agent: 'ocf:heartbeat:IPaddr2',
          role: 'Started',
          active: true,
          failed: false,
          managed: true,
          blocked: false,
          orphaned: false,
          maintenance: false,
          failureIgnored: false,
          nodes: ['frontal2'],
          group: 'lvs'
        },
        {
          id: 'ldirectord',
          agent: 'ocf:heartbeat:ldirectord',
          role: 'Started',
          active: true,
          failed: false,
          managed: true,
          blocked: false,
          orphaned: false,
          maintenance: false,
          failureIgnored: false,
          nodes: ['frontal2'],
          group: 'lvs'
        }
      ],
      groups: [
        {
          id: 'lvs',
          managed: true,
          disabled: false,
          resources: ['vip', 'ldirectord']
        }
      ],
      failures: [],
      history: [
        { node: 'frontal1', resource: 'vip', failCount: 0, migrationThreshold: 1000000 },
        { node: 'frontal1', resource: 'ldirectord', failCount: 0, migrationThreshold: 1000000 },
        { node: 'frontal2', resource: 'vip', failCount: 0, migrationThreshold: 1000000 },
        { node: 'frontal2', resource: 'ldirectord', failCount: 0, migrationThreshold: 1000000 }
      ],
      bans: [],
      status: {
        code: 0,
        message: 'OK'
      }
    });
  });
  test('crashed node: not connected, nothing else', () => {
    expect(read('node-crash')).toEqual({
      apiVersion: '2.25',
      quorum: false,
      nodesConfigured: 0,
      resourcesConfigured: 0,
      resourcesDisabled: 0,
      resourcesBlocked: 0,
      stonithEnabled: true,
      maintenanceMode: false,
      stopAllResources: false,
      nodes: [],
      resources: [],
      groups: [],
      failures: [],
      history: [],
      bans: [],
      status: {
        code: 102,
        message: 'Not connected'
      }
    });
  });
});

describe('parseCrmMon: defaults, optional fields and each rejection by its message (real captures, one attribute edited)', () => {
  const H = cap('healthy', 'frontal1');
  const K = cap('ldirectord-killed', 'frontal1');
  /** Each replacement must change the text (a typo in a test would otherwise test nothing). */
  const ed = (text: string, ...pairs: [string | RegExp, string][]) =>
    pairs.reduce((t, [a, b]) => {
      const out = t.replace(a, b);
      if (out === t) throw new Error(`test edit found nothing: ${String(a)}`);
      return out;
    }, text);
  // parsed inside each test: a describe-level call makes every mutant of parseCrmMon 'static' for Stryker (all tests run on it)
  const base = () => parseCrmMon(H);
  const E = (m: string) => new ParseError('crm_mon XML', m);
  const bad = (text: string, m: string) => expect(() => parseCrmMon(text)).toThrow(E(m));

  test('flags with a default: the value when written, the default when not', () => {
    const n = parseCrmMon(ed(H, ['standby_onfail="false"', 'standby_onfail="true"'], ['shutdown="false"', 'shutdown="true"'])).nodes[0]!;
    expect([n.standbyOnfail, n.shutdown]).toEqual([true, true]);
    expect(parseCrmMon(ed(H, [' standby_onfail="false"', ''], [' shutdown="false"', ''])).nodes[0]).toStrictEqual(base().nodes[0]);
    const r = parseCrmMon(ed(H, ['orphaned="false" blocked="false" managed="true" failed="false" failure_ignored="false"', 'orphaned="false" blocked="false" managed="true" failed="false" failure_ignored="true" maintenance="true"'])).resources[0]!;
    expect([r.failureIgnored, r.maintenance]).toEqual([true, true]);
    expect(parseCrmMon(ed(H, [' failure_ignored="false"', ''])).resources[0]).toStrictEqual(base().resources[0]);
    expect(parseCrmMon(ed(H, ['managed="true" disabled="false">', 'managed="false" disabled="true">'])).groups).toEqual([{ id: 'lvs', managed: false, disabled: true, resources: ['vip', 'ldirectord'] }]);
    expect(parseCrmMon(ed(H, [' managed="true" disabled="false">', '>'])).groups).toEqual(base().groups);
    const o = parseCrmMon(ed(H, ['stonith-enabled="false"', 'stonith-enabled="true"'], ['maintenance-mode="false"', 'maintenance-mode="true"'], ['stop-all-resources="false"', 'stop-all-resources="true"']));
    expect([o.stonithEnabled, o.maintenanceMode, o.stopAllResources]).toEqual([true, true, true]);
    const none = parseCrmMon(ed(H, [/ *<cluster_options [^>]*>\n/, '']));
    expect([none.stonithEnabled, none.maintenanceMode, none.stopAllResources, 'noQuorumPolicy' in none]).toEqual([true, false, false, false]);
  });

  test('counts: as written, else what is listed; no element at all is no error', () => {
    const c = parseCrmMon(ed(H, ['<nodes_configured number="2"/>', '<nodes_configured number="3"/>'], ['<resources_configured number="2" disabled="0" blocked="0"/>', '<resources_configured number="3" disabled="1" blocked="2"/>']));
    expect([c.nodesConfigured, c.resourcesConfigured, c.resourcesDisabled, c.resourcesBlocked]).toEqual([3, 3, 1, 2]);
    const gone = parseCrmMon(ed(H, [/ *<nodes_configured [^>]*>\n/, ''], [/ *<resources_configured [^>]*>\n/, '']));
    expect([gone.nodesConfigured, gone.resourcesConfigured, gone.resourcesDisabled, gone.resourcesBlocked]).toEqual([2, 2, 0, 0]);
    const bare = parseCrmMon(ed(H, ['<resources_configured number="2" disabled="0" blocked="0"/>', '<resources_configured/>']));
    expect([bare.resourcesConfigured, bare.resourcesDisabled, bare.resourcesBlocked]).toEqual([2, 0, 0]);
  });

  test('optional parts: status, stack, last update, DC, agent, target role, migration threshold', () => {
    expect(parseCrmMon(ed(H, [/ *<status [^>]*>\n/, ''])).status).toEqual({ code: 0, message: 'OK' });
    expect(parseCrmMon(ed(H, ['<status code="0" message="OK"/>', '<status code="0"/>'])).status).toEqual({ code: 0, message: '' });
    const bareSummary = parseCrmMon(ed(H, [/ *<stack [^>]*>\n/, ''], [/ *<last_update [^>]*>\n/, ''], [/ *<current_dc [^>]*>\n/, '']));
    expect(bareSummary).toStrictEqual((({ stack: _s, lastUpdate: _l, dc: _d, ...rest }) => ({ ...rest, quorum: false }))(base()));
    const noDc = parseCrmMon(ed(H, ['present="true"', 'present="false"']));
    expect(['dc' in noDc, noDc.quorum]).toEqual([false, false]);
    const r = parseCrmMon(ed(H, [' resource_agent="ocf:heartbeat:IPaddr2"', ''], ['role="Started" active', 'role="Started" target_role="Stopped" active'], [' migration-threshold="1000000"', '']));
    expect(r.resources[0]).toStrictEqual({ ...base().resources[0]!, agent: '', targetRole: 'Stopped' });
    expect('targetRole' in base().resources[0]!).toBe(false);
    expect(r.history[0]).toStrictEqual({ node: 'frontal1', resource: 'vip', failCount: 0 });
  });

  test('resources outside a group, in a clone or a bundle (hand-written wrappers around the real resources)', () => {
    const groupOpen = '<group id="lvs" number_resources="2" managed="true" disabled="false">';
    const flat = parseCrmMon(ed(H, [groupOpen, ''], ['</group>', '']));
    expect(flat.groups).toEqual([]);
    expect(flat.resources).toStrictEqual(base().resources.map(({ group: _g, ...r }) => r));
    for (const kind of ['clone', 'bundle']) {
      expect(parseCrmMon(ed(H, [groupOpen, `<${kind} id="c">`], ['</group>', `</${kind}>`])).resources).toStrictEqual(flat.resources);
      expect(parseCrmMon(ed(H, [groupOpen, `<${kind} id="c">${groupOpen}`], ['</group>', `</group></${kind}>`]))).toStrictEqual({ ...flat, groups: [] });
    }
    bad(ed(H, [groupOpen, ''], ['</group>', ''], ['<resource id="vip" ', '<resource ']), 'resources: id is missing');
    bad(ed(H, [groupOpen, '<clone id="c">'], ['</group>', '</clone>'], ['<resource id="vip" ', '<resource ']), 'clone c: id is missing');
    bad(ed(H, [groupOpen, `<clone id="c">${groupOpen}`], ['</group>', '</group></clone>'], ['<resource id="vip" ', '<resource ']), 'clone c: id is missing');
  });

  test('failures: task from the op_key when not written, texts default to empty, the op_key split only when it has the kernel form', () => {
    const f = parseCrmMon(K).failures[0]!;
    expect(f).toStrictEqual({ opKey: 'ldirectord_monitor_20000', resource: 'ldirectord', node: 'frontal1', task: 'monitor', exitstatus: 'not running', exitreason: '', exitcode: 7, lastRcChange: '2026-11-30 14:39:55Z' });
    const one = (...p: [string | RegExp, string][]) => parseCrmMon(ed(K, ...p)).failures[0]!;
    expect(one([' interval="20000" task="monitor"/>', ' interval="20000"/>'])).toStrictEqual(f);
    expect(one(['interval="20000" task="monitor"/>', 'interval="20000" task="stop"/>']).task).toBe('stop');
    expect(one([' exitstatus="not running"', ''], ['exitreason=""', 'exitreason="gone"'], [' last-rc-change="2026-11-30 14:39:55Z"', ''])).toStrictEqual({ ...(({ lastRcChange: _l, ...x }) => x)(f), exitstatus: '', exitreason: 'gone' });
    expect(one([' exitreason=""', '']).exitreason).toBe('');
    expect(one(['op_key="ldirectord_monitor_20000"', 'op_key="ldirectord_monitor_20000x"'], [' interval="20000" task="monitor"/>', ' interval="20000"/>'])).toMatchObject({ resource: 'ldirectord_monitor_20000x', task: '' });
    expect(one(['op_key="ldirectord_monitor_20000"', 'op_key="x\nldirectord_monitor_20000"']).resource).toBe('x\nldirectord_monitor_20000');
    bad(ed(K, ['op_key="ldirectord_monitor_20000" ', '']), 'failure: op_key is missing');
    bad(ed(K, ['op_key="ldirectord_monitor_20000" node="frontal1"', 'op_key="ldirectord_monitor_20000"']), 'failure ldirectord_monitor_20000: node is missing');
  });

  test('bans (hand-written: the <ban> element crm_mon 2.1 writes for crm resource ban)', () => {
    const ban = '<ban id="cli-ban-lvs-on-frontal1" resource="lvs" node="frontal1" weight="-1000000" promoted-only="false" master_only="false"/>';
    const withBans = (...b: string[]) => ed(H, ['  <status code="0"', `  <bans>\n${b.map((x) => `    ${x}\n`).join('')}  </bans>\n  <status code="0"`]);
    expect(parseCrmMon(withBans(ban, ban.replace('frontal1"', 'frontal2"').replace('node="frontal1"', 'node="frontal2"').replace('-1000000', '-INFINITY'))).bans).toEqual([
      { id: 'cli-ban-lvs-on-frontal1', resource: 'lvs', node: 'frontal1', weight: -1000000 },
      { id: 'cli-ban-lvs-on-frontal2', resource: 'lvs', node: 'frontal2', weight: -1000000 },
    ]);
    bad(withBans(ban.replace('id="cli-ban-lvs-on-frontal1" ', '')), 'ban: id is missing');
    bad(withBans(ban.replace('resource="lvs" ', '')), 'ban cli-ban-lvs-on-frontal1: resource is missing');
    bad(withBans(ban.replace('node="frontal1" ', '')), 'ban cli-ban-lvs-on-frontal1: node is missing');
    bad(withBans(ban.replace('weight="-1000000"', 'weight="x"')), 'ban cli-ban-lvs-on-frontal1: weight="x" is not an integer');
  });

  test('blanks and the XML declaration before the root; anything else refused by its message', () => {
    for (const pre of ['\n ', '<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-8"?>\n']) expect(parseCrmMon(pre + H)).toEqual(base());
    bad(`x${H}`, 'no <pacemaker-result> element (is this crm_mon --output-as=xml?)');
    bad(H.replace('<pacemaker-result ', '<pacemaker-results '), 'no <pacemaker-result> element (is this crm_mon --output-as=xml?)');
  });

  test('each rejection names its element and attribute', () => {
    bad(ed(H, ['name="frontal1" id="1" online', 'name="" id="1" online']), 'node: name is missing');
    bad(ed(H, ['name="frontal1" id="1" online', 'name="frontal1" online']), 'node frontal1: id is missing');
    bad(ed(H, [' standby="false"', '']), 'node frontal1: standby=null is not true or false');
    for (const v of ['2x', 'x2', '1234567890123456']) bad(ed(H, ['resources_running="2"', `resources_running="${v}"`]), `node frontal1: resources_running="${v}" is not an integer`);
    bad(ed(H, ['<node name="frontal1" id="1" cached="true"/>', '<node id="1" cached="true"/>']), 'resource vip node: name is missing');
    bad(ed(H, ['<group id="lvs" ', '<group ']), 'group: id is missing');
    bad(ed(H, ['managed="true" disabled="false">', 'managed="x" disabled="false">']), 'group lvs: managed="x" is not true or false');
    bad(ed(H, ['managed="true" disabled="false">', 'managed="true" disabled="x">']), 'group lvs: disabled="x" is not true or false');
    bad(ed(H, ['<nodes_configured number="2"/>', '<nodes_configured number="x"/>']), 'nodes_configured: number="x" is not an integer');
    for (const a of ['number', 'disabled', 'blocked']) bad(ed(H, [new RegExp(`(<resources_configured [^>]*)${a}="\\d"`), `$1${a}="x"`]), `resources_configured: ${a}="x" is not an integer`);
    for (const a of ['stonith-enabled', 'maintenance-mode', 'stop-all-resources']) bad(ed(H, [new RegExp(`${a}="(true|false)"`), `${a}="x"`]), `cluster_options: ${a}="x" is not true or false`);
    bad(ed(H, ['present="true"', 'present="x"']), 'current_dc: present="x" is not true or false');
    bad(ed(H, ['with_quorum="true"', 'with_quorum="x"']), 'current_dc: with_quorum="x" is not true or false');
    bad(ed(H, ['name="frontal2" id="2" with_quorum', 'id="2" with_quorum']), 'current_dc: name is missing');
    bad(ed(H, ['<status code="0"', '<status code="x"']), 'status: code="x" is not an integer');
    bad(ed(H, ['<node name="frontal1">', '<node>']), 'node_history node: name is missing');
    bad(ed(H, ['<resource_history id="vip" ', '<resource_history ']), 'node_history frontal1: id is missing');
    bad(ed(H, ['migration-threshold="1000000"', 'migration-threshold="x"']), 'node_history frontal1 vip: migration-threshold="x" is not an integer');
    bad(ed(H, [' resources_running="2"', '']), 'node frontal1: resources_running=null is not an integer');
    bad(ed(H, ['<resource id="vip" ', '<resource ']), 'group lvs: id is missing');
  });

  test('no api-version: an empty one, with or without a cluster; a cibadmin syntax error named as such', () => {
    expect(parseCrmMon(ed(H, [' api-version="2.25"', ''])).apiVersion).toBe('');
    const down = readFileSync(join(__dirname, '..', 'fixtures', 'real', 'crm_mon', 'not-running.xml'), 'utf8');
    expect(parseCrmMon(ed(down, [' api-version="2.25"', ''])).apiVersion).toBe('');
    expect(() => parseCliConstraints('<constraints><rsc_location></constraints>')).toThrow(/^cannot parse cibadmin XML: /);
  });
});
