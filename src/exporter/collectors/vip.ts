import type { Registry } from 'prom-client';
import { findAddress, Interface } from '../../parsers/ipAddr';
import { normaliseAddress } from '../../parsers/procIpvs';
import { probeAddresses } from '../../probes/addresses';
import { Collector, remainingMs, ScrapeEnv } from '../collector';
import { gauge } from '../metrics';

/** An interface that carries traffic: up and with carrier (a crashed host's stale VIP does not count). */
function live(i: Interface): boolean {
  return i.flags.includes('UP') && !i.flags.includes('NO-CARRIER') && i.operstate !== 'DOWN' && i.operstate !== 'LOWERLAYERDOWN';
}

/**
 * Does THIS host hold each VIP of the deployment (`ip -j addr`)? Local only: every director
 * exports its own view and PromQL adds them up — `sum by (vip) (lvsha_vip_held)` > 1 is a
 * split brain, 0 means nobody serves the VIP. A VIP on lo (a real server's) is not held.
 */
export const vipCollector: Collector = {
  name: 'vip',
  async collect(env: ScrapeEnv, reg: Registry): Promise<void> {
    const ifs = await probeAddresses(env.source, { ip: env.programs.ip, timeoutMs: remainingMs(env) });
    const held = gauge(reg, 'lvsha_vip_held', 'Whether this host holds the VIP on a live, non-loopback interface (1) or not (0).', ['vip', 'interface']);
    const d = env.deployment;
    for (const v of d.vips) {
      const vip = normaliseAddress(v.address) ?? v.address;
      const on = findAddress(ifs, vip).filter((h) => !(h.iface.linkType === 'loopback' || h.iface.flags.includes('LOOPBACK')));
      // One series per interface carrying the VIP (0 when that interface is down); when none
      // carries it, one 0 on the interface it is configured for, so the series stays put.
      for (const h of on) held.max({ vip, interface: h.iface.name }, live(h.iface) ? 1 : 0);
      if (on.length === 0) held.set({ vip, interface: v.label?.split(':')[0] ?? d.directors[0]?.interface ?? '' }, 0);
    }
  },
};
