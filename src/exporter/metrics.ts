import type { Metric, MetricObjectWithValues, MetricValue, Registry } from 'prom-client';

/*
 * Metric families for one scrape. prom-client's Gauge hashes a label object on every set()
 * and formats every label again on every render: on a table of 1 000 services × 20 real
 * servers (60 000 series) that took ~0.9 s, more than node_exporter. A Family keys each
 * series by its label text, escaped once (and shareable between families), and writes its
 * exposition text itself. It is still registered on a prom-client Registry (fresh per
 * scrape, merged with Registry.merge) and answers get() like any prom-client metric.
 */

export type Labels<L extends string> = Partial<Record<L, string | number>>;

interface Series {
  value: number;
  /** How many writes reached it (max() keeps the first value whatever its sign). */
  writes: number;
}

export function escapeLabelValue(v: string): string {
  return /[\\"\n]/.test(v) ? v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : v;
}

/** `name="value"` pairs, escaped, comma separated (no braces): the label text of one series. */
export function labelText(names: readonly string[], values: readonly string[]): string {
  let t = '';
  for (let i = 0; i < names.length; i++) t += `${i ? ',' : ''}${names[i]}="${escapeLabelValue(values[i]!)}"`;
  return t;
}

/** Reads a label text back (for get(): prom-client's JSON form). */
function parseLabelText(t: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of t.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
    out[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
  return out;
}

/** Prometheus text format numbers: integers plainly, NaN/±Inf spelled as the format wants. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

export class Family<L extends string = string> {
  readonly aggregator = 'sum' as const;
  /** Keyed by the series' label text: one label set, one series (never a duplicate line). */
  private readonly series = new Map<string, Series>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'gauge' | 'counter',
    readonly labelNames: readonly L[],
  ) {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) throw new Error(`invalid metric name '${name}'`);
    for (const l of labelNames) if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(l) || l.startsWith('__')) throw new Error(`invalid label name '${l}'`);
  }

  private entry(labels: Labels<L>): Series {
    return this.entryOf(
      this.labelNames.map((n) => {
        const v = labels[n];
        if (v === undefined) throw new Error(`${this.name}: label '${n}' missing`);
        return String(v);
      }),
    );
  }

  /** `vals` in the order of labelNames. */
  private entryOf(vals: readonly string[]): Series {
    if (vals.length !== this.labelNames.length) throw new Error(`${this.name}: ${vals.length} label values for ${this.labelNames.length} labels`);
    return this.entryText(labelText(this.labelNames, vals));
  }

  private entryText(text: string): Series {
    let s = this.series.get(text);
    if (!s) {
      s = { value: 0, writes: 0 };
      this.series.set(text, s);
    }
    return s;
  }

  /** Sets the series (`set(v)` for a family without labels). */
  set(labels: Labels<L> | number, value?: number): void {
    const e = typeof labels === 'number' ? this.entry({}) : this.entry(labels);
    e.value = typeof labels === 'number' ? labels : value!;
    e.writes++;
  }

  /** Adds to the series (several sources aggregated into one label set). */
  add(labels: Labels<L>, value: number): void {
    const e = this.entry(labels);
    e.value += value;
    e.writes++;
  }

  /** set() with the label values in the order of labelNames. */
  setValues(vals: readonly string[], value: number): void {
    const e = this.entryOf(vals);
    e.value = value;
    e.writes++;
  }

  /** add() with the label values in the order of labelNames. */
  addValues(vals: readonly string[], value: number): void {
    const e = this.entryOf(vals);
    e.value += value;
    e.writes++;
  }

  /**
   * The hot path for large tables: `text` is labelText() of ALL labelNames (in any order:
   * Prometheus does not care), built by the caller once and shared between families.
   */
  addText(text: string, value: number): void {
    const e = this.entryText(text);
    e.value += value;
    e.writes++;
  }

  setText(text: string, value: number): void {
    const e = this.entryText(text);
    e.value = value;
    e.writes++;
  }

  /**
   * Appends a series whose label set the caller knows to be new (checked once by the caller
   * for several families): written straight to text, no per-series object at all.
   */
  appendText(text: string, value: number): void {
    this.rawTexts.push(text);
    this.rawValues.push(value);
  }
  private readonly rawTexts: string[] = [];
  private readonly rawValues: number[] = [];

  /** Keeps the largest value written to the series. */
  max(labels: Labels<L>, value: number): void {
    this.keepMax(this.entry(labels), value);
  }

  maxValues(vals: readonly string[], value: number): void {
    this.keepMax(this.entryOf(vals), value);
  }

  private keepMax(e: Series, value: number): void {
    if (e.writes === 0 || value > e.value) e.value = value;
    e.writes++;
  }

  get size(): number {
    return this.series.size + this.rawTexts.length;
  }

  reset(): void {
    this.series.clear();
    this.rawTexts.length = 0;
    this.rawValues.length = 0;
  }

  /** The exposition text of this family (no trailing newline), in prom-client's layout. */
  text(): string {
    const sink = new StringSink();
    this.write(sink);
    return sink.out;
  }

  /** Writes text() to `sink`, one series (line) per add. */
  write(sink: TextSink): void {
    const help = this.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
    sink.add(`# HELP ${this.name} ${help}\n# TYPE ${this.name} ${this.type}`);
    const open = `\n${this.name}{`;
    for (const [t, s] of this.series) sink.add(t === '' ? `\n${this.name} ${formatValue(s.value)}` : open + t + '} ' + formatValue(s.value));
    const texts = this.rawTexts;
    const values = this.rawValues;
    for (let i = 0; i < texts.length; i++) sink.add(open + texts[i] + '} ' + formatValue(values[i]!));
  }

  /** prom-client's Metric interface, for reg.metrics() and getMetricsAsJSON(). */
  async get(): Promise<MetricObjectWithValues<MetricValue<string>>> {
    return {
      collect: () => undefined,
      name: this.name,
      help: this.help,
      type: this.type as never,
      aggregator: this.aggregator,
      values: [
        ...[...this.series].map(([t, s]) => ({ labels: parseLabelText(t), value: s.value })),
        ...this.rawTexts.map((t, i) => ({ labels: parseLabelText(t), value: this.rawValues[i]! })),
      ],
    };
  }
}

