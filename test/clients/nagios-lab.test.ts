/**
 * Nagios 4 against the real lab (namespace tier): see nagios-lab.ts. This file brings the lab
 * up and down itself, so it runs only when asked (LVSHA_E2E=clients): the lab's namespaces are
 * shared with test/e2e/, and two test files must not drive the lab at the same time. In CI the
 * proof runs from test/e2e/netns.test.ts, which calls nagiosInLab() while its lab is up.
 */
import { labDown } from '../../src/lab/command';
import { NetnsTier } from '../../src/lab/tiers';
import { missingForLab, quietProgress } from '../e2e/lab';
import { which } from './harness';
import { nagiosInLab } from './nagios-lab';

const enabled = process.env.LVSHA_E2E === 'clients';
const d = enabled ? describe : describe.skip;

d('Nagios 4 in the lab (namespace tier)', () => {
  const tier = new NetnsTier();
  beforeAll(async () => {
    const miss = missingForLab('netns');
    if (!which('nagios4')) miss.push('nagios4');
    if (miss.length) throw new Error(`missing ${miss.join(', ')}`);
    await labDown(quietProgress());
    await tier.up(quietProgress());
  }, 300_000);
  afterAll(async () => {
    await labDown(quietProgress());
  }, 300_000);

  test('healthy: every service recorded OK (IPVS and sync: CRITICAL "not available" on a kernel without IPVS); split brain: LVS VIP CRITICAL', async () => {
    await nagiosInLab(tier, which('nagios4')!);
  }, 300_000);
});
