import type { Collector } from '../collector';
import { arpCollector } from './arp';
import { heartbeatCollector } from './heartbeat';
import { ipvsCollector } from './ipvs';
import { sorryCollector } from './sorry';
import { syncCollector } from './sync';
import { vipCollector } from './vip';

/** Every collector, registered in one place (node_exporter's pattern), per /probe module. */
const BY_MODULE: Record<'director' | 'realserver' | 'sorry', Collector[]> = {
  director: [ipvsCollector, vipCollector, heartbeatCollector, syncCollector],
  realserver: [arpCollector],
  sorry: [sorryCollector],
};

export function collectorsFor(module: 'director' | 'realserver' | 'sorry'): Collector[] {
  return BY_MODULE[module];
}
