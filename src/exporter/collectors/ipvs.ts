import type { Registry } from 'prom-client';
import { configKey, fallbackTest } from '../../domain/ipvs';
import { IpvsCounters, IpvsRealServer, IpvsService, IpvsTotals, serviceKey } from '../../parsers/procIpvs';
import { probeIpvs } from '../../probes/ipvs';
import { BACKEND_LABELS, Collector, remainingMs, ScrapeEnv } from '../collector';
import { counterLike, escapeLabelValue, gauge, labelText } from '../metrics';

/*
 * The IPVS table, with node_exporter's label set so its dashboards port by renaming the
 * prefix (node_ipvs_ → lvsha_ipvs_), and with label VALUES as node_exporter 1.5 writes them
 * (checked against it on test/fixtures/real/ipvs/mixed): proto in capitals (TCP, UDP, SCTP,
 * FWM), IPv6 compressed (2001:db8::3), fwmark services local_address="" local_port="0" and
 * local_mark as /proc prints the mark (8 hex digits, "00000005"), "" for address services.
 *
 * node_exporter's bugs that this avoids (each covered by test/exporter/collectors.test.ts):
 * - SCTP services folded into the previous service: its parser does not know SCTP lines,
 *   so their real servers are listed under the service before. Ours parses them.
 * - Duplicate series (FWM services, or backends that collapse when labels are dropped):
 *   every family here is keyed by its label values, so one label set is one series.
 * - Summed weights when labels are dropped: see BACKEND_WEIGHT below.
 */

const SERVICE_LABELS = ['local_address', 'local_port', 'proto', 'local_mark'] as const;

/** The four service labels, in SERVICE_LABELS order. */
function serviceValues(s: IpvsService): [string, string, string, string] {
  if (s.protocol === 'fwm') return ['', '0', 'FWM', (s.fwmark ?? 0).toString(16).toUpperCase().padStart(8, '0')];
  return [s.address ?? '', String(s.port ?? 0), s.protocol.toUpperCase(), ''];
}

/** Code-unit order, as Go compares label values. */
const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Whether real server i has the address and port of an earlier one (a short list: a scan beats hashing). */
function repeatsEarlier(rs: readonly IpvsRealServer[], i: number): boolean {
  const r = rs[i]!;
  for (let j = 0; j < i; j++) if (rs[j]!.port === r.port && rs[j]!.address === r.address) return true;
  return false;
}

const COUNTERS: [keyof Omit<IpvsCounters, 'approximate'>, string, string][] = [
  ['conns', 'connections_total', 'connections'],
  ['inPackets', 'incoming_packets_total', 'incoming packets'],
  ['outPackets', 'outgoing_packets_total', 'outgoing packets'],
  ['inBytes', 'incoming_bytes_total', 'incoming bytes'],
  ['outBytes', 'outgoing_bytes_total', 'outgoing bytes'],
];

function totals(reg: Registry, t: IpvsTotals): void {
  for (const [k, suffix, what] of COUNTERS) counterLike(reg, `lvsha_ipvs_${suffix}`, `The total number of ${what} (all services, /proc/net/ip_vs_stats).`).set(t.stats[k]);
}

