import { Command, Option } from 'commander';
import { loadDeployment } from '../model/load';
import { UsageError } from '../runtime/errors';
import { BACKEND_LABELS } from './collector';
import { DEFAULT_HEADERS_TIMEOUT_MS, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_REQUESTS, DEFAULT_PORT, DEFAULT_SCRAPE_TIMEOUT_MAX, Exporter } from './server';
import type { WebConfig } from './webConfig';

/** Above this a timer overflows (2^31 ms) and no scrape needs it. */
const SCRAPE_TIMEOUT_CEILING = 3600;

export { BACKEND_LABELS };

export function parseListen(v: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(v);
  if (!m) throw new UsageError(`--listen '${v}' is not ADDR:PORT`);
  const port = Number(m[3]);
  if (port > 65535) throw new UsageError(`--listen '${v}': port out of range`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

export function registerExporter(program: Command): void {
  program
    .command('exporter')
    .description('Prometheus exporter: /metrics for this director, /probe?module=&target= for other hosts')
    .option('--listen <addr:port>', 'where to listen', `127.0.0.1:${DEFAULT_PORT}`)
    .option('--config <file>', 'deployment (YAML/JSON or /etc/ha.d directory; default $LVSHA_CONFIG, else the embedded reference)')
    .option('-t, --timeout <seconds>', 'scrape deadline when Prometheus sends none', '10')
    .option('--scrape-timeout-max <seconds>', 'upper bound of a scrape deadline, whatever X-Prometheus-Scrape-Timeout-Seconds says', String(DEFAULT_SCRAPE_TIMEOUT_MAX))
    .option('--probe-allow <entry>', "let /probe reach this too (repeatable): ADDRESS, CIDR or NAME (director, realserver), http(s) URL prefix (sorry); by default only the deployment's hosts and sorry URLs", (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--web-config-file <file>', "TLS, basic auth (bcrypt), headers, rate limit: Prometheus' web configuration file (exporter-toolkit format)")
    .option('--max-connections <n>', 'open connections at most', String(DEFAULT_MAX_CONNECTIONS))
    .option('--max-requests <n>', 'scrapes being answered at most (more: 503)', String(DEFAULT_MAX_REQUESTS))
    .option('--header-timeout <seconds>', 'a client must send its request headers within this time', String(DEFAULT_HEADERS_TIMEOUT_MS / 1000))
    .option('--status-refresh <seconds>', '/status: seconds between the page\'s own refreshes', '10')
    .option('--status-sample <seconds>', '/status: gather this often in the background so the timeline covers what happened before anyone looked (0: only when asked)', '30')
    .option('--no-status-peers', '/status: do not read the other directors over SSH (by default they are, as /probe reads them)')
    .option('--node <name>', "this director's name in the deployment, for /status (default: Heartbeat's local node, else the host name)")
    .option('--root <dir>', 'read /proc, /sys, /etc under this directory')
    .option('--sudo', 'run privileged programs through sudo -n', false)
    .option('--ssh-port <port>', 'SSH port for /probe targets', '22')
    .option('--ssh-user <user>', 'SSH user for /probe targets', 'root')
    .option('--ssh-key <file>', 'SSH private key')
    .option('--known-hosts <file>', 'known_hosts for /probe targets')
    .option('--pool-size <n>', 'at most this many pooled SSH connections (0: a new connection per scrape)', '32')
    .option('--pool-idle <seconds>', 'close a pooled SSH connection idle this long', '60')
    .option('--ipvs-backend-labels <list>', `labels kept on lvsha_ipvs_backend_* (comma list of ${BACKEND_LABELS.join(',')})`, BACKEND_LABELS.join(','))
    .addOption(new Option('--ipvs-probe <how>', 'read the IPVS table from /proc/net/ip_vs (no root) or ipvsadm -Ln (root or --sudo; adds per-service and per-backend counters)').choices(['proc', 'ipvsadm']).default('proc'))
    .option('--ipvsadm <path>', 'ipvsadm program')
    .option('--cl-status <path>', 'cl_status program')
    .option('--ip <path>', 'ip program')
    .option('--ss <path>', 'ss program')
    .option('--arping <path>', 'arping program')
    .addOption(new Option('--keepalived-method <how>', 'ha keepalived: json (signal a dump; root or --sudo) or dbus (state only, no root; enable_dbus)').choices(['json', 'dbus']).default('json'))
    .option('--kill <path>', 'kill program (keepalived json method)')
    .option('--dbus-send <path>', 'dbus-send program (keepalived dbus method)')
    .option('--crm-mon <path>', 'crm_mon program (ha pacemaker)')
    .option('--cibadmin <path>', 'cibadmin program (ha pacemaker: cli-* constraints)')
    .action(async (o: Record<string, string | boolean | string[] | undefined>) => {
      const { host, port } = parseListen(String(o.listen));
      const labels = String(o.ipvsBackendLabels)
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      for (const l of labels) if (!(BACKEND_LABELS as readonly string[]).includes(l)) throw new UsageError(`--ipvs-backend-labels: unknown label '${l}'`);
      const loaded = loadDeployment(o.config as string | undefined);
      const programs: Record<string, string> = {};
      for (const [k, flag] of [['ipvsadm', 'ipvsadm'], ['clStatus', 'cl-status'], ['ip', 'ip'], ['ss', 'ss'], ['arping', 'arping'], ['keepalivedMethod', 'keepalived-method'], ['kill', 'kill'], ['dbusSend', 'dbus-send'], ['crmMon', 'crm-mon'], ['cibadmin', 'cibadmin']] as const)
        if (typeof o[k] === 'string') programs[flag] = o[k] as string;
      const num = (k: string, min0 = false) => {
        const n = Number(o[k]);
        if (!Number.isFinite(n) || n < 0 || (n === 0 && !min0))
          throw new UsageError(`--${k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())} '${String(o[k])}' is not a ${min0 ? 'non-negative' : 'positive'} number`);
        return n;
      };
      const scrapeTimeoutMax = num('scrapeTimeoutMax');
      if (scrapeTimeoutMax > SCRAPE_TIMEOUT_CEILING) throw new UsageError(`--scrape-timeout-max '${String(o.scrapeTimeoutMax)}' is above ${SCRAPE_TIMEOUT_CEILING} s`);
      const timeout = num('timeout');
      if (timeout > scrapeTimeoutMax) throw new UsageError(`--timeout '${String(o.timeout)}' is above --scrape-timeout-max (${scrapeTimeoutMax} s)`);
      const headerTimeout = num('headerTimeout');
      if (headerTimeout > SCRAPE_TIMEOUT_CEILING) throw new UsageError(`--header-timeout '${String(o.headerTimeout)}' is above ${SCRAPE_TIMEOUT_CEILING} s`);
      const int = (k: string) => {
        const n = num(k);
        if (!Number.isInteger(n)) throw new UsageError(`--${k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())} '${String(o[k])}' is not a whole number`);
        return n;
      };
      const sshPort = int('sshPort');
      const statusRefresh = num('statusRefresh');
      const statusSample = num('statusSample', true);
      if (statusSample > SCRAPE_TIMEOUT_CEILING) throw new UsageError(`--status-sample '${String(o.statusSample)}' is above ${SCRAPE_TIMEOUT_CEILING} s`);
      if (statusRefresh > SCRAPE_TIMEOUT_CEILING) throw new UsageError(`--status-refresh '${String(o.statusRefresh)}' is above ${SCRAPE_TIMEOUT_CEILING} s`);
      const node = o.node as string | undefined;
      if (node !== undefined && !loaded.deployment.directors.some((x) => x.name === node))
        throw new UsageError(`--node '${node}' is not a director of the deployment (${loaded.deployment.directors.map((x) => x.name).join(', ')})`);
      if (sshPort > 65535) throw new UsageError(`--ssh-port '${String(o.sshPort)}' is not a port (1-65535)`);
      let web: WebConfig | undefined;
      if (typeof o.webConfigFile === 'string') {
        // Lazy: the YAML parser, TLS and bcrypt only for those who ask.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        web = (require('./webConfig') as typeof import('./webConfig')).loadWebConfig(o.webConfigFile);
      }
      // ProbeAllow (in the constructor) refuses a malformed --probe-allow entry, naming it.
      const exp = new Exporter({
        host,
        port,
        deployment: loaded.deployment,
        timeout,
        scrapeTimeoutMax,
        probeAllow: (o.probeAllow as string[] | undefined) ?? [],
        maxConnections: int('maxConnections'),
        maxRequests: int('maxRequests'),
        headersTimeoutMs: headerTimeout * 1000,
        web,
        statusRefresh,
        statusSample,
        statusPeers: o.statusPeers !== false,
        node,
        root: o.root as string | undefined,
        sudo: !!o.sudo,
        ssh: { port: sshPort, user: String(o.sshUser), keyPath: o.sshKey as string | undefined, knownHostsPath: o.knownHosts as string | undefined },
        programs,
        backendLabels: labels,
        ipvsProbe: o.ipvsProbe === 'ipvsadm' ? 'ipvsadm' : 'proc',
        poolSize: Math.floor(num('poolSize', true)),
        poolIdleMs: num('poolIdle') * 1000,
        log: (m) => process.stderr.write(`lvsha exporter: ${m}\n`),
      });
      const at = await exp.listen();
      process.stderr.write(`lvsha exporter listening on ${web?.tls ? 'https' : 'http'}://${at.host.includes(':') ? `[${at.host}]` : at.host}:${at.port}/ (deployment: ${loaded.origin}${web?.auth ? ', basic auth' : ''})\n`);
      // `on`, not `once`: the runtime's own handler (children.ts) re-raises the signal when it
      // is the only listener left, which killed the exporter before it had closed.
      let stopping = false;
      const stop = () => {
        if (stopping) process.exit(1); // a second signal: now
        stopping = true;
        void exp.close().then(() => process.exit(0));
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    });
}
