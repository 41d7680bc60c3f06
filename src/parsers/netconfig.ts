import { ParseError } from '../runtime/errors';

/**
 * Boot-time network configuration, read for one question: will an address (the VIP on
 * `lo`) come back after a reboot? Three formats: Red Hat ifcfg files, Debian
 * /etc/network/interfaces, systemd-networkd .network units.
 */

export interface PersistedAddress {
  /** Interface as written (`lo:1` for an alias, `lo`). */
  interface: string;
  address: string;
  prefixlen: number;
  /** Brought up at boot (ONBOOT=yes, `auto`/`allow-hotplug`, a networkd unit). */
  atBoot: boolean;
  /** How it is configured, for messages: `IPADDR`, `address`, `up ip addr add`, `[Address]`. */
  how: string;
  line?: number;
}

/** The base interface of an alias label: `lo:1` → `lo`. */
export const baseInterface = (name: string): string => name.split(':')[0]!;

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function isIpv4(s: string): boolean {
  const m = IPV4.exec(s);
  return !!m && m.slice(1).every((x) => Number(x) <= 255);
}

/** `255.255.255.255` → 32; undefined for a non-contiguous or malformed mask. */
export function netmaskToPrefix(mask: string): number | undefined {
  if (/^\d{1,2}$/.test(mask) && Number(mask) <= 32) return Number(mask);
  if (!isIpv4(mask)) return undefined;
  const n = mask.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  const bits = n.toString(2).padStart(32, '0');
  if (!/^1*0*$/.test(bits)) return undefined;
  return bits.indexOf('0') === -1 ? 32 : bits.indexOf('0');
}

/** `192.168.0.3/32` or `192.168.0.3` (+ separate mask) → address and prefix. */
function addressWithPrefix(text: string, fallbackPrefix: number | undefined): { address: string; prefixlen: number } | undefined {
  const [addr, pfx] = text.split('/');
  if (!addr || !isIpv4(addr)) return undefined;
  if (pfx !== undefined) {
    const p = netmaskToPrefix(pfx);
    return p === undefined ? undefined : { address: addr, prefixlen: p };
  }
  return { address: addr, prefixlen: fallbackPrefix ?? 32 };
}

// --- Red Hat: /etc/sysconfig/network-scripts/ifcfg-lo:1 -------------------------------

/** Unquotes a shell value the way initscripts' files are written (`"a"`, `'a'`, `a`). */
function shellValue(v: string): string | undefined {
  const t = v.trim();
  if (t.startsWith('"')) return t.endsWith('"') && t.length >= 2 ? t.slice(1, -1) : undefined;
  if (t.startsWith("'")) return t.endsWith("'") && t.length >= 2 ? t.slice(1, -1) : undefined;
  return t.replace(/\s+#.*$/, '');
}

/**
 * Parses a Red Hat ifcfg file (KEY=VALUE shell assignments): `DEVICE=lo:1`,
 * `IPADDR=192.168.0.3`, `NETMASK=255.255.255.255` (or `PREFIX=32`), `ONBOOT=yes`; also the
 * numbered `IPADDR1`/`PREFIX1` forms. `fileName` (`ifcfg-lo:1`) names the device when
 * DEVICE is missing. Lines that are not assignments throw ParseError.
 */
export function parseIfcfg(text: string, fileName = ''): PersistedAddress[] {
  const vars = new Map<string, { value: string; line: number }>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) throw new ParseError('ifcfg file', `not a KEY=VALUE line: '${line.slice(0, 60)}'`, i + 1);
    const v = shellValue(m[2]!);
    if (v === undefined) throw new ParseError('ifcfg file', `unbalanced quotes in ${m[1]}`, i + 1);
    vars.set(m[1]!.toUpperCase(), { value: v, line: i + 1 });
  });
  const device = vars.get('DEVICE')?.value || fileName.replace(/^.*\/?ifcfg-/, '');
  if (!device) return [];
  const onboot = (vars.get('ONBOOT')?.value ?? 'yes').toLowerCase();
  const atBoot = !['no', 'false', '0', 'n'].includes(onboot);
  const out: PersistedAddress[] = [];
  for (const suffix of ['', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9']) {
    const ip = vars.get(`IPADDR${suffix}`);
    if (!ip || ip.value === '') continue;
    // PREFIX wins over NETMASK; an empty one is absent.
    const mask = vars.get(`PREFIX${suffix}`)?.value || vars.get(`NETMASK${suffix}`)?.value || '';
    const prefix = netmaskToPrefix(mask);
    if (mask && prefix === undefined) throw new ParseError('ifcfg file', `bad netmask/prefix for IPADDR${suffix}`, ip.line);
    const a = addressWithPrefix(ip.value, prefix);
    if (!a) throw new ParseError('ifcfg file', `bad address '${ip.value.slice(0, 40)}' in IPADDR${suffix}`, ip.line);
    // initscripts' default for a loopback alias without a mask is a host route (/32).
    out.push({ interface: device, ...a, atBoot, how: `IPADDR${suffix}`, line: ip.line });
  }
  return out;
}

