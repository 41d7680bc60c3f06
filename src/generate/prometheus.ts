/**
 * Prometheus: the scrape configuration (each director's `lvsha exporter` on /metrics, and
 * /probe in the blackbox_exporter pattern for real servers, directors and sorry pages) and
 * the alerting rules on the exporter's metrics.
 */
import { Deployment } from '../model/types';
import { GeneratedFile, GenerateOptions, MODE_CONFIG, cmp, cmpAddress, header, hostPort, lines, protoLabel, realHostsOf, reEscape } from './common';
import { grafanaFiles } from './grafana';
import { vrrpInstance } from './keepalived';
import { pacemakerOf } from '../model/ha';

const HA_NAME = { heartbeat: 'Heartbeat', keepalived: 'keepalived', pacemaker: 'Pacemaker' } as const;
import { sorryEndpoints } from './sorry';

export const PROMETHEUS_DIR = '/etc/prometheus';
export const RULES_FILE = 'lvsha-rules.yml';

const q = (s: string) => JSON.stringify(s); // a JSON string is a YAML double-quoted scalar

/** The blackbox relabelling: target → ?target=, instance = target, __address__ = the exporter. */
function probeRelabel(exporterFrom: string | undefined): string[] {
  return [
    '    relabel_configs:',
    '      - source_labels: [__address__]',
    '        target_label: __param_target',
    '      - source_labels: [__param_target]',
    '        target_label: instance',
    ...(exporterFrom
      ? ['      - source_labels: [' + exporterFrom + ']', '        target_label: __address__']
      : []),
  ];
}

/**
 * `service` = the deployment's name of the virtual service on its IPVS series, from the four
 * service labels as the exporter writes them (collectors/ipvs.ts: a firewall mark is 8
 * upper-case hex digits), so a dashboard can offer the services by name.
 */
function serviceRelabel(d: Deployment): string[] {
  const out = d.services.flatMap((s) => {
    const v =
      s.protocol === 'fwm'
        ? ['FWM', '', '0', (s.fwmark ?? 0).toString(16).toUpperCase().padStart(8, '0')]
        : [protoLabel(s), s.address ?? '', String(s.port ?? 0), ''];
    return [
      '      - source_labels: [proto, local_address, local_port, local_mark]',
      '        separator: ";"',
      `        regex: ${q(v.map(reEscape).join(';'))}`,
      '        target_label: service',
      `        replacement: ${q(s.name)}`,
    ];
  });
  return out.length ? ['    metric_relabel_configs:', ...out] : [];
}

