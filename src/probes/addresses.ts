import { Interface, parseIpAddr } from '../parsers/ipAddr';
import { PluginError } from '../runtime/errors';
import { describeExit, Source } from '../sources/source';

export interface IpOptions {
  /** Path of iproute2's `ip` (default `ip`). */
  ip?: string;
  timeoutMs?: number;
}

async function runIp(src: Source, sub: 'addr' | 'link', o: IpOptions): Promise<Interface[]> {
  const argv = [o.ip ?? 'ip', '-j', sub];
  const r = await src.run(argv, { timeoutMs: o.timeoutMs });
  // `ip` exits 0 whenever it could list; anything else is our problem (bad path, old iproute2).
  if (r.code !== 0) throw new PluginError(`${src.host}: ${describeExit(argv, r)}`);
  return parseIpAddr(r.stdout);
}

/** Interfaces and their addresses (`ip -j addr`) on the source's host. */
export function probeAddresses(src: Source, o: IpOptions = {}): Promise<Interface[]> {
  return runIp(src, 'addr', o);
}

/** Interfaces with their MACs, no addresses (`ip -j link`). */
export function probeLinks(src: Source, o: IpOptions = {}): Promise<Interface[]> {
  return runIp(src, 'link', o);
}
