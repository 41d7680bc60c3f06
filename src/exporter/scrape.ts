import { Registry } from 'prom-client';
import { loadCheck } from '../checks/registry';
import { runCheck } from '../runtime/check';
import { VERSION } from '../runtime/version';
import { ScrapeEnv } from './collector';
import { gauge } from './metrics';
import type { CheckSpec, ModuleSpec } from './modules';

export type { ModuleSpec } from './modules';

/** The config a check runs with in this scrape: its defaults for the deployment, adjusted by the module. */
export function checkConfig(c: CheckSpec, env: Pick<ScrapeEnv, 'deployment'>): unknown {
  const base = loadCheck(c.name).defaults(env.deployment);
  return c.adjust ? c.adjust(base as never, env.deployment) : base;
}

async function withDeadline<T>(p: Promise<T>, deadline: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out`)), Math.max(1, deadline - Date.now()));
  });
  try {
    return await Promise.race([p, t]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * One scrape: a fresh registry, every collector and check run concurrently, each bounded by
 * the deadline; a failing or hanging one sets lvsha_probe_success{probe} 0 and the rest is served.
 */
export async function scrape(spec: ModuleSpec, scrapeEnv: ScrapeEnv, log?: (msg: string) => void): Promise<Registry> {
  const reg = new Registry();
  const success = gauge(reg, 'lvsha_probe_success', 'Whether the probe succeeded (1) or failed (0).', ['probe']);
  const duration = gauge(reg, 'lvsha_probe_duration_seconds', 'How long the probe took, in seconds.', ['probe']);
  gauge(reg, 'lvsha_build_info', 'lvsha build information.', ['version']).set({ version: VERSION }, 1);
  const status = spec.checks.length ? gauge(reg, 'lvsha_check_status', 'Verdict of the Nagios check: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.', ['check']) : undefined;

  // Collectors write into private registries merged at the end, so a collector that times
  // out half-way never leaves half its series in the answer.
  // Series and families in collector order whatever order they finish in (stable output).
  const parts: (Registry | undefined)[] = spec.collectors.map(() => undefined);
  for (const c of spec.collectors) {
    success.set({ probe: c.name }, 0);
    duration.set({ probe: c.name }, 0);
  }
  for (const c of spec.checks) status!.set({ check: c.name }, 3);
  const env = scrapeEnv;
  const never = new AbortController().signal;
  await Promise.all([
    ...spec.collectors.map(async (c, i) => {
      const t0 = process.hrtime.bigint();
      const own = new Registry();
      try {
        await withDeadline(c.collect(env, own), env.deadline, c.name);
        parts[i] = own;
        success.set({ probe: c.name }, 1);
      } catch (e) {
        log?.(`probe ${c.name} failed: ${(e as Error).message}`);
        success.set({ probe: c.name }, 0);
      }
      duration.set({ probe: c.name }, Number(process.hrtime.bigint() - t0) / 1e9);
    }),
    // The same gather → evaluate as the plugin, on this scrape's (memoised) sources.
    ...spec.checks.map(async (c) => {
      try {
        const r = await withDeadline(
          runCheck(loadCheck(c.name), checkConfig(c, env), { source: env.sourceFor, deadline: env.deadline, signal: never, trace: () => {} }),
          env.deadline,
          `check ${c.name}`,
        );
        status!.set({ check: c.name }, r.state);
      } catch {
        status!.set({ check: c.name }, 3);
      }
    }),
  ]);
  const done = parts.filter((p): p is Registry => p !== undefined);
  return done.length ? Registry.merge([reg, ...done]) : reg;
}

/**
 * Concurrent scrapes of the same target share one run, but only with a run that answers by
 * their own deadline: a caller joins the flight whose deadline is the latest one not after its
 * own, else starts its own flight. One scraper sending a long scrape timeout (or a hostile
 * one) then never makes the others wait past their deadlines; callers with the usual
 * deadline still share one run.
 */
export class SingleFlight<T> {
  private readonly inflight = new Map<string, { deadline: number; p: Promise<T> }[]>();
  /**
   * `slackMs`: a caller joins a flight ending at most this much after its own deadline.
   * Simultaneous scrapes compute their deadlines a few ms apart and may reach run() in another
   * order than they arrived; the header's deadline already keeps 0.5 s from Prometheus' own.
   */
  constructor(private readonly slackMs = 250) {}
  run(key: string, deadline: number, fn: () => Promise<T>): Promise<T> {
    const list = this.inflight.get(key) ?? [];
    let best: { deadline: number; p: Promise<T> } | undefined;
    for (const f of list) if (f.deadline <= deadline + this.slackMs && (!best || f.deadline > best.deadline)) best = f;
    if (best) return best.p;
    const f = { deadline, p: undefined as unknown as Promise<T> };
    f.p = fn().finally(() => {
      const l = this.inflight.get(key);
      const rest = l?.filter((x) => x !== f) ?? [];
      if (rest.length) this.inflight.set(key, rest);
      else this.inflight.delete(key);
    });
    list.push(f);
    this.inflight.set(key, list);
    return f.p;
  }
  /** Runs in flight (all keys): for tests and the soak bench. */
  get size(): number {
    let n = 0;
    for (const l of this.inflight.values()) n += l.length;
    return n;
  }
}
