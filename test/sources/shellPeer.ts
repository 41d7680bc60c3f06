import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connection, ServerChannel } from 'ssh2';

/**
 * An SSH peer on 127.0.0.1 (ssh2's Server) whose exec channels misbehave on demand, for the
 * long-lived shell's framing (shellSession.ts): what a broken or hostile host could send,
 * which a real sshd never does. `honest` runs the command with the local `sh` (the same
 * answers as the test sshd); the other modes break one thing each.
 */
export type PeerMode =
  | 'honest'
  | 'echo' // sends its input back on stdout and stderr before running it (`sh -v`, a broken shell)
  | 'mute' // takes the input, never answers, never closes
  | 'flood' // answers every input with endless bytes
  | 'die' // closes the channel as soon as input arrives, without a word
  | 'stale' // honest, then writes a stray line 100 ms after each answer (a writer left behind)
  | 'trickle'; // honest, its output sent 1 to 3 bytes per packet (markers split across chunks)

export interface ShellPeer {
  port: number;
  knownHosts: string;
  userKey: string;
  mode: PeerMode;
  /** exec channels opened so far. */
  execs: number;
  close(): Promise<void>;
}

export async function startShellPeer(): Promise<ShellPeer> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Server } = require('ssh2') as typeof import('ssh2');
  const dir = mkdtempSync(join(tmpdir(), 'lvsha-shellpeer-'));
  const hostKey = join(dir, 'host');
  const userKey = join(dir, 'user');
  for (const k of [hostKey, userKey]) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', k]);
  const children = new Set<ChildProcess>();
  const clients = new Set<Connection>();
  const timers = new Set<NodeJS.Timeout>();
  const peer: ShellPeer = { port: 0, knownHosts: join(dir, 'known_hosts'), userKey, mode: 'honest', execs: 0, close: async () => {} };

  const serve = (ch: ServerChannel, command: string) => {
    const mode = peer.mode;
    if (mode === 'mute') {
      ch.on('data', () => {});
      return;
    }
    if (mode === 'die') {
      ch.on('data', () => ch.close());
      return;
    }
    if (mode === 'flood') {
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      let n = 0;
      ch.on('data', () => {
        const pump = () => {
          // Bounded: at most 64 MiB, one chunk per turn.
          while (n++ < 1024 && ch.write(chunk));
          if (n < 1024) ch.once('drain', pump);
        };
        pump();
      });
      return;
    }
    const child = spawn('sh', ['-c', command], { stdio: ['pipe', 'pipe', 'pipe'] });
    children.add(child);
    ch.on('data', (b: Buffer) => {
      // Decided at each input, not at exec: a shell open before turns deadly too.
      if (peer.mode === 'die') {
        child.kill('SIGKILL');
        ch.close();
        return;
      }
      if (mode === 'echo') {
        ch.write(b);
        ch.stderr.write(b);
      }
      child.stdin.write(b);
    });
    ch.on('close', () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    const send = (to: { write(b: Buffer): unknown }, b: Buffer) => {
      if (mode !== 'trickle') to.write(b);
      else for (let i = 0; i < b.length; i += 1 + (i % 3)) to.write(b.subarray(i, i + 1 + (i % 3)));
    };
    child.stdout.on('data', (b: Buffer) => {
      send(ch, b);
      if (mode === 'stale') {
        const t = setTimeout(() => {
          timers.delete(t);
          if (!ch.destroyed) ch.write('STALE LINE\n');
        }, 100);
        timers.add(t);
      }
    });
    child.stderr.on('data', (b: Buffer) => send(ch.stderr, b));
    child.stdin.on('error', () => {});
    // 'close', not 'exit': 'exit' may come before the child's last stdout bytes are read, and
    // closing the channel then cuts the answer short (seen once in CI: 215 lines lost).
    child.on('close', (code) => {
      children.delete(child);
      try {
        ch.exit(code ?? 255);
        ch.close();
      } catch {
        /* closed already */
      }
    });
  };

  const server = new Server({ hostKeys: [readFileSync(hostKey)] }, (client: Connection) => {
    clients.add(client);
    client.on('error', () => {});
    client.on('close', () => clients.delete(client));
    client.on('authentication', (ctx) => (ctx.method === 'publickey' ? ctx.accept() : ctx.reject(['publickey'])));
    client.on('ready', () => {
      client.on('session', (accept) => {
        const session = accept();
        session.on('signal', (acc) => acc?.());
        session.on('exec', (acc, _rej, info) => {
          peer.execs++;
          serve(acc(), info.command);
        });
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  peer.port = (server.address() as AddressInfo).port;
  const pub = readFileSync(`${hostKey}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
  writeFileSync(peer.knownHosts, `[127.0.0.1]:${peer.port} ${pub}\n`);
  peer.close = async () => {
    for (const t of timers) clearTimeout(t);
    for (const c of children) c.kill('SIGKILL');
    for (const c of clients) c.end();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  };
  return peer;
}
