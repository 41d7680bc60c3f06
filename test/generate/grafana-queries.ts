// The generated Grafana dashboard's queries, as the tests run them: each panel target with the
// dashboard's variables replaced by values (Grafana writes a multi-value variable as a regex
// `(a|b)` and All as the variable's allValue), and the metric names each expression reads.
// Shared by test/generate/grafana.test.ts (structure, names, promtool) and the real
// Prometheus tests in test/clients/.

export interface PanelQuery {
  panel: string;
  refId: string;
  expr: string;
}

interface Dashboard {
  panels: { title: string; targets: { refId: string; expr: string }[] }[];
  templating: { list: { name: string; type: string; definition?: string }[] };
}

export function panelQueries(dashboard: unknown): PanelQuery[] {
  return (dashboard as Dashboard).panels.flatMap((p) => p.targets.map((t) => ({ panel: p.title, refId: t.refId, expr: t.expr })));
}

/** The query variables' label_values(SELECTOR, LABEL) as [selector, label]. */
export function variableQueries(dashboard: unknown): { name: string; selector: string; label: string }[] {
  return (dashboard as Dashboard).templating.list
    .filter((v) => v.type === 'query')
    .map((v) => {
      const m = /^label_values\((.*),\s*([a-zA-Z_][a-zA-Z0-9_]*)\)$/.exec(v.definition ?? '');
      if (!m) throw new Error(`variable ${v.name}: not label_values(selector, label): ${v.definition}`);
      return { name: v.name, selector: m[1]!, label: m[2]! };
    });
}

export interface VariableValues {
  deployment: string;
  director: string;
  service: string;
  rateInterval: string;
}

/** All: what the dashboard's allValue gives. */
export const ALL: VariableValues = { deployment: '.*', director: '.*', service: '.*', rateInterval: '1m' };

/** EXPR with the dashboard's variables replaced (every $name the dashboard uses must be given). */
export function substitute(expr: string, v: VariableValues): string {
  const out = expr
    .replace(/\$__rate_interval/g, v.rateInterval)
    .replace(/\$deployment\b/g, v.deployment)
    .replace(/\$director\b/g, v.director)
    .replace(/\$service\b/g, v.service);
  if (out.includes('$')) throw new Error(`a variable is left in ${out}`);
  return out;
}

/** PromQL words that are not metric names (the functions, aggregations and keywords the dashboard may use). */
const PROMQL_WORDS = new Set([
  'sum', 'min', 'max', 'avg', 'count', 'stddev', 'stdvar', 'topk', 'bottomk', 'quantile', 'count_values', 'group',
  'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset',
  'rate', 'irate', 'increase', 'delta', 'idelta', 'deriv', 'changes', 'resets', 'abs', 'clamp_min', 'clamp_max',
  'max_over_time', 'min_over_time', 'avg_over_time', 'last_over_time', 'label_replace', 'label_join', 'vector', 'scalar', 'time', 'timestamp', 'absent',
]);

/**
 * The metric names an expression reads: its identifiers once strings, label matchers, ranges
 * and the label lists of by/without/on/ignoring are removed, less PromQL's own words.
 */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|`[^`]*`|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const ids = bare.match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? [];
  return [...new Set(ids.filter((w) => !PROMQL_WORDS.has(w)))].sort();
}

/** The metric names of an exposition text: samples' names and the names its # HELP lines declare. */
export function exposedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const help = /^# (?:HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line);
    if (help) names.add(help[1]!);
    else if (line && !line.startsWith('#')) names.add(/^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)![0]);
  }
  return names;
}

/** The HA layer a query belongs to (run by that layer's Prometheus test only), else undefined: every deployment. */
export function layerOf(expr: string): string | undefined {
  return /\blvsha_(heartbeat|keepalived|pacemaker)_/.exec(expr)?.[1];
}

/**
 * Runs the dashboard's panel queries of one HA layer (`only`: that layer's queries alone;
 * else every query but the other layers') through QUERY (Prometheus' /api/v1/query) with the
 * variables replaced; returns how many ran and, for each that returned no series, its panel.
 * A query that returns nothing is asked again (`tries` times, `everyMs` apart): on a loaded
 * machine a scrape can miss its 1 s timeout and the series go stale for a moment.
 */
export async function runPanelQueries(
  dashboard: unknown,
  query: (expr: string) => Promise<{ result: unknown[] }>,
  v: VariableValues,
  layer: string,
  o: { only?: boolean; tries?: number; everyMs?: number } = {},
): Promise<{ ran: string[]; empty: string[] }> {
  const ran: string[] = [];
  const empty: string[] = [];
  for (const q of panelQueries(dashboard)) {
    const l = layerOf(q.expr);
    if (o.only ? l !== layer : l !== undefined && l !== layer) continue;
    const expr = substitute(q.expr, v);
    const name = `${q.panel} (${q.refId}): ${expr}`;
    ran.push(name);
    let n = 0;
    for (let i = 0; i < (o.tries ?? 1) && n === 0; i++) {
      if (i) await new Promise((r) => setTimeout(r, o.everyMs ?? 500));
      n = (await query(expr)).result.length;
    }
    if (n === 0) empty.push(name);
  }
  return { ran, empty };
}
