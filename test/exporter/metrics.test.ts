import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Counter, Gauge, Registry } from 'prom-client';
import { BACKEND_LABELS, ScrapeEnv } from '../../src/exporter/collector';
import { ipvsCollector } from '../../src/exporter/collectors/ipvs';
import { counterLike, gauge, renderChunks, renderRegistry, setEnum } from '../../src/exporter/metrics';
import { referenceDeployment } from '../../src/model/reference';
import { LocalSource } from '../../src/sources/local';
import { MemoSource } from '../../src/sources/memo';
import { RootSource } from '../../src/sources/root';
import { IPVS, Lab, makeLab } from './lab';

// renderRegistry writes the exposition text itself (prom-client's per-series hashing and
// formatting cost more than node_exporter's whole scrape on a large table). Its reference is
// prom-client: the same samples written by prom-client's own Gauge and Counter must give
// the same text, byte for byte, on every real captured table.

const labs: Lab[] = [];
afterAll(() => labs.forEach((l) => l.cleanup()));

/** The samples of `reg` written again through plain prom-client metrics (its text is the reference). */
async function viaPromClient(reg: Registry): Promise<string> {
  const plain = new Registry();
  for (const m of await reg.getMetricsAsJSON()) {
    // The family's declared labels (a labelled family without series prints no sample).
    const labelNames = [...(reg.getSingleMetric(m.name) as unknown as { labelNames: readonly string[] }).labelNames];
    if (String(m.type) === 'counter') {
      const c = new Counter({ name: m.name, help: m.help, labelNames, registers: [plain] });
      for (const v of m.values) c.inc(v.labels, v.value);
    } else {
      const g = new Gauge({ name: m.name, help: m.help, labelNames, registers: [plain] });
      for (const v of m.values) g.set(v.labels, v.value);
    }
  }
  return plain.metrics();
}

/** What the exporter serves for `reg` (renderChunks' UTF-8 chunks), as text; checks the byte count. */
async function served(reg: Registry): Promise<string> {
  const r = await renderChunks(reg);
  const all = Buffer.concat(r.chunks);
  expect(r.bytes).toBe(all.length);
  expect(r.contentType).toBe(reg.contentType);
  return all.toString('utf8');
}

async function ipvsRegistry(scenario: string, backendLabels: string[], ipvsProbe: 'proc' | 'ipvsadm' = 'proc'): Promise<Registry> {
  const lab = makeLab({ ipvs: scenario });
  labs.push(lab);
  const src = new MemoSource(new RootSource(lab.root, new LocalSource()));
  const env: ScrapeEnv = { source: src, sourceFor: () => src, deployment: referenceDeployment, deadline: Date.now() + 20000, programs: lab.programs, backendLabels, ipvsProbe };
  const reg = new Registry();
  await ipvsCollector.collect(env, reg);
  return reg;
}

const scenarios = readdirSync(IPVS).filter((d) => existsSync(join(IPVS, d, 'proc-net-ip_vs.txt')));

describe('renderRegistry: the text prom-client writes for the same samples', () => {
  test.each(scenarios)('real table %s, all backend labels and two reduced sets', async (scenario) => {
    for (const labels of [[...BACKEND_LABELS], ['local_address', 'local_port', 'proto'], ['remote_address']]) {
      const reg = await ipvsRegistry(scenario, labels);
      const text = await renderRegistry(reg);
      expect(text).toContain('# TYPE lvsha_ipvs_connections_total counter');
      expect(text).toBe(await viaPromClient(reg));
      // And prom-client's Registry over our families' get(): same text again.
      expect(text).toBe(await reg.metrics());
      expect(await served(reg)).toBe(text);
    }
  });

  test('ipvsadm probe (per-service and per-backend counters), mixed table', async () => {
    const reg = await ipvsRegistry('mixed', [...BACKEND_LABELS], 'ipvsadm');
    const text = await renderRegistry(reg);
    expect(text).toContain('lvsha_ipvs_backend_incoming_bytes_total{');
    expect(text).toBe(await viaPromClient(reg));
  });

  test('escapes, unlabelled series, enums, a family without series', async () => {
    const reg = new Registry();
    gauge(reg, 'lvsha_test_plain', 'A help text with a \\ backslash\nand a newline.').set(1.5);
    gauge(reg, 'lvsha_test_labels', 'Escaped label values.', ['a', 'b']).set({ a: 'quote " here', b: 'back\\slash\nnewline' }, -3);
    setEnum(gauge(reg, 'lvsha_test_state', 'One series per state.', ['state']), {}, ['up', 'down'], 'down');
    counterLike(reg, 'lvsha_test_total', 'A counter with labels and no series.', ['x']);
    const c = counterLike(reg, 'lvsha_test_sum_total', 'Added twice.', ['x']);
    c.add({ x: 'a' }, 2);
    c.add({ x: 'a' }, 40);
    const text = await renderRegistry(reg);
    expect(text).toContain('lvsha_test_labels{a="quote \\" here",b="back\\\\slash\\nnewline"} -3');
    expect(text).toContain('lvsha_test_sum_total{x="a"} 42');
    expect(text).toBe(await viaPromClient(reg));
    expect(text).toBe(await reg.metrics());
    expect(await served(reg)).toBe(text);
  });

  test('a table too large for one chunk: the served chunks are the same text, multi-byte values whole', async () => {
    const reg = new Registry();
    const g = gauge(reg, 'lvsha_test_big', 'Many series.', ['host', 'note']);
    for (let i = 0; i < 20_000; i++) g.set({ host: `10.${i >> 8}.${i & 255}.1`, note: i % 7 ? 'plain' : 'répartiteur 💥' }, i);
    const text = await renderRegistry(reg);
    const r = await renderChunks(reg);
    expect(r.chunks.length).toBeGreaterThan(10);
    for (const c of r.chunks) expect(c.length).toBeLessThan(200 * 1024); // ~64 KiB each, never the whole answer
    expect(await served(reg)).toBe(text);
    expect(text).toBe(await viaPromClient(reg));
  });
});