// --- Debian: /etc/network/interfaces ------------------------------------------------------

export interface InterfacesFile {
  addresses: PersistedAddress[];
  /** `source` / `source-directory` targets (globs as written), for the probe to follow. */
  sources: { kind: 'source' | 'source-directory'; path: string }[];
  /** Interfaces named by `auto` or `allow-hotplug`. */
  auto: string[];
}

/** Addresses added by shell commands in `up`/`post-up` lines (`ip addr add`, `ifconfig`). */
export function addressesFromCommand(cmd: string): { interface: string; address: string; prefixlen: number; how: string }[] {
  const out: { interface: string; address: string; prefixlen: number; how: string }[] = [];
  for (const part of cmd.split(/;|&&|\|\|/)) {
    const w = part.trim().split(/\s+/);
    const prog = w[0]!.replace(/^.*\//, '');
    if (prog === 'ip') {
      // ip [-4] addr|address|a add ADDR[/P] [...] dev IF [label L]
      const args = w.slice(1).filter((x) => !/^-\d$/.test(x));
      if (!/^a(d(d(r(e(s(s)?)?)?)?)?)?$/.test(args[0] ?? '') || args[1] !== 'add') continue;
      const a = addressWithPrefix(args[2] ?? '', 32);
      const devIdx = args.indexOf('dev');
      const labelIdx = args.indexOf('label');
      const dev = devIdx !== -1 ? args[devIdx + 1] : undefined;
      if (!a || !dev) continue;
      out.push({ interface: labelIdx !== -1 && args[labelIdx + 1] ? args[labelIdx + 1]! : dev, ...a, how: 'ip addr add' });
    } else if (prog === 'ifconfig') {
      // ifconfig IF ADDR[/P] [netmask M] [up]
      const dev = w[1];
      const addr = w[2];
      if (!dev || !addr) continue;
      const mi = w.indexOf('netmask');
      const p = mi !== -1 && w[mi + 1] ? netmaskToPrefix(w[mi + 1]!) : undefined;
      const a = addressWithPrefix(addr, p ?? (dev.startsWith('lo') ? 8 : undefined));
      if (a) out.push({ interface: dev, ...a, how: 'ifconfig' });
    }
  }
  return out;
}

/**
 * Parses Debian ifupdown's interfaces(5): `auto`/`allow-hotplug` lines, `iface NAME inet
 * static` stanzas with `address` (`A/P`, or `A` + `netmask`), `up`/`post-up` commands that add
 * addresses, and `source`/`source-directory` lines (returned for the caller to read).
 * Continuation lines (`\` at the end) are joined. Unknown stanza options are ignored.
 */
export function parseInterfaces(text: string): InterfacesFile {
  const res: InterfacesFile = { addresses: [], sources: [], auto: [] };
  // Join continuation lines, remembering where each logical line started.
  const logical: { text: string; line: number }[] = [];
  // As ifupdown does (ifquery 0.8.41, test/fixtures/real/ifupdown/continuation): the backslash
  // is removed and the next line appended as it is, no space added, its indentation kept.
  let acc = '';
  let start = 0;
  let open = false;
  text.split('\n').forEach((raw, i) => {
    const l = raw.replace(/\r$/, '');
    if (!open) start = i + 1;
    if (l.endsWith('\\')) {
      acc += l.slice(0, -1);
      open = true;
      return;
    }
    logical.push({ text: acc + l, line: start });
    acc = '';
    open = false;
  });
  logical.push({ text: acc, line: start }); // a last continued line (or nothing: a blank line)

  interface Stanza {
    name: string;
    method: string;
    address?: { text: string; line: number };
    netmask?: string;
    /** Their atBoot is the stanza's, known at the end. */
    extra: Omit<PersistedAddress, 'atBoot'>[];
  }
  const stanzas: Stanza[] = [];
  let cur: Stanza | undefined;
  for (const { text: t, line } of logical) {
    // Blank and comment lines (`#…`) match no keyword below: they change nothing.
    const w = t.trim().split(/\s+/);
    const kw = w[0]!;
    if (kw === 'iface') {
      if (w.length < 4) throw new ParseError('/etc/network/interfaces', `iface needs NAME FAMILY METHOD`, line);
      cur = w[2] === 'inet' ? { name: w[1]!, method: w[3]!, extra: [] } : undefined;
      if (cur) stanzas.push(cur);
      if (w[2] !== 'inet' && w[2] !== 'inet6' && w[2] !== 'ipx' && w[2] !== 'can')
        throw new ParseError('/etc/network/interfaces', `unknown address family '${w[2]!.slice(0, 20)}'`, line);
      continue;
    }
    if (kw === 'auto' || kw.startsWith('allow-')) {
      cur = undefined;
      res.auto.push(...w.slice(1));
      continue;
    }
    if (kw === 'mapping') {
      cur = undefined;
      continue;
    }
    if (kw === 'source' || kw === 'source-directory' || kw === 'source-dir') {
      cur = undefined;
      if (w.length < 2) throw new ParseError('/etc/network/interfaces', `${kw} needs a path`, line);
      res.sources.push({ kind: kw === 'source' ? 'source' : 'source-directory', path: w.slice(1).join(' ') });
      continue;
    }
    if (!cur) continue; // options of a mapping or of a non-inet stanza
    if (kw === 'address') {
      if (!w[1]) throw new ParseError('/etc/network/interfaces', 'address without a value', line);
      // ifupdown2 allows several address lines; keep the first as the stanza's and the rest extra.
      if (!cur.address) cur.address = { text: w[1], line };
      else {
        const a = addressWithPrefix(w[1], 32);
        if (a) cur.extra.push({ interface: cur.name, ...a, how: 'address', line });
      }
    } else if (kw === 'netmask') {
      cur.netmask = w[1];
    } else if (['up', 'post-up', 'pre-up'].includes(kw)) {
      for (const a of addressesFromCommand(w.slice(1).join(' '))) cur.extra.push({ ...a, how: `${kw} ${a.how}`, line });
    }
  }
  for (const st of stanzas) {
    const atBoot = res.auto.includes(st.name);
    if (st.address && st.method === 'static') {
      const p = st.netmask ? netmaskToPrefix(st.netmask) : undefined;
      if (st.netmask && p === undefined) throw new ParseError('/etc/network/interfaces', `bad netmask '${st.netmask.slice(0, 20)}' for ${st.name}`, st.address.line);
      const a = addressWithPrefix(st.address.text, p);
      if (!a) throw new ParseError('/etc/network/interfaces', `bad address '${st.address.text.slice(0, 40)}' for ${st.name}`, st.address.line);
      res.addresses.push({ interface: st.name, ...a, atBoot, how: 'address', line: st.address.line });
    }
    for (const e of st.extra) res.addresses.push({ ...e, atBoot });
  }
  return res;
}

// --- systemd-networkd: /etc/systemd/network/*.network ----------------------------------

export interface NetworkUnit {
  /** `[Match] Name=` patterns (space separated, globs allowed). */
  matchNames: string[];
  /** Other `[Match]` keys (Type=, Driver=, MACAddress=...), as written. */
  matchOther: Record<string, string>;
  addresses: PersistedAddress[];
}

/** Only read for an IPv4 address without /P (addressWithPrefix refuses anything else). */
function classfulPrefix(address: string): number {
  const first = Number(address.split('.')[0]);
  return first < 128 ? 8 : first < 192 ? 16 : first < 224 ? 24 : 32;
}

/**
 * Does this unit's [Match] select the loopback interface `name`? Name= patterns and Type=
 * (`loopback`) tested as systemd tests them (`!` negations); any other key (Driver, MACAddress, Path,
 * WLANInterfaceType...) describes hardware lo does not have.
 */
export function unitMatchesLoopback(unit: NetworkUnit, name = 'lo'): boolean {
  if (!conditionTest(unit.matchNames, name)) return false;
  for (const [k, v] of Object.entries(unit.matchOther)) {
    if (k === 'Type') {
      if (!conditionTest(v.split(/\s+/).filter(Boolean), 'loopback')) return false;
    } else if (!['Host', 'Virtualization', 'KernelCommandLine', 'KernelVersion', 'Architecture', 'Firmware', 'Credential'].includes(k) && v !== '') return false;
  }
  return true;
}

/**
 * systemd's test of a [Match] list (net_condition_test_strv): a `!pattern` that matches
 * refuses at once; when the list has a plain pattern, one of them must match.
 */
function conditionTest(patterns: readonly string[], s: string): boolean {
  let match = false;
  let positive = false;
  for (const p of patterns) {
    const invert = p.startsWith('!');
    if (!invert) positive = true;
    if (globMatch(invert ? p.slice(1) : p, s)) {
      if (invert) return false;
      match = true;
    }
  }
  return positive ? match : true;
}

/**
 * The words of one `[Match]` list assignment as systemd stores them: a leading `!` inverts the
 * whole line (`Name=!eth0 eth1` is `!eth0 !eth1`), not just its first word.
 */
function matchWords(value: string): string[] {
  const invert = value.startsWith('!');
  const words = (invert ? value.slice(1) : value).split(/\s+/).filter(Boolean);
  return invert ? words.map((w) => '!' + w) : words;
}

/** fnmatch-style test of an interface name against a networkd `Name=` pattern (`!` negates). */
export function matchesName(pattern: string, name: string): boolean {
  const neg = pattern.startsWith('!');
  const ok = globMatch(neg ? pattern.slice(1) : pattern, name);
  return neg ? !ok : ok;
}

/** fnmatch(3) without flags: `*`, `?` and `[...]`; any other character, `!` included, is itself. */
function globMatch(p: string, name: string): boolean {
  try {
    // `[...]` classes pass through; a malformed one is no match, not a crash.
    return new RegExp('^' + p.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$').test(name);
  } catch {
    return false;
  }
}

/**
 * Parses a systemd-networkd .network unit: `[Match] Name=`, `[Network] Address=` and
 * `[Address] Address=` (A/P). Addresses are attributed to the first matched name (`lo`
 * when the unit matches lo). A line outside any section or without `=` throws ParseError.
 */
export function parseNetworkUnit(text: string): NetworkUnit {
  const unit: NetworkUnit = { matchNames: [], matchOther: {}, addresses: [] };
  let section = '';
  const pending: { text: string; line: number; how: string }[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const sec = /^\[([A-Za-z0-9]+)\]$/.exec(line);
    if (sec) {
      section = sec[1]!;
      return;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) throw new ParseError('.network unit', `not a Key=Value line: '${line.slice(0, 60)}'`, i + 1);
    if (section === '') throw new ParseError('.network unit', 'assignment outside of a section', i + 1);
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (section === 'Match' && key === 'Name') {
      if (value === '') unit.matchNames = [];
      else unit.matchNames.push(...matchWords(value));
    } else if (section === 'Match' && key === 'Type') {
      // A list like Name=: lines add to it, an empty one resets it.
      const prev = value !== '' && unit.matchOther.Type ? unit.matchOther.Type + ' ' : '';
      unit.matchOther.Type = prev + matchWords(value).join(' ');
    } else if (section === 'Match') {
      unit.matchOther[key] = value;
    } else if ((section === 'Network' || section === 'Address') && key === 'Address') {
      pending.push({ text: value, line: i + 1, how: `[${section}] Address` });
    }
  });
  const iface = unit.matchNames.find((n) => !n.startsWith('!') && !/[*?[]/.test(n)) ?? unit.matchNames[0] ?? '';
  for (const p of pending) {
    // networkd gives an address without /P its classful mask (systemd issue #11307):
    // `Address=192.168.0.3` on lo is a /24, not a /32.
    const a = addressWithPrefix(p.text, classfulPrefix(p.text));
    // IPv6 and other families (and an empty Address=) are not our question; skip rather than fail.
    if (!a) {
      if (isIpv4(p.text.split('/')[0]!)) throw new ParseError('.network unit', `bad address '${p.text.slice(0, 40)}'`, p.line);
      continue;
    }
    unit.addresses.push({ interface: iface, ...a, atBoot: true, how: p.how, line: p.line });
  }
  return unit;
}
