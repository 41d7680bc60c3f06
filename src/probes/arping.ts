import { ArpingResult, parseArping } from '../parsers/arping';
import { PluginError } from '../runtime/errors';
import { describeExit, Source } from '../sources/source';

export interface ArpingOptions {
  /** Path of iputils `arping` (default `arping`). */
  arping?: string;
  interface: string;
  target: string;
  /** Probes to send (default 3). */
  count?: number;
  timeoutMs?: number;
}

/**
 * Broadcast ARP requests for `target` from the source's host and collect every reply.
 * Always `-b`: without it arping switches to unicast after the first reply and a second
 * machine answering (a leaking real server, a split brain) goes unseen. Its exit code is
 * 1 whenever replies ≠ probes (duplicates included), so only 0 and 1 carry output to read.
 */
export async function probeArping(src: Source, o: ArpingOptions): Promise<ArpingResult> {
  const argv = [o.arping ?? 'arping', '-b', '-c', String(o.count ?? 3), '-I', o.interface, o.target];
  const r = await src.run(argv, { privileged: true, timeoutMs: o.timeoutMs });
  if (r.code !== 0 && r.code !== 1) throw new PluginError(`${src.host}: ${describeExit(argv, r)}`);
  return parseArping(r.stdout);
}
