/**
 * Prometheus against the real lab (namespace tier): see prometheus-lab.ts. This file brings the
 * lab up and down itself, so it runs only when asked (LVSHA_E2E=clients), and never at the same
 * time as another file that drives the lab (jest --runInBand). In CI the proof runs from
 * test/e2e/netns.test.ts, which calls prometheusInLab() while its lab is up.
 */
import { labDown } from '../../src/lab/command';
import { NetnsTier } from '../../src/lab/tiers';
import { missingForLab, quietProgress } from '../e2e/lab';
import { which } from './harness';
import { prometheusInLab } from './prometheus-lab';

const enabled = process.env.LVSHA_E2E === 'clients';
const d = enabled ? describe : describe.skip;

d('Prometheus in the lab (namespace tier)', () => {
  const tier = new NetnsTier();
  beforeAll(async () => {
    const miss = missingForLab('netns');
    for (const p of ['prometheus', 'promtool', 'curl']) if (!which(p)) miss.push(p);
    if (miss.length) throw new Error(`missing ${miss.join(', ')}`);
    await labDown(quietProgress());
    await tier.up(quietProgress());
  }, 300_000);
  afterAll(async () => {
    await labDown(quietProgress());
  }, 300_000);

  test('exporters in the directors, Prometheus in lvsha-mon: targets up, one VIP holder, promtool clean; split brain: LvshaSplitBrain', async () => {
    await prometheusInLab(tier, { prometheus: which('prometheus')!, promtool: which('promtool')! });
  }, 300_000);
});
