import { ParseError } from '../runtime/errors';

/** One socket of `ss -ltnH` / `ss -lunH`. */
export interface Listener {
  /** From the Netid column when present (`ss -ltunH`), else the caller's protocol. */
  protocol?: string;
  /** LISTEN for TCP, UNCONN for UDP. */
  state: string;
  /** Address as ss prints it without brackets or scope: `0.0.0.0`, `*`, `::`, `192.168.0.3`. */
  address: string;
  /** Interface the socket is bound to (`0.0.0.0%lo:80`), if any. */
  device?: string;
  /** 0 when ss prints `*`. */
  port: number;
  /** Any address: `0.0.0.0` (IPv4), `*` (IPv6 socket also taking IPv4), `::` (IPv6 only). */
  wildcard: 'ipv4' | 'dual' | 'ipv6' | false;
  /** Trailing columns (`users:(("httpd",pid=1,fd=3))` with -p). */
  process?: string;
}

const STATES = new Set(['LISTEN', 'UNCONN', 'ESTAB', 'SYN-SENT', 'SYN-RECV', 'FIN-WAIT-1', 'FIN-WAIT-2', 'TIME-WAIT', 'CLOSE-WAIT', 'LAST-ACK', 'CLOSING', 'CLOSED', 'UNKNOWN']);
const NETIDS = new Set(['tcp', 'udp', 'raw', 'sctp', 'dccp', 'mptcp', 'tipc', 'u_str', 'u_dgr', 'u_seq', 'p_raw', 'p_dgr', 'nl', 'v_str', 'v_dgr', 'xdp']);

/** Splits `ADDR[%dev]:PORT` (`[::1]:80`, `0.0.0.0%lo:80`, `[fe80::1]%eth0:22`, `*:*`). */
export function splitSsEndpoint(text: string): { address: string; device?: string; port: number } | undefined {
  const colon = text.lastIndexOf(':');
  if (colon === -1) return undefined; // `:80` (nothing before) is refused below: an empty host
  const portText = text.slice(colon + 1);
  let port: number;
  if (portText === '*') port = 0;
  else if (/^\d{1,5}$/.test(portText) && Number(portText) <= 65535) port = Number(portText);
  else return undefined;
  let host = text.slice(0, colon);
  let device: string | undefined;
  if (host.startsWith('[')) {
    // No `]` (close = -1): rest is then the whole `[…` and fails the device pattern.
    const close = host.indexOf(']');
    const rest = host.slice(close + 1);
    if (rest !== '' && !/^%\S+$/.test(rest)) return undefined;
    device = rest ? rest.slice(1) : undefined;
    host = host.slice(1, close);
    // `[fe80::1%eth0]` also occurs
    const pct = host.indexOf('%');
    if (pct !== -1) {
      device ??= host.slice(pct + 1);
      host = host.slice(0, pct);
    }
    if (!/^[0-9A-Fa-f:.]+$/.test(host)) return undefined;
  } else {
    const pct = host.indexOf('%');
    if (pct !== -1) {
      device = host.slice(pct + 1);
      host = host.slice(0, pct);
      if (device === '') return undefined;
    }
    if (host === '' || /[[\]]/.test(host)) return undefined;
  }
  return { address: host, device, port };
}

function wildcardOf(address: string): Listener['wildcard'] {
  if (address === '0.0.0.0') return 'ipv4';
  // ss prints `*` for an IPv6 any-address socket that also accepts IPv4 (not V6ONLY),
  // and `[::]` for a V6ONLY one.
  if (address === '*') return 'dual';
  if (address === '::') return 'ipv6';
  return false;
}

/**
 * Parses `ss -ltnH` or `ss -lunH` (no header; with or without a Netid column, with or
 * without -p's process column). Columns: [Netid] State Recv-Q Send-Q Local Peer [Process].
 */
export function parseSs(text: string): Listener[] {
  const out: Listener[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    const f = line.split(/\s+/);
    // A header line when -H was forgotten
    if (i === 0 && (f[0] === 'State' || f[0] === 'Netid')) return;
    let protocol: string | undefined;
    if (NETIDS.has(f[0]!)) protocol = f.shift();
    if (f.length < 5) throw new ParseError('ss output', `expected State Recv-Q Send-Q Local Peer, got ${f.length} fields`, i + 1);
    const [state, recvQ, sendQ, local, peer] = f as [string, string, string, string, string];
    if (!STATES.has(state)) throw new ParseError('ss output', `unknown socket state '${state.slice(0, 20)}'`, i + 1);
    if (!/^\d+$/.test(recvQ) || !/^\d+$/.test(sendQ)) throw new ParseError('ss output', 'queue sizes are not numbers', i + 1);
    const ep = splitSsEndpoint(local);
    if (!ep) throw new ParseError('ss output', `bad local address '${local.slice(0, 60)}'`, i + 1);
    if (!splitSsEndpoint(peer)) throw new ParseError('ss output', `bad peer address '${peer.slice(0, 60)}'`, i + 1);
    const rest = f.slice(5).join(' ');
    out.push({
      ...(protocol ? { protocol } : {}),
      state,
      address: ep.address,
      ...(ep.device ? { device: ep.device } : {}),
      port: ep.port,
      wildcard: wildcardOf(ep.address),
      ...(rest ? { process: rest } : {}),
    });
  });
  return out;
}

/** How a socket relates to an IPv4 VIP: it takes the VIP's traffic, or not. */
export function listensFor(l: Listener, vip: string, port: number): boolean {
  if (l.port !== port) return false;
  // A socket bound to a device only gets packets arriving on it; for DR the VIP's packets
  // arrive on the LAN interface, so a `%lo` binding never sees them.
  if (l.device === 'lo') return false;
  if (l.wildcard === 'ipv4' || l.wildcard === 'dual') return true;
  return l.address === vip || l.address.toLowerCase() === `::ffff:${vip}`;
}
