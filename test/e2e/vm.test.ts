/**
 * End-to-end: the VM tier (qemu TCG, a kernel with IPVS). One VM boot for the whole file:
 * the lab inside it runs ldirectord on the real IPVS table, both sync daemons and the real
 * servers in direct routing; each scenario drives it through the guest agent's queue.
 * Runs in CI (fails there when qemu or the lab's packages are missing) and locally with
 * LVSHA_E2E=1 (or =vm). LVSHA_E2E_VM_ALL=1 also runs the namespace scenarios in the VM.
 * Then, in the same boot (one costs minutes under TCG), the lab is rebuilt with keepalived
 * (VmTier.switchHa) and the keepalived scenarios run on real IPVS: its virtual_server table,
 * TCP_CHECK, sorry_server and lvs_sync_daemon. Then once more with Corosync + Pacemaker: the
 * group's ldirectord loads the table on the node holding the VIP, the fallback when every real
 * server is down, and the table follows the group when frontal1 crashes.
 */
import { labDown } from '../../src/lab/command';
import { runScenario, SCENARIOS, scenarioHa } from '../../src/lab/scenarios';
import { VmTier } from '../../src/lab/tiers';
import { e2eEnabled, quietProgress, runAndReport } from './lab';

const enabled = e2eEnabled('vm');
const d = enabled ? describe : describe.skip;

/** The IPVS scenarios, plus healthy and a director crash (the table must follow the VIP). */
const HEARTBEAT = SCENARIOS.filter((s) => scenarioHa(s) === 'heartbeat');
const IN_VM = process.env.LVSHA_E2E_VM_ALL === '1'
  ? HEARTBEAT.filter((s) => s.tiers.includes('vm'))
  : HEARTBEAT.filter((s) => s.tiers.includes('vm') && (!s.tiers.includes('netns') || ['healthy', 'director-crash'].includes(s.name)));
/** The keepalived lab's scenarios (all of them are VM scenarios). */
const KEEPALIVED = SCENARIOS.filter((s) => scenarioHa(s) === 'keepalived' && s.tiers.includes('vm'));
/** The Pacemaker lab's VM scenarios: its group on real IPVS (the namespace ones: pacemaker.test.ts). */
const PACEMAKER = SCENARIOS.filter((s) => scenarioHa(s) === 'pacemaker' && s.tiers.includes('vm'));

d('lab, VM tier (real IPVS)', () => {
  const tier = new VmTier();
  beforeAll(async () => {
    await labDown(quietProgress());
    await tier.up(quietProgress());
  }, 900_000);
  afterAll(async () => {
    await labDown(quietProgress());
  }, 300_000);

  for (const sc of IN_VM) {
    test(`scenario ${sc.name}`, async () => {
      await runAndReport(tier, sc);
    }, 900_000);
  }

  describe('the same VM, lab rebuilt with keepalived', () => {
    beforeAll(async () => {
      await tier.switchHa('keepalived', quietProgress());
    }, 900_000);

    test('a Heartbeat scenario is refused on the keepalived lab', async () => {
      const o = await runScenario(tier, SCENARIOS.find((s) => s.name === 'real-server-down')!);
      expect(o.pass).toBe(false);
      expect(o.results).toEqual([]);
      expect(o.errors).toEqual(['scenario real-server-down is for a lab with heartbeat (the lab is up with keepalived: lvsha lab up --ha heartbeat)']);
    });

    for (const sc of KEEPALIVED) {
      test(`scenario ${sc.name}`, async () => {
        await runAndReport(tier, sc);
      }, 900_000);
    }
  });

  describe('the same VM, lab rebuilt with Corosync + Pacemaker', () => {
    beforeAll(async () => {
      await tier.switchHa('pacemaker', quietProgress());
    }, 900_000);

    for (const sc of PACEMAKER) {
      test(`scenario ${sc.name}`, async () => {
        await runAndReport(tier, sc);
      }, 900_000);
    }
  });

  test('down leaves no qemu and no share', async () => {
    await labDown(quietProgress());
    expect(tier.isUp()).toBe(false);
    expect(tier.describe()).toBe('VM tier: down');
  }, 300_000);
});
