/**
 * /etc/sudoers.d/lvsha on each director: the monitoring user may run exactly the one
 * privileged command the checks need. check_lvs_sync --sudo runs
 * `sudo -n -- ipvsadm -L --daemon` (CAP_NET_ADMIN); sudo resolves `ipvsadm` through its
 * secure_path to /usr/sbin/ipvsadm, and a rule with arguments matches those arguments only.
 */
import { Deployment } from '../model/types';
import { GeneratedFile, GenerateOptions, IPVSADM, MODE_SUDOERS, header, lines } from './common';

/** The argv the sync check runs through sudo. */
export const SYNC_SUDO_ARGV = ['ipvsadm', '-L', '--daemon'] as const;

export function sudoersLvsha(d: Deployment, o: GenerateOptions): string {
  return lines(
    header(d, '/etc/sudoers.d/lvsha: what the monitoring checks may run as root (mode 0440; check with visudo -c -f).').trimEnd(),
    `# Exactly \`${IPVSADM} ${SYNC_SUDO_ARGV.slice(1).join(' ')}\` (the sync daemons' state) and nothing else; no password, no tty.`,
    `Defaults:${o.monitoringUser} !requiretty`,
    `${o.monitoringUser} ALL=(root) NOPASSWD: ${IPVSADM} ${SYNC_SUDO_ARGV.slice(1).join(' ')}`,
  );
}

export function sudoersFiles(d: Deployment, o: GenerateOptions): GeneratedFile[] {
  const content = sudoersLvsha(d, o);
  return d.directors.map((dir) => ({ host: dir.name, path: '/etc/sudoers.d/lvsha', mode: MODE_SUDOERS, content }));
}