export function scrapeConfig(d: Deployment, o: GenerateOptions): string {
  const dirs = [...d.directors].sort((a, b) => cmp(a.name, b.name));
  const reals = realHostsOf(d);
  const sorry = sorryEndpoints(d);
  const sorryUrl = (e: { address: string; port: number }) => `http://${hostPort(e.address, e.port)}/`;
  const exporterAt = (address: string) => hostPort(address, o.exporterPort);
  // The Grafana dashboard's $deployment and $service (grafana.ts).
  const dep = q(d.name);
  const probeTo = (extra: string[]) => [
    '      - target_label: __address__',
    `        replacement: ${q(o.probeExporter)}`,
    ...extra,
  ];
  return lines(
    header(d, `${PROMETHEUS_DIR}/lvsha.yml: scrape configuration for lvsha (check: promtool check config).`).trimEnd(),
    `# Use as is (prometheus --config.file=${PROMETHEUS_DIR}/lvsha.yml) or copy the scrape_configs into prometheus.yml.`,
    'global:',
    '  scrape_interval: 15s',
    '  evaluation_interval: 15s',
    '',
    'rule_files:',
    `  - ${RULES_FILE}`,
    '',
    'scrape_configs:',
    `  # Each director's exporter (port ${o.exporterPort}): VIP, ${HA_NAME[o.stack]}, IPVS, sync, sorry.`,
    '  - job_name: lvsha-directors',
    '    metrics_path: /metrics',
    '    static_configs:',
    ...dirs.flatMap((x) => [`      - targets: [${q(exporterAt(x.address))}]`, `        labels: {director: ${q(x.name)}, deployment: ${dep}}`]),
    ...serviceRelabel(d),
    '',
    `  # Directors seen from outside, through the exporter at ${o.probeExporter}.`,
    '  - job_name: lvsha-director-probe',
    '    metrics_path: /probe',
    '    params:',
    '      module: [director]',
    '    static_configs:',
    ...dirs.flatMap((x) => [`      - targets: [${q(x.address)}]`, `        labels: {director: ${q(x.name)}, deployment: ${dep}}`]),
    ...probeRelabel(undefined),
    ...probeTo([]),
    ...serviceRelabel(d),
    ...(reals.length
      ? [
          '',
          `  # Real servers (ARP sysctls, VIP on lo, listeners), through the exporter at ${o.probeExporter}.`,
          '  - job_name: lvsha-realservers',
          '    metrics_path: /probe',
          '    params:',
          '      module: [realserver]',
          '    static_configs:',
          ...reals.flatMap((r) => [`      - targets: [${q(r.address)}]`, `        labels: {realserver: ${q(r.name)}, deployment: ${dep}}`]),
          ...probeRelabel(undefined),
          ...probeTo([]),
        ]
      : []),
    ...(sorry.length
      ? [
          '',
          "  # The sorry page of each director, probed by that director's own exporter (it is on loopback).",
          '  - job_name: lvsha-sorry',
          '    metrics_path: /probe',
          '    params:',
          '      module: [sorry]',
          '    static_configs:',
          ...dirs.flatMap((x) =>
            sorry.flatMap((e) => [
              `      - targets: [${q(sorryUrl(e))}]`,
              `        labels: {director: ${q(x.name)}, deployment: ${dep}, __lvsha_exporter: ${q(exporterAt(x.address))}}`,
            ]),
          ),
          ...probeRelabel('__lvsha_exporter'),
        ]
      : []),
  );
}

interface Rule {
  alert: string;
  expr: string;
  for: string;
  severity: 'critical' | 'warning';
  /** Extra labels, so that rules repeated per VIP or service stay distinct. */
  labels?: Record<string, string>;
  summary: string;
  description: string;
}

function rule(r: Rule): string[] {
  return [
    `      - alert: ${r.alert}`,
    '        expr: |-',
    `          ${r.expr}`,
    `        for: ${r.for}`,
    '        labels:',
    `          severity: ${r.severity}`,
    ...Object.entries(r.labels ?? {}).map(([k, v]) => `          ${k}: ${q(v)}`),
    '        annotations:',
    `          summary: ${q(r.summary)}`,
    `          description: ${q(r.description)}`,
  ];
}

