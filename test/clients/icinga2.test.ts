/**
 * Icinga 2 (the real icinga2 daemon) runs a generated CheckCommand and records its state and
 * perfdata. A throwaway instance: its own directories (-D Configuration.*), the generated
 * conf.d of the loopback site (harness.ts) with PluginDir = the site's wrappers, the checker,
 * the perfdata writer and the external command pipe. Active checks are disabled globally so
 * that only the check the test forces (SCHEDULE_FORCED_SVC_CHECK through the pipe) runs:
 * lvs-ipvs of frontal1, reading the real IPVS capture of ldirectord's table (--root) over SSH.
 */
import { closeSync, constants, existsSync, openSync, readdirSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { clientTest, Daemon, Fatal, LoopbackSite, startLoopbackSite, waitFor } from './harness';
import { writeIcinga2Instance } from './icinga2';

clientTest(
  ['icinga2', '/usr/sbin/sshd', 'ssh-keygen'],
  'a throwaway Icinga 2 runs the generated lvsha_ipvs CheckCommand: OK with t3_80_live=2 in the perfdata it writes',
  async ([icinga2]) => {
    const t0 = Date.now();
    let site: LoopbackSite | undefined;
    let daemon: Daemon | undefined;
    try {
      site = await startLoopbackSite('icinga2');
      const t = join(site.dir, 'icinga2');
      const inst = writeIcinga2Instance(t, { pluginDir: site.plugins, confD: join(site.etc, 'icinga2', 'conf.d'), nodeName: 'lvsha-client-test' });
      daemon = new Daemon('icinga2', [icinga2!, 'daemon', '-c', inst.conf, ...inst.defines], inst.env);
      const pipe = inst.pipe;
      await waitFor(
        'icinga2 to open its command pipe',
        () => {
          if (daemon!.exited) throw new Fatal(`icinga2 exited:\n${daemon!.out}`);
          return existsSync(pipe) && statSync(pipe).isFIFO() ? true : undefined;
        },
        30_000,
        100,
      );
      const started = Date.now();
      expect(daemon.out).toMatch(/Instantiated 12 Services\./);

      const now = Math.floor(Date.now() / 1000);
      const fd = openSync(pipe, constants.O_WRONLY | constants.O_NONBLOCK);
      writeSync(fd, `[${now}] SCHEDULE_FORCED_SVC_CHECK;frontal1;lvs-ipvs;${now}\n`);
      closeSync(fd);

      const perfDir = inst.perfDir;
      const line = await waitFor(
        'the perfdata writer to record lvs-ipvs of frontal1',
        () => {
          if (daemon!.exited) throw new Fatal(`icinga2 exited:\n${daemon!.out}`);
          const lines = readdirSync(perfDir)
            .filter((f) => f.startsWith('service-perfdata'))
            .flatMap((f) => readFileSync(join(perfDir, f), 'utf8').split('\n'));
          const found = lines.find((l) => l.startsWith('SERVICE\tfrontal1\tlvs-ipvs\t'));
          return found ? { found, services: lines.filter((l) => l.startsWith('SERVICE\t')) } : undefined;
        },
        30_000,
        200,
      ).then((r) => {
        // Active checks are off: the forced check is the only one that ran.
        expect(r.services).toEqual([r.found]);
        return r.found;
      });
      const recordedAt = Date.now();
      const log = readFileSync(inst.log, 'utf8');
      process.stderr.write(`icinga2 perfdata line:\n${JSON.stringify(line)}\nicinga2.log warnings:\n${log.split('\n').filter((l) => /warning\/|critical\//.test(l)).join('\n')}\n`);
      const [, host, service, state, perfdata, output] = line.split('\t');
      expect([host, service, state]).toEqual(['frontal1', 'lvs-ipvs', 'OK']);
      // Icinga 2 cuts the first line at '|' and keeps the space before it.
      expect(output).toBe('LVS IPVS OK - tcp:192.168.0.3:80: 2 of 2 real servers live ');
      // The perfdata writer writes the plugin's perfdata as received (ranges 2: and 1: included).
      expect(perfdata).toMatch(/^t3_80_live=2;2:;1:;0;2 t3_80_rs4_80_act=0;;;0 t3_80_rs4_80_inact=2;;;0 t3_80_rs4_80_w=1;;;0 t3_80_rs5_80_act=0;;;0 t3_80_rs5_80_inact=2;;;0 t3_80_rs5_80_w=1;;;0$/);
      // Nothing else was checked: only the forced check ran.
      expect(log).not.toMatch(/critical\//);
      process.stderr.write(
        `icinga2 timings: site ${((started - t0) / 1000).toFixed(1)} s incl. daemon start; forced check recorded ${((recordedAt - started) / 1000).toFixed(1)} s later\n`,
      );
    } finally {
      await daemon?.stop(10_000);
      await site?.stop();
    }
  },
  90_000,
);
