import { findScenario, runScenario, SCENARIOS, scenarioHa } from '../../src/lab/scenarios';
import { readFileSync } from 'node:fs';
import { parseDeploymentText } from '../../src/model/load';
import { validateDeployment } from '../../src/model/validate';
import { DEPLOYMENT, ExecResult, keepalivedDeploymentText, LabHa, LabTier, TierName } from '../../src/lab/tiers';

/** A lab tier that records what it is asked to run and answers rc 0 with nothing. */
function fakeTier(name: TierName, ha: LabHa, rc = 0): LabTier & { scripts: string[] } {
  const scripts: string[] = [];
  return {
    name,
    ha,
    scripts,
    up: async () => undefined,
    down: async () => undefined,
    exec: async (script: string): Promise<ExecResult> => {
      scripts.push(script);
      return { rc, stdout: '', stderr: 'nope', timedOut: false, seconds: 0 };
    },
    isUp: () => true,
    describe: () => 'fake',
  };
}

describe('scenarios and the lab\'s HA layer', () => {
  test('names are unique', () => {
    const names = SCENARIOS.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
  });

  test('the keepalived scenarios are VM scenarios (virtual_server needs kernel IPVS)', () => {
    const ka = SCENARIOS.filter((s) => scenarioHa(s) === 'keepalived').map((s) => s.name);
    expect(ka).toEqual(expect.arrayContaining(['keepalived-healthy', 'keepalived-real-server-down', 'keepalived-all-real-servers-down', 'keepalived-sync-working']));
    for (const s of SCENARIOS.filter((x) => scenarioHa(x) === 'keepalived')) expect(s.tiers).toEqual(['vm']);
  });

  test('the Pacemaker scenarios are VM scenarios: the table on the holder, the fallback, the table following a crash', () => {
    const pm = SCENARIOS.filter((s) => scenarioHa(s) === 'pacemaker');
    expect(pm.map((s) => s.name)).toEqual(['pacemaker-healthy', 'pacemaker-all-real-servers-down', 'pacemaker-director-crash']);
    for (const s of pm) expect(s.tiers).toEqual(['vm']);
    // the crash is healed by booting frontal1 again and waiting for the group to come back (auto_failback)
    expect(findScenario('pacemaker-director-crash')!.heal.map((h) => h.sh).join('\n')).toMatch(/pacemaker\.sh start frontal1[\s\S]*wait-group frontal1/);
  });

  test('a Pacemaker scenario on a keepalived lab is refused before anything runs', async () => {
    const t = fakeTier('vm', 'keepalived');
    const o = await runScenario(t, findScenario('pacemaker-healthy')!);
    expect(o.errors).toEqual(['scenario pacemaker-healthy is for a lab with pacemaker (the lab is up with keepalived: lvsha lab up --ha pacemaker)']);
    expect(t.scripts).toEqual([]);
  });

  test('a Heartbeat scenario on a keepalived lab is refused before anything runs', async () => {
    const t = fakeTier('vm', 'keepalived');
    const o = await runScenario(t, findScenario('real-server-down')!);
    expect(o.pass).toBe(false);
    expect(o.errors).toEqual(['scenario real-server-down is for a lab with heartbeat (the lab is up with keepalived: lvsha lab up --ha heartbeat)']);
    expect(t.scripts).toEqual([]);
  });

  test('a keepalived scenario on a Heartbeat lab is refused before anything runs', async () => {
    const t = fakeTier('vm', 'heartbeat');
    const o = await runScenario(t, findScenario('keepalived-healthy')!);
    expect(o.errors).toEqual(['scenario keepalived-healthy is for a lab with keepalived (the lab is up with heartbeat: lvsha lab up --ha keepalived)']);
    expect(t.scripts).toEqual([]);
  });

  test('a scenario on its own layer\'s lab runs (here its first step fails)', async () => {
    const t = fakeTier('vm', 'keepalived', 1);
    const o = await runScenario(t, findScenario('keepalived-sync-working')!);
    expect(o.errors).toEqual([expect.stringMatching(/^lab healthy: .*: rc 1: nope$/)]);
    expect(t.scripts).toHaveLength(1);
  });
});

describe("the keepalived lab's deployment", () => {
  test('ha keepalived with lvs_sync_daemon following the VRRP state (follow-role), no warning', () => {
    const d = parseDeploymentText(keepalivedDeploymentText(readFileSync(DEPLOYMENT, 'utf8')), 'deployment-keepalived.yaml');
    expect(d.ha).toBe('keepalived');
    expect(d.sync.mode).toBe('follow-role');
    expect(validateDeployment(d).filter((i) => /sync/.test(JSON.stringify(i)))).toEqual([]);
  });
});
