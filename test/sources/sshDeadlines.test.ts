import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { AddressInfo, connect, createServer, Server, Socket } from 'node:net';
import { join } from 'node:path';
import { SshPool } from '../../src/sources/pool';
import { CommandTimeoutError, UnreachableError } from '../../src/sources/source';
import { SshSource, SshSourceOptions } from '../../src/sources/ssh';
import { startSilent } from '../helpers/relay';
import { freePort, sshdAvailable, startSshd, TestSshd } from '../helpers/sshd';

// Deadlines over SSH, against the real test sshd on loopback: a remote command never
// outlives its deadline nor holds a connection, the pool never opens more connections than
// its size, a host that could not be reached is not waited for twice.

const available = sshdAvailable();
if (!available && process.env.CI) throw new Error('openssh-server is required in CI for the SSH deadline tests');
const d = available ? describe : describe.skip;

/** Gone, or a zombie nobody reaped yet. */
function gone(pid: number): boolean {
  if (!existsSync(`/proc/${pid}`)) return true;
  try {
    return / [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, ' '));
  } catch {
    return true;
  }
}
async function waitGone(pid: number): Promise<boolean> {
  for (let i = 0; i < 100 && !gone(pid); i++) await new Promise((r) => setTimeout(r, 50));
  return gone(pid);
}

/** A relay to sshd on `address` that counts connections open now and at most at once. */
interface Relay {
  address: string;
  port: number;
  total: number;
  now: number;
  max: number;
  close(): Promise<void>;
}
function relay(address: string, port: number, target: number): Promise<Relay> {
  const held = new Set<Socket>();
  const r: Relay = { address, port, total: 0, now: 0, max: 0, close: async () => {} };
  const server: Server = createServer((c) => {
    r.total++;
    r.now++;
    r.max = Math.max(r.max, r.now);
    const up = connect({ host: '127.0.0.1', port: target });
    held.add(c).add(up);
    let closed = false;
    const end = () => {
      if (!closed) {
        closed = true;
        r.now--;
      }
      c.destroy();
      up.destroy();
      held.delete(c);
      held.delete(up);
    };
    c.pipe(up).pipe(c);
    c.on('error', end).on('close', end);
    up.on('error', end).on('close', end);
  });
  r.close = () =>
    new Promise<void>((res) => {
      for (const s of held) s.destroy();
      server.close(() => res());
    });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => {
      r.port = (server.address() as AddressInfo).port;
      resolve(r);
    });
  });
}

