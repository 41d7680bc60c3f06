// A throwaway Icinga 2 configuration shared by the loopback test (icinga2.test.ts) and the lab
// proof (icinga2-lab.ts): its own directories (-D Configuration.*), the generated conf.d with
// PluginDir = the wrappers, the checker, the perfdata writer and the external command pipe.
// Active checks are off globally, so only the checks a test forces run.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Icinga2Instance {
  /** Main configuration file (`icinga2 daemon -c`). */
  conf: string;
  /** The -D Configuration.* options that keep every path inside the instance's directory. */
  defines: string[];
  /** External command pipe (SCHEDULE_FORCED_SVC_CHECK). */
  pipe: string;
  /** Where the PerfdataWriter writes service-perfdata*. */
  perfDir: string;
  /** icinga2.log */
  log: string;
  /** Environment for running as root. */
  env: Record<string, string>;
}

export function writeIcinga2Instance(t: string, o: { pluginDir: string; confD: string; nodeName: string }): Icinga2Instance {
  for (const d of ['etc', 'lib', 'log', 'cache', 'spool', 'run/icinga2', 'perfdata']) mkdirSync(join(t, d), { recursive: true });
  const conf = join(t, 'etc', 'icinga2.conf');
  writeFileSync(
    conf,
    `const PluginDir = "${o.pluginDir}"
const NodeName = "${o.nodeName}"
const ZoneName = NodeName
include <itl>
include <plugins>
object IcingaApplication "app" {
  enable_host_checks = false
  enable_service_checks = false
  enable_notifications = false
  enable_event_handlers = false
  enable_perfdata = true
}
object CheckerComponent "checker" { }
object ExternalCommandListener "command" {
  command_path = "${t}/run/icinga2.cmd"
}
object FileLogger "main-log" {
  severity = "information"
  path = "${t}/log/icinga2.log"
}
object PerfdataWriter "perfdata" {
  service_perfdata_path = "${t}/perfdata/service-perfdata"
  service_temp_path = "${t}/perfdata/service-perfdata.tmp"
  host_perfdata_path = "${t}/perfdata/host-perfdata"
  host_temp_path = "${t}/perfdata/host-perfdata.tmp"
  // $service.output$ holds the long output too (several lines): last.
  service_format_template = "SERVICE\\t$host.name$\\t$service.name$\\t$service.state$\\t$service.perfdata$\\t$service.output$"
  rotation_interval = 1s
}
include "${o.confD}/*.conf"
`,
  );
  const defines = [
    `-DConfiguration.ConfigDir=${t}/etc`,
    `-DConfiguration.DataDir=${t}/lib`,
    `-DConfiguration.LogDir=${t}/log`,
    `-DConfiguration.CacheDir=${t}/cache`,
    `-DConfiguration.SpoolDir=${t}/spool`,
    `-DConfiguration.InitRunDir=${t}/run`,
    `-DConfiguration.PidPath=${t}/run/icinga2/icinga2.pid`,
    `-DConfiguration.VarsPath=${t}/cache/icinga2.vars`,
    `-DConfiguration.ObjectsPath=${t}/cache/icinga2.debug`,
    `-DConfiguration.StatePath=${t}/lib/icinga2.state`,
    `-DConfiguration.ModAttrPath=${t}/lib/modified-attributes.conf`,
  ];
  return { conf, defines, pipe: join(t, 'run', 'icinga2.cmd'), perfDir: join(t, 'perfdata'), log: join(t, 'log', 'icinga2.log'), env: { ICINGA2_USER: 'root', ICINGA2_GROUP: 'root' } };
}
