// A throwaway Nagios 4 instance (Debian nagios4) around the objects `lvsha generate` wrote:
// its own main configuration, spool, status and perfdata files in one directory, started as a
// child in the foreground and stopped by PID. Used by the loopback test and the lab test.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Daemon, Fatal, sleep, waitFor } from './harness';

export interface NagiosOptions {
  /** Directory for everything Nagios writes. */
  dir: string;
  /** The generated conf.d (lvsha-{commands,hosts,services}.cfg). */
  confD: string;
  /** $USER1$: where the check_lvs_* executables (or wrappers) are. */
  user1: string;
  /** Seconds per "interval unit": the generated service check_interval 1 = every this many seconds. */
  intervalLength?: number;
}

/** What Nagios needs besides our objects: a time period, a contact group (the generated templates name `admins` and `24x7`). */
export const STOCK_CFG = `define timeperiod {
    timeperiod_name 24x7
    alias           always
    monday 00:00-24:00
    tuesday 00:00-24:00
    wednesday 00:00-24:00
    thursday 00:00-24:00
    friday 00:00-24:00
    saturday 00:00-24:00
    sunday 00:00-24:00
}
define command {
    command_name notify-null
    command_line /bin/true
}
define contact {
    contact_name                  admin
    host_notification_period      24x7
    service_notification_period   24x7
    host_notification_options     d,u,r
    service_notification_options  w,u,c,r
    host_notification_commands    notify-null
    service_notification_commands notify-null
}
define contactgroup {
    contactgroup_name admins
    alias             admins
    members           admin
}
`;

/** The perfdata file's line: what Nagios recorded for one service check. */
export const PERFDATA_TEMPLATE = 'SERVICE\\t$TIMET$\\t$HOSTNAME$\\t$SERVICEDESC$\\t$SERVICESTATE$\\t$SERVICEOUTPUT$\\t$SERVICEPERFDATA$';

export function writeNagiosConfig(o: NagiosOptions): string {
  const t = o.dir;
  mkdirSync(join(t, 'spool'), { recursive: true });
  writeFileSync(join(t, 'resource.cfg'), `$USER1$=${o.user1}\n`);
  writeFileSync(join(t, 'stock.cfg'), STOCK_CFG);
  const main = join(t, 'nagios.cfg');
  writeFileSync(
    main,
    [
      `log_file=${t}/nagios.log`,
      `cfg_file=${t}/stock.cfg`,
      `cfg_dir=${o.confD}`,
      `resource_file=${t}/resource.cfg`,
      `check_result_path=${t}/spool`,
      `lock_file=${t}/nagios.pid`,
      `temp_file=${t}/nagios.tmp`,
      `temp_path=${t}`,
      `status_file=${t}/status.dat`,
      'status_update_interval=1',
      `object_cache_file=${t}/objects.cache`,
      `precached_object_file=${t}/objects.precache`,
      `state_retention_file=${t}/retention.dat`,
      'retain_state_information=0',
      'use_retained_program_state=0',
      'use_retained_scheduling_info=0',
      `command_file=${t}/nagios.cmd`,
      'check_external_commands=1',
      'command_check_interval=-1',
      `query_socket=${t}/nagios.qh`,
      'nagios_user=root',
      'nagios_group=root',
      'illegal_macro_output_chars=`~$&|\'"<>',
      `interval_length=${o.intervalLength ?? 10}`,
      'max_service_check_spread=1',
      'max_host_check_spread=1',
      'execute_service_checks=1',
      'execute_host_checks=1',
      'check_result_reaper_frequency=1',
      'service_check_timeout=60',
      'check_workers=2',
      'enable_notifications=0',
      'enable_flap_detection=0',
      'enable_environment_macros=0',
      'process_performance_data=1',
      `service_perfdata_file=${t}/service-perfdata`,
      `service_perfdata_file_template=${PERFDATA_TEMPLATE}`,
      'service_perfdata_file_mode=a',
      'service_perfdata_file_processing_interval=0',
      `host_perfdata_file=${t}/host-perfdata`,
      'host_perfdata_file_template=HOST\\t$TIMET$\\t$HOSTNAME$\\t$HOSTSTATE$\\t$HOSTOUTPUT$\\t$HOSTPERFDATA$',
      'host_perfdata_file_mode=a',
      'host_perfdata_file_processing_interval=0',
      '',
    ].join('\n'),
  );
  return main;
}

