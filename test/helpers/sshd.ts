import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SSHD = '/usr/sbin/sshd';

export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

export interface TestSshd {
  dir: string;
  port: number;
  userKey: string;
  otherKey: string;
  knownHosts: string;
  wrongKnownHosts: string;
  emptyKnownHosts: string;
  /** What sshd logged so far (-e: stderr). */
  log(): string;
  stop(): Promise<void>;
}

const keygen = (file: string) => execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file]);

/** A real OpenSSH sshd on 127.0.0.1 (free port), with keys generated for this test only. */
export async function startSshd(listen = '127.0.0.1', logLevel = 'INFO'): Promise<TestSshd> {
  const dir = mkdtempSync(join(tmpdir(), 'lvsha-sshd-'));
  const hostKey = join(dir, 'host_ed25519');
  const otherHostKey = join(dir, 'other_host_ed25519');
  const userKey = join(dir, 'user_ed25519');
  const otherKey = join(dir, 'other_user_ed25519');
  for (const k of [hostKey, otherHostKey, userKey, otherKey]) keygen(k);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(userKey + '.pub'));
  const port = await freePort(listen);
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // privilege separation dir
  const cfg = join(dir, 'sshd_config');
  writeFileSync(
    cfg,
    [
      `Port ${port}`,
      `ListenAddress ${listen}`,
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'StrictModes no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'PermitRootLogin prohibit-password',
      'MaxStartups 100',
      `LogLevel ${logLevel}`,
      // bash reads ~/.bashrc for commands from sshd when SHLVL < 2: not wanted in tests.
      'SetEnv SHLVL=1',
      '',
    ].join('\n'),
  );
  const pub = (f: string) => readFileSync(f + '.pub', 'utf8').split(' ').slice(0, 2).join(' ');
  const knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, `[${listen}]:${port} ${pub(hostKey)}\n`);
  const wrongKnownHosts = join(dir, 'known_hosts_wrong');
  writeFileSync(wrongKnownHosts, `[${listen}]:${port} ${pub(otherHostKey)}\n`);
  const emptyKnownHosts = join(dir, 'known_hosts_empty');
  writeFileSync(emptyKnownHosts, `[127.0.0.2]:${port} ${pub(hostKey)}\n`);
  const child: ChildProcess = spawn(SSHD, ['-D', '-e', '-f', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (b: Buffer) => (log += b.toString()));
  // Wait (bounded) until it listens.
  for (let i = 0; i < 100; i++) {
    if (/Server listening/.test(log)) break;
    if (child.exitCode !== null) throw new Error(`sshd exited: ${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  if (!/Server listening/.test(log)) {
    child.kill('SIGKILL');
    throw new Error(`sshd did not start: ${log}`);
  }
  return {
    dir,
    port,
    userKey,
    otherKey,
    knownHosts,
    wrongKnownHosts,
    emptyKnownHosts,
    log: () => log,
    async stop() {
      child.kill('SIGTERM');
      for (let i = 0; i < 40 && child.exitCode === null && child.signalCode === null; i++) await new Promise((r) => setTimeout(r, 50));
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const sshdAvailable = () => existsSync(SSHD) && process.getuid?.() === 0;
