import type { Registry } from 'prom-client';
import type { Deployment } from '../model/types';
import type { Source } from '../sources/source';

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
}

/** One area of metrics (node_exporter's collector pattern): registered once in collectors/index.ts. */
export interface Collector {
  name: string;
  collect(env: ScrapeEnv, reg: Registry): Promise<void>;
}
