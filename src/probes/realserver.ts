import { PluginError, errorMessage } from '../runtime/errors';
import { Interface, parseIpAddr } from '../parsers/ipAddr';
import { InterfacesFile, NetworkUnit, PersistedAddress, matchesName, parseIfcfg, unitMatchesLoopback, parseInterfaces, parseNetworkUnit } from '../parsers/netconfig';
import { Listener, parseSs } from '../parsers/ss';
import { SYSCTL_DIRS, SysctlSourceFile, parseSysctlConf, parseSysctlValue, sysctlFileOrder } from '../parsers/sysctl';
import { Source, describeExit, isNotFound } from '../sources/source';

/**
 * What a direct-routing real server looks like from inside: its interfaces, its ARP
 * sysctls, its listening sockets, and what its boot files would restore.
 */

async function runOk(src: Source, argv: string[], privileged = false): Promise<string> {
  const r = await src.run(argv, { privileged });
  if (r.code !== 0) throw new PluginError(`${describeExit(argv, r)} on ${src.host}`);
  return r.stdout;
}

/** `ip -j addr` (the path overridable for replay). */
export async function probeInterfaces(src: Source, o: { ip?: string } = {}): Promise<Interface[]> {
  return parseIpAddr(await runOk(src, [o.ip ?? 'ip', '-j', 'addr']));
}

export interface ArpSysctl {
  arp_ignore?: number;
  arp_announce?: number;
}

/**
 * /proc/sys/net/ipv4/conf/NAME/arp_{ignore,announce} for each name (`all`, `lo`, `eth0`...).
 * A name without a directory (no such interface in a captured tree) has no values.
 */
export async function probeArpSysctls(src: Source, names: string[]): Promise<Record<string, ArpSysctl>> {
  const out: Record<string, ArpSysctl> = {};
  // All reads at once: over SSH each is a round trip, and they are independent.
  await Promise.all(
    [...new Set(names)].map(async (name) => {
      const v: ArpSysctl = {};
      await Promise.all(
        (['arp_ignore', 'arp_announce'] as const).map(async (p) => {
          const path = `/proc/sys/net/ipv4/conf/${name}/${p}`;
          try {
            v[p] = parseSysctlValue(await src.readFile(path), path);
          } catch (e) {
            if (!isNotFound(e)) throw e;
          }
        }),
      );
      out[name] = v;
    }),
  );
  // Keep the caller's order of names.
  return Object.fromEntries([...new Set(names)].map((n) => [n, out[n]!]));
}

export interface BootSysctl {
  /** Files boot applies, in order, parsed. */
  files: SysctlSourceFile[];
  /** Files that exist but could not be read (permissions), with why. */
  unreadable: string[];
}

/** Reads the sysctl.d directories and /etc/sysctl.conf in the order boot applies them. */
export async function probeBootSysctl(src: Source): Promise<BootSysctl> {
  const listing: Record<string, string[]> = {};
  let hasConf = true;
  const texts = new Map<string, string>();
  // Independent round trips (SSH) go out together; the order boot applies is rebuilt below.
  await Promise.all([
    ...SYSCTL_DIRS.map(async (d) => {
      listing[d] = await src.listDir(d).catch(() => []);
    }),
    (async () => {
      try {
        texts.set('/etc/sysctl.conf', await src.readFile('/etc/sysctl.conf'));
      } catch (e) {
        if (!isNotFound(e)) throw e;
        hasConf = false;
      }
    })(),
  ]);
  const order = sysctlFileOrder(listing, hasConf);
  const read = await Promise.all(
    order.map(async (path): Promise<string | Error | undefined> => {
      const known = texts.get(path);
      if (known !== undefined) return known;
      try {
        return await src.readFile(path);
      } catch (e) {
        // A dangling link (`-> /dev/null` in a captured tree, or removed) sets nothing.
        return isNotFound(e) ? undefined : (e as Error);
      }
    }),
  );
  const res: BootSysctl = { files: [], unreadable: [] };
  order.forEach((path, i) => {
    const text = read[i];
    if (text === undefined) return;
    if (text instanceof Error) res.unreadable.push(`${path}: ${errorMessage(text)}`);
    else res.files.push({ path, parsed: parseSysctlConf(text) });
  });
  return res;
}

/** `ss -ltnH` (tcp) or `ss -lunH` (udp). */
export async function probeListeners(src: Source, o: { ss?: string; protocol: 'tcp' | 'udp' }): Promise<Listener[]> {
  const flag = o.protocol === 'tcp' ? '-ltnH' : '-lunH';
  return parseSs(await runOk(src, [o.ss ?? 'ss', flag])).map((l) => ({ ...l, protocol: l.protocol ?? o.protocol }));
}

export interface AliasPersistence {
  /** Files that were read (any format); empty = persistence cannot be judged here. */
  read: string[];
  /** Addresses those files put on `lo` (or an `lo:N` alias) at boot or on ifup. */
  addresses: (PersistedAddress & { file: string })[];
  /** Files that could not be parsed, with the reason. */
  errors: string[];
}

