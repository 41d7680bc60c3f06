import type { Forwarding, VirtualService } from '../model/types';
import { endpoint, IpvsForwarding, IpvsRealServer, IpvsService, normaliseAddress, serviceKey } from '../parsers/procIpvs';

/*
 * The IPVS rules shared by check_lvs_ipvs, check_lvs_sorry and the exporter's collectors:
 * which deployment service a table entry is, which real server is the fallback, which are live.
 * Written once here; checks and collectors import them, never each other.
 */

export const LDIRECTORD_FWD: Record<Forwarding, IpvsForwarding> = { gate: 'route', masq: 'masq', ipip: 'tunnel' };

export const isLoopback = (a: string): boolean => a.startsWith('127.') || a === '::1';

/** The key of a deployment service (same form as serviceKey of a table entry). */
export function configKey(v: VirtualService): string {
  if (v.protocol === 'fwm') {
    const v6 = v.realServers.some((r) => r.address.includes(':'));
    return `fwm:${v.fwmark ?? 0}${v6 ? ':ipv6' : ''}`;
  }
  const a = normaliseAddress(v.address ?? '') ?? v.address ?? '';
  return `${v.protocol}:${endpoint(a, v.port ?? 0)}`;
}

/** A service to check: how it is named and, when the deployment describes it, what it should hold. */
export interface WantedService {
  key: string;
  config?: VirtualService;
}

/** Which services to look at: all of the table, the given keys (with their description when the deployment has one), else the deployment's. */
export function selectServices(table: { services: IpvsService[] }, services: VirtualService[], keys: string[], all: boolean): WantedService[] {
  const byKey = new Map(services.map((s) => [configKey(s), s]));
  if (all) return table.services.map((s) => ({ key: serviceKey(s), config: byKey.get(serviceKey(s)) }));
  if (keys.length > 0) return [...new Set(keys)].map((key) => ({ key, config: byKey.get(key) }));
  return services.map((s) => ({ key: configKey(s), config: s }));
}

/** Whether table row r is the real server at address:port of service svc (fwmark services carry no port). */
export function sameReal(svc: IpvsService, r: { address: string; port: number }, address: string, port: number): boolean {
  return r.address === address && (svc.protocol === 'fwm' || r.port === port);
}

/** The fallback (sorry server) test of a service: the deployment's fallback; without a description, any loopback real server. */
export function fallbackTest(svc: IpvsService, cfg: VirtualService | undefined): (r: IpvsRealServer) => boolean {
  if (!cfg) return (r) => isLoopback(r.address);
  if (!cfg.fallback) return () => false;
  const address = normaliseAddress(cfg.fallback.address) ?? cfg.fallback.address;
  const port = cfg.fallback.port;
  return (r) => sameReal(svc, r, address, port);
}

/** A real server takes new clients when its weight is above 0. */
export const isLive = (r: IpvsRealServer): boolean => r.weight > 0;

/** The VIPs of the wanted services that have an address (fwmark services have none). */
export function vipsOf(wanted: WantedService[]): string[] {
  return [...new Set(wanted.map((w) => w.config?.address).filter((a): a is string => !!a))];
}
