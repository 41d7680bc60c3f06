import { moduleSpec } from '../../src/exporter/modules';
import { checkConfig } from '../../src/exporter/scrape';
import { referenceDeployment } from '../../src/model/reference';

const o = { programs: { 'cl-status': '/opt/cl_status', ip: '/opt/ip', ss: '/opt/ss', ipvsadm: '/opt/ipvsadm' } };
const env = { deployment: referenceDeployment };

/** The typed config the module hands a check (its defaults, adjusted): no argv. */
const config = (module: 'director' | 'realserver' | 'sorry', target: string | undefined, check: string) => {
  const c = moduleSpec(module, target, o).checks.find((x) => x.name === check);
  if (!c) throw new Error(`${module} runs no ${check} check`);
  return checkConfig(c, env) as Record<string, unknown>;
};

describe('module specs', () => {
  test('/probe?module=director: the sorry check fetches the page through the target, as check_lvs_sorry -H does', () => {
    // Without the target the exporter's own 127.0.0.1 was asked: CRITICAL on a healthy lab (lab/netns/probe.sh).
    expect(config('director', '192.168.0.1', 'sorry')).toMatchObject({ hostname: '192.168.0.1', url: 'http://127.0.0.1/', engaged: true });
    // /metrics (this director): the local page, no SSH.
    expect(config('director', undefined, 'sorry').hostname).toBeUndefined();
  });

  test('program overrides reach the checks that take them; every director check has its verdict', () => {
    expect(moduleSpec('director', undefined, o).checks.map((c) => c.name)).toEqual(['ipvs', 'heartbeat', 'sync', 'sorry']);
    expect(config('director', undefined, 'heartbeat')).toMatchObject({ clStatus: '/opt/cl_status', media: 'ucast' });
    expect(config('director', undefined, 'sync')).toMatchObject({ ipvsadm: '/opt/ipvsadm', ip: '/opt/ip', syncid: 1 });
    // ipvs: the plugin's defaults, passive-director rule included (role auto).
    expect(config('director', undefined, 'ipvs')).toMatchObject({ role: 'auto', probe: 'proc', keys: [], all: false });
    expect(config('realserver', '192.168.0.4', 'arp')).toMatchObject({ ip: '/opt/ip', ss: '/opt/ss', persistence: true });
    expect(config('sorry', 'http://192.168.0.1/', 'sorry')).toMatchObject({ url: 'http://192.168.0.1/', engaged: false });
  });
});