export function alertRules(d: Deployment, o: GenerateOptions): string {
  const J = 'job="lvsha-directors"';
  const vips = [...new Set(d.vips.map((v) => v.address))].sort(cmpAddress);
  const rules: Rule[] = [];
  for (const vip of vips) {
    rules.push({
      alert: 'LvshaSplitBrain',
      expr: `sum(lvsha_vip_held{${J},vip="${vip}"}) > 1`,
      for: '0s',
      severity: 'critical',
      labels: { vip },
      summary: `Split brain: several directors hold VIP ${vip}`,
      description: `{{ $value }} directors hold ${vip}: clients are split between them. Stop ${HA_NAME[o.stack]} on one, check the link between the directors.`,
    });
    rules.push({
      alert: 'LvshaNoVipHolder',
      expr: `(sum(lvsha_vip_held{${J},vip="${vip}"}) or vector(0)) == 0`,
      for: '30s',
      severity: 'critical',
      labels: { vip },
      summary: `No director holds VIP ${vip}`,
      description: `No director holds ${vip}: the service is down.`,
    });
  }
  if (o.stack === 'heartbeat')
    rules.push({
      alert: 'LvshaPeerDead',
      expr: `lvsha_heartbeat_node_up{${J}} == 0`,
      for: '30s',
      severity: 'critical',
      summary: 'Heartbeat node {{ $labels.node }} is dead',
      description: '{{ $labels.instance }} sees Heartbeat node {{ $labels.node }} dead: no failover left.',
    });
  if (o.stack === 'keepalived') {
    const k = vrrpInstance(d, o);
    const top = Math.max(...Object.values(k.priorities));
    const preferred = Object.keys(k.priorities).filter((n) => k.priorities[n] === top);
    rules.push({
      alert: 'LvshaKeepalivedDown',
      expr: `lvsha_keepalived_up{${J}} == 0`,
      for: '30s',
      severity: 'critical',
      summary: 'keepalived is down on {{ $labels.director }}',
      description: '{{ $labels.instance }}: keepalived does not run or does not answer (never a stale MASTER): this director cannot take the VIPs over.',
    });
    rules.push({
      alert: 'LvshaKeepalivedFault',
      expr: `lvsha_keepalived_vrrp_state{${J},state="FAULT"} == 1`,
      for: '30s',
      severity: 'critical',
      summary: 'VRRP instance {{ $labels.iname }} is in FAULT on {{ $labels.director }}',
      description: '{{ $labels.instance }}: {{ $labels.iname }} (VRID {{ $labels.vrid }}, {{ $labels.intf }}) is in FAULT: an interface or a tracked script keeps it from holding the VIPs.',
    });
    rules.push({
      alert: 'LvshaKeepalivedPriorityDropped',
      expr: `lvsha_keepalived_vrrp_priority{${J}} < lvsha_keepalived_vrrp_base_priority{${J}}`,
      for: '1m',
      severity: 'warning',
      summary: 'VRRP priority of {{ $labels.iname }} lowered on {{ $labels.director }}',
      description: '{{ $labels.instance }}: {{ $labels.iname }} runs at priority {{ $value }}, below its configured one: a tracked script or interface failed (lvsha_keepalived_script_failed names it).',
    });
    // With preemption the preferred director holds the VIPs whenever it runs; with nopreempt
    // whoever took them keeps them, so there is no rule.
    if (!k.nopreempt && preferred.length === 1)
      rules.push({
        alert: 'LvshaKeepalivedNotMaster',
        expr: `lvsha_keepalived_vrrp_state{${J},director="${preferred[0]}",iname="${k.instance}",state="MASTER"} == 0`,
        for: '2m',
        severity: 'warning',
        summary: `${preferred[0]} (preferred, priority ${top}) is not VRRP MASTER of ${k.instance}`,
        description: `${preferred[0]} runs keepalived but is not MASTER of ${k.instance}: the VIPs are on the other director (a lowered priority, a FAULT, or its adverts not heard). Failback is automatic (no nopreempt) once it is healthy.`,
      });
  }
  if (o.stack === 'pacemaker') {
    const p = pacemakerOf(d);
    rules.push({
      alert: 'LvshaPacemakerDown',
      expr: `lvsha_pacemaker_up{${J}} == 0`,
      for: '30s',
      severity: 'critical',
      summary: 'Pacemaker is down on {{ $labels.director }}',
      description: '{{ $labels.instance }}: crm_mon gets no answer from the cluster on this director (Pacemaker or Corosync stopped, or crm_mon not allowed: group haclient): it cannot take the VIPs over.',
    });
    rules.push({
      alert: 'LvshaPacemakerNoQuorum',
      expr: `lvsha_pacemaker_quorate{${J}} == 0`,
      for: '30s',
      severity: 'critical',
      summary: 'The partition of {{ $labels.director }} has no quorum',
      description: '{{ $labels.instance }}: without quorum Pacemaker stops the resources of this partition (no-quorum-policy).',
    });
    rules.push({
      alert: 'LvshaPacemakerNodeDown',
      expr: `lvsha_pacemaker_node_state{${J},state=~"offline|unclean"} == 1`,
      for: '1m',
      severity: 'warning',
      summary: 'Cluster node {{ $labels.node }} is {{ $labels.state }}',
      description: '{{ $labels.instance }} sees node {{ $labels.node }} {{ $labels.state }}: no failover target left.',
    });
    // Each partition's crm_mon sees only itself: after a cut link each director reports the VIP
    // on its own node (nodes_running_on 1 on both). Counting the distinct nodes any director
    // reports catches that as well as a resource active twice inside one partition.
    for (const vip of p.vipResources)
      rules.push({
        alert: 'LvshaPacemakerSplitBrain',
        expr: `count(count by (node) (lvsha_pacemaker_resource_running{${J},resource="${vip}"} == 1)) > 1`,
        for: '0s',
        severity: 'critical',
        labels: { resource: vip },
        summary: `Resource ${vip} runs on several nodes`,
        description: `The directors report ${vip} running on {{ $value }} nodes: a split brain. With fencing off (stonith-enabled=false) a cut Corosync link lets both directors run the VIP.`,
      });
    rules.push({
      alert: 'LvshaPacemakerFailCount',
      expr: `lvsha_pacemaker_resource_failcount{${J}} > 0`,
      for: '1m',
      severity: 'warning',
      summary: '{{ $labels.resource }} failed on {{ $labels.node }}',
      description: '{{ $labels.instance }}: fail-count {{ $value }} of {{ $labels.resource }} on {{ $labels.node }}; at migration-threshold it moves away. crm resource cleanup {{ $labels.resource }} once the cause is fixed.',
    });
    rules.push({
      alert: 'LvshaPacemakerMoveLeft',
      expr: `lvsha_pacemaker_cli_constraint{${J}} == 1`,
      for: '30m',
      severity: 'warning',
      summary: '{{ $labels.id }} left in the CIB',
      description: '{{ $labels.id }} (crm resource move/ban of {{ $labels.resource }}) still pins it: failover and failback are not what the configuration says. crm resource clear {{ $labels.resource }}.',
    });
    // auto_failback: the group goes back to the preferred director while it is online
    if (p.stickiness < p.preferredScore)
      rules.push({
        alert: 'LvshaPacemakerNotPreferred',
        expr: `lvsha_pacemaker_group_node{${J},group="${p.group}",node="${d.heartbeat.preferred}"} == 0 and on (instance) lvsha_pacemaker_node_state{${J},node="${d.heartbeat.preferred}",state="online"} == 1`,
        for: '2m',
        severity: 'warning',
        summary: `${p.group} does not run on the preferred ${d.heartbeat.preferred}`,
        description: `${d.heartbeat.preferred} is online but ${p.group} runs elsewhere: auto_failback is wanted (location ${p.preferredScore} > stickiness ${p.stickiness}); a move, a ban or a failure keeps it away.`,
      });
  }
  for (const s of d.services) {
    const reals = s.realServers.filter((r) => r.weight > 0);
    if (reals.length === 0) continue;
    const svc =
      s.protocol === 'fwm'
        ? `proto="FWM",local_mark="${s.fwmark}"`
        : `local_address="${s.address}",local_port="${s.port}",proto="${protoLabel(s)}"`;
    const re = [...new Set(reals.map((r) => reEscape(r.address)))].sort(cmp).join('|');
    const where = s.protocol === 'fwm' ? `firewall mark ${s.fwmark}` : hostPort(s.address!, s.port!);
    rules.push({
      alert: 'LvshaRealServersDown',
      // live real servers per director; `or 0 * ...` makes it 0 (not absent) while the service
      // is still in the table (only the fallback left), and absent where it is not (passive director)
      expr: `(count by (instance) (lvsha_ipvs_backend_weight{${J},${svc},remote_address=~\`${re}\`} > 0) or 0 * count by (instance) (lvsha_ipvs_backend_weight{${J},${svc}})) < ${reals.length}`,
      for: '1m',
      severity: 'warning',
      labels: { service: s.name },
      summary: `Real servers of ${s.name} (${where}) are down`,
      description: `Only {{ $value }} of ${reals.length} real servers of ${where} take traffic on {{ $labels.instance }}.`,
    });
  }
  rules.push({
    alert: 'LvshaFallbackEngaged',
    expr: `lvsha_ipvs_fallback_engaged{${J}} == 1`,
    for: '0s',
    severity: 'critical',
    summary: 'Sorry server engaged for {{ $labels.local_address }}:{{ $labels.local_port }}',
    description: 'Every real server of {{ $labels.local_address }}:{{ $labels.local_port }} ({{ $labels.proto }}) is down: clients get the maintenance page.',
  });
  rules.push({
    alert: 'LvshaSyncMissing',
    expr:
      d.sync.mode === 'both'
        ? `lvsha_sync_daemon_running{${J}} == 0`
        : `max by (instance) (lvsha_sync_daemon_running{${J}}) == 0`,
    for: '2m',
    severity: 'warning',
    summary: 'IPVS sync daemon missing on {{ $labels.instance }}',
    description: `The connection sync daemon (syncid ${d.sync.syncid}) does not run on {{ $labels.instance }}: a failover drops the established connections.`,
  });
  rules.push({
    alert: 'LvshaArpLeak',
    expr: 'lvsha_arp_leak > 0',
    for: '0s',
    severity: 'critical',
    summary: 'A real server answers ARP for VIP {{ $labels.vip }}',
    description: '{{ $labels.instance }} sees ARP replies for {{ $labels.vip }} from a real server: clients may bypass the director. Check arp_ignore/arp_announce.',
  });
  // Every check's verdict, whatever the HA layer (check="heartbeat" or check="keepalived").
  rules.push({
    alert: 'LvshaCheckCritical',
    expr: 'lvsha_check_status == 2',
    for: '1m',
    severity: 'critical',
    summary: 'lvsha check {{ $labels.check }} is CRITICAL on {{ $labels.instance }}',
    description: 'The {{ $labels.check }} check reports CRITICAL on {{ $labels.instance }}.',
  });
  rules.push({
    alert: 'LvshaProbeFailed',
    expr: 'lvsha_probe_success == 0',
    for: '2m',
    severity: 'warning',
    summary: 'lvsha probe {{ $labels.probe }} fails on {{ $labels.instance }}',
    description: 'The exporter cannot gather {{ $labels.probe }} on {{ $labels.instance }} (job {{ $labels.job }}).',
  });
  rules.push({
    alert: 'LvshaExporterDown',
    expr: 'up{job=~"lvsha-.*"} == 0',
    for: '1m',
    severity: 'warning',
    summary: 'lvsha exporter unreachable: {{ $labels.instance }}',
    description: 'Prometheus cannot scrape {{ $labels.instance }} (job {{ $labels.job }}).',
  });
  return lines(
    header(d, `${PROMETHEUS_DIR}/${RULES_FILE}: alerting rules on the lvsha exporter's metrics (check: promtool check rules).`).trimEnd(),
    'groups:',
    '  - name: lvsha',
    '    rules:',
    ...rules.flatMap(rule),
  );
}

export function prometheusFiles(d: Deployment, o: GenerateOptions): GeneratedFile[] {
  return [
    { host: 'monitoring', path: `${PROMETHEUS_DIR}/lvsha.yml`, mode: MODE_CONFIG, content: scrapeConfig(d, o) },
    { host: 'monitoring', path: `${PROMETHEUS_DIR}/${RULES_FILE}`, mode: MODE_CONFIG, content: alertRules(d, o) },
    ...grafanaFiles(d, o),
  ];
}
