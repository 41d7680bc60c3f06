/**
 * `lvsha lab up` on a machine without the lab's Debian packages names what is missing and the
 * command that installs it, before touching anything (it used to fail halfway with
 * `cat: /bin/busybox: No such file or directory`). Never brings a lab up: the programs are
 * looked up in empty or stub directories, and the CLI run gets an empty PATH and its own
 * LVSHA_LAB_DIR.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { nextStep } from '../../src/lab/command';
import { formatMissing, isStaticElf, missingForLab, requirements } from '../../src/lab/preflight';
import { REPO } from '../../src/lab/tiers';

/** A minimal ELF64 little-endian header with one program header of type `ptype`. */
function elf(ptype: number): Buffer {
  const b = Buffer.alloc(64 + 56);
  b.writeUInt32BE(0x7f454c46, 0);
  b[4] = 2; // 64-bit
  b[5] = 1; // little-endian
  b.writeBigUInt64LE(64n, 0x20); // e_phoff
  b.writeUInt16LE(56, 0x36); // e_phentsize
  b.writeUInt16LE(1, 0x38); // e_phnum
  b.writeUInt32LE(ptype, 64);
  return b;
}
const PT_LOAD = 1;
const PT_INTERP = 3;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lvsha-preflight-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function put(file: string, body: string | Buffer = '#!/bin/sh\n'): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, body);
  chmodSync(file, 0o755);
}

/** A PATH directory and a root with every program the tier needs (stubs). */
function fullMachine(tier: 'netns' | 'vm', busybox = elf(PT_LOAD)): { path: string; root: string } {
  const path = join(dir, 'bin');
  const root = join(dir, 'root');
  mkdirSync(path, { recursive: true });
  for (const r of requirements(tier)) {
    if (r.what.startsWith('/')) put(join(root, r.what), r.what === '/bin/busybox' ? busybox : undefined);
    else put(join(path, r.what));
  }
  return { path, root };
}

