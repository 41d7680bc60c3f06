import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { AddressInfo, Socket, connect, createServer } from 'node:net';
import { join } from 'node:path';
import { SshSource, shQuote } from '../../src/sources/ssh';
import { CommandTimeoutError, SshAuthError, UnreachableError } from '../../src/sources/source';
import { freePort, sshdAvailable, startSshd, TestSshd } from '../helpers/sshd';

// CI installs openssh-server (scripts/install-deps.sh) and runs as root: there the real
// sshd is required, never silently skipped.
const available = sshdAvailable();
if (!available && process.env.CI) throw new Error('openssh-server is required in CI for the SSH source tests');
const d = available ? describe : describe.skip;

d('SSH source against a real sshd on loopback', () => {
  let sshd: TestSshd;
  beforeAll(async () => {
    sshd = await startSshd();
  });
  afterAll(async () => {
    await sshd?.stop();
  });
  const src = (o: Partial<ConstructorParameters<typeof SshSource>[0]> = {}) =>
    new SshSource({ host: '127.0.0.1', port: sshd.port, user: 'root', keyPath: sshd.userKey, knownHostsPath: sshd.knownHosts, connectTimeoutMs: 5000, ...o });

  test('a command runs, argv quoted exactly, files read', async () => {
    const s = src();
    try {
      const r = await s.run(['printf', '%s|', 'a b', "it's", '$HOME', ';true']);
      expect(r).toMatchObject({ code: 0, stdout: "a b|it's|$HOME|;true|" });
      const f = await s.readFile(join(sshd.dir, 'authorized_keys'));
      expect(f).toBe(readFileSync(join(sshd.dir, 'authorized_keys'), 'utf8'));
      await expect(s.readFile('/nonexistent/file')).rejects.toMatchObject({ code: 'ENOENT' });
      const fail = await s.run(['sh', '-c', 'echo oops >&2; exit 7']);
      expect(fail).toMatchObject({ code: 7, stderr: 'oops\n' });
    } finally {
      await s.close();
    }
  });

  test('closed means closed: a command issued after close() (a probe still running in the background) opens no new connection', async () => {
    // doctor printed its table, closed its pool, and then stayed alive: a background probe
    // (the IPVS check's HZ detection) ran `zcat /proc/config.gz` after the close, which opened
    // a fresh connection that nobody would ever close (bench/doctor.js, about 1 run in 5).
    const s = src();
    await s.run(['true']);
    await s.close();
    await expect(s.run(['true'])).rejects.toBeInstanceOf(UnreachableError);
    await expect(s.readFile('/etc/hostname')).rejects.toThrow(/closed/);
    expect(s.connected).toBe(false);
  });

  test('reads asked for together go out as ONE remote command, each answered exactly', async () => {
    const runs: string[][] = [];
    const s = src({ onRun: (a) => runs.push([...a]) });
    try {
      await s.run(['true']);
      runs.length = 0;
      const ak = join(sshd.dir, 'authorized_keys');
      const [a, b, missing, isDir, listing, noDir] = await Promise.allSettled([
        s.readFile(ak),
        s.readFile('/proc/sys/net/ipv4/conf/lo/arp_ignore'),
        s.readFile('/nonexistent/file'),
        s.readFile(sshd.dir),
        s.listDir(sshd.dir),
        s.listDir('/nonexistent/dir'),
      ]);
      expect(runs).toHaveLength(1);
      expect(runs[0]!.slice(0, 2)).toEqual(['sh', '-c']);
      expect(a).toEqual({ status: 'fulfilled', value: readFileSync(ak, 'utf8') });
      expect(b).toEqual({ status: 'fulfilled', value: readFileSync('/proc/sys/net/ipv4/conf/lo/arp_ignore', 'utf8') });
      expect(missing).toMatchObject({ status: 'rejected', reason: { code: 'ENOENT' } });
      expect(isDir).toMatchObject({ status: 'rejected', reason: { code: 'EISDIR' } });
      expect(listing).toEqual({ status: 'fulfilled', value: readdirSync(sshd.dir).sort() });
      expect(noDir).toEqual({ status: 'fulfilled', value: [] });
      // The next turn's read is a new command.
      await s.readFile(ak);
      expect(runs).toHaveLength(2);
    } finally {
      await s.close();
    }
  });

  test('TCP_NODELAY is set on the connection (else each command waits ~45 ms for a delayed ACK)', async () => {
    const spy = jest.spyOn(Socket.prototype, 'setNoDelay');
    const s = src();
    try {
      await s.run(['true']);
      expect(spy.mock.calls.some((c) => c[0] === true)).toBe(true);
    } finally {
      spy.mockRestore();
      await s.close();
    }
  });

  test('a connection reset under the pool: no crash, the command in flight fails as unreachable, the next one reconnects', async () => {
    // A relay between the source and sshd that the test can reset (RST), like a director
    // rebooting under a pooled connection.
    const held = new Set<Socket>();
    const relay = createServer((c) => {
      const up = connect({ host: '127.0.0.1', port: sshd.port });
      for (const x of [c, up]) {
        held.add(x);
        x.on('error', () => {});
        x.on('close', () => held.delete(x));
      }
      c.pipe(up).pipe(c);
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', () => r()));
    const port = (relay.address() as AddressInfo).port;
    const kh = join(sshd.dir, `known_hosts.relay`);
    writeFileSync(kh, readFileSync(sshd.knownHosts, 'utf8').replace(`]:${sshd.port} `, `]:${port} `));
    const s = src({ port, knownHostsPath: kh });
    try {
      expect((await s.run(['echo', 'one'])).stdout).toBe('one\n');
      const inFlight = s.run(['sleep', '5'], { timeoutMs: 8000 });
      await new Promise((r) => setTimeout(r, 300));
      for (const x of held) x.resetAndDestroy();
      await expect(inFlight).rejects.toThrow(UnreachableError);
      // Reconnects through the relay (a new TCP connection).
      expect((await s.run(['echo', 'two'])).stdout).toBe('two\n');
    } finally {
      await s.close();
      for (const x of held) x.destroy();
      await new Promise((r) => relay.close(r));
    }
  });

  test('an unknown host key is refused', async () => {
    const s = src({ knownHostsPath: sshd.emptyKnownHosts });
    await expect(s.run(['true'])).rejects.toThrow(SshAuthError);
    await expect(src({ knownHostsPath: sshd.emptyKnownHosts }).run(['true'])).rejects.toThrow(/is not in .*known_hosts_empty; refusing/);
  });

  test('a changed host key is refused', async () => {
    await expect(src({ knownHostsPath: sshd.wrongKnownHosts }).run(['true'])).rejects.toThrow(/HOST KEY CHANGED for 127\.0\.0\.1:\d+/);
  });

  test('a wrong user key is refused', async () => {
    const e = await src({ keyPath: sshd.otherKey })
      .run(['true'])
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(SshAuthError);
    expect((e as Error).message).toMatch(/SSH key refused by 127\.0\.0\.1:\d+ for user root/);
  });

  test('a hung remote command is killed at the deadline', async () => {
    const s = src();
    const pidfile = join(sshd.dir, 'hung.pid');
    try {
      // sleep 60 outlives the test's own timeout: rejecting with CommandTimeoutError is the proof.
      await expect(s.run(['sh', '-c', `echo $$ > ${pidfile}; exec sleep 60`], { timeoutMs: 1500 })).rejects.toThrow(CommandTimeoutError);
      const pid = Number(readFileSync(pidfile, 'utf8'));
      // The remote process must be gone (bounded wait: the KILL crosses sshd).
      let gone = false;
      for (let i = 0; i < 40 && !gone; i++) {
        gone = !existsSync(`/proc/${pid}`) || / Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, ' '));
        if (!gone) await new Promise((r) => setTimeout(r, 50));
      }
      expect(gone).toBe(true);
    } finally {
      await s.close();
    }
  });

  test('a closed port is unreachable (CRITICAL for the checks), not an auth error', async () => {
    const port = await freePort();
    await expect(src({ port }).run(['true'])).rejects.toThrow(UnreachableError);
  });
});

test('shQuote keeps words intact', () => {
  expect(shQuote('plain-word_1.2:3')).toBe('plain-word_1.2:3');
  expect(shQuote("it's")).toBe(`'it'\\''s'`);
  expect(shQuote('')).toBe("''");
  expect(shQuote('$(rm -rf /)')).toBe("'$(rm -rf /)'");
});