export const ipvsCollector: Collector = {
  name: 'ipvs',
  async collect(env: ScrapeEnv, reg: Registry): Promise<void> {
    const viaIpvsadm = env.ipvsProbe === 'ipvsadm';
    const timeoutMs = remainingMs(env);
    // IpvsUnavailableError (no /proc/net/ip_vs, ipvsadm "Protocol not available") fails this
    // probe: lvsha_probe_success{probe="ipvs"} 0 and the scrape logs the reason.
    const snap = await probeIpvs(env.source, viaIpvsadm ? { probe: 'ipvsadm', ipvsadm: env.programs.ipvsadm, stats: true, exact: true, timeoutMs } : { probe: 'proc', stats: true });
    let t = snap.totals;
    if (viaIpvsadm) {
      // ipvsadm has no namespace totals; /proc/net/ip_vs_stats has them without root.
      t = await probeIpvs(env.source, { probe: 'proc', stats: true }).then(
        (s) => s.totals,
        () => undefined,
      );
    }
    if (t) totals(reg, t);

    // --ipvs-backend-labels: which of the six labels stay, in their canonical order.
    const keep = BACKEND_LABELS.map((l) => env.backendLabels.includes(l));
    const kept = BACKEND_LABELS.filter((_, i) => keep[i]);
    const full = kept.length === BACKEND_LABELS.length;

    /*
     * BACKEND_WEIGHT: emitted only with the full label set. A weight is relative to the
     * other real servers of one service; once labels are dropped, several backends share a
     * series and neither their sum (node_exporter's output) nor their max means anything.
     * Connections are counts: those are summed. Capacity per service stays available as
     * lvsha_ipvs_service_live_backends.
     */
    const weight = full ? gauge(reg, 'lvsha_ipvs_backend_weight', 'The current backend weight by local and remote address.', kept) : undefined;
    const active = gauge(reg, 'lvsha_ipvs_backend_connections_active', 'The current active connections by local and remote address.', kept);
    const inactive = gauge(reg, 'lvsha_ipvs_backend_connections_inactive', 'The current inactive connections by local and remote address.', kept);
    const live = gauge(reg, 'lvsha_ipvs_service_live_backends', 'Real servers with weight > 0, the fallback (sorry server) not counted.', SERVICE_LABELS);
    const backends = gauge(reg, 'lvsha_ipvs_service_backends', 'Real servers in the table for this service, the fallback not counted.', SERVICE_LABELS);
    const engaged = gauge(reg, 'lvsha_ipvs_fallback_engaged', "1 when the service's fallback (sorry server) is its only live real server.", SERVICE_LABELS);

    // Per-service and per-backend counters exist only through ipvsadm (--ipvs-probe ipvsadm);
    // /proc has none, and none are invented.
    const hasStats = snap.table.services.some((s) => s.stats);
    const svcCounters = hasStats
      ? COUNTERS.map(([k, suffix, what]) => [k, counterLike(reg, `lvsha_ipvs_service_${suffix}`, `The total number of ${what} of the virtual service (ipvsadm --stats --exact).`, SERVICE_LABELS)] as const)
      : [];
    const rsCounters = hasStats
      ? COUNTERS.map(([k, suffix, what]) => [k, counterLike(reg, `lvsha_ipvs_backend_${suffix}`, `The total number of ${what} by local and remote address (ipvsadm --stats --exact).`, kept)] as const)
      : [];

    const configs = new Map(env.deployment.services.map((s) => [configKey(s), s]));
    // Series in label-value order, as client_golang writes node_exporter's: the kernel's hash
    // order changes when a service is re-added, a sorted answer does not, and neighbours that
    // share an address prefix compress better (gzip). Stable sorts: on equal labels the
    // kernel's first row still comes first.
    const services = snap.table.services
      .map((s) => ({ s, v: serviceValues(s) }))
      .sort((x, y) => byText(x.v[0], y.v[0]) || byText(x.v[3], y.v[3]) || byText(x.v[1], y.v[1]) || byText(x.v[2], y.v[2]));
    const values = services.map((x) => x.v);
    // The label text is built once per service and once per real server, and shared by
    // every backend family (a 1 000 × 20 table is 60 000+ series).
    const texts = values.map((sv) => labelText(SERVICE_LABELS, sv));
    // Services that share their labels (an IPv4 and an IPv6 fwmark service with one mark):
    // their real servers are told apart by address and port across the group.
    const groups = new Map<string, Set<string> | undefined>();
    for (const t of texts) groups.set(t, groups.has(t) ? new Set() : undefined);
    for (let si = 0; si < services.length; si++) {
      const s = services[si]!.s;
      const sv = values[si]!;
      const svcText = texts[si]!;
      const isFallback = fallbackTest(s, configs.get(serviceKey(s)));
      const rs = s.realServers.length < 2 ? s.realServers : [...s.realServers].sort((a, b) => byText(a.address, b.address) || byText(String(a.port), String(b.port)));
      const group = groups.get(svcText) ?? (rs.length > 32 ? new Set<string>() : undefined);
      let nLive = 0;
      let nReal = 0;
      let fallbackLive = false;
      for (let ri = 0; ri < rs.length; ri++) {
        const r = rs[ri]!;
        const rp = String(r.port);
        const bt = full
          ? `${svcText},remote_address="${escapeLabelValue(r.address)}",remote_port="${rp}"`
          : labelText(
              kept,
              [sv[0], sv[1], r.address, rp, sv[2], sv[3]].filter((_, i) => keep[i]),
            );
        if (full) {
          // The full label set identifies one real server of one service: a new series in
          // every backend family, checked once for all of them. (The kernel never lists a
          // real server twice in a service; if a table ever did, the first row wins rather
          // than a duplicate series.) Checked on address and port: hashing the label text
          // of 20 000 real servers was half of this loop.
          if (group) {
            const k = `${r.address} ${rp}`;
            if (group.has(k)) continue;
            group.add(k);
          } else if (repeatsEarlier(rs, ri)) continue;
          weight!.appendText(bt, r.weight);
          active.appendText(bt, r.activeConns);
          inactive.appendText(bt, r.inactiveConns);
          if (r.stats && !r.stats.approximate) for (const [k, f] of rsCounters) f.appendText(bt, r.stats[k]);
        } else {
          active.addText(bt, r.activeConns);
          inactive.addText(bt, r.inactiveConns);
          if (r.stats && !r.stats.approximate) for (const [k, f] of rsCounters) f.addText(bt, r.stats[k]);
        }
        if (isFallback(r)) {
          if (r.weight > 0) fallbackLive = true;
        } else {
          nReal++;
          if (r.weight > 0) nLive++;
        }
      }
      // add/max: an IPv4 and an IPv6 fwmark service may share a mark (and so the labels).
      live.addText(svcText, nLive);
      backends.addText(svcText, nReal);
      engaged.maxValues(sv, fallbackLive && nLive === 0 ? 1 : 0);
      if (s.stats && !s.stats.approximate) for (const [k, f] of svcCounters) f.addText(svcText, s.stats[k]);
    }
  },
};
