/**
 * Nagios 4 / Shinken object files: one command per check, the directors and real servers
 * as hosts, and their services. Self-contained apart from the `24x7` timeperiod and the
 * `admins` contact group every stock configuration defines.
 */
import { Deployment } from '../model/types';
import { GeneratedFile, GenerateOptions, MODE_CONFIG, MonitoringCheck, header, lines, monitoredHosts, monitoringChecks } from './common';

export const NAGIOS_DIR = '/etc/nagios4/conf.d';

/** `define TYPE { ... }` with aligned directives. */
function define(type: string, directives: [string, string | number][]): string[] {
  return [`define ${type} {`, ...directives.map(([k, v]) => `    ${k.padEnd(24)}${v}`), '}', ''];
}

/** The plugin's command line: runs its probes on the host over SSH as the monitoring user. */
export function checkCommandLine(c: MonitoringCheck, o: GenerateOptions): string {
  return [`$USER1$/check_lvs_${c.name}`, '-H $HOSTADDRESS$', `--ssh-user ${o.monitoringUser}`, c.sudo && '--sudo', `--config ${o.deploymentPath}`, '$ARG1$']
    .filter(Boolean)
    .join(' ');
}

export function nagiosCommands(d: Deployment, o: GenerateOptions): string {
  return lines(
    header(d, `${NAGIOS_DIR}/lvsha-commands.cfg: commands of the lvsha checks (Nagios 4, Shinken).`).trimEnd(),
    '# $USER1$ is the plugin directory (resource.cfg): link bin/check_lvs_* there. $ARG1$: extra options.',
    '',
    ...define('command', [
      ['command_name', 'lvsha_check_host_alive'],
      ['command_line', '$USER1$/check_ping -H $HOSTADDRESS$ -w 3000.0,80% -c 5000.0,100% -p 5'],
    ]),
    ...monitoringChecks(o).flatMap((c) =>
      define('command', [
        ['command_name', `check_lvs_${c.name}`],
        ['command_line', checkCommandLine(c, o)],
      ]),
    ),
  ).replace(/\n\n$/, '\n');
}

export function nagiosHosts(d: Deployment): string {
  const hosts = monitoredHosts(d);
  return lines(
    header(d, `${NAGIOS_DIR}/lvsha-hosts.cfg: the directors and real servers.`).trimEnd(),
    '',
    ...define('host', [
      ['name', 'lvsha-host'],
      ['register', 0],
      ['check_command', 'lvsha_check_host_alive'],
      ['max_check_attempts', 3],
      ['check_interval', 5],
      ['retry_interval', 1],
      ['check_period', '24x7'],
      ['notification_period', '24x7'],
      ['notification_interval', 60],
      ['contact_groups', 'admins'],
    ]),
    ...define('hostgroup', [
      ['hostgroup_name', 'lvsha-directors'],
      ['alias', `LVS directors (${d.name})`],
    ]),
    ...define('hostgroup', [
      ['hostgroup_name', 'lvsha-realservers'],
      ['alias', `LVS real servers (${d.name})`],
    ]),
    ...hosts.flatMap((h) =>
      define('host', [
        ['use', 'lvsha-host'],
        ['host_name', h.name],
        ['alias', `LVS ${h.role === 'director' ? 'director' : 'real server'} ${h.name}`],
        ['address', h.address],
        ['hostgroups', h.role === 'director' ? 'lvsha-directors' : 'lvsha-realservers'],
      ]),
    ),
  ).replace(/\n\n$/, '\n');
}

export function nagiosServices(d: Deployment, o: GenerateOptions): string {
  const checks = monitoringChecks(o);
  return lines(
    header(d, `${NAGIOS_DIR}/lvsha-services.cfg: the lvsha checks of each host.`).trimEnd(),
    '',
    ...define('service', [
      ['name', 'lvsha-service'],
      ['register', 0],
      ['max_check_attempts', 3],
      ['check_interval', 1],
      ['retry_interval', 1],
      ['check_period', '24x7'],
      ['notification_period', '24x7'],
      ['notification_interval', 60],
      ['contact_groups', 'admins'],
    ]),
    ...monitoredHosts(d).flatMap((h) =>
      checks
        .filter((c) => c.on === h.role)
        .flatMap((c) =>
          define('service', [
            ['use', 'lvsha-service'],
            ['host_name', h.name],
            ['service_description', c.description],
            ['check_command', `check_lvs_${c.name}`],
          ]),
        ),
    ),
  ).replace(/\n\n$/, '\n');
}

export function nagiosFiles(d: Deployment, o: GenerateOptions): GeneratedFile[] {
  return [
    { host: 'monitoring', path: `${NAGIOS_DIR}/lvsha-commands.cfg`, mode: MODE_CONFIG, content: nagiosCommands(d, o) },
    { host: 'monitoring', path: `${NAGIOS_DIR}/lvsha-hosts.cfg`, mode: MODE_CONFIG, content: nagiosHosts(d) },
    { host: 'monitoring', path: `${NAGIOS_DIR}/lvsha-services.cfg`, mode: MODE_CONFIG, content: nagiosServices(d, o) },
  ];
}
