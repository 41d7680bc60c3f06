/**
 * Grafana: one dashboard (`/etc/grafana/lvsha.json` on the monitoring host) on the lvsha
 * exporter's metrics, in Grafana's classic JSON model, importable through Dashboards → Import:
 * the Prometheus data source is an import input (DS_PROMETHEUS) and a `datasource` variable,
 * and every panel is filtered by the `deployment`, `director` and `service` variables (labels
 * the generated scrape configuration puts on the series: see prometheus.ts).
 *
 * The dashboard does not depend on the deployment: each one is a value of $deployment, so
 * importing it again for another deployment replaces it with the same dashboard. The HA layer
 * panel carries queries for each layer (Heartbeat, keepalived, Pacemaker); the other layers'
 * queries return nothing for a deployment and draw nothing. Pure: the same output for every input.
 */
import { Deployment } from '../model/types';
import { GeneratedFile, GenerateOptions, MODE_CONFIG } from './common';

export const GRAFANA_DIR = '/etc/grafana';
export const DASHBOARD_FILE = 'lvsha.json';
export const DASHBOARD_UID = 'lvsha';
/** Grafana 12.0's dashboard schema version (Grafana 11 loads it unchanged: it migrates only older ones). */
export const SCHEMA_VERSION = 41;

/** The data source every panel and variable uses: the variable, whose default is the import input. */
const DS = { type: 'prometheus', uid: '${datasource}' } as const;

/** Every series of a director: the deployment and director variables (Grafana writes a multi-value as a regex). */
const SEL = 'deployment=~"$deployment",director=~"$director"';
/** The IPVS series of the selected services. */
const SVC = `${SEL},service=~"$service"`;

export interface Target {
  refId: string;
  expr: string;
  legendFormat: string;
}

type Mapping = Record<string, { text: string; color: string }>;

interface PanelSpec {
  title: string;
  description: string;
  type: 'state-timeline' | 'timeseries';
  w: number;
  h: number;
  targets: Omit<Target, 'refId'>[];
  unit?: string;
  /** Value → text and colour (state timelines). */
  mappings?: Mapping;
  /** Mappings of one query only (refId → mapping), over the panel's. */
  queryMappings?: Record<string, Mapping>;
  decimals?: number;
}

const UP: Mapping = { '1': { text: 'up', color: 'green' }, '0': { text: 'down', color: 'red' } };
const VERDICT: Mapping = {
  '0': { text: 'OK', color: 'green' },
  '1': { text: 'WARNING', color: 'yellow' },
  '2': { text: 'CRITICAL', color: 'red' },
  '3': { text: 'UNKNOWN', color: 'purple' },
};
/** keepalived's VRRP state as one number per instance (the HA panel's query C). */
const VRRP: Mapping = {
  '3': { text: 'MASTER', color: 'green' },
  '2': { text: 'BACKUP', color: 'blue' },
  '1': { text: 'FAULT', color: 'red' },
  '0': { text: 'INIT', color: 'text' },
};
const vrrpCode = (state: string, code: number) => `${code} * lvsha_keepalived_vrrp_state{${SEL},state="${state}"}`;

