import type { Registry } from 'prom-client';
import { arpAnnounceSafe, arpIgnoreSuppresses, facingInterfaces, maxOf, vipsFor } from '../../domain/arp';
import { findAddress } from '../../parsers/ipAddr';
import { listensFor } from '../../parsers/ss';
import { probeArpSysctls, probeInterfaces, probeListeners } from '../../probes/realserver';
import { Collector, ScrapeEnv } from '../collector';
import { gauge } from '../metrics';

const isLoopbackIface = (i: { linkType: string; flags: string[] }) => i.linkType === 'loopback' || i.flags.includes('LOOPBACK');

/**
 * A direct-routing real server (module realserver): the ARP sysctls as the kernel applies
 * them (effective value = max(all, interface)), the VIP on lo, whether the host would
 * answer or announce the VIP on the LAN (a leak), and whether the service listens.
 */
export const arpCollector: Collector = {
  name: 'arp',
  async collect(env: ScrapeEnv, reg: Registry): Promise<void> {
    const src = env.source;
    const { vips } = vipsFor(env.deployment);
    const ifs = await probeInterfaces(src, { ip: env.programs.ip });
    const facing = [...new Set(vips.flatMap((v) => facingInterfaces(ifs, v).map((i) => i.name)))];
    const wanted = vips.flatMap((v) => v.ports.map((p) => ({ vip: v.address, ...p })));
    const protocols = [...new Set(wanted.map((w) => w.protocol))];
    // Over SSH each read is a round trip: the interfaces' sysctls and the listeners are
    // fetched side by side (one channel each on the pooled connection), not one by one.
    const [perName, listeners] = await Promise.all([
      Promise.all(['all', 'lo', ...facing].map((n) => probeArpSysctls(src, [n]))),
      Promise.all(protocols.map((protocol) => probeListeners(src, { ss: env.programs.ss, protocol }))),
    ]);
    const sysctl = Object.assign({}, ...perName) as Awaited<ReturnType<typeof probeArpSysctls>>;
    const eff = (iface: string, p: 'arp_ignore' | 'arp_announce'): number | undefined => maxOf(sysctl.all?.[p], sysctl[iface]?.[p]);

    const ignore = gauge(reg, 'lvsha_arp_ignore', 'Effective arp_ignore of the interface: max(all, interface).', ['interface']);
    const announce = gauge(reg, 'lvsha_arp_announce', 'Effective arp_announce of the interface: max(all, interface).', ['interface']);
    for (const name of ['lo', ...facing]) {
      const i = eff(name, 'arp_ignore');
      const a = eff(name, 'arp_announce');
      if (i !== undefined) ignore.set({ interface: name }, i);
      if (a !== undefined) announce.set({ interface: name }, a);
    }

    const onLo = gauge(reg, 'lvsha_arp_vip_on_lo', 'Whether the VIP is configured on the loopback interface (1) or not (0).', ['vip']);
    const leak = gauge(reg, 'lvsha_arp_leak', 'Whether this host would answer ARP for the VIP or announce it on the LAN (1): clients would bypass the director.', ['vip']);
    for (const v of vips) {
      const held = findAddress(ifs, v.address);
      const lo = held.filter((h) => isLoopbackIface(h.iface));
      onLo.set({ vip: v.address }, lo.length > 0 ? 1 : 0);
      // On an ARP interface the kernel always answers; on lo it answers and announces unless
      // arp_ignore and arp_announce of every LAN-facing interface say otherwise.
      const onLan = held.some((h) => !h.iface.noarp);
      const scope = lo[0]?.addr.scope ?? 'global';
      const loLeaks =
        lo.length > 0 &&
        facingInterfaces(ifs, v).some((i) => !arpIgnoreSuppresses(eff(i.name, 'arp_ignore') ?? 0, scope) || !arpAnnounceSafe(eff(i.name, 'arp_announce') ?? 0));
      leak.set({ vip: v.address }, onLan || loLeaks ? 1 : 0);
    }

    if (wanted.length === 0) return;
    const listening = gauge(reg, 'lvsha_service_listening', "Whether a socket takes the VIP's traffic on this port (bound to the VIP or a wildcard) (1) or not (0).", ['vip', 'port', 'proto']);
    protocols.forEach((proto, i) => {
      for (const w of wanted.filter((x) => x.protocol === proto))
        listening.set({ vip: w.vip, port: String(w.port), proto }, listeners[i]!.some((l) => listensFor(l, w.vip, w.port)) ? 1 : 0);
    });
  },
};
