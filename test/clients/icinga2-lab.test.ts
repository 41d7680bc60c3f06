/**
 * Icinga 2 against the real lab (namespace tier): see icinga2-lab.ts. This file brings the lab
 * up and down itself, so it runs only when asked (LVSHA_E2E=clients), and never at the same
 * time as another file that drives the lab (jest --runInBand). In CI the proof runs from
 * test/e2e/netns.test.ts, which calls icinga2InLab() while its lab is up.
 */
import { labDown } from '../../src/lab/command';
import { NetnsTier } from '../../src/lab/tiers';
import { missingForLab, quietProgress } from '../e2e/lab';
import { which } from './harness';
import { icinga2InLab } from './icinga2-lab';

const enabled = process.env.LVSHA_E2E === 'clients';
const d = enabled ? describe : describe.skip;

d('Icinga 2 in the lab (namespace tier)', () => {
  const tier = new NetnsTier();
  beforeAll(async () => {
    const miss = missingForLab('netns');
    if (!which('icinga2')) miss.push('icinga2');
    if (miss.length) throw new Error(`missing ${miss.join(', ')}`);
    await labDown(quietProgress());
    await tier.up(quietProgress());
  }, 300_000);
  afterAll(async () => {
    await labDown(quietProgress());
  }, 300_000);

  test('lvs-vip and lvs-heartbeat of frontal1, forced in a throwaway Icinga 2 in lvsha-mon: OK, with their perfdata', async () => {
    await icinga2InLab(tier, which('icinga2')!);
  }, 300_000);
});
