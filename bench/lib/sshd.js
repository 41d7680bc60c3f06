// A real OpenSSH sshd for benchmarks, on a loopback address only, with keys made for this
// run (plain-JS port of test/helpers/sshd.ts). 127.0.0.2 by default: the exporter treats
// 127.0.0.1 as "this host" and would not use SSH for it.
'use strict';
const { execFileSync, spawn } = require('node:child_process');
const { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { createServer } = require('node:net');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

function freePort(host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const a = s.address();
      s.close(() => resolve(a.port));
    });
  });
}

/** `address`: one loopback address, or several (one sshd listening on each, same port and keys). */
async function startSshd(address = '127.0.0.2') {
  const addresses = Array.isArray(address) ? address : [address];
  address = addresses[0];
  const dir = mkdtempSync(join(tmpdir(), 'lvsha-bench-sshd-'));
  const hostKey = join(dir, 'host_ed25519');
  const userKey = join(dir, 'user_ed25519');
  for (const k of [hostKey, userKey]) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', k]);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(userKey + '.pub'));
  const port = await freePort(address);
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const cfg = join(dir, 'sshd_config');
  writeFileSync(
    cfg,
    [
      `Port ${port}`,
      ...addresses.map((a) => `ListenAddress ${a}`),
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'StrictModes no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'PermitRootLogin prohibit-password',
      'MaxStartups 200',
      'MaxSessions 100',
      // Debian's bash sources ~/.bashrc for commands run by sshd unless SHLVL says it is nested;
      // a heavy .bashrc (pyenv on this machine: ~200 ms) would be timed instead of SSH itself.
      'SetEnv SHLVL=1',
      '',
    ].join('\n'),
  );
  const knownHosts = join(dir, 'known_hosts');
  const hostLine = readFileSync(hostKey + '.pub', 'utf8').split(' ').slice(0, 2).join(' ');
  writeFileSync(knownHosts, addresses.map((a) => `[${a}]:${port} ${hostLine}\n`).join(''));
  const child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (b) => (log += b.toString()));
  const listening = () => (log.match(/Server listening/g) ?? []).length >= addresses.length;
  for (let i = 0; i < 100 && !listening(); i++) {
    if (child.exitCode !== null) throw new Error(`sshd exited: ${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  if (!listening()) {
    child.kill('SIGKILL');
    throw new Error(`sshd did not start: ${log}`);
  }
  return {
    address,
    port,
    userKey,
    knownHosts,
    async stop() {
      child.kill('SIGTERM');
      for (let i = 0; i < 40 && child.exitCode === null && child.signalCode === null; i++) await new Promise((r) => setTimeout(r, 50));
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

module.exports = { startSshd, freePort };
