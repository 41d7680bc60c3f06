import type { Registry } from 'prom-client';
import { HttpFailureKind, probeHttp } from '../../probes/http';
import { Collector, remainingMs, ScrapeEnv } from '../collector';
import { gauge, setEnum } from '../metrics';

const FAILURES: readonly (HttpFailureKind | 'none')[] = ['none', 'refused', 'timeout', 'not-http', 'closed', 'tls', 'dns', 'unreachable', 'other'];

/**
 * The sorry (fallback) server's page (module sorry: target = the page URL; /metrics: the
 * deployment's sorry.url). A page that does not answer is a value (lvsha_sorry_up 0), not a
 * failed probe: lvsha_probe_success stays 1 unless the probe itself broke.
 */
export const sorryCollector: Collector = {
  name: 'sorry',
  async collect(env: ScrapeEnv, reg: Registry): Promise<void> {
    const url = env.target ?? env.deployment.sorry.url;
    // Leave a margin before the scrape's deadline so a silent server is a timeout here.
    const left = remainingMs(env);
    const h = await probeHttp({ url, timeoutMs: Math.max(100, left - Math.min(500, left * 0.1)) });
    gauge(reg, 'lvsha_sorry_up', 'Whether the sorry page answered with a 2xx status (1) or not (0).').set(h.ok && h.status >= 200 && h.status < 300 ? 1 : 0);
    gauge(reg, 'lvsha_sorry_http_status_code', 'HTTP status code of the sorry page (0 without a response).').set(h.ok ? h.status : 0);
    gauge(reg, 'lvsha_sorry_duration_seconds', 'Time to fetch the sorry page, in seconds.').set(h.timings.total);
    if (h.ok) gauge(reg, 'lvsha_sorry_content_length_bytes', 'Length of the sorry page: its Content-Length, else the bytes read.').set(h.contentLength ?? h.size);
    setEnum(gauge(reg, 'lvsha_sorry_failure', 'Why no HTTP response came, one series per cause (1 on the current one; none when a response came).', ['kind']), {}, FAILURES, h.ok ? 'none' : h.kind, 'kind');
  },
};