describe('lab preflight', () => {
  test('an empty machine: every program of the VM tier and the kernel are named, with their packages', () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    const m = missingForLab('vm', { path: empty, root: empty, vmCache: empty, aptKnowsKernel: () => false, isRoot: true });
    const names = m.map((x) => x.what);
    for (const w of ['busybox', '/bin/busybox', '/usr/libexec/heartbeat/heartbeat', 'cl_status', 'ldirectord', 'ipvsadm', 'arping', 'nft', 'qemu-system-x86_64', '/usr/sbin/sshd', 'VM kernel']) {
      expect(names).toContain(w);
    }
    expect(names).not.toContain('root');
    const text = formatMissing('vm', m, '/repo');
    expect(text).toMatch(/\/bin\/busybox not found \(the VM's initramfs\): package busybox-static/);
    expect(text).toMatch(/qemu-system-x86_64 not found: package qemu-system-x86/);
    expect(text).toMatch(/no kernel in .* apt-get update/);
    expect(text).toContain('bash /repo/scripts/install-lab-deps.sh');
    expect(text).toMatch(/apt-get install --no-install-recommends .*\bheartbeat\b.*\bbusybox-static\b/);
  });

  test('--ha keepalived asks for keepalived and a system bus (dbus), not for Heartbeat', () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    const m = missingForLab('netns', { path: empty, root: empty, isRoot: true, ha: 'keepalived' });
    const names = m.map((x) => x.what);
    for (const w of ['keepalived', 'dbus-daemon', 'dbus-send', 'nft', 'busybox']) expect(names).toContain(w);
    expect(names).not.toContain('/usr/libexec/heartbeat/heartbeat');
    expect(formatMissing('netns', m, '/repo')).toMatch(/apt-get install --no-install-recommends .*\bkeepalived\b.*\bdbus\b/);
    // the default lab is unchanged: Heartbeat, no keepalived
    const hb = missingForLab('netns', { path: empty, root: empty, isRoot: true }).map((x) => x.what);
    expect(hb).toContain('cl_status');
    expect(hb).not.toContain('keepalived');
  });

  test('the namespace tier does not ask for qemu or a kernel', () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    const names = missingForLab('netns', { path: empty, root: empty, isRoot: true }).map((x) => x.what);
    expect(names).toContain('busybox');
    expect(names).not.toContain('qemu-system-x86_64');
    expect(names).not.toContain('VM kernel');
  });

  test('a machine with everything: nothing missing (the kernel from the cache or from apt)', () => {
    for (const tier of ['netns', 'vm'] as const) {
      const { path, root } = fullMachine(tier);
      expect(missingForLab(tier, { path, root, aptKnowsKernel: () => true, isRoot: true })).toEqual([]);
    }
    const { path, root } = fullMachine('vm');
    const cache = join(dir, 'cache');
    put(join(cache, 'vmlinuz'));
    put(join(cache, 'initramfs.cpio.gz'));
    expect(missingForLab('vm', { path, root, vmCache: cache, aptKnowsKernel: () => false, isRoot: true })).toEqual([]);
  });

  test('one program missing is the one named', () => {
    const { path, root } = fullMachine('vm');
    rmSync(join(path, 'arping'));
    rmSync(join(root, 'usr/libexec/heartbeat/heartbeat'));
    const m = missingForLab('vm', { path, root, aptKnowsKernel: () => true, isRoot: true });
    expect(m.map((x) => `${x.what} ${x.pkg}`)).toEqual(['/usr/libexec/heartbeat/heartbeat heartbeat', 'arping iputils-arping']);
  });

  test('a dynamically linked /bin/busybox (package busybox) is refused for the VM initramfs', () => {
    const { path, root } = fullMachine('vm', elf(PT_INTERP));
    const m = missingForLab('vm', { path, root, aptKnowsKernel: () => true, isRoot: true });
    expect(m).toHaveLength(1);
    expect(m[0]!.detail).toMatch(/\/bin\/busybox is dynamically linked .*busybox-static/);
    // the namespace tier runs busybox httpd from PATH: dynamic is fine there
    expect(missingForLab('netns', { path, root, isRoot: true })).toEqual([]);
  });

  test('not root is named', () => {
    const { path, root } = fullMachine('netns');
    expect(missingForLab('netns', { path, root, isRoot: false }).map((x) => x.what)).toEqual(['root']);
  });

  test('isStaticElf reads the program headers', () => {
    put(join(dir, 's'), elf(PT_LOAD));
    put(join(dir, 'd'), elf(PT_INTERP));
    put(join(dir, 'x'), '#!/bin/sh\necho not an ELF file, long enough to fill a header............................\n');
    expect(isStaticElf(join(dir, 's'))).toBe(true);
    expect(isStaticElf(join(dir, 'd'))).toBe(false);
    expect(isStaticElf(join(dir, 'x'))).toBeUndefined();
    expect(isStaticElf(join(dir, 'nonexistent'))).toBeUndefined();
  });

  test('lvsha lab up with nothing on PATH: names what is missing and how to install it, touches nothing', () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    const r = spawnSync(process.execPath, [join(REPO, 'bin', 'lvsha'), 'lab', 'up', '--tier', 'netns'], {
      encoding: 'utf8',
      timeout: 60000,
      // its own state directory: a lab another run may have up is not this test's to tear down
      env: { PATH: empty, LVSHA_LAB_DIR: join(dir, 'lab'), HOME: dir },
    });
    const out = r.stdout + r.stderr;
    expect(r.status).toBe(1);
    expect(out).toMatch(/lab up failed: the netns tier of the lab cannot start, this machine lacks:/);
    expect(out).toMatch(/busybox not found \(the web servers\): package busybox-static/);
    expect(out).toMatch(/install-lab-deps\.sh/);
    // it stopped before its first step (tearing down a previous lab)
    expect(out).not.toMatch(/lab down/);
  });

  test('once up, lab up suggests the doctor command of the tier and what it will show', () => {
    expect(nextStep('netns', false)).toMatch(/lvsha lab run -- lvsha doctor \(.*ipvs and sync: CRITICAL "IPVS not available in this kernel" by nature.*lvsha lab up --tier vm/);
    expect(nextStep('netns', true)).toBe('try: lvsha lab run -- lvsha doctor (every row OK)');
    expect(nextStep('vm')).toMatch(/^try: lvsha lab run -- lvsha doctor -t 60 \(every row OK; under qemu TCG/);
  });
});
