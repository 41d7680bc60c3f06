// Icinga 2 in the lab: a throwaway real icinga2 daemon runs inside the monitoring namespace
// (lvsha-mon) with the objects `lvsha generate` wrote for lab/deployment.yaml, PluginDir = the
// wrappers of harness.ts (the generated arguments, then the lab's SSH key/known_hosts,
// --ssh-user root, the generated deployment file and -t 30, as nagios-lab.ts does). Active
// checks are off; the test forces `lvs-vip` and `lvs-heartbeat` of frontal1 through the command
// pipe, so the checks reach the real directors over SSH, and reads what the PerfdataWriter
// recorded: OK and the plugins' perfdata. The lab must be up and healthy (it waits for that).
import { closeSync, constants, existsSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { findScenario, Step } from '../../src/lab/scenarios';
import { LabTier, labEnv, REPO } from '../../src/lab/tiers';
import { Daemon, Fatal, generate, q, tempDir, waitFor, writeWrappers } from './harness';
import { writeIcinga2Instance } from './icinga2';

async function steps(tier: LabTier, list: Step[]): Promise<void> {
  for (const s of list) {
    const r = await tier.exec(`set -o pipefail\n${s.sh}`, [], s.timeout);
    if (r.rc !== 0) throw new Error(`${s.label}: rc ${r.rc}${r.timedOut ? ' (timed out)' : ''}: ${(r.stderr.trim() || r.stdout.trim()).split('\n').slice(-4).join(' / ')}`);
  }
}

/** What the PerfdataWriter wrote for one service: the template's fields. */
export interface PerfdataRecord {
  host: string;
  service: string;
  state: string;
  perfdata: string;
  output: string;
  line: string;
}

export interface LabIcinga2Report {
  records: PerfdataRecord[];
  timings: string;
}

/** The checks forced, and what the healthy lab must give. */
const EXPECT: { service: string; output: RegExp; perfdata: RegExp }[] = [
  { service: 'lvs-vip', output: /^LVS VIP OK - 192\.168\.0\.3 on frontal1 \(eth0:0\)\s*$/, perfdata: /^holders=1;;;0 / },
  { service: 'lvs-heartbeat', output: /^LVS HEARTBEAT OK - frontal1: peer frontal2 active/, perfdata: /^links_up=1;;;0;1 links_total=1;;;0 deadtime=5s;;;0 warntime=3s;;;0 keepalive=1s;;;0 time=/ },
];

export async function icinga2InLab(tier: LabTier, icinga2: string): Promise<LabIcinga2Report> {
  if (tier.name !== 'netns') throw new Error('the Icinga 2 lab proof runs on the namespace tier (Icinga 2 on this machine, in lvsha-mon)');
  const t0 = Date.now();
  const dir = tempDir('icinga2-lab');
  let daemon: Daemon | undefined;
  try {
    const etc = generate(join(dir, 'generated'), join(REPO, 'lab', 'deployment.yaml'));
    const env = labEnv();
    const plugins = join(dir, 'plugins');
    writeWrappers(plugins, `--ssh-user root --ssh-key ${q(env.LVSHA_SSH_KEY!)} --known-hosts ${q(env.LVSHA_KNOWN_HOSTS!)} --config ${q(join(etc, 'lvsha', 'deployment.json'))} -t 30`, () => '', '');
    await steps(tier, findScenario('healthy')!.setup);

    const t = join(dir, 'icinga2');
    const inst = writeIcinga2Instance(t, { pluginDir: plugins, confD: join(etc, 'icinga2', 'conf.d'), nodeName: 'lvsha-lab-test' });
    const conf = inst.conf;
    // `ip netns exec` execs icinga2 (whose wrapper script execs the binary): the child's PID is the daemon's.
    daemon = new Daemon('icinga2', ['ip', 'netns', 'exec', 'lvsha-mon', icinga2, 'daemon', '-c', conf, ...inst.defines], inst.env);
    const d = daemon;
    const pipe = inst.pipe;
    await waitFor('icinga2 (in lvsha-mon) to open its command pipe', () => {
      if (d.exited) throw new Fatal(`icinga2 exited:\n${d.out}`);
      return existsSync(pipe) && statSync(pipe).isFIFO() ? true : undefined;
    }, 30_000, 100);
    const startedAt = Date.now();
    const services = /Instantiated (\d+) Services?\./.exec(d.out)?.[1];
    if (services !== '12') throw new Error(`icinga2 instantiated ${services} services (12 expected):\n${d.out}`);

    const now = Math.floor(Date.now() / 1000);
    const fd = openSync(pipe, constants.O_WRONLY | constants.O_NONBLOCK);
    writeSync(fd, EXPECT.map((e) => `[${now}] SCHEDULE_FORCED_SVC_CHECK;frontal1;${e.service};${now}\n`).join(''));
    closeSync(fd);

    const perfDir = inst.perfDir;
    const records = await waitFor('the perfdata writer to record the forced checks of frontal1', () => {
      if (d.exited) throw new Fatal(`icinga2 exited:\n${d.out}`);
      const lines = readdirSync(perfDir)
        .filter((f) => f.startsWith('service-perfdata'))
        .flatMap((f) => readFileSync(join(perfDir, f), 'utf8').split('\n'))
        .filter((l) => l.startsWith('SERVICE\t'));
      const recs = lines.map((line): PerfdataRecord => {
        const [, host, service, state, perfdata, output] = line.split('\t');
        return { host: host!, service: service!, state: state!, perfdata: perfdata ?? '', output: output ?? '', line };
      });
      return EXPECT.every((e) => recs.some((r) => r.host === 'frontal1' && r.service === e.service)) ? recs : undefined;
    }, 45_000, 200);
    const recordedAt = Date.now();
    process.stderr.write(`icinga2 (lab) perfdata lines:\n${records.map((r) => JSON.stringify(r.line)).join('\n')}\n`);
    // Active checks are off: the forced checks are the only ones that ran.
    if (records.length !== EXPECT.length) throw new Error(`icinga2 recorded ${records.length} service results, ${EXPECT.length} expected`);
    for (const e of EXPECT) {
      const r = records.find((x) => x.service === e.service)!;
      if (r.state !== 'OK' || !e.output.test(r.output) || !e.perfdata.test(r.perfdata)) throw new Error(`icinga2 recorded frontal1/${e.service}: state ${r.state} "${r.output}" | ${r.perfdata}`);
    }
    const log = readFileSync(inst.log, 'utf8');
    const warnings = log.split('\n').filter((l) => /warning\/|critical\//.test(l));
    if (warnings.length) process.stderr.write(`icinga2 (lab) log warnings:\n${warnings.join('\n')}\n`);
    const timings = `lab Icinga 2: daemon ready ${((startedAt - t0) / 1000).toFixed(1)} s after start (generate + healthy wait included); forced checks recorded ${((recordedAt - startedAt) / 1000).toFixed(1)} s later`;
    process.stderr.write(`${timings}\n`);
    return { records, timings };
  } finally {
    await daemon?.stop(10_000);
    rmSync(dir, { recursive: true, force: true });
  }
}
