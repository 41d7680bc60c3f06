import { spawnSync } from 'node:child_process';
import { accessSync, closeSync, constants, existsSync, openSync, readSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { LabHa, TierName } from './tiers';

/**
 * What `lvsha lab up` needs on this machine, checked before it touches anything: each
 * program the lab's scripts run (the VM tier boots the host's own userspace, so it needs the
 * same programs plus qemu and a kernel), with the Debian package that brings it. A missing
 * one is named with the command that installs it, instead of a shell error halfway through
 * (`cat: /bin/busybox: No such file or directory`).
 */
export interface Requirement {
  /** What the user reads: a program name or an absolute path. */
  what: string;
  /** Debian package that provides it (scripts/install-lab-deps.sh installs them all). */
  pkg: string;
  /** Why the lab needs it, when the name does not say. */
  why?: string;
}

/** Absolute paths are looked up as such; names through PATH. */
const HEARTBEAT: Requirement[] = [
  { what: '/usr/libexec/heartbeat/heartbeat', pkg: 'heartbeat' },
  { what: 'cl_status', pkg: 'heartbeat' },
];
/** `lab up --ha keepalived`: keepalived and a system bus per director (org.keepalived.Vrrp1). */
const KEEPALIVED: Requirement[] = [
  { what: 'keepalived', pkg: 'keepalived' },
  { what: 'dbus-daemon', pkg: 'dbus', why: "a system bus per director for keepalived's DBus state" },
  { what: 'dbus-send', pkg: 'dbus', why: 'reading the VRRP state over DBus' },
];
/** `lab up --ha pacemaker`: Corosync, Pacemaker (its daemons and crm_mon, cibadmin), crmsh, and the resource agents. */
const PACEMAKER: Requirement[] = [
  { what: 'corosync', pkg: 'corosync' },
  { what: 'corosync-cfgtool', pkg: 'corosync' },
  { what: 'corosync-quorumtool', pkg: 'corosync', why: 'the captures' },
  { what: 'pacemakerd', pkg: 'pacemaker' },
  { what: 'crm_mon', pkg: 'pacemaker-cli-utils' },
  { what: 'cibadmin', pkg: 'pacemaker-cli-utils' },
  { what: 'crm', pkg: 'crmsh', why: 'loading the generated resources, crm node standby' },
  { what: 'python3', pkg: 'python3', why: "reading crm_mon's XML in the lab's scripts" },
  { what: '/usr/lib/ocf/resource.d/heartbeat/IPaddr2', pkg: 'resource-agents' },
  { what: '/usr/lib/ocf/resource.d/heartbeat/ldirectord', pkg: 'resource-agents' },
];
const COMMON: Requirement[] = [
  { what: 'ldirectord', pkg: 'ldirectord' },
  { what: 'ipvsadm', pkg: 'ipvsadm' },
  { what: 'busybox', pkg: 'busybox-static', why: 'the web servers' },
  { what: 'arping', pkg: 'iputils-arping' },
  { what: 'nft', pkg: 'nftables', why: 'the split-brain scenario' },
  { what: '/usr/sbin/sshd', pkg: 'openssh-server' },
  { what: 'ssh', pkg: 'openssh-client' },
  { what: 'ssh-keygen', pkg: 'openssh-client' },
  { what: 'curl', pkg: 'curl' },
  { what: 'perl', pkg: 'perl' },
  { what: 'nsenter', pkg: 'util-linux' },
  { what: 'unshare', pkg: 'util-linux' },
  { what: 'setsid', pkg: 'util-linux' },
  { what: 'ip', pkg: 'iproute2' },
  { what: 'ss', pkg: 'iproute2' },
  { what: 'sysctl', pkg: 'procps' },
  { what: 'modprobe', pkg: 'kmod' },
];
const VM_ONLY: Requirement[] = [
  { what: 'qemu-system-x86_64', pkg: 'qemu-system-x86' },
  { what: '/bin/busybox', pkg: 'busybox-static', why: "the VM's initramfs" },
  { what: 'depmod', pkg: 'kmod' },
  { what: 'strings', pkg: 'binutils', why: "the kernel modules' dependencies" },
  { what: 'dpkg-deb', pkg: 'dpkg' },
  { what: 'apt-get', pkg: 'apt' },
  { what: 'apt-cache', pkg: 'apt' },
  { what: 'gzip', pkg: 'gzip' },
];

export function requirements(tier: TierName, ha: LabHa = 'heartbeat'): Requirement[] {
  return [...(ha === 'keepalived' ? KEEPALIVED : ha === 'pacemaker' ? PACEMAKER : HEARTBEAT), ...COMMON, ...(tier === 'vm' ? VM_ONLY : [])];
}

export interface PreflightOptions {
  /** Where names are looked up (default: the PATH the lab's scripts use, then $PATH). */
  path?: string;
  /** Prefix of absolute paths (tests point it at an empty directory). Default '/'. */
  root?: string;
  /** The VM kernel cache of lab/vm/build.sh (default ${LVSHA_CACHE:-/var/cache/lvsha}/vm). */
  vmCache?: string;
  /** Do the apt lists know a linux-image-6.1.0-N-amd64 package (build.sh downloads it)? */
  aptKnowsKernel?: () => boolean;
  /** Running as root? */
  isRoot?: boolean;
  /** The directors' HA layer (`lab up --ha`); default heartbeat. */
  ha?: LabHa;
}

export interface Missing {
  what: string;
  /** Debian package, or undefined when it is not a package (root, apt lists). */
  pkg?: string;
  detail: string;
}

/** Where the lab's scripts find their programs: the caller's PATH (up.sh and build.sh inherit it). */
export function labPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.PATH ?? ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'].join(delimiter);
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function findProgram(name: string, path: string): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const f = join(dir, name);
    if (executable(f)) return f;
  }
  return undefined;
}

