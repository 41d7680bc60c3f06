/**
 * Which HA layer a deployment runs, and its keepalived VRRP instance with the defaults the
 * generator writes (src/generate/keepalived.ts uses keepalivedOf: one source of truth).
 */
import { Deployment, HaLayer, KeepalivedConfig, PacemakerConfig } from './types';

export const HA_LAYERS: readonly HaLayer[] = ['heartbeat', 'keepalived', 'pacemaker'];

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

/** Location score of the preferred director, and the group's stickiness, by auto_failback. */
export const PREFERRED_SCORE = 100;
/** Without auto_failback the stickiness must beat the location score: the group stays put. */
export const STICKY_NO_FAILBACK = 200;

/**
 * The Pacemaker cluster: the `pacemaker` section when there is one (missing fields derived),
 * else the seed's haresources as a group `lvs`: `vip` (`vip2`... for more VIPs), then
 * `ldirectord`; the preferred director (haresources' node) gets a location score of 100; the
 * stickiness is 0 with auto_failback (the group goes back when the preferred node returns)
 * and 200 without (it stays where it is).
 */
export function pacemakerOf(d: Pick<Deployment, 'pacemaker' | 'vips' | 'heartbeat'>): PacemakerConfig {
  const p: Partial<PacemakerConfig> = d.pacemaker ?? {};
  return {
    clusterName: p.clusterName ?? 'lvsha',
    group: p.group ?? 'lvs',
    vipResources: p.vipResources ?? d.vips.map((_, i) => (i === 0 ? 'vip' : `vip${i + 1}`)),
    ldirectordResource: p.ldirectordResource ?? 'ldirectord',
    stickiness: p.stickiness ?? (d.heartbeat.autoFailback ? 0 : STICKY_NO_FAILBACK),
    preferredScore: p.preferredScore ?? PREFERRED_SCORE,
  };
}