const NETWORKD_DIRS = ['/etc/systemd/network', '/run/systemd/network', '/usr/local/lib/systemd/network', '/usr/lib/systemd/network', '/lib/systemd/network'];

/**
 * Where a loopback alias is made persistent: Red Hat ifcfg-lo* files (the article's
 * ifcfg-lo:1), Debian /etc/network/interfaces (+ interfaces.d and `source` lines), and the
 * systemd-networkd .network file that applies to `lo` (the first matching in name order).
 */
export async function probeAliasPersistence(src: Source, iface = 'lo'): Promise<AliasPersistence> {
  const res: AliasPersistence = { read: [], addresses: [], errors: [] };
  const tryRead = async (path: string): Promise<string | undefined> => {
    try {
      const t = await src.readFile(path);
      res.read.push(path);
      return t;
    } catch (e) {
      if (!isNotFound(e) && !/EISDIR|EACCES/.test(errorMessage(e))) res.errors.push(`${path}: ${errorMessage(e)}`);
      return undefined;
    }
  };
  const keep = (as: PersistedAddress[], file: string) => {
    for (const a of as) if (a.interface.split(':')[0] === iface) res.addresses.push({ ...a, file });
  };

  // Red Hat
  const rh = '/etc/sysconfig/network-scripts';
  for (const name of (await src.listDir(rh).catch(() => [])).filter((n) => n.startsWith(`ifcfg-${iface}`))) {
    const path = `${rh}/${name}`;
    const t = await tryRead(path);
    if (t === undefined) continue;
    try {
      keep(parseIfcfg(t, name), path);
    } catch (e) {
      res.errors.push(`${path}: ${errorMessage(e)}`);
    }
  }

  // Debian: interfaces, its source lines (bounded: no loops), interfaces.d
  const seen = new Set<string>();
  const queue = ['/etc/network/interfaces'];
  const auto = new Set<string>();
  const debian: { file: string; parsed: InterfacesFile }[] = [];
  while (queue.length > 0 && seen.size < 50) {
    const path = queue.shift()!;
    if (seen.has(path)) continue;
    seen.add(path);
    const t = await tryRead(path);
    if (t === undefined) continue;
    let parsed: InterfacesFile;
    try {
      parsed = parseInterfaces(t);
    } catch (e) {
      res.errors.push(`${path}: ${errorMessage(e)}`);
      continue;
    }
    debian.push({ file: path, parsed });
    parsed.auto.forEach((a) => auto.add(a));
    for (const s of parsed.sources) {
      const target = s.path.startsWith('/') ? s.path : `/etc/network/${s.path}`;
      if (s.kind === 'source-directory') {
        // run-parts names only: letters, digits, _ and -
        for (const n of await src.listDir(target).catch(() => [])) if (/^[A-Za-z0-9_-]+$/.test(n)) queue.push(`${target}/${n}`);
      } else if (/[*?[]/.test(target)) {
        const slash = target.lastIndexOf('/');
        const dir = target.slice(0, slash);
        const pat = target.slice(slash + 1);
        for (const n of await src.listDir(dir).catch(() => [])) if (matchesName(pat, n)) queue.push(`${dir}/${n}`);
      } else queue.push(target);
    }
  }
  // `auto lo:1` may sit in another file than the stanza: apply the union of auto lines.
  for (const d of debian) keep(d.parsed.addresses.map((a) => ({ ...a, atBoot: a.atBoot || auto.has(a.interface) })), d.file);

  // systemd-networkd: one .network file applies per interface, the first in name order.
  const chosen = new Map<string, string>();
  for (const dir of NETWORKD_DIRS) {
    for (const n of await src.listDir(dir).catch(() => [])) if (n.endsWith('.network') && !chosen.has(n)) chosen.set(n, `${dir}/${n}`);
  }
  for (const n of [...chosen.keys()].sort()) {
    const path = chosen.get(n)!;
    // Vendor units (/usr/lib) ship with systemd whether networkd runs or not: they only
    // count as evidence when one of them applies to the interface.
    const vendor = !path.startsWith('/etc/') && !path.startsWith('/run/');
    let t: string;
    try {
      t = await src.readFile(path);
    } catch (e) {
      if (!isNotFound(e)) res.errors.push(`${path}: ${errorMessage(e)}`);
      continue;
    }
    if (!vendor) res.read.push(path);
    let unit: NetworkUnit;
    try {
      unit = parseNetworkUnit(t);
    } catch (e) {
      res.errors.push(`${path}: ${errorMessage(e)}`);
      continue;
    }
    if (!unitMatchesLoopback(unit, iface)) continue;
    if (vendor) res.read.push(path);
    keep(unit.addresses.map((a) => ({ ...a, interface: iface })), path);
    break;
  }
  return res;
}
