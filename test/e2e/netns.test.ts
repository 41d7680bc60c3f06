/**
 * End-to-end: the namespace tier (host kernel) and every scenario it can run, each asserting
 * the real checks' exit codes and first lines. Runs in CI (fails there when the lab's
 * packages are missing) and locally with LVSHA_E2E=1 (or =netns).
 */
import { labDown } from '../../src/lab/command';
import { SCENARIOS } from '../../src/lab/scenarios';
import { NetnsTier } from '../../src/lab/tiers';
import { icinga2InLab } from '../clients/icinga2-lab';
import { nagiosInLab } from '../clients/nagios-lab';
import { prometheusInLab } from '../clients/prometheus-lab';
import { e2eEnabled, quietProgress, runAndReport } from './lab';

const enabled = e2eEnabled('netns');
const d = enabled ? describe : describe.skip;

d('lab, namespace tier', () => {
  const tier = new NetnsTier();
  beforeAll(async () => {
    await labDown(quietProgress());
    await tier.up(quietProgress());
  }, 300_000);
  afterAll(async () => {
    await labDown(quietProgress());
  }, 300_000);

  for (const sc of SCENARIOS.filter((s) => s.tiers.includes('netns'))) {
    test(`scenario ${sc.name}`, async () => {
      await runAndReport(tier, sc);
    }, 600_000);
  }

  // The real client: a throwaway Nagios 4 in the monitoring namespace runs the generated
  // objects against the lab, healthy then split brain, and the test reads what it recorded.
  test('Nagios 4 in lvsha-mon: healthy, then split brain', async () => {
    await nagiosInLab(tier, '/usr/sbin/nagios4');
  }, 300_000);

  // Prometheus in the monitoring namespace scraping lvsha exporter on both directors, with
  // the generated rules: healthy, then LvshaSplitBrain firing in a real split brain.
  test('Prometheus in lvsha-mon, exporters in the directors: healthy, then split brain', async () => {
    await prometheusInLab(tier, { prometheus: '/usr/bin/prometheus', promtool: '/usr/bin/promtool' });
  }, 300_000);

  test('Icinga 2 in lvsha-mon: lvs-vip and lvs-heartbeat of frontal1 OK with perfdata', async () => {
    await icinga2InLab(tier, '/usr/sbin/icinga2');
  }, 300_000);

  test('down leaves nothing behind', async () => {
    await labDown(quietProgress());
    const { readdirSync, existsSync } = await import('node:fs');
    const ns = existsSync('/run/netns') ? readdirSync('/run/netns').filter((n) => n.startsWith('lvsha-')) : [];
    expect(ns).toEqual([]);
  }, 300_000);
});
