import { Gauge, Registry } from 'prom-client';

/** A gauge registered on this scrape's registry only (a fresh registry per scrape). */
export function gauge<L extends string>(reg: Registry, name: string, help: string, labelNames: readonly L[] = []): Gauge<L> {
  return new Gauge<L>({ name, help, labelNames: labelNames as L[], registers: [reg] });
}

/** Counters read from the kernel are exposed with counter type, set to the kernel's value. */
export function counterLike<L extends string>(reg: Registry, name: string, help: string, labelNames: readonly L[] = []): Gauge<L> {
  const g = new Gauge<L>({ name, help, labelNames: labelNames as L[], registers: [reg] });
  // prom-client has no settable counter; the exposition type is what Prometheus reads.
  (g as unknown as { type: string }).type = 'counter';
  return g;
}

/** One series per state, 1 on the current one (enum-like states, never strings). */
export function setEnum<L extends string>(g: Gauge<L | 'state'>, labels: Partial<Record<L, string>>, states: readonly string[], current: string): void {
  for (const s of states) g.set({ ...labels, state: s } as never, s === current ? 1 : 0);
}
