import type { CheckName } from '../checks/registry';
import { collectorsFor } from './collectors';
import type { ModuleSpec } from './scrape';
import type { ExporterOptions } from './server';

export const MODULES = ['director', 'realserver', 'sorry'] as const;
export type ModuleName = (typeof MODULES)[number];

/** Program path overrides handed to the checks, as their own command-line options. */
function programArgs(o: ExporterOptions, names: string[]): string[] {
  return names.flatMap((n) => (o.programs[n] ? [`--${n}`, o.programs[n]!] : []));
}

/** Which collectors and checks each module runs. */
export function moduleSpec(module: ModuleName, target: string | undefined, o: ExporterOptions): ModuleSpec {
  const common = [...(o.root ? ['--root', o.root] : []), ...(o.sudo ? ['--sudo'] : [])];
  const checks = (names: CheckName[], extra: (n: CheckName) => string[] = () => []) =>
    names.map((name) => ({ name, args: [...common, ...extra(name)] }));
  switch (module) {
    case 'director':
      return {
        collectors: collectorsFor('director'),
        checks: [
          // check_lvs_ipvs's verdict comes from the ipvs collector's snapshot (evaluateIpvs on
          // the same table): on a large table, parsing /proc/net/ip_vs twice per scrape cost
          // as much as everything else, and metrics and verdict now always agree.
          { name: 'ipvs', args: [], byCollector: true },
          // sorry with -H TARGET on /probe: the page on the director's loopback is fetched
          // through its SSH connection (without it, the exporter's own 127.0.0.1 was asked:
          // CRITICAL on a healthy lab, found by lab/netns/probe.sh).
          ...checks(['heartbeat', 'sync', 'sorry'], (n) =>
            n === 'heartbeat' ? programArgs(o, ['cl-status']) : n === 'sync' ? programArgs(o, ['ipvsadm', 'ip']) : target ? ['-H', target] : [],
          ),
        ],
      };
    case 'realserver':
      return { collectors: collectorsFor('realserver'), checks: checks(['arp'], () => programArgs(o, ['ip', 'ss'])) };
    case 'sorry':
      return { collectors: collectorsFor('sorry'), checks: [{ name: 'sorry', args: ['-u', target ?? '', '--no-engaged'] }] };
  }
}
