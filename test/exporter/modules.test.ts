import { moduleSpec } from '../../src/exporter/modules';
import type { ExporterOptions } from '../../src/exporter/server';
import { referenceDeployment } from '../../src/model/reference';

const o = {
  host: '127.0.0.1',
  port: 0,
  deployment: referenceDeployment,
  timeout: 10,
  sudo: false,
  ssh: { port: 22, user: 'root' },
  programs: { 'cl-status': '/opt/cl_status' },
  backendLabels: [],
  poolSize: 4,
  poolIdleMs: 60000,
} as unknown as ExporterOptions;

const args = (module: 'director' | 'realserver' | 'sorry', target: string | undefined, check: string) => moduleSpec(module, target, o).checks.find((c) => c.name === check)?.args;

describe('module specs', () => {
  test('/probe?module=director: the sorry check fetches the page through the target (-H), as check_lvs_sorry -H does', () => {
    // Without -H the exporter's own 127.0.0.1 was asked: CRITICAL on a healthy lab (lab/netns/probe.sh).
    expect(args('director', '192.168.0.1', 'sorry')).toEqual(['-H', '192.168.0.1']);
    // /metrics (this director): the local page, no SSH.
    expect(args('director', undefined, 'sorry')).toEqual([]);
  });

  test('program overrides reach the checks that take them; ipvs comes from the collector', () => {
    expect(args('director', undefined, 'heartbeat')).toEqual(['--cl-status', '/opt/cl_status']);
    expect(moduleSpec('director', undefined, o).checks.find((c) => c.name === 'ipvs')).toMatchObject({ byCollector: true });
    expect(args('realserver', '192.168.0.4', 'arp')).toEqual([]);
    expect(args('sorry', 'http://192.168.0.1/', 'sorry')).toEqual(['-u', 'http://192.168.0.1/', '--no-engaged']);
  });
});
