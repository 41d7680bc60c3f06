/**
 * Icinga 2: one CheckCommand per check (arguments + default vars), the hosts and their
 * services. Needs the ITL (`include <itl>`, `include <plugins>`: hostalive, PluginDir) as
 * every stock icinga2.conf has.
 */
import { Deployment } from '../model/types';
import { GeneratedFile, GenerateOptions, MODE_CONFIG, header, isV6, lines, monitoredHosts, monitoringChecks } from './common';

export const ICINGA_DIR = '/etc/icinga2/conf.d';

const q = (s: string) => JSON.stringify(s); // Icinga 2 strings: double quotes, backslash escapes

export function icingaCommands(d: Deployment, o: GenerateOptions): string {
  return lines(
    header(d, `${ICINGA_DIR}/lvsha-commands.conf: CheckCommands of the lvsha checks (Icinga 2).`, '//').trimEnd(),
    '// PluginDir (constants.conf) is where bin/check_lvs_* must be linked.',
    ...monitoringChecks(o).flatMap((c) => [
      '',
      `object CheckCommand ${q(`lvsha_${c.name}`)} {`,
      `  command = [ PluginDir + ${q(`/check_lvs_${c.name}`)} ]`,
      '  arguments = {',
      '    "-H" = {',
      '      value = "$lvsha_address$"',
      '      description = "Host to run the probes on (over SSH)"',
      '    }',
      '    "--ssh-user" = "$lvsha_ssh_user$"',
      '    "--sudo" = {',
      '      set_if = "$lvsha_sudo$"',
      '      description = "Run the privileged command through sudo -n (sudoers.d/lvsha)"',
      '    }',
      '    "--config" = "$lvsha_config$"',
      '    "--timeout" = "$lvsha_timeout$"',
      '  }',
      '  vars.lvsha_address = "$address$"',
      `  vars.lvsha_ssh_user = ${q(o.monitoringUser)}`,
      `  vars.lvsha_sudo = ${c.sudo}`,
      `  vars.lvsha_config = ${q(o.deploymentPath)}`,
      '  vars.lvsha_timeout = 10',
      '}',
    ]),
  );
}

export function icingaHosts(d: Deployment): string {
  return lines(
    header(d, `${ICINGA_DIR}/lvsha-hosts.conf: the directors and real servers (Icinga 2).`, '//').trimEnd(),
    '',
    'template Host "lvsha-host" {',
    '  check_command = "hostalive"',
    '  max_check_attempts = 3',
    '  check_interval = 5m',
    '  retry_interval = 1m',
    '}',
    ...monitoredHosts(d).flatMap((h) => [
      '',
      `object Host ${q(h.name)} {`,
      '  import "lvsha-host"',
      `  display_name = ${q(`LVS ${h.role === 'director' ? 'director' : 'real server'} ${h.name}`)}`,
      `  ${isV6(h.address) ? 'address6' : 'address'} = ${q(h.address)}`,
      `  vars.lvsha_role = ${q(h.role)}`,
      `  vars.lvsha_deployment = ${q(d.name)}`,
      '}',
    ]),
  );
}

export function icingaServices(d: Deployment, o: GenerateOptions): string {
  const checks = monitoringChecks(o);
  return lines(
    header(d, `${ICINGA_DIR}/lvsha-services.conf: the lvsha checks of each host (Icinga 2).`, '//').trimEnd(),
    '',
    'template Service "lvsha-service" {',
    '  max_check_attempts = 3',
    '  check_interval = 1m',
    '  retry_interval = 30s',
    '}',
    ...monitoredHosts(d).flatMap((h) =>
      checks
        .filter((c) => c.on === h.role)
        .flatMap((c) => [
          '',
          `object Service ${q(`lvs-${c.name}`)} {`,
          '  import "lvsha-service"',
          `  host_name = ${q(h.name)}`,
          `  display_name = ${q(c.description)}`,
          `  check_command = ${q(`lvsha_${c.name}`)}`,
          '}',
        ]),
    ),
  );
}

export function icingaFiles(d: Deployment, o: GenerateOptions): GeneratedFile[] {
  return [
    { host: 'monitoring', path: `${ICINGA_DIR}/lvsha-commands.conf`, mode: MODE_CONFIG, content: icingaCommands(d, o) },
    { host: 'monitoring', path: `${ICINGA_DIR}/lvsha-hosts.conf`, mode: MODE_CONFIG, content: icingaHosts(d) },
    { host: 'monitoring', path: `${ICINGA_DIR}/lvsha-services.conf`, mode: MODE_CONFIG, content: icingaServices(d, o) },
  ];
}
