/**
 * Issue 13, "first, today": doctor connects only to the hosts the deployment names as hosts
 * (directors, realHosts). Before, doctorPlan added an ARP row for each real server's SERVICE
 * address, so `lvsha doctor --config lab/clients/loopback-deployment.yaml` opened SSH to
 * 192.168.0.4 and .5 (addresses the replayed captures mention, hosts of nobody's).
 *
 * Doctor runs in a namespace with only lo (helpers.ts): nothing listens on 127.0.0.2..5, so every
 * row is CRITICAL "cannot reach 127.0.0.N:22", and a connect anywhere else fails at once with
 * ENETUNREACH. Under strace (when installed) every connect() address is listed as well.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canIsolate, hasStrace, ROOT, runIsolated } from './helpers';

const hasKeygen = spawnSync('sh', ['-c', 'command -v ssh-keygen']).status === 0;
const d = canIsolate && hasKeygen ? describe : describe.skip;
if (!(canIsolate && hasKeygen) && process.env.CI) throw new Error('root, unshare, ip and ssh-keygen are required in CI');

const LOOPBACK = (a: string) => /^127\./.test(a) || a === '::1' || /^::ffff:127\./.test(a);

interface Row {
  check: string;
  host: string;
  state: string;
  summary: string;
  details: string[];
}

d('lvsha doctor reaches only the deployment hosts (namespace with only lo)', () => {
  let dir: string;
  let key: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'lvsha-doctor-netns-'));
    key = join(dir, 'id_ed25519');
    // A real key, so that each SSH attempt gets as far as connect().
    expect(spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]).status).toBe(0);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('loopback-deployment.yaml: rows for directors and realHosts only, no connect outside 127/8', () => {
    const trace = hasStrace ? join(dir, 'connect.trace') : undefined;
    const r = runIsolated('lvsha', ['doctor', '--config', join(ROOT, 'lab', 'clients', 'loopback-deployment.yaml'), '--json', '-vv', '-t', '5', '--known-hosts', '/dev/null', '--ssh-key', key], { trace });
    const out = JSON.parse(r.stdout) as { results: Row[] };
    const rows = out.results;
    // One ARP row per real host, reached at its realHosts address (the row says so when it fails).
    expect(rows.filter((x) => x.check === 'arp').map((x) => x.host)).toEqual(['reel1', 'reel2']);
    const reached = rows.flatMap((x) => [x.summary, ...x.details]).flatMap((t) => [...t.matchAll(/cannot reach ([0-9a-f.:]+?):\d+/g)].map((m) => m[1]!));
    expect(reached.length).toBeGreaterThan(0);
    expect(reached.filter((a) => !LOOPBACK(a))).toEqual([]);
    expect(JSON.stringify(rows)).not.toMatch(/ENETUNREACH|EHOSTUNREACH/);
    if (r.connects) {
      expect(r.connects).toContain('127.0.0.2'); // the trace works
      expect(r.connects.filter((a) => !LOOPBACK(a))).toEqual([]);
    }
  });
});
