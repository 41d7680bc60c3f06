/**
 * The IPVS connection-synchronisation daemons: the article's /etc/init.d/lvsstate and the
 * same as a systemd unit for today's distributions.
 *
 * Mode `both` (the article): every director runs a master and a backup daemon, so whichever
 * holds the VIP sends its connections and the other receives them (kernels >= 2.6.39 allow
 * both at once). Mode `follow-role` is generated statically: master on the preferred
 * director, backup on the others — it does not swap roles on failover.
 */
import { Deployment, Director } from '../model/types';
import { GeneratedFile, IPVSADM, MODE_CONFIG, MODE_SCRIPT, header, lines } from './common';

type Role = 'master' | 'backup';

/** Daemons of one director, backup first (as the article starts them). */
export function rolesOf(d: Deployment, dir: Director): Role[] {
  if (d.sync.mode === 'both') return ['backup', 'master'];
  return [dir.name === d.heartbeat.preferred ? 'master' : 'backup'];
}

const startArgs = (d: Deployment, role: Role) => `--start-daemon ${role} --mcast-interface=${d.sync.interface} --syncid=${d.sync.syncid}`;

export function lvsstateInit(d: Deployment, dir: Director): string {
  const roles = rolesOf(d, dir);
  return lines(
    '#!/bin/sh',
    header(d, `/etc/init.d/lvsstate on ${dir.name}: IPVS connection synchronisation daemons (syncid ${d.sync.syncid}).`).trimEnd(),
    '#',
    '# chkconfig: - 80 30',
    `# description: IPVS sync daemons (${roles.join(' and ')}, syncid ${d.sync.syncid}): the backup director \\`,
    '#              keeps the established connections of the active one.',
    '### BEGIN INIT INFO',
    '# Provides:          lvsstate',
    '# Required-Start:    $network $remote_fs',
    '# Required-Stop:     $network $remote_fs',
    '# Default-Start:     2 3 4 5',
    '# Default-Stop:      0 1 6',
    '# Short-Description: IPVS connection synchronisation daemons',
    '### END INIT INFO',
    '',
    'PATH=/usr/sbin:/sbin:/usr/bin:/bin',
    'export PATH',
    '',
    'start() {',
    '    rc=0',
    ...roles.map((r) => `    ipvsadm ${startArgs(d, r)} || rc=1`),
    '    return $rc',
    '}',
    '',
    'stop() {',
    '    rc=0',
    ...roles.map((r) => `    ipvsadm --stop-daemon ${r} || rc=1`),
    '    return $rc',
    '}',
    '',
    'case "$1" in',
    '    start)',
    '        start',
    '        ;;',
    '    stop)',
    '        stop',
    '        ;;',
    '    restart|force-reload)',
    '        stop',
    '        start',
    '        ;;',
    '    status)',
    '        # prints one line per running daemon; nothing when none runs (LSB: 3 = not running)',
    '        out=$(ipvsadm -L --daemon) || exit 4',
    '        [ -n "$out" ] || exit 3',
    '        printf \'%s\\n\' "$out"',
    '        ;;',
    '    *)',
    '        echo "Usage: $0 {start|stop|restart|status}" >&2',
    '        exit 2',
    '        ;;',
    'esac',
  );
}

export function lvsstateUnit(d: Deployment, dir: Director): string {
  const roles = rolesOf(d, dir);
  return lines(
    header(d, `/etc/systemd/system/lvsstate.service on ${dir.name}: IPVS connection synchronisation daemons.`).trimEnd(),
    '# Enable with: systemctl daemon-reload && systemctl enable --now lvsstate',
    '[Unit]',
    `Description=IPVS connection synchronisation daemons (${roles.join(' and ')}, syncid ${d.sync.syncid})`,
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Service]',
    'Type=oneshot',
    'RemainAfterExit=yes',
    ...roles.map((r) => `ExecStart=${IPVSADM} ${startArgs(d, r)}`),
    ...roles.map((r) => `ExecStop=${IPVSADM} --stop-daemon ${r}`),
    '',
    '[Install]',
    'WantedBy=multi-user.target',
  );
}

export function syncFiles(d: Deployment): GeneratedFile[] {
  return d.directors.flatMap((dir) => [
    { host: dir.name, path: '/etc/init.d/lvsstate', mode: MODE_SCRIPT, content: lvsstateInit(d, dir) },
    { host: dir.name, path: '/etc/systemd/system/lvsstate.service', mode: MODE_CONFIG, content: lvsstateUnit(d, dir) },
  ]);
}