/** The panels, top to bottom, left to right (24 columns). */
const PANELS: PanelSpec[] = [
  {
    title: 'VIP holder',
    description: 'Which director holds each VIP (lvsha_vip_held). Two directors holding one VIP at once is a split brain; none is an outage.',
    type: 'state-timeline',
    w: 24,
    h: 6,
    targets: [{ expr: `max by (vip, director) (lvsha_vip_held{${SEL}})`, legendFormat: '{{vip}} on {{director}}' }],
    mappings: { '1': { text: 'HOLDS', color: 'green' }, '0': { text: 'standby', color: 'transparent' } },
  },
  {
    title: 'HA layer',
    description:
      "The HA layer's view from each director: Heartbeat (daemon up, the nodes it sees alive), keepalived (daemon up, VRRP state of each instance) or Pacemaker (up, the node its LVS group runs on). Only the deployment's own layer draws.",
    type: 'state-timeline',
    w: 24,
    h: 7,
    targets: [
      { expr: `max by (director) (lvsha_heartbeat_up{${SEL}})`, legendFormat: 'Heartbeat on {{director}}' },
      { expr: `max by (director, node) (lvsha_heartbeat_node_up{${SEL}})`, legendFormat: '{{director}} sees {{node}}' },
      {
        expr: `sum by (director, iname) (${vrrpCode('MASTER', 3)} or ${vrrpCode('BACKUP', 2)} or ${vrrpCode('FAULT', 1)} or ${vrrpCode('INIT', 0)})`,
        legendFormat: '{{director}} VRRP {{iname}}',
      },
      { expr: `max by (director) (lvsha_keepalived_up{${SEL}})`, legendFormat: 'keepalived on {{director}}' },
      { expr: `max by (director) (lvsha_pacemaker_up{${SEL}})`, legendFormat: 'Pacemaker on {{director}}' },
      { expr: `max by (director, node) (lvsha_pacemaker_group_node{${SEL}})`, legendFormat: '{{director}} sees the LVS group on {{node}}' },
    ],
    mappings: UP,
    queryMappings: { C: VRRP, F: { '1': { text: 'runs the group', color: 'green' }, '0': { text: '—', color: 'transparent' } } },
  },
  {
    title: 'Live real servers per service',
    description: 'Real servers with weight > 0 (the fallback not counted), and all real servers in the table, per service on each director. The passive director has no table.',
    type: 'timeseries',
    w: 12,
    h: 8,
    targets: [
      { expr: `lvsha_ipvs_service_live_backends{${SVC}}`, legendFormat: '{{service}} on {{director}}: live' },
      { expr: `lvsha_ipvs_service_backends{${SVC}}`, legendFormat: '{{service}} on {{director}}: in table' },
    ],
    decimals: 0,
  },
  {
    title: 'Fallback engaged',
    description: "The sorry server is a service's only live real server: every real server is down and clients get the maintenance page.",
    type: 'state-timeline',
    w: 12,
    h: 8,
    targets: [{ expr: `lvsha_ipvs_fallback_engaged{${SVC}}`, legendFormat: '{{service}} on {{director}}' }],
    mappings: { '1': { text: 'SORRY SERVER', color: 'red' }, '0': { text: 'real servers', color: 'green' } },
  },
  {
    title: 'Connections per real server',
    description: 'Active and inactive connections of each real server (IPVS table).',
    type: 'timeseries',
    w: 8,
    h: 8,
    targets: [
      { expr: `lvsha_ipvs_backend_connections_active{${SVC}}`, legendFormat: '{{remote_address}}:{{remote_port}} active ({{service}}, {{director}})' },
      { expr: `lvsha_ipvs_backend_connections_inactive{${SVC}}`, legendFormat: '{{remote_address}}:{{remote_port}} inactive ({{service}}, {{director}})' },
    ],
    decimals: 0,
  },
  {
    title: 'Real server weights',
    description: 'The weight of each real server in the IPVS table: 0 is drained (quiescent) or failed.',
    type: 'timeseries',
    w: 8,
    h: 8,
    targets: [{ expr: `lvsha_ipvs_backend_weight{${SVC}}`, legendFormat: '{{remote_address}}:{{remote_port}} ({{service}}, {{director}})' }],
    decimals: 0,
  },
  {
    title: 'New connections per second',
    description: "Connections scheduled per second by each director's kernel, all services (/proc/net/ip_vs_stats).",
    type: 'timeseries',
    w: 8,
    h: 8,
    targets: [{ expr: `rate(lvsha_ipvs_connections_total{${SEL}}[$__rate_interval])`, legendFormat: '{{director}}' }],
    unit: 'cps',
  },
  {
    title: 'Connection sync: LOCAL vs SYNC',
    description: 'IPVS connection entries by origin: LOCAL are scheduled by this director, SYNC are received from the master sync daemon. A backup whose SYNC count stays 0 would drop connections on failover.',
    type: 'timeseries',
    w: 12,
    h: 8,
    targets: [{ expr: `sum by (director, origin) (lvsha_ipvs_sync_connections{${SEL}})`, legendFormat: '{{director}} {{origin}}' }],
    decimals: 0,
  },
  {
    title: 'Sync daemons',
    description: 'Whether the IPVS sync daemon of each role runs on each director.',
    type: 'state-timeline',
    w: 12,
    h: 8,
    targets: [{ expr: `lvsha_sync_daemon_running{${SEL}}`, legendFormat: '{{director}} {{role}}' }],
    mappings: { '1': { text: 'running', color: 'green' }, '0': { text: 'stopped', color: 'red' } },
  },
  {
    title: 'Check verdicts',
    description: "Each lvsha check's verdict as the Nagios plugin gives it (lvsha_check_status): OK, WARNING, CRITICAL, UNKNOWN.",
    type: 'state-timeline',
    w: 24,
    h: 8,
    // max: a director read by its own /metrics and by another's /probe is one row
    targets: [{ expr: `max by (check, director, realserver) (lvsha_check_status{${SEL}})`, legendFormat: '{{check}} on {{director}}{{realserver}}' }],
    mappings: VERDICT,
  },
  {
    title: 'Probe success',
    description: 'Whether each probe of the exporter could gather its data (a failed probe is an exporter or access problem, not a verdict).',
    type: 'state-timeline',
    w: 12,
    h: 8,
    targets: [{ expr: `lvsha_probe_success{${SEL}}`, legendFormat: '{{probe}} on {{director}}{{realserver}} ({{job}})' }],
    mappings: { '1': { text: 'ok', color: 'green' }, '0': { text: 'FAILED', color: 'red' } },
  },
  {
    title: 'Probe duration',
    description: 'How long each probe took.',
    type: 'timeseries',
    w: 12,
    h: 8,
    targets: [{ expr: `lvsha_probe_duration_seconds{${SEL}}`, legendFormat: '{{probe}} on {{director}}{{realserver}} ({{job}})' }],
    unit: 's',
  },
];

