import type { HaLayer } from '../../model/types';
import type { Collector } from '../collector';
import { arpCollector } from './arp';
import { heartbeatCollector } from './heartbeat';
import { ipvsCollector } from './ipvs';
import { keepalivedCollector } from './keepalived';
import { pacemakerCollector } from './pacemaker';
import { sorryCollector } from './sorry';
import { syncCollector } from './sync';
import { vipCollector } from './vip';

/** Every collector, registered in one place (node_exporter's pattern), per /probe module. */
const BY_MODULE: Record<'director' | 'realserver' | 'sorry', Collector[]> = {
  director: [ipvsCollector, vipCollector, heartbeatCollector, syncCollector],
  realserver: [arpCollector],
  sorry: [sorryCollector],
};

/** A director's collectors follow the deployment's HA layer: keepalived's or Pacemaker's in place of Heartbeat's. */
export function collectorsFor(module: 'director' | 'realserver' | 'sorry', ha: HaLayer = 'heartbeat'): Collector[] {
  if (module === 'director' && ha !== 'heartbeat') return BY_MODULE.director.map((c) => (c === heartbeatCollector ? (ha === 'keepalived' ? keepalivedCollector : pacemakerCollector) : c));
  return BY_MODULE[module];
}
