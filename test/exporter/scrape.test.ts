import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Registry } from 'prom-client';
import { Collector, ScrapeEnv } from '../../src/exporter/collector';
import { gauge } from '../../src/exporter/metrics';
import { scrape, SingleFlight } from '../../src/exporter/scrape';
import { referenceDeployment } from '../../src/model/reference';
import { LocalSource } from '../../src/sources/local';

// Framework tests: the collectors here are stand-ins that throw, hang or count — the
// behaviour under test is the scrape's isolation, not any parsing.
const env = (ms: number): ScrapeEnv => ({
  source: new LocalSource(),
  sourceFor: () => new LocalSource(),
  deployment: referenceDeployment,
  deadline: Date.now() + ms,
  programs: {},
  backendLabels: [],
});
const good: Collector = {
  name: 'good',
  async collect(_e, reg: Registry) {
    gauge(reg, 'lvsha_test_value', 'A value.', ['k']).set({ k: 'a' }, 42);
  },
};
const throwing: Collector = {
  name: 'throwing',
  async collect() {
    throw new Error('probe exploded');
  },
};
const hanging: Collector = {
  name: 'hanging',
  collect: () => new Promise<void>(() => {}),
};
const halfway: Collector = {
  name: 'halfway',
  async collect(_e, reg) {
    gauge(reg, 'lvsha_partial', 'Partial.').set(1);
    throw new Error('after writing one series');
  },
};

describe('scrape isolation', () => {
  test('a probe throwing or hanging gives probe_success 0 and the rest is served', async () => {
    // The hanging collector never settles: the scrape resolving at all proves it was cut.
    const reg = await scrape({ collectors: [good, throwing, hanging, halfway], checks: [] }, env(500));
    const text = await reg.metrics();
    expect(text).toContain('lvsha_test_value{k="a"} 42');
    expect(text).toContain('lvsha_probe_success{probe="good"} 1');
    expect(text).toContain('lvsha_probe_success{probe="throwing"} 0');
    expect(text).toContain('lvsha_probe_success{probe="hanging"} 0');
    expect(text).toContain('lvsha_probe_success{probe="halfway"} 0');
    expect(text).not.toContain('lvsha_partial'); // half a collector's series are never served
    expect(text).toMatch(/lvsha_build_info\{version="\d+\.\d+\.\d+"\} 1/);
    expect(text).toMatch(/lvsha_probe_duration_seconds\{probe="hanging"\} \d/);
  });

  test('promtool check metrics prints nothing for the output', async () => {
    if (!existsSync('/usr/bin/promtool')) {
      if (process.env.CI) throw new Error('promtool (Debian prometheus) is required in CI');
      return;
    }
    const reg = await scrape({ collectors: [good, throwing], checks: [] }, env(500));
    const r = spawnSync('promtool', ['check', 'metrics'], { input: await reg.metrics(), encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
    void execFileSync;
  });

  test('single flight: concurrent runs of one key share one execution', async () => {
    const sf = new SingleFlight<number>();
    let runs = 0;
    const fn = () =>
      new Promise<number>((r) => {
        runs++;
        setTimeout(() => r(runs), 50);
      });
    const all = await Promise.all(Array.from({ length: 50 }, () => sf.run('t', 1000, fn)));
    expect(runs).toBe(1);
    expect(new Set(all)).toEqual(new Set([1]));
    await sf.run('t', 1000, fn);
    expect(runs).toBe(2); // a finished flight is not cached
  });
});
