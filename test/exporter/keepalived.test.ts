import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BACKEND_LABELS, ScrapeEnv } from '../../src/exporter/collector';
import { collectorsFor } from '../../src/exporter/collectors';
import { renderRegistry } from '../../src/exporter/metrics';
import { moduleSpec } from '../../src/exporter/modules';
import { scrape } from '../../src/exporter/scrape';
import { referenceDeployment } from '../../src/model/reference';
import { Deployment } from '../../src/model/types';
import { LocalSource } from '../../src/sources/local';
import { MemoSource } from '../../src/sources/memo';
import { RootSource } from '../../src/sources/root';
import { RunOptions, RunResult, Source } from '../../src/sources/source';
import { lint } from './lab';

// keepalived's collector and check in the director module, on the real dumps of
// test/fixtures/real/keepalived-pair laid out as a --root tree.

const KA = join(__dirname, '..', 'fixtures', 'real', 'keepalived-pair');
const ka: Deployment = { ...referenceDeployment, ha: 'keepalived' };
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const STAT = (pid: number) => `${pid} (keepalived) S 1 ${pid} ${pid} 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 100 0 0\n`;

function tree(state: string, node: string, live: boolean): string {
  const root = mkdtempSync(join(tmpdir(), 'lvsha-kax-'));
  dirs.push(root);
  mkdirSync(join(root, 'tmp'));
  for (const f of ['keepalived.json', 'keepalived.data']) copyFileSync(join(KA, state, node, f), join(root, 'tmp', f));
  if (live) {
    mkdirSync(join(root, 'run'));
    writeFileSync(join(root, 'run', 'keepalived.pid'), '4242\n');
    writeFileSync(join(root, 'run', 'vrrp.pid'), '4243\n');
    for (const pid of [4242, 4243]) {
      mkdirSync(join(root, 'proc', String(pid)), { recursive: true });
      writeFileSync(join(root, 'proc', String(pid), 'stat'), STAT(pid));
    }
  }
  return root;
}

function env(source: Source): ScrapeEnv {
  return { source, sourceFor: () => source, deployment: ka, deadline: Date.now() + 5000, programs: {}, backendLabels: [...BACKEND_LABELS] };
}

/** The director module, keepalived's collector and check only (the other areas have their own tests). */
function spec() {
  const full = moduleSpec('director', undefined, { programs: {}, deployment: ka });
  return { collectors: full.collectors.filter((c) => c.name === 'keepalived'), checks: full.checks.filter((c) => c.name === 'keepalived') };
}

describe('exporter: keepalived as the HA layer', () => {
  test('the director module follows the deployment: keepalived in place of heartbeat', () => {
    const k = moduleSpec('director', undefined, { programs: {}, deployment: ka });
    expect(k.collectors.map((c) => c.name)).toEqual(['ipvs', 'vip', 'keepalived', 'sync']);
    expect(k.checks.map((c) => c.name)).toEqual(['ipvs', 'keepalived', 'sync', 'sorry']);
    const hb = moduleSpec('director', undefined, { programs: {}, deployment: referenceDeployment });
    expect(hb.checks.map((c) => c.name)).toEqual(['ipvs', 'heartbeat', 'sync', 'sorry']);
    expect(collectorsFor('director').map((c) => c.name)).toContain('heartbeat');
  });

  test('healthy MASTER: state series, priorities, counters; promtool-clean', async () => {
    const text = await renderRegistry(await scrape(spec(), env(new RootSource(tree('healthy', 'frontal1', true), new LocalSource({ sudo: false })))));
    const l = 'iname="VI_1",intf="eth0",vrid="51"';
    expect(text).toContain('lvsha_keepalived_up 1\n');
    expect(text).toContain(`lvsha_keepalived_vrrp_state{${l},state="MASTER"} 1\n`);
    expect(text).toContain(`lvsha_keepalived_vrrp_state{${l},state="BACKUP"} 0\n`);
    expect(text).toContain(`lvsha_keepalived_vrrp_priority{${l}} 150\n`);
    expect(text).toContain(`lvsha_keepalived_become_master_total{${l}} 1\n`);
    expect(text).toMatch(/^# TYPE lvsha_keepalived_authentication_failure_total counter$/m);
    expect(text).toContain('lvsha_check_status{check="keepalived"} 0\n');
    lint(text);
  });

  test('tracked script failed: the script named, the check WARNING', async () => {
    const text = await renderRegistry(await scrape(spec(), env(new RootSource(tree('script-failed', 'frontal1', true), new LocalSource({ sudo: false })))));
    expect(text).toContain('lvsha_keepalived_script_failed{iname="VI_1",intf="eth0",vrid="51",script="chk_sorry"} 1\n');
    expect(text).toContain('lvsha_keepalived_vrrp_priority{iname="VI_1",intf="eth0",vrid="51"} 90\n');
    expect(text).toContain('lvsha_check_status{check="keepalived"} 1\n');
  });

  test('keepalived stopped: up 0 and no VRRP series (its stale MASTER dump is not exported)', async () => {
    const text = await renderRegistry(await scrape(spec(), env(new RootSource(tree('master-stopped', 'frontal1', false), new LocalSource({ sudo: false })))));
    expect(text).toContain('lvsha_keepalived_up 0\n');
    expect(text).toContain('lvsha_keepalived_daemon_state{state="stopped"} 1\n');
    expect(text).not.toContain('lvsha_keepalived_vrrp_state');
    expect(text).toContain('lvsha_check_status{check="keepalived"} 2\n');
    lint(text);
  });

  test('one scrape signals keepalived once: the collector and the check share the dump', async () => {
    const root = tree('healthy', 'frontal2', true);
    const files = new RootSource(root, new LocalSource({ sudo: false }));
    const kills: string[] = [];
    let mtime = 1;
    // A live director (not a captured tree): kill bumps the dump's mtime.
    const live: Source = {
      host: 'frontal2',
      async run(argv: readonly string[], _o?: RunOptions): Promise<RunResult> {
        if (argv[0] === 'kill') {
          kills.push(argv[2]!);
          mtime++;
        }
        const stdout = argv[0] === 'stat' ? `${mtime}.0\n` : argv[0] === 'cat' ? await files.readFile(argv[argv.length - 1]!) : '';
        return { stdout, stderr: '', code: 0, signal: null };
      },
      readFile: (p) => files.readFile(p),
      listDir: (p) => files.listDir(p),
      close: async () => {},
    };
    const text = await renderRegistry(await scrape(spec(), env(new MemoSource(live))));
    expect(text).toContain('lvsha_keepalived_vrrp_state{iname="VI_1",intf="eth0",vrid="51",state="BACKUP"} 1\n');
    expect(text).toContain('lvsha_check_status{check="keepalived"} 0\n');
    expect(kills).toEqual(['36']);
  });
});
