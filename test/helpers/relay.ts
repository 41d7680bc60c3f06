import { createConnection, createServer, Server, Socket } from 'node:net';

/**
 * A TCP relay on a loopback address that forwards every connection to a target port on
 * 127.0.0.1 and counts them: put one on 127.0.0.N:PORT in front of a test sshd on
 * 127.0.0.1:PORT and a client sees N distinct SSH hosts (same host key, so a known_hosts
 * line `[127.0.0.N]:PORT KEY` verifies), while the test counts connections per "host".
 */
export interface CountingRelay {
  address: string;
  port: number;
  /** Connections accepted so far. */
  readonly connections: number;
  close(): Promise<void>;
}

export function startRelay(address: string, port: number, targetPort: number, targetHost = '127.0.0.1'): Promise<CountingRelay> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server: Server = createServer((c) => {
    connections++;
    const up = createConnection({ host: targetHost, port: targetPort });
    sockets.add(c).add(up);
    c.pipe(up).pipe(c);
    const end = () => {
      c.destroy();
      up.destroy();
      sockets.delete(c);
      sockets.delete(up);
    };
    c.on('error', end).on('close', end);
    up.on('error', end).on('close', end);
  });
  return listenCounting(server, address, port, sockets, () => connections).then((c) => Object.assign(c, { address, port }));
}

/**
 * A "host" that accepts TCP connections and never says a word (a hung sshd, a firewall that
 * lets SYNs through to a dead service): an SSH client must give up by its own timeout.
 */
export function startSilent(address: string, port: number): Promise<{ readonly connections: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((c) => {
    connections++;
    sockets.add(c);
    c.on('error', () => c.destroy()).on('close', () => sockets.delete(c));
  });
  return listenCounting(server, address, port, sockets, () => connections);
}

/** Listens, then gives the connection count and a close() that ends every socket. */
function listenCounting(server: Server, address: string, port: number, sockets: Set<Socket>, count: () => number): Promise<{ readonly connections: number; close(): Promise<void> }> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => {
      server.off('error', reject);
      resolve({
        get connections() {
          return count();
        },
        close: () =>
          new Promise<void>((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      });
    });
  });
}
