import { Command, Option } from 'commander';
import { loadDeployment } from '../model/load';
import { UsageError } from '../runtime/errors';
import { BACKEND_LABELS } from './collector';
import { DEFAULT_PORT, Exporter } from './server';

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
    .action(async (o: Record<string, string | boolean | undefined>) => {
      const { host, port } = parseListen(String(o.listen));
      const labels = String(o.ipvsBackendLabels)
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      for (const l of labels) if (!(BACKEND_LABELS as readonly string[]).includes(l)) throw new UsageError(`--ipvs-backend-labels: unknown label '${l}'`);
      const loaded = loadDeployment(o.config as string | undefined);
      const programs: Record<string, string> = {};
      for (const [k, flag] of [['ipvsadm', 'ipvsadm'], ['clStatus', 'cl-status'], ['ip', 'ip'], ['ss', 'ss'], ['arping', 'arping']] as const)
        if (typeof o[k] === 'string') programs[flag] = o[k] as string;
      const num = (k: string, min0 = false) => {
        const n = Number(o[k]);
        if (!Number.isFinite(n) || n < 0 || (n === 0 && !min0))
          throw new UsageError(`--${k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())} '${String(o[k])}' is not a ${min0 ? 'non-negative' : 'positive'} number`);
        return n;
      };
      const exp = new Exporter({
        host,
        port,
        deployment: loaded.deployment,
        timeout: num('timeout'),
        root: o.root as string | undefined,
        sudo: !!o.sudo,
        ssh: { port: num('sshPort'), user: String(o.sshUser), keyPath: o.sshKey as string | undefined, knownHostsPath: o.knownHosts as string | undefined },
        programs,
        backendLabels: labels,
        ipvsProbe: o.ipvsProbe === 'ipvsadm' ? 'ipvsadm' : 'proc',
        poolSize: Math.floor(num('poolSize', true)),
        poolIdleMs: num('poolIdle') * 1000,
        log: (m) => process.stderr.write(`lvsha exporter: ${m}\n`),
      });
      const at = await exp.listen();
      process.stderr.write(`lvsha exporter listening on http://${at.host.includes(':') ? `[${at.host}]` : at.host}:${at.port}/ (deployment: ${loaded.origin})\n`);
      const stop = () => {
        void exp.close().then(() => process.exit(0));
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
}