d('SSH deadlines against a real sshd on loopback', () => {
  let sshd: TestSshd;
  const cleanup: (() => Promise<void> | void)[] = [];
  beforeAll(async () => {
    sshd = await startSshd();
  });
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
    await sshd?.stop();
  });
  const hostKey = () => readFileSync(sshd.knownHosts, 'utf8').trim().split(' ').slice(1).join(' ');
  /** known_hosts naming each relay (same host key: they all lead to the one sshd). */
  const knownHostsFor = (name: string, relays: { address: string; port: number }[]) => {
    const f = join(sshd.dir, `known_hosts.${name}`);
    writeFileSync(f, relays.map((x) => `[${x.address}]:${x.port} ${hostKey()}\n`).join(''));
    return f;
  };
  const opts = (o: Partial<SshSourceOptions> = {}): SshSourceOptions => ({ host: '127.0.0.1', port: sshd.port, user: 'root', keyPath: sshd.userKey, knownHostsPath: sshd.knownHosts, connectTimeoutMs: 5000, ...o });

  test('a command that exits leaving a background child: the call returns, the remote child is killed', async () => {
    const s = new SshSource(opts());
    const pidfile = join(sshd.dir, 'bg.pid');
    try {
      // Before: the child held the channel's output until the deadline (CommandTimeoutError)
      // and outlived it (timeout(1) only kills what runs when it fires).
      const r = await s.run(['sh', '-c', `sleep 300 & echo $! > ${pidfile}; echo done`], { timeoutMs: 20_000 });
      expect(r).toMatchObject({ code: 0, stdout: 'done\n' });
      expect(await waitGone(Number(readFileSync(pidfile, 'utf8')))).toBe(true);
    } finally {
      await s.close();
    }
  });

  test('the exit status and output still come back through the remote deadline wrapper', async () => {
    const s = new SshSource(opts());
    try {
      expect(await s.run(['sh', '-c', 'echo out; echo err >&2; exit 3'], { timeoutMs: 10_000 })).toMatchObject({ code: 3, stdout: 'out\n', stderr: 'err\n' });
      expect(await s.run(['printf', '%s|', 'a b', "it's", '$0', '"$@"'], { timeoutMs: 10_000 })).toMatchObject({ code: 0, stdout: `a b|it's|$0|"$@"|` });
    } finally {
      await s.close();
    }
  });

  test('a connection that missed a deadline is dropped: the next command reconnects', async () => {
    const r = await relay('127.0.0.1', 0, sshd.port);
    cleanup.push(() => r.close());
    const s = new SshSource(opts({ port: r.port, knownHostsPath: knownHostsFor('drop', [r]) }));
    try {
      expect((await s.run(['echo', 'one'], { timeoutMs: 10_000 })).stdout).toBe('one\n');
      await expect(s.run(['sleep', '30'], { timeoutMs: 1000 })).rejects.toThrow(CommandTimeoutError);
      expect((await s.run(['echo', 'two'], { timeoutMs: 10_000 })).stdout).toBe('two\n');
      expect(r.total).toBe(2); // before: 1, the connection that missed its deadline kept
    } finally {
      await s.close();
    }
  });

  test('hung remote commands that cannot be killed never hold the target: the next command runs', async () => {
    // setsid: out of reach of the remote deadline (another session), holding the channel's
    // output, like a program stuck in the kernel. Ten of them: sshd's MaxSessions.
    const pidfile = join(sshd.dir, 'hung.pids');
    cleanup.push(() => {
      if (!existsSync(pidfile)) return;
      for (const p of readFileSync(pidfile, 'utf8').split('\n').filter(Boolean))
        try {
          process.kill(Number(p), 'SIGKILL');
        } catch {
          /* gone */
        }
    });
    const s = new SshSource(opts());
    try {
      const hung = Array.from({ length: 10 }, () => s.run(['sh', '-c', `echo $$ >> ${pidfile}; exec setsid sleep 30`], { timeoutMs: 1500 }));
      for (const h of hung) await expect(h).rejects.toThrow(CommandTimeoutError);
      // Before: the same connection, its sessions all held: "SSH exec failed" until killed by hand.
      expect((await s.run(['echo', 'free'], { timeoutMs: 10_000 })).stdout).toBe('free\n');
    } finally {
      await s.close();
    }
  });

  test('a host that could not be reached is remembered for the run: the second command fails at once', async () => {
    const port = await freePort('127.0.0.3');
    const silent = await startSilent('127.0.0.3', port);
    cleanup.push(() => silent.close());
    const s = new SshSource(opts({ host: '127.0.0.3', port, knownHostsPath: knownHostsFor('silent', [{ address: '127.0.0.3', port }]), connectTimeoutMs: 1000 }));
    try {
      await expect(s.run(['true'], { timeoutMs: 5000 })).rejects.toThrow(UnreachableError);
      await expect(s.run(['true'], { timeoutMs: 5000 })).rejects.toThrow(/cannot reach 127\.0\.0\.3:\d+ over SSH/);
      expect(silent.connections).toBe(1); // before: 2, each waiting for the connect timeout
    } finally {
      await s.close();
    }
  });

  describe('the pool', () => {
    test('never opens more connections than its size: callers beyond it wait, then run', async () => {
      const relays = await Promise.all([2, 3, 4, 5, 6].map((n) => relay(`127.0.0.${n}`, 0, sshd.port)));
      cleanup.push(() => Promise.all(relays.map((r) => r.close())).then(() => undefined));
      const kh = knownHostsFor('pool', relays);
      const pool = new SshPool({ maxSize: 2 });
      let open = 0;
      let maxOpen = 0;
      const poll = setInterval(() => {
        open = relays.reduce((a, r) => a + r.now, 0);
        maxOpen = Math.max(maxOpen, open);
      }, 5);
      try {
        const results = await Promise.all(
          relays.map(async (r) => {
            const lease = pool.acquire(opts({ host: r.address, port: r.port, knownHostsPath: kh }));
            try {
              return (await lease.source.run(['sh', '-c', 'sleep 0.5; echo ok'], { timeoutMs: 30_000 })).stdout;
            } finally {
              lease.release();
            }
          }),
        );
        expect(results).toEqual(relays.map(() => 'ok\n'));
        expect(Math.max(maxOpen, ...relays.map((r) => r.max))).toBeLessThanOrEqual(2);
        expect(relays.reduce((a, r) => a + r.max, 0)).toBe(5); // each host was reached
        expect(pool.openConnections).toBeLessThanOrEqual(2);
        // Before: 5 connections at once (400 /probe requests opened 394 with --pool-size 32).
        expect(maxOpen).toBeLessThanOrEqual(2);
      } finally {
        clearInterval(poll);
        await pool.close();
      }
    });

    test('a caller who cannot get a connection before its deadline fails with a clear message', async () => {
      const relays = await Promise.all([7, 8].map((n) => relay(`127.0.0.${n}`, 0, sshd.port)));
      cleanup.push(() => Promise.all(relays.map((r) => r.close())).then(() => undefined));
      const kh = knownHostsFor('busy', relays);
      const pool = new SshPool({ maxSize: 1 });
      try {
        const a = pool.acquire(opts({ host: relays[0]!.address, port: relays[0]!.port, knownHostsPath: kh }));
        const busy = a.source.run(['sleep', '3'], { timeoutMs: 20_000 });
        await new Promise((r) => setTimeout(r, 500));
        const b = pool.acquire(opts({ host: relays[1]!.address, port: relays[1]!.port, knownHostsPath: kh }));
        await expect(b.source.run(['true'], { timeoutMs: 1000 })).rejects.toThrow(/cannot connect to 127\.0\.0\.8: all 1 pooled SSH connections busy until the deadline/);
        b.release();
        expect((await busy).code).toBe(0);
        a.release();
        expect(relays[1]!.total).toBe(0);
      } finally {
        await pool.close();
      }
    });

    test('a lease bound to a scrape deadline: its commands and reads (a FIFO here) end by it, remotely too', async () => {
      const fifo = join(sshd.dir, 'hung.fifo');
      execFileSync('mkfifo', [fifo]);
      const pool = new SshPool({ maxSize: 2 });
      try {
        const lease = pool.acquireWithin(opts(), Date.now() + 2000);
        // No timeout of their own: without the lease's deadline they would wait 120 s.
        const [cmd, read] = await Promise.allSettled([lease.source.run(['sh', '-c', 'echo $$ > ' + join(sshd.dir, 'scoped.pid') + '; exec sleep 60']), lease.source.readFile(fifo)]);
        expect(cmd).toMatchObject({ status: 'rejected', reason: expect.any(CommandTimeoutError) });
        expect(read).toMatchObject({ status: 'rejected', reason: expect.any(CommandTimeoutError) });
        expect(await waitGone(Number(readFileSync(join(sshd.dir, 'scoped.pid'), 'utf8')))).toBe(true);
        lease.release();
      } finally {
        await pool.close();
      }
    });

    test('a source that found its host unreachable is replaced at the next acquire (the exporter tries again)', async () => {
      const port = await freePort('127.0.0.9');
      const silent = await startSilent('127.0.0.9', port);
      cleanup.push(() => silent.close());
      const pool = new SshPool({ maxSize: 4 });
      const o = opts({ host: '127.0.0.9', port, knownHostsPath: knownHostsFor('silent9', [{ address: '127.0.0.9', port }]), connectTimeoutMs: 800 });
      try {
        const a = pool.acquire(o);
        await expect(a.source.run(['true'], { timeoutMs: 5000 })).rejects.toThrow(UnreachableError);
        a.release();
        const b = pool.acquire(o);
        expect(b.source).not.toBe(a.source);
        await expect(b.source.run(['true'], { timeoutMs: 5000 })).rejects.toThrow(UnreachableError);
        b.release();
        expect(silent.connections).toBe(2);
        expect(pool.openConnections).toBe(0); // a failed connect gives its permit back
      } finally {
        await pool.close();
      }
    });
  });
});
