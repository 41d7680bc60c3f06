import type { Registry } from 'prom-client';
import type { Deployment } from '../model/types';
import type { Source } from '../sources/source';

/** node_exporter's labels on its ipvs backend metrics, in its order (--ipvs-backend-labels picks among them). */
export const BACKEND_LABELS = ['local_address', 'local_port', 'remote_address', 'remote_port', 'proto', 'local_mark'] as const;

/** What one scrape gives each collector. */
export interface ScrapeEnv {
  /** Memoised for this scrape: collectors and check policies read the same outputs once. */
  source: Source;
  /** Source for another host (SSH, pooled), for checks that look at both directors. */
  sourceFor(host?: string): Source;
  deployment: Deployment;
  /** Epoch ms by which the scrape must answer. */
  deadline: number;
  /** Program path overrides and options shared with the checks' --ipvsadm, --cl-status... */
  programs: Record<string, string>;
  /** Labels to keep on lvsha_ipvs_backend_* (node_exporter's --collector.ipvs.backend-labels). */
  backendLabels: string[];
  /** How the ipvs collector reads the table: /proc/net/ip_vs (default) or ipvsadm (per-service counters). */
  ipvsProbe?: 'proc' | 'ipvsadm';
  /** The /probe target (a host, or the page URL for the sorry module); undefined for /metrics. */
  target?: string;
}

/** Milliseconds left before the scrape's deadline (at least 1), for a probe's own timeout. */
export function remainingMs(env: Pick<ScrapeEnv, 'deadline'>): number {
  return Math.max(1, env.deadline - Date.now());
}

/** One area of metrics (node_exporter's collector pattern): registered once in collectors/index.ts. */
export interface Collector {
  name: string;
  collect(env: ScrapeEnv, reg: Registry): Promise<void>;
}