const refId = (i: number) => String.fromCharCode(65 + i);

function valueMappings(m: Mapping): unknown[] {
  return [{ type: 'value', options: Object.fromEntries(Object.entries(m).map(([v, x], i) => [v, { ...x, index: i }])) }];
}

function panel(p: PanelSpec, id: number, gridPos: { x: number; y: number; w: number; h: number }): Record<string, unknown> {
  const timeline = p.type === 'state-timeline';
  return {
    id,
    type: p.type,
    title: p.title,
    description: p.description,
    datasource: DS,
    gridPos,
    targets: p.targets.map((t, i) => ({ datasource: DS, refId: refId(i), expr: t.expr, legendFormat: t.legendFormat, range: true, instant: false, editorMode: 'code' })),
    fieldConfig: {
      defaults: {
        ...(p.unit ? { unit: p.unit } : {}),
        ...(p.decimals !== undefined ? { decimals: p.decimals } : {}),
        ...(p.mappings ? { mappings: valueMappings(p.mappings) } : {}),
        color: { mode: timeline ? 'thresholds' : 'palette-classic' },
        thresholds: { mode: 'absolute', steps: [{ color: timeline ? 'text' : 'green', value: null }] },
        ...(timeline ? { custom: { fillOpacity: 80, lineWidth: 0 } } : { min: 0, custom: { drawStyle: 'line', lineWidth: 1, fillOpacity: 10, showPoints: 'never', spanNulls: false } }),
      },
      overrides: Object.entries(p.queryMappings ?? {}).map(([ref, m]) => ({
        matcher: { id: 'byFrameRefID', options: ref },
        properties: [{ id: 'mappings', value: valueMappings(m) }],
      })),
    },
    options: timeline
      ? { showValue: 'never', mergeValues: true, alignValue: 'left', rowHeight: 0.9, legend: { showLegend: false, displayMode: 'list', placement: 'bottom' }, tooltip: { mode: 'single', sort: 'none' } }
      : { legend: { showLegend: true, displayMode: 'list', placement: 'bottom', calcs: [] }, tooltip: { mode: 'multi', sort: 'desc' } },
  };
}

