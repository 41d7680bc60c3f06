import { readFileSync } from 'node:fs';
import { BoundedReadError } from '../../src/runtime/readBounded';
import { CommandTimeoutError, UnreachableError } from '../../src/sources/source';
import { SshSource, SshSourceOptions } from '../../src/sources/ssh';
import { shellScript } from '../../src/sources/shellSession';
import { sshdAvailable, startSshd, TestSshd } from '../helpers/sshd';
import { ShellPeer, startShellPeer } from './shellPeer';

// The pooled connection's long-lived remote shell (SshSource keepShell, shellSession.ts):
// each command framed by a random nonce; whatever the peer does, a command gets its own
// output or an error by its deadline, never another command's bytes.

describe('the long-lived shell against a peer that misbehaves on demand', () => {
  let peer: ShellPeer;
  beforeAll(async () => {
    peer = await startShellPeer();
  });
  afterAll(async () => {
    await peer?.close();
  });
  beforeEach(() => {
    peer.mode = 'honest';
  });
  const src = (o: Partial<SshSourceOptions> = {}) =>
    new SshSource({ host: '127.0.0.1', port: peer.port, user: 'root', keyPath: peer.userKey, knownHostsPath: peer.knownHosts, keepShell: true, ...o });

  test('one shell answers successive commands, each with exactly its output, error output and status', async () => {
    const s = src();
    try {
      const before = peer.execs;
      expect(await s.run(['sh', '-c', 'echo out; echo err >&2; exit 3'], { timeoutMs: 10_000 })).toEqual({ stdout: 'out\n', stderr: 'err\n', code: 3, signal: null });
      expect(await s.run(['printf', '%s|', 'a b', "it's", '$0', '"$@"', 'x\ny'], { timeoutMs: 10_000 })).toEqual({ stdout: `a b|it's|$0|"$@"|x\ny|`, stderr: '', code: 0, signal: null });
      expect(await s.run(['true'], { timeoutMs: 10_000 })).toEqual({ stdout: '', stderr: '', code: 0, signal: null });
      expect(await s.run(['printf', '\n\n'], { timeoutMs: 10_000 })).toMatchObject({ stdout: '\n\n', code: 0 });
      // Before keepShell: one channel per command (4).
      expect(peer.execs - before).toBe(1);
    } finally {
      await s.close();
    }
  });

  test('markers split across packets, a byte or three at a time: the same answers', async () => {
    const s = src();
    try {
      peer.mode = 'trickle';
      expect(await s.run(['sh', '-c', 'echo out; echo err >&2; printf tail; exit 3'], { timeoutMs: 10_000 })).toEqual({ stdout: 'out\ntail', stderr: 'err\n', code: 3, signal: null });
      expect(await s.run(['true'], { timeoutMs: 10_000 })).toEqual({ stdout: '', stderr: '', code: 0, signal: null });
    } finally {
      await s.close();
    }
  });

  test('concurrent commands on one connection never interleave', async () => {
    const s = src();
    try {
      const lines = (tag: string) => Array.from({ length: 3000 }, (_, i) => `${tag}${i}`).join('\n') + '\n';
      const cmd = (tag: string) => ['sh', '-c', `i=0; while [ $i -lt 3000 ]; do echo ${tag}$i; i=$((i+1)); done`];
      expect((await s.run(['echo', 'warm'], { timeoutMs: 10_000 })).stdout).toBe('warm\n'); // the shell is open
      const rs = await Promise.all(['a', 'b', 'c', 'd'].map((t) => s.run(cmd(t), { timeoutMs: 20_000 })));
      rs.forEach((r, k) => expect(r.stdout).toBe(lines('abcd'[k]!)));
    } finally {
      await s.close();
    }
  });

  test('a peer echoing its input: the echo is never taken for output or a marker, and that shell is not reused', async () => {
    const s = src();
    try {
      peer.mode = 'echo';
      const before = peer.execs;
      expect(await s.run(['echo', 'one'], { timeoutMs: 10_000 })).toEqual({ stdout: 'one\n', stderr: '', code: 0, signal: null });
      expect(await s.run(['echo', 'two'], { timeoutMs: 10_000 })).toEqual({ stdout: 'two\n', stderr: '', code: 0, signal: null });
      expect(peer.execs - before).toBe(2);
    } finally {
      await s.close();
    }
  });

  test('output forging markers (other nonces, a start marker mid-output) is output like any other', async () => {
    const s = src();
    try {
      const fake = '00112233445566778899aabbccddeeff';
      const text = `before\n${fake}\n\n${fake} 0\nafter\n\n${fake}\n`;
      expect(await s.run(['printf', '%s', text], { timeoutMs: 10_000 })).toEqual({ stdout: text, stderr: '', code: 0, signal: null });
      expect(await s.run(['sh', '-c', 'printf "%s" "$0" >&2; exit 4', text], { timeoutMs: 10_000 })).toEqual({ stdout: '', stderr: text, code: 4, signal: null });
    } finally {
      await s.close();
    }
  });

  test('a shell that never sends the end marker: the deadline ends the command, the next one gets a fresh shell and only its own output', async () => {
    const s = src();
    try {
      peer.mode = 'mute';
      await expect(s.run(['echo', 'lost'], { timeoutMs: 1000 })).rejects.toThrow(CommandTimeoutError);
      peer.mode = 'honest';
      expect(await s.run(['echo', 'next'], { timeoutMs: 10_000 })).toEqual({ stdout: 'next\n', stderr: '', code: 0, signal: null });
    } finally {
      await s.close();
    }
  });

  test('a command timing out mid-output: its partial output never reaches the next command', async () => {
    const s = src();
    try {
      expect((await s.run(['echo', 'warm'], { timeoutMs: 10_000 })).stdout).toBe('warm\n');
      await expect(s.run(['sh', '-c', 'echo partial; sleep 30'], { timeoutMs: 1500 })).rejects.toThrow(CommandTimeoutError);
      expect(await s.run(['echo', 'after'], { timeoutMs: 10_000 })).toEqual({ stdout: 'after\n', stderr: '', code: 0, signal: null });
    } finally {
      await s.close();
    }
  });

  test('output over the byte cap: refused, the shell dropped, the next command answers', async () => {
    const s = src({ maxOutputBytes: 1024 * 1024 });
    try {
      peer.mode = 'flood';
      await expect(s.run(['echo', 'x'], { timeoutMs: 20_000 })).rejects.toThrow(BoundedReadError);
      peer.mode = 'honest';
      expect((await s.run(['echo', 'small'], { timeoutMs: 10_000 })).stdout).toBe('small\n');
      await expect(s.run(['head', '-c', '2000000', '/dev/zero'], { timeoutMs: 20_000 })).rejects.toThrow(/more than 1\.0 MiB|more than 1 MiB|more than/);
    } finally {
      await s.close();
    }
  });

  test('a shell that dies before answering is reopened once, not more: then the command fails as unreachable', async () => {
    const s = src();
    try {
      expect((await s.run(['echo', 'warm'], { timeoutMs: 10_000 })).stdout).toBe('warm\n');
      peer.mode = 'die';
      const before = peer.execs;
      await expect(s.run(['echo', 'x'], { timeoutMs: 10_000 })).rejects.toThrow(UnreachableError);
      // The shell it had died under the command (no new exec), one reopen (one exec), no more.
      expect(peer.execs - before).toBe(1);
      peer.mode = 'honest';
      expect((await s.run(['echo', 'back'], { timeoutMs: 10_000 })).stdout).toBe('back\n');
    } finally {
      await s.close();
    }
  });

  test('bytes a command left behind arriving while idle: that shell is dropped, the next command reads only its own output', async () => {
    const s = src();
    try {
      peer.mode = 'stale';
      expect((await s.run(['echo', 'one'], { timeoutMs: 10_000 })).stdout).toBe('one\n');
      await new Promise((r) => setTimeout(r, 400)); // the stray line arrives (100 ms after)
      peer.mode = 'honest';
      const before = peer.execs;
      expect(await s.run(['echo', 'two'], { timeoutMs: 10_000 })).toEqual({ stdout: 'two\n', stderr: '', code: 0, signal: null });
      expect(peer.execs - before).toBe(1); // a new shell
    } finally {
      await s.close();
    }
  });
});