export interface ServiceStatus {
  host: string;
  service: string;
  state: number;
  stateType: number;
  attempt: number;
  output: string;
  longOutput: string;
  perfdata: string;
  lastCheck: number;
}

/** The `servicestatus` blocks of status.dat. */
export function parseStatusDat(text: string): ServiceStatus[] {
  const out: ServiceStatus[] = [];
  for (const m of text.matchAll(/^servicestatus \{\n([\s\S]*?)\n\t\}/gm)) {
    const f: Record<string, string> = {};
    for (const line of m[1]!.split('\n')) {
      const i = line.indexOf('=');
      if (i > 0) f[line.slice(0, i).trim()] = line.slice(i + 1);
    }
    out.push({
      host: f.host_name ?? '',
      service: f.service_description ?? '',
      state: Number(f.current_state),
      stateType: Number(f.state_type),
      attempt: Number(f.current_attempt),
      output: f.plugin_output ?? '',
      longOutput: f.long_plugin_output ?? '',
      perfdata: f.performance_data ?? '',
      lastCheck: Number(f.last_check),
    });
  }
  return out;
}

export class Nagios {
  daemon?: Daemon;
  constructor(
    readonly program: string,
    readonly dir: string,
    readonly main: string,
  ) {}

  verify(): { code: number | null; out: string } {
    const r = require('node:child_process').spawnSync(this.program, ['-v', this.main], { encoding: 'utf8', timeout: 30_000 });
    return { code: r.status, out: r.stdout + r.stderr };
  }

  /** `prefix`: e.g. `ip netns exec lvsha-mon` (it execs Nagios: the PID stays Nagios'). */
  async start(prefix: string[] = []): Promise<void> {
    this.daemon = new Daemon('nagios4', [...prefix, this.program, this.main]);
    const cmd = join(this.dir, 'nagios.cmd');
    await waitFor(
      'nagios4 to open its command file and write status.dat',
      () => {
        if (this.daemon!.exited) throw new Fatal(`nagios4 exited: ${this.daemon!.out}\n${this.log()}`);
        return existsSync(cmd) && statSync(cmd).isFIFO() && existsSync(join(this.dir, 'status.dat')) ? true : undefined;
      },
      20_000,
      100,
    );
  }

  log(): string {
    const f = join(this.dir, 'nagios.log');
    return existsSync(f) ? readFileSync(f, 'utf8') : '';
  }

  /** One external command (`[time] NAME;args`) through the command file. */
  command(line: string): void {
    const now = Math.floor(Date.now() / 1000);
    // O_WRONLY|O_NONBLOCK on the FIFO: fails (ENXIO) rather than hangs if Nagios is not reading it.
    const fs = require('node:fs') as typeof import('node:fs');
    const fd = fs.openSync(join(this.dir, 'nagios.cmd'), fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
    try {
      fs.writeSync(fd, `[${now}] ${line}\n`);
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Forces every service of these hosts to be checked now. */
  forceChecks(hosts: string[]): void {
    const now = Math.floor(Date.now() / 1000);
    for (const h of hosts) this.command(`SCHEDULE_FORCED_HOST_SVC_CHECKS;${h};${now}`);
  }

  services(): ServiceStatus[] {
    const f = join(this.dir, 'status.dat');
    return existsSync(f) ? parseStatusDat(readFileSync(f, 'utf8')) : [];
  }

  /** Waits until each wanted service (host/description) has a result started at or after `since` (epoch s). */
  async resultsSince(since: number, wanted: [string, string][], timeoutMs: number): Promise<ServiceStatus[]> {
    return waitFor(
      `Nagios results since ${since} for ${wanted.map((w) => w.join('/')).join(', ')}`,
      () => {
        if (this.daemon?.exited) throw new Fatal(`nagios4 exited: ${this.daemon.out}`);
        const all = this.services();
        const got = wanted.map(([h, s]) => all.find((x) => x.host === h && x.service === s && x.lastCheck >= since));
        return got.every(Boolean) ? (got as ServiceStatus[]) : undefined;
      },
      timeoutMs,
      250,
    );
  }

  perfdataLines(): string[] {
    const f = join(this.dir, 'service-perfdata');
    return existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean) : [];
  }

  async stop(): Promise<void> {
    await this.daemon?.stop(10_000);
    await sleep(0);
  }
}