/** Lays the panels out left to right, a new row when one does not fit (the row as tall as its tallest panel). */
function layout(ps: PanelSpec[]): Record<string, unknown>[] {
  let x = 0;
  let y = 0;
  let rowH = 0;
  return ps.map((p, i) => {
    if (x + p.w > 24) {
      x = 0;
      y += rowH;
      rowH = 0;
    }
    const g = { x, y, w: p.w, h: p.h };
    x += p.w;
    rowH = Math.max(rowH, p.h);
    return panel(p, i + 1, g);
  });
}

function queryVariable(name: string, label: string, query: string): Record<string, unknown> {
  return {
    name,
    label,
    type: 'query',
    datasource: DS,
    definition: query,
    query: { qryType: 1, query, refId: 'PrometheusVariableQueryEditor-VariableQuery' },
    refresh: 2,
    includeAll: true,
    // All = any value, the label's absence included (series scraped without these labels still show).
    allValue: '.*',
    multi: true,
    current: { selected: true, text: ['All'], value: ['$__all'] },
    options: [],
    regex: '',
    sort: 1,
    hide: 0,
  };
}

export function grafanaDashboard(): Record<string, unknown> {
  return {
    __inputs: [
      { name: 'DS_PROMETHEUS', label: 'Prometheus', description: 'The Prometheus that scrapes the lvsha exporters', type: 'datasource', pluginId: 'prometheus', pluginName: 'Prometheus' },
    ],
    __requires: [
      { type: 'grafana', id: 'grafana', name: 'Grafana', version: '11.0.0' },
      { type: 'datasource', id: 'prometheus', name: 'Prometheus', version: '1.0.0' },
      { type: 'panel', id: 'state-timeline', name: 'State timeline', version: '' },
      { type: 'panel', id: 'timeseries', name: 'Time series', version: '' },
    ],
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: 'grafana', uid: '-- Grafana --' },
          enable: true,
          hide: true,
          iconColor: 'rgba(0, 211, 255, 1)',
          name: 'Annotations & Alerts',
          type: 'dashboard',
        },
      ],
    },
    title: 'lvsha: LVS directors',
    uid: DASHBOARD_UID,
    description: 'Linux Virtual Server directors monitored by lvsha: VIP holder, HA layer, real servers, fallback, connection sync, check verdicts, probes. Written by `lvsha generate`.',
    tags: ['lvsha', 'lvs', 'ipvs'],
    editable: true,
    fiscalYearStartMonth: 0,
    graphTooltip: 1,
    id: null,
    links: [],
    liveNow: false,
    panels: layout(PANELS),
    refresh: '30s',
    schemaVersion: SCHEMA_VERSION,
    templating: {
      list: [
        {
          name: 'datasource',
          label: 'Data source',
          type: 'datasource',
          query: 'prometheus',
          current: { selected: false, text: 'Prometheus', value: '${DS_PROMETHEUS}' },
          hide: 0,
          includeAll: false,
          multi: false,
          options: [],
          refresh: 1,
          regex: '',
        },
        queryVariable('deployment', 'Deployment', 'label_values(lvsha_build_info, deployment)'),
        queryVariable('director', 'Director', 'label_values(lvsha_vip_held{deployment=~"$deployment"}, director)'),
        queryVariable('service', 'Service', 'label_values(lvsha_ipvs_service_backends{deployment=~"$deployment",director=~"$director"}, service)'),
      ],
    },
    time: { from: 'now-6h', to: 'now' },
    timepicker: {},
    timezone: '',
    version: 1,
    weekStart: '',
  };
}

export function grafanaFiles(_d: Deployment, _o: GenerateOptions): GeneratedFile[] {
  return [{ host: 'monitoring', path: `${GRAFANA_DIR}/${DASHBOARD_FILE}`, mode: MODE_CONFIG, content: JSON.stringify(grafanaDashboard(), null, 2) + '\n' }];
}