function register<T extends Family<string>>(reg: Registry, f: T): T {
  reg.registerMetric(f as unknown as Metric<string>);
  return f;
}

/** A gauge registered on this scrape's registry only (a fresh registry per scrape). */
export function gauge<L extends string>(reg: Registry, name: string, help: string, labelNames: readonly L[] = []): Family<L> {
  return register(reg, new Family<L>(name, help, 'gauge', labelNames));
}

/** Counters read from the kernel: exposed with counter type, set to the kernel's value. */
export function counterLike<L extends string>(reg: Registry, name: string, help: string, labelNames: readonly L[] = []): Family<L> {
  return register(reg, new Family<L>(name, help, 'counter', labelNames));
}

/** One series per state, 1 on the current one (enum-like states, never strings). */
export function setEnum<L extends string>(g: Family<L>, labels: Partial<Record<L, string>>, states: readonly string[], current: string, stateLabel: L = 'state' as L): void {
  for (const s of states) g.set({ ...labels, [stateLabel]: s } as Labels<L>, s === current ? 1 : 0);
}

/** Where exposition text goes, a line at a time. */
export interface TextSink {
  add(s: string): void;
}

/** The text as one string (V8 keeps it as a rope until it is read). */
class StringSink implements TextSink {
  out = '';
  add(s: string): void {
    this.out += s;
  }
}

const CHUNK = 64 * 1024;

/**
 * The text as UTF-8 Buffers of ~64 KiB, each a short rope encoded once. At 2 284 × 16 backends
 * (17 MB, 116 000 lines) one rope of the whole answer cost ~100 ms to flatten before it could be
 * encoded or compressed, more than building it; the chunks also feed ./gzip.ts' pieces as they are.
 */
export class ChunkSink implements TextSink {
  private cur = '';
  readonly chunks: Buffer[] = [];
  bytes = 0;
  add(s: string): void {
    this.cur += s;
    if (this.cur.length >= CHUNK) this.flush();
  }
  flush(): void {
    if (this.cur === '') return;
    const b = Buffer.from(this.cur, 'utf8');
    this.chunks.push(b);
    this.bytes += b.length;
    this.cur = '';
  }
}

/**
 * The exposition text of a registry into `sink`: Families write their own text, any other
 * prom-client metric goes through prom-client. Same layout as Registry.metrics() (blank line
 * between families, one newline at the end).
 */
async function renderTo(reg: Registry, sink: TextSink): Promise<void> {
  let first = true;
  for (const m of reg.getMetricsAsArray() as unknown[]) {
    if (!first) sink.add('\n\n');
    first = false;
    if (m instanceof Family) m.write(sink);
    else sink.add(await (reg as unknown as { getMetricsAsString(m: unknown): Promise<string> }).getMetricsAsString(m));
  }
  sink.add('\n');
}

/** The exposition text of a registry, as a string. */
export async function renderRegistry(reg: Registry): Promise<string> {
  const sink = new StringSink();
  await renderTo(reg, sink);
  return sink.out;
}

/** An answer ready to send: the exposition text as UTF-8 chunks (what the exporter serves). */
export interface Rendered {
  chunks: Buffer[];
  bytes: number;
  contentType: string;
}

export async function renderChunks(reg: Registry): Promise<Rendered> {
  const sink = new ChunkSink();
  await renderTo(reg, sink);
  sink.flush();
  return { chunks: sink.chunks, bytes: sink.bytes, contentType: reg.contentType };
}