test('the script never holds the nonce whole (an echo of it cannot forge a marker)', () => {
  const a = '0123456789abcdef';
  const b = 'fedcba9876543210';
  const text = shellScript(['sh', '-c', "echo '$x'"], '5.0', a, b);
  expect(text).not.toContain(a + b);
  expect(text.endsWith('\n')).toBe(true);
  expect(text.split('\n').length).toBe(2); // one line: the shell runs it as soon as it is read
});

const d = sshdAvailable() ? describe : describe.skip;
d('the long-lived shell against the real sshd', () => {
  let sshd: TestSshd;
  beforeAll(async () => {
    sshd = await startSshd();
  });
  afterAll(async () => {
    await sshd?.stop();
  });
  /** The remote shell's pid: the parent of the command's parent (GNU timeout). */
  const shellPid = async (s: SshSource) => Number((await s.run(['sh', '-c', 'read -r a b c d e < /proc/$PPID/stat; echo $d'], { timeoutMs: 10_000 })).stdout.trim());

  test('successive commands run in one shell; killed while idle, a new one answers', async () => {
    const s = new SshSource({ host: '127.0.0.1', port: sshd.port, user: 'root', keyPath: sshd.userKey, knownHostsPath: sshd.knownHosts, keepShell: true });
    try {
      const p1 = await shellPid(s);
      expect(p1).toBeGreaterThan(1);
      expect(await shellPid(s)).toBe(p1); // before keepShell: a new sshd session each time
      expect(readFileSync(`/proc/${p1}/cmdline`, 'utf8').split('\0')[0]).toBe('sh');
      process.kill(p1, 'SIGKILL');
      await new Promise((r) => setTimeout(r, 200));
      const p2 = await shellPid(s);
      expect(p2).not.toBe(p1);
      expect(await s.run(['sh', '-c', 'echo out; echo err >&2; exit 3'], { timeoutMs: 10_000 })).toEqual({ stdout: 'out\n', stderr: 'err\n', code: 3, signal: null });
    } finally {
      await s.close();
    }
  });

  test('the shell killed under a command: that command fails as unreachable, the next one answers', async () => {
    const s = new SshSource({ host: '127.0.0.1', port: sshd.port, user: 'root', keyPath: sshd.userKey, knownHostsPath: sshd.knownHosts, keepShell: true });
    try {
      await shellPid(s);
      await expect(s.run(['sh', '-c', 'read -r a b c d e < /proc/$PPID/stat; echo partial; kill -9 $d; sleep 2'], { timeoutMs: 10_000 })).rejects.toThrow(UnreachableError);
      expect(await s.run(['echo', 'next'], { timeoutMs: 10_000 })).toEqual({ stdout: 'next\n', stderr: '', code: 0, signal: null });
    } finally {
      await s.close();
    }
  });
});
