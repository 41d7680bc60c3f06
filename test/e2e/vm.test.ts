/**
 * End-to-end: the VM tier (qemu TCG, a kernel with IPVS). One VM boot for the whole file:
 * the lab inside it runs ldirectord on the real IPVS table, both sync daemons and the real
 * servers in direct routing; each scenario drives it through the guest agent's queue.
 * Runs in CI (fails there when qemu or the lab's packages are missing) and locally with
 * LVSHA_E2E=1 (or =vm). LVSHA_E2E_VM_ALL=1 also runs the namespace scenarios in the VM.
 */
import { labDown } from '../../src/lab/command';
import { SCENARIOS } from '../../src/lab/scenarios';
import { VmTier } from '../../src/lab/tiers';
import { e2eEnabled, quietProgress, runAndReport } from './lab';

const enabled = e2eEnabled('vm');
const d = enabled ? describe : describe.skip;

/** The IPVS scenarios, plus healthy and a director crash (the table must follow the VIP). */
const IN_VM = process.env.LVSHA_E2E_VM_ALL === '1'
  ? SCENARIOS.filter((s) => s.tiers.includes('vm'))
  : SCENARIOS.filter((s) => s.tiers.includes('vm') && (!s.tiers.includes('netns') || ['healthy', 'director-crash'].includes(s.name)));

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

  test('down leaves no qemu and no share', async () => {
    await labDown(quietProgress());
    expect(tier.isUp()).toBe(false);
    expect(tier.describe()).toBe('VM tier: down');
  }, 300_000);
});