/**
 * Is this ELF file statically linked (no PT_INTERP program header)? The VM's initramfs runs
 * /bin/busybox with no libc beside it: Debian's dynamic `busybox` package would not boot.
 * undefined when the file is not a readable 64-bit little-endian ELF.
 */
export function isStaticElf(file: string): boolean | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const h = Buffer.alloc(64);
    if (readSync(fd, h, 0, 64, 0) < 64 || h.readUInt32BE(0) !== 0x7f454c46 || h[4] !== 2 || h[5] !== 1) return undefined;
    const phoff = Number(h.readBigUInt64LE(0x20));
    const phentsize = h.readUInt16LE(0x36);
    const phnum = h.readUInt16LE(0x38);
    if (phentsize < 4 || phnum > 256) return undefined;
    const ph = Buffer.alloc(phentsize * phnum);
    if (readSync(fd, ph, 0, ph.length, phoff) < ph.length) return undefined;
    for (let i = 0; i < phnum; i++) if (ph.readUInt32LE(i * phentsize) === 3 /* PT_INTERP */) return false;
    return true;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function aptKnowsKernel(): boolean {
  const r = spawnSync('apt-cache', ['pkgnames', 'linux-image-6.1'], { encoding: 'utf8', timeout: 30000 });
  return r.status === 0 && /^linux-image-6\.1\.0-\d+-amd64$/m.test(r.stdout);
}

/** Everything the tier needs that this machine lacks; empty when the lab can start. */
export function missingForLab(tier: TierName, o: PreflightOptions = {}): Missing[] {
  const path = o.path ?? labPath();
  const root = o.root ?? '/';
  const out: Missing[] = [];
  if (!(o.isRoot ?? process.getuid?.() === 0)) out.push({ what: 'root', detail: 'the lab needs root (network namespaces, mounts, qemu share): run it as root' });
  for (const r of requirements(tier, o.ha)) {
    const found = r.what.startsWith('/') ? (executable(join(root, r.what)) ? join(root, r.what) : undefined) : findProgram(r.what, path);
    if (!found) {
      out.push({ what: r.what, pkg: r.pkg, detail: `${r.what} not found${r.why ? ` (${r.why})` : ''}: package ${r.pkg}` });
    } else if (r.what === '/bin/busybox' && isStaticElf(found) === false) {
      out.push({ what: r.what, pkg: r.pkg, detail: `${r.what} is dynamically linked and cannot run in the VM's initramfs: package ${r.pkg} (replaces busybox)` });
    }
  }
  if (tier === 'vm') {
    const cache = o.vmCache ?? join(process.env.LVSHA_CACHE ?? '/var/cache/lvsha', 'vm');
    const cached = existsSync(join(cache, 'vmlinuz')) && existsSync(join(cache, 'initramfs.cpio.gz'));
    // build.sh downloads the kernel package when its cache is empty: apt must know it.
    if (!cached && !(o.aptKnowsKernel ?? aptKnowsKernel)()) {
      out.push({ what: 'VM kernel', detail: `no kernel in ${cache} and the apt lists know no linux-image-6.1.0-N-amd64 to download: apt-get update` });
    }
  }
  return out;
}

/** The message `lab up` prints: each missing item, then the command that installs them. */
export function formatMissing(tier: TierName, missing: Missing[], repo: string): string {
  const pkgs = [...new Set(missing.map((m) => m.pkg).filter((p): p is string => !!p))];
  const lines = [`the ${tier} tier of the lab cannot start, this machine lacks:`, ...missing.map((m) => `  - ${m.detail}`)];
  const fixes: string[] = [];
  if (pkgs.length || missing.some((m) => m.what === 'VM kernel')) {
    fixes.push(`install what the lab needs (Debian 12, as root): bash ${join(repo, 'scripts', 'install-lab-deps.sh')}`);
    if (pkgs.length) fixes.push(`  (that is: apt-get update && apt-get install --no-install-recommends ${pkgs.join(' ')})`);
  }
  return [...lines, ...fixes].join('\n');
}
