/**
 * Which HA layer a deployment runs, and its keepalived VRRP instance with the defaults the
 * generator writes (src/generate/keepalived.ts uses keepalivedOf: one source of truth).
 */
import { Deployment, HaLayer, KeepalivedConfig } from './types';

export const HA_LAYERS: readonly HaLayer[] = ['heartbeat', 'keepalived'];

/** The deployment's HA layer: absent = heartbeat (every deployment written before keepalived). */
export function haLayer(d: Pick<Deployment, 'ha'>): HaLayer {
  return d.ha ?? 'heartbeat';
}

/** Priorities when the deployment gives none: the preferred director 150, the others 100. */
export const PREFERRED_PRIORITY = 150;
export const OTHER_PRIORITY = 100;

/**
 * The VRRP instance: the `keepalived` section when there is one (missing fields derived as
 * below), else derived from the Heartbeat settings: VI_1, VRID 51, advert_int = keepalive
 * rounded (at least 1 s), the preferred director 150 and the others 100, nopreempt when
 * auto_failback is off.
 */
export function keepalivedOf(d: Pick<Deployment, 'keepalived' | 'directors' | 'heartbeat'>): KeepalivedConfig {
  const k: Partial<KeepalivedConfig> = d.keepalived ?? {};
  const derived: Record<string, number> = {};
  for (const x of d.directors) derived[x.name] = x.name === d.heartbeat.preferred ? PREFERRED_PRIORITY : OTHER_PRIORITY;
  return {
    instance: k.instance ?? 'VI_1',
    vrid: k.vrid ?? 51,
    advertInt: k.advertInt ?? Math.max(1, Math.round(d.heartbeat.keepalive)),
    priorities: { ...derived, ...(k.priorities ?? {}) },
    nopreempt: k.nopreempt ?? !d.heartbeat.autoFailback,
  };
}
