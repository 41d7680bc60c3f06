import type { CheckDef } from '../runtime/plugin';

/** Every check, loaded on demand so a plugin start-up only loads its own file. */
export const CHECK_NAMES = ['vip', 'heartbeat', 'ipvs', 'sync', 'arp', 'sorry', 'keepalived', 'pacemaker'] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

/* eslint-disable @typescript-eslint/no-require-imports, @typescript-eslint/no-explicit-any */
const loaders: Record<CheckName, () => CheckDef<any, any, any>> = {
  vip: () => require('./vip').vipCheck,
  heartbeat: () => require('./heartbeat').heartbeatCheck,
  ipvs: () => require('./ipvs').ipvsCheck,
  sync: () => require('./sync').syncCheck,
  arp: () => require('./arp').arpCheck,
  sorry: () => require('./sorry').sorryCheck,
  keepalived: () => require('./keepalived').keepalivedCheck,
  pacemaker: () => require('./pacemaker').pacemakerCheck,
};

export function isCheckName(n: string): n is CheckName {
  return (CHECK_NAMES as readonly string[]).includes(n);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function loadCheck(name: CheckName): CheckDef<any, any, any> {
  return loaders[name]();
}
