/**
 * The status page reads the other director over real SSH, through the exporter's pool and
 * allow list (the /probe machinery): the loopback site of test/clients/harness.ts (an OpenSSH
 * sshd on 127.0.0.2-5, one per host of lab/clients/loopback-deployment.yaml, each session
 * told which host it is in LVSHA_REPLAY_HOST) replays each director's real captures. The
 * exporter runs as frontal1 (--root of its tree); frontal2 is read over SSH at 127.0.0.3.
 * What a remote /proc would give is this machine's own, so only the replayed programs are
 * asserted for frontal2 (`ip -j addr`, cl_status).
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StatusSnapshot } from '../../src/exporter/status/model';
import { clientTest, Daemon, Fatal, httpGet, REPO, startLoopbackSite, waitFor } from '../clients/harness';

clientTest(
  ['/usr/sbin/sshd'],
  'the status page reads frontal2 over SSH (pool, allow list): its own ip and Heartbeat captures; --no-status-peers does not',
  async () => {
    const site = await startLoopbackSite('status-ssh');
    const daemons: Daemon[] = [];
    try {
      const d = site.dir;
      // One program path for every host, as in production: each dispatches on the host it runs on.
      for (const prog of ['cl_status', 'ipvsadm']) {
        writeFileSync(join(d, 'bin', prog), `#!/bin/sh\nexec '${d}'/hosts/"$LVSHA_REPLAY_HOST"/${prog} "$@"\n`);
        chmodSync(join(d, 'bin', prog), 0o755);
      }
      const port = Number(/^Port (\d+)$/m.exec(readFileSync(join(d, 'ssh', 'sshd_config'), 'utf8'))![1]);
      const start = async (extra: string[]) => {
        const ex = new Daemon(
          'exporter',
          [
            process.execPath,
            join(REPO, 'bin', 'lvsha'),
            'exporter',
            '--listen',
            '127.0.0.1:0',
            '--config',
            join(site.etc, 'lvsha', 'deployment.json'),
            '--root',
            join(d, 'roots', 'frontal1'),
            '--ip',
            join(d, 'bin', 'ip'),
            '--cl-status',
            join(d, 'bin', 'cl_status'),
            '--ipvsadm',
            join(d, 'bin', 'ipvsadm'),
            '--node',
            'frontal1',
            '--ssh-user',
            'root',
            '--ssh-port',
            String(port),
            '--ssh-key',
            join(d, 'ssh', 'user_ed25519'),
            '--known-hosts',
            join(d, 'ssh', 'known_hosts'),
            ...extra,
          ],
          { LVSHA_REPLAY_HOST: 'frontal1' },
        );
        daemons.push(ex);
        const p = await waitFor(
          'the exporter to listen',
          () => {
            if (ex.exited) throw new Fatal(`exporter exited: ${ex.out}`);
            const m = /listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(ex.out);
            return m ? Number(m[1]) : undefined;
          },
          15_000,
          50,
        );
        return JSON.parse((await httpGet(`http://127.0.0.1:${p}/status?format=json`, 30_000)).body) as StatusSnapshot;
      };

      const s = await start([]);
      const [f1, f2] = s.directors;
      expect([f1!.name, f1!.read, f1!.vips.value]).toEqual(['frontal1', 'local', { '192.168.0.3': true }]);
      expect([f2!.name, f2!.address, f2!.read]).toEqual(['frontal2', '127.0.0.3', 'ssh']);
      // frontal2's own `ip -j addr` and cl_status, run by its sshd session.
      expect(f2!.vips).toMatchObject({ value: { '192.168.0.3': false } });
      expect(f2!.ha.value?.nodes.find((n) => n.local)?.name).toBe('frontal2');
      expect(s.vips).toEqual([{ address: '192.168.0.3', holders: ['frontal1'], how: 'read' }]);
      expect(f2!.checks.find((c) => c.check === 'heartbeat')).toMatchObject({ state: 0, summary: 'frontal2: peer frontal1 active, 1/1 links up' });

      const off = await start(['--no-status-peers']);
      expect(off.directors[1]).toMatchObject({ name: 'frontal2', read: 'not-read' });
    } finally {
      for (const x of daemons) await x.stop();
      await site.stop();
    }
  },
  120_000,
);
