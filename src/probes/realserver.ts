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

export const NETWORKD_DIRS = ['/etc/systemd/network', '/run/systemd/network', '/usr/local/lib/systemd/network', '/usr/lib/systemd/network', '/lib/systemd/network'];

/**
 * Where a loopback alias is made persistent: Red Hat ifcfg-lo* files (the article's
 * ifcfg-lo:1), Debian /etc/network/interfaces (+ interfaces.d and `source` lines), and the
 * systemd-networkd .network file that applies to `lo` (the first matching in name order).
 */
export async function probeAliasPersistence(src: Source, iface = 'lo'): Promise<AliasPersistence> {
  const res: AliasPersistence = { read: [], addresses: [], errors: [] };
  // Reads go out in a few waves of independent requests (one SSH round trip each, see
  // SshSource): the results are then taken in the order boot would apply them.
  type Got = { path: string; text?: string; error?: string };
  const get = async (path: string): Promise<Got> => {
    try {
      return { path, text: await src.readFile(path) };
    } catch (e) {
      const quiet = isNotFound(e) || /EISDIR|EACCES/.test(errorMessage(e));
      return { path, error: quiet ? undefined : `${path}: ${errorMessage(e)}` };
    }
  };
  /** tryRead's bookkeeping, applied in order. */
  const take = (g: Got): string | undefined => {
    if (g.text !== undefined) res.read.push(g.path);
    else if (g.error) res.errors.push(g.error);
    return g.text;
  };
  const keep = (as: PersistedAddress[], file: string) => {
    for (const a of as) if (a.interface.split(':')[0] === iface) res.addresses.push({ ...a, file });
  };

  // Wave 1: every directory listing and the Debian root file.
  const rh = '/etc/sysconfig/network-scripts';
  const [rhNames, debianRoot, networkdLists] = await Promise.all([
    src.listDir(rh).catch(() => [] as string[]),
    get('/etc/network/interfaces'),
    Promise.all(NETWORKD_DIRS.map((d) => src.listDir(d).catch(() => [] as string[]))),
  ]);
  // networkd: one .network file applies per interface, the first in name order.
  const chosen = new Map<string, string>();
  NETWORKD_DIRS.forEach((dir, i) => {
    for (const n of networkdLists[i]!) if (n.endsWith('.network') && !chosen.has(n)) chosen.set(n, `${dir}/${n}`);
  });
  const unitPaths = [...chosen.keys()].sort().map((n) => chosen.get(n)!);
  const rhPaths = rhNames.filter((n) => n.startsWith(`ifcfg-${iface}`)).map((n) => `${rh}/${n}`);

  // Wave 2: Red Hat files, networkd candidates, and the Debian tree level by level.
  const unitsP = Promise.all(unitPaths.map(async (path) => {
    try {
      return { path, text: await src.readFile(path) };
    } catch (e) {
      return { path, error: e };
    }
  }));
  const rhP = Promise.all(rhPaths.map(get));

  // Debian: interfaces, its source lines (bounded: no loops), interfaces.d
  const seen = new Set<string>(['/etc/network/interfaces']);
  const auto = new Set<string>();
  const debian: { file: string; parsed: InterfacesFile }[] = [];
  let level: Got[] = [debianRoot];
  for (let depth = 0; level.length > 0 && depth < 10; depth++) {
    const next: string[] = [];
    for (const g of level) {
      const t = take(g);
      if (t === undefined) continue;
      let parsed: InterfacesFile;
      try {
        parsed = parseInterfaces(t);
      } catch (e) {
        res.errors.push(`${g.path}: ${errorMessage(e)}`);
        continue;
      }
      debian.push({ file: g.path, parsed });
      parsed.auto.forEach((a) => auto.add(a));
      const listed = await Promise.all(
        parsed.sources.map(async (s): Promise<string[]> => {
          const target = s.path.startsWith('/') ? s.path : `/etc/network/${s.path}`;
          if (s.kind === 'source-directory') {
            // run-parts names only: letters, digits, _ and -
            return (await src.listDir(target).catch(() => [])).filter((n) => /^[A-Za-z0-9_-]+$/.test(n)).map((n) => `${target}/${n}`);
          }
          if (/[*?[]/.test(target)) {
            const slash = target.lastIndexOf('/');
            const dir = target.slice(0, slash);
            const pat = target.slice(slash + 1);
            return (await src.listDir(dir).catch(() => [])).filter((n) => matchesName(pat, n)).map((n) => `${dir}/${n}`);
          }
          return [target];
        }),
      );
      for (const p of listed.flat()) if (!seen.has(p) && seen.size < 50) (seen.add(p), next.push(p));
    }
    level = await Promise.all(next.map(get));
  }

  // Red Hat first, as before: its files come first in `read`.
  const debianRead = res.read.splice(0);
  const debianErrors = res.errors.splice(0);
  for (const g of await rhP) {
    const t = take(g);
    if (t === undefined) continue;
    const name = g.path.slice(rh.length + 1);
    try {
      keep(parseIfcfg(t, name), g.path);
    } catch (e) {
      res.errors.push(`${g.path}: ${errorMessage(e)}`);
    }
  }
  res.read.push(...debianRead);
  res.errors.push(...debianErrors);
  // `auto lo:1` may sit in another file than the stanza: apply the union of auto lines.
  for (const d of debian) keep(d.parsed.addresses.map((a) => ({ ...a, atBoot: a.atBoot || auto.has(a.interface) })), d.file);

  for (const u of await unitsP) {
    const path = u.path;
    // Vendor units (/usr/lib) ship with systemd whether networkd runs or not: they only
    // count as evidence when one of them applies to the interface.
    const vendor = !path.startsWith('/etc/') && !path.startsWith('/run/');
    if (u.text === undefined) {
      if (!isNotFound(u.error)) res.errors.push(`${path}: ${errorMessage(u.error)}`);
      continue;
    }
    if (!vendor) res.read.push(path);
    let unit: NetworkUnit;
    try {
      unit = parseNetworkUnit(u.text);
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
