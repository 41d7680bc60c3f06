import { readdirSync, readFileSync } from 'node:fs';
import { createConnection, createServer, Server, Socket } from 'node:net';
import { BACKEND_LABELS } from '../../src/exporter/collector';
import { Exporter } from '../../src/exporter/server';
import { referenceDeployment } from '../../src/model/reference';
import { sshdAvailable, startSshd, TestSshd } from '../helpers/sshd';
import { get, Lab, lint, makeLab, series, sortedSamples } from './lab';

// /probe?module=realserver over SSH to a real sshd, all on loopback. The exporter treats
// 127.0.0.1 as "this host" (no SSH), so the target is 127.0.0.2: a counting TCP relay there
// forwards to the test sshd on 127.0.0.1 (same port, so the helper's known_hosts line for
// [127.0.0.2]:PORT holds the right host key). The replayed `ip`/`ss` scripts and the real
// /proc/sys of this machine are what the SSH commands read. (On this machine each SSH
// command costs ~0.2 s more than it should: Debian's bash runs root's ~/.bashrc for
// commands sshd starts, pyenv there; bench/lib/sshd.js sets SHLVL to skip it. Hence the
// short series and the generous deadlines here: the check_lvs_arp verdict may be cut.)

const available = sshdAvailable();
if (!available && process.env.CI) throw new Error('sshd (openssh-server) and root are required in CI');
const d = available ? describe : describe.skip;

d('/probe?module=realserver over SSH (pooled connections)', () => {
  let sshd: TestSshd;
  let relay: Server;
  let connections = 0;
  const sockets = new Set<Socket>();
  let lab: Lab;

  beforeAll(async () => {
    sshd = await startSshd();
    relay = createServer((c) => {
      connections++;
      const up = createConnection({ host: '127.0.0.1', port: sshd.port });
      sockets.add(c).add(up);
      c.pipe(up).pipe(c);
      const end = () => {
        c.destroy();
        up.destroy();
      };
      c.on('error', end).on('close', end);
      up.on('error', end).on('close', end);
    });
    await new Promise<void>((r) => relay.listen(sshd.port, '127.0.0.2', r));
    lab = makeLab({ ipAddr: 'ip/healthy/reel1/addr', ssTcp: 'ss/listening-any/reel1/ltn' });
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => relay.close(() => r()));
    await sshd.stop();
    lab.cleanup();
  });

  const exporter = (poolSize: number, knownHostsPath = sshd.emptyKnownHosts) =>
    new Exporter({
      host: '127.0.0.1',
      port: 0,
      deployment: referenceDeployment,
      timeout: 10,
      sudo: false,
      ssh: { port: sshd.port, user: 'root', keyPath: sshd.userKey, knownHostsPath },
      programs: lab.programs,
      backendLabels: [...BACKEND_LABELS],
      poolSize,
      poolIdleMs: 60000,
      // The sshd on 127.0.0.2 is no host of the reference deployment: allowed explicitly.
      probeAllow: ['127.0.0.2'],
    });

  test('3 probes: one SSH connection with the pool, three with --pool-size 0; promtool clean', async () => {
    for (const [poolSize, expected] of [
      [8, 1],
      [0, 3],
    ] as const) {
      const e = exporter(poolSize);
      const { port } = await e.listen();
      const before = connections;
      try {
        for (let i = 0; i < 3; i++) {
          const r = await get(port, '/probe?module=realserver&target=127.0.0.2', { 'X-Prometheus-Scrape-Timeout-Seconds': '8' });
          expect(r.status).toBe(200);
          const s = sortedSamples(r.body);
          expect(s.get(series('lvsha_probe_success', { probe: 'arp' }))).toBe(1);
          // From the replayed `ip -j addr` of reel1, run on the far side of the SSH connection.
          expect(s.get(series('lvsha_arp_vip_on_lo', { vip: '192.168.0.3' }))).toBe(1);
          expect(s.get(series('lvsha_service_listening', { vip: '192.168.0.3', port: '80', proto: 'tcp' }))).toBe(1);
          expect(s.has(series('lvsha_check_status', { check: 'arp' }))).toBe(true);
          if (i === 0) lint(r.body);
        }
      } finally {
        await e.close();
      }
      expect([poolSize, connections - before]).toEqual([poolSize, expected]);
    }
  }, 120000);

  test('a remote command that hangs dies with the scrape deadline, not the source default (no process outlives the scrape)', async () => {
    // `ip` sleeps 61.7 s on the far side of the SSH connection; the scrape asks 2 s.
    const hung = makeLab({ ipAddr: 'ip/healthy/reel1/addr', ssTcp: 'ss/listening-any/reel1/ltn', hang: { program: 'ip', seconds: 61.7 } });
    const sleeping = () =>
      readdirSync('/proc')
        .filter((p) => /^\d+$/.test(p))
        .filter((p) => {
          try {
            return readFileSync(`/proc/${p}/cmdline`, 'utf8') === 'sleep\u000061.7\u0000';
          } catch {
            return false;
          }
        });
    const e = new Exporter({
      host: '127.0.0.1',
      port: 0,
      deployment: referenceDeployment,
      timeout: 10,
      sudo: false,
      ssh: { port: sshd.port, user: 'root', keyPath: sshd.userKey, knownHostsPath: sshd.emptyKnownHosts },
      programs: hung.programs,
      backendLabels: [...BACKEND_LABELS],
      poolSize: 4,
      poolIdleMs: 60000,
      probeAllow: ['127.0.0.2'],
    });
    const { port } = await e.listen();
    try {
      const r = await get(port, '/probe?module=realserver&target=127.0.0.2', { 'X-Prometheus-Scrape-Timeout-Seconds': '2' });
      expect(r.status).toBe(200);
      expect(sortedSamples(r.body).get(series('lvsha_probe_success', { probe: 'arp' }))).toBe(0);
      // Bounded wait (count and time) for the remote sleep to be killed; the source default was 120 s.
      let left = sleeping();
      for (let i = 0; i < 40 && left.length > 0; i++) {
        await new Promise((res) => setTimeout(res, 250));
        left = sleeping();
      }
      expect(left).toEqual([]);
    } finally {
      await e.close();
      for (const pid of sleeping()) process.kill(Number(pid), 'SIGKILL');
      hung.cleanup();
    }
  }, 60000);

  test('a host key that does not match: 200, probe_success 0', async () => {
    const e = exporter(4, sshd.wrongKnownHosts);
    const { port } = await e.listen();
    try {
      const r = await get(port, '/probe?module=realserver&target=127.0.0.2');
      expect(r.status).toBe(200);
      expect(sortedSamples(r.body).get(series('lvsha_probe_success', { probe: 'arp' }))).toBe(0);
    } finally {
      await e.close();
    }
  });
});
