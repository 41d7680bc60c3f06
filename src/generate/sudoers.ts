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

/**
 * What check_lvs_keepalived --sudo runs when it reads keepalived's dumps instead of DBus:
 * `kill -s 36 PID` (36 = `keepalived --signum=JSON`, 10 = `--signum=DATA` on Linux), then
 * `cat -- FILE` of each dump (src/probes/keepalived.ts). The signal is a number, never a name, so the rule below matches it.
 */
export const KEEPALIVED_SIGNALS = [36, 10] as const;
export const KEEPALIVED_DUMPS = ['/tmp/keepalived.json', '/tmp/keepalived.data'] as const;
export const KILL = '/usr/bin/kill';
export const CAT = '/usr/bin/cat';

/** The keepalived check's rules (sudoers syntax; sudo >= 1.9.10 for the ^...$ regular expression). */
export function keepalivedSudoRules(user: string): string[] {
  return [
    '# check_lvs_keepalived --sudo: ask keepalived for its JSON and data dumps, then read them.',
    '# RISK: the pid cannot be fixed in advance. Signals 36 and 10 terminate any process that does',
    '# not handle them, so a rule `kill -s 36 *` would let this user kill any process (and several',
    "# at once: sudo's * matches spaces). The regular expression admits one signal of the two and",
    '# one pid, digits only; it still lets the user end one process of its choice. The DBus method',
    '# needs no sudo at all (enable_dbus in global_defs: org.keepalived.Vrrp1 is readable without',
    '# root): prefer it, and then delete these two lines and run the check without --sudo.',
    `${user} ALL=(root) NOPASSWD: ${KILL} ^-s (${KEEPALIVED_SIGNALS.join('|')}) [1-9][0-9]{0,9}$`,
    `${user} ALL=(root) NOPASSWD: ${KEEPALIVED_DUMPS.map((f) => `${CAT} -- ${f}`).join(', ')}`,
  ];
}

/**
 * Pacemaker: no rule. crm_mon talks to Pacemaker's daemons over IPC that they open to the group
 * haclient (root or hacluster otherwise), so the monitoring user joins that group instead.
 */
export function pacemakerSudoNote(user: string): string[] {
  return [
    '# check_lvs_pacemaker needs no sudo: crm_mon answers any member of the group haclient. Add the',
    `# monitoring user to it instead (usermod -a -G haclient ${user}); no rule here for crm_mon.`,
  ];
}

export function sudoersLvsha(d: Deployment, o: GenerateOptions): string {
  const keepalived = o.stack === 'keepalived';
  return lines(
    header(d, '/etc/sudoers.d/lvsha: what the monitoring checks may run as root (mode 0440; check with visudo -c -f).').trimEnd(),
    keepalived
      ? `# \`${IPVSADM} ${SYNC_SUDO_ARGV.slice(1).join(' ')}\` (the sync daemons' state) and keepalived's dumps (below); no password, no tty.`
      : `# Exactly \`${IPVSADM} ${SYNC_SUDO_ARGV.slice(1).join(' ')}\` (the sync daemons' state) and nothing else; no password, no tty.`,
    `Defaults:${o.monitoringUser} !requiretty`,
    `${o.monitoringUser} ALL=(root) NOPASSWD: ${IPVSADM} ${SYNC_SUDO_ARGV.slice(1).join(' ')}`,
    ...(keepalived ? ['', ...keepalivedSudoRules(o.monitoringUser)] : []),
    ...(o.stack === 'pacemaker' ? ['', ...pacemakerSudoNote(o.monitoringUser)] : []),
  );
}

export function sudoersFiles(d: Deployment, o: GenerateOptions): GeneratedFile[] {
  const content = sudoersLvsha(d, o);
  return d.directors.map((dir) => ({ host: dir.name, path: '/etc/sudoers.d/lvsha', mode: MODE_SUDOERS, content }));
}
