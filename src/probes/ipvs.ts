import { State } from '../runtime/state';
import { mergeCounters, parseIpvsadmList } from '../parsers/ipvsadm';
import { IpvsTable, IpvsTotals, parseProcIpvs, parseProcIpvsStats } from '../parsers/procIpvs';
import { PluginError } from '../runtime/errors';
import { RootSource } from '../sources/root';
import { describeExit, isNotFound, Source } from '../sources/source';

/** The kernel has no IPVS (no /proc/net/ip_vs, ipvsadm "Protocol not available"): a state, not our failure. */
export class IpvsUnavailableError extends Error {
  override name = 'IpvsUnavailableError';
  readonly state: State = State.CRITICAL;
}

export interface IpvsProbeOptions {
  /** `proc` (default): /proc/net/ip_vs, no root needed. `ipvsadm`: `ipvsadm -Ln`, privileged. */
  probe?: 'proc' | 'ipvsadm';
  /** Path of ipvsadm (default `ipvsadm`). */
  ipvsadm?: string;
  /** Also counters: per service and real server (`ipvsadm -Ln --stats`), or the namespace totals (/proc/net/ip_vs_stats). */
  stats?: boolean;
  /** Also rates: per service and real server (`ipvsadm -Ln --rate`), or the namespace totals (/proc/net/ip_vs_stats). */
  rate?: boolean;
  /** Pass --exact (default true: no K/M/G abbreviations). */
  exact?: boolean;
  /** Kernel HZ, to turn /proc's persistence jiffies into seconds. Undefined = leave seconds unset. */
  hz?: number;
  timeoutMs?: number;
}

export interface IpvsSnapshot {
  table: IpvsTable;
  /** Namespace-wide totals from /proc/net/ip_vs_stats (proc probe with stats or rate; absent when unreadable). */
  totals?: IpvsTotals;
  source: 'proc' | 'ipvsadm';
  /** What could not be read besides the table (a failing `ipvsadm --stats`): the table still stands. */
  warnings?: string[];
}

/** Fields only one probe can know: everything else is identical for the same kernel state. */
export const SOURCE_ONLY_FIELDS = {
  proc: ['persistentJiffies'],
  ipvsadm: ['schedulerFlags', 'persistenceEngine', 'stats', 'rates'],
} as const;

const NO_IPVS = 'IPVS not available in this kernel';

async function ipvsadmRun(src: Source, o: IpvsProbeOptions, extra: string[]): Promise<string> {
  const argv = [o.ipvsadm ?? 'ipvsadm', '-Ln', ...extra];
  const r = await src.run(argv, { privileged: true, timeoutMs: o.timeoutMs });
  if (r.code !== 0) {
    // Measured on a kernel without IP_VS: rc 2, "Can't initialize ipvs: Protocol not available".
    if (/Protocol not available|Are you sure that IP Virtual Server is built/.test(r.stderr))
      throw new IpvsUnavailableError(`${NO_IPVS} (${src.host}: ipvsadm: Protocol not available)`);
    const hint = /Permission denied|must be root/.test(r.stderr) ? ' (needs root: try --sudo)' : '';
    throw new PluginError(`${src.host}: ${describeExit(argv, r)}${hint}`);
  }
  return r.stdout;
}

/** Converts /proc's jiffies into seconds once HZ is known. */
export function applyHz(table: IpvsTable, hz: number): IpvsTable {
  for (const s of table.services) if (s.persistentJiffies !== undefined) s.persistentSeconds = Math.round((s.persistentJiffies / hz) * 1000) / 1000;
  return table;
}

/*
 * One scrape asks for the same /proc/net/ip_vs text several times (the ipvs collector, the
 * ipvs and sorry checks' verdicts): the last text's table is kept, so a 37 000-row table is
 * parsed once. Only applyHz writes to a table, and it writes the same value for the same HZ.
 */
let lastText: string | undefined;
let lastTable: IpvsTable | undefined;
function parseProcIpvsOnce(text: string): IpvsTable {
  if (text !== lastText || !lastTable) {
    lastTable = parseProcIpvs(text);
    lastText = text;
  }
  return lastTable;
}

/** The IPVS table from /proc/net/ip_vs (+ ip_vs_stats) or from ipvsadm: one model either way. */
export async function probeIpvs(src: Source, o: IpvsProbeOptions = {}): Promise<IpvsSnapshot> {
  if (o.probe === 'ipvsadm') {
    const exact = o.exact === false ? [] : ['--exact'];
    const parsed = parseIpvsadmList(await ipvsadmRun(src, o, []));
    if (parsed.kind !== 'table') throw new PluginError('ipvsadm -Ln printed a counters listing');
    const table = parsed.table;
    const warnings: string[] = [];
    // The counters are extras: a failing --stats or --rate call (an older ipvsadm, a table
    // changed in between) loses them, never the table the verdict is about.
    for (const [want, flag] of [[o.stats, '--stats'], [o.rate, '--rate']] as const) {
      if (!want) continue;
      try {
        mergeCounters(table, parseIpvsadmList(await ipvsadmRun(src, o, [flag, ...exact])));
      } catch (e) {
        if (e instanceof IpvsUnavailableError) throw e;
        warnings.push(`ipvsadm -Ln ${flag} failed, counters left out: ${(e as Error).message}`);
      }
    }
    return warnings.length ? { table, source: 'ipvsadm', warnings } : { table, source: 'ipvsadm' };
  }
  let text: string;
  try {
    text = await src.readFile('/proc/net/ip_vs');
  } catch (e) {
    if (isNotFound(e)) throw new IpvsUnavailableError(`${NO_IPVS} (${src.host}: no /proc/net/ip_vs)`);
    throw e;
  }
  const table = parseProcIpvsOnce(text);
  if (o.hz !== undefined) applyHz(table, o.hz);
  let totals: IpvsTotals | undefined;
  if (o.stats || o.rate) {
    try {
      totals = parseProcIpvsStats(await src.readFile('/proc/net/ip_vs_stats'));
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
  return { table, totals, source: 'proc' };
}

export interface HzInfo {
  hz: number;
  /** Where it came from, for -v output. */
  origin: string;
}

/**
 * The kernel's HZ (CONFIG_HZ) from /boot/config-$(uname -r), else /proc/config.gz (through
 * zcat, local only), else 250 (Debian's), saying so. /proc prints persistence in jiffies.
 */
export async function detectHz(src: Source, timeoutMs?: number): Promise<HzInfo> {
  const fromConfig = (text: string) => /^CONFIG_HZ=(\d+)$/m.exec(text)?.[1];
  let release: string | undefined;
  try {
    release = (await src.readFile('/proc/sys/kernel/osrelease')).trim();
  } catch {
    release = undefined;
  }
  if (release && /^[\w.+~-]+$/.test(release)) {
    const path = `/boot/config-${release}`;
    try {
      const hz = fromConfig(await src.readFile(path));
      if (hz) return { hz: Number(hz), origin: `CONFIG_HZ=${hz} in ${path}` };
    } catch {
      /* not readable: next */
    }
  }
  // /proc/config.gz is binary: only a program can read it, and not from a captured tree.
  if (!(src instanceof RootSource)) {
    try {
      const r = await src.run(['zcat', '/proc/config.gz'], { timeoutMs });
      const hz = r.code === 0 ? fromConfig(r.stdout) : undefined;
      if (hz) return { hz: Number(hz), origin: `CONFIG_HZ=${hz} in /proc/config.gz` };
    } catch {
      /* zcat missing: default */
    }
  }
  return { hz: 250, origin: 'assumed: no readable kernel config, use --hz' };
}
