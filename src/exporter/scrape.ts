import { Registry } from 'prom-client';
import { CheckName, loadCheck } from '../checks/registry';
import { runCheckEmbedded } from '../runtime/plugin';
import { VERSION } from '../runtime/version';
import { Collector, ScrapeEnv } from './collector';
import { gauge } from './metrics';

export interface ModuleSpec {
  collectors: Collector[];
  /**
   * Checks whose verdict becomes lvsha_check_status{check}, with their arguments; `byCollector`:
   * the collector of that name reports it through env.verdict() from its own snapshot.
   */
  checks: { name: CheckName; args: string[]; byCollector?: boolean }[];
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
  const verdicts = new Map<string, number>();
  const byCollector = new Set(spec.checks.filter((c) => c.byCollector).map((c) => c.name as string));
  const env: ScrapeEnv = {
    ...scrapeEnv,
    verdict: (check, state) => {
      if (byCollector.has(check)) verdicts.set(check, state);
    },
  };
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
    ...spec.checks
      .filter((c) => !c.byCollector)
      .map(async (c) => {
        try {
          const r = await withDeadline(
            runCheckEmbedded(loadCheck(c.name), c.args, { source: env.sourceFor, deployment: env.deployment, deadline: env.deadline }),
            env.deadline,
            `check ${c.name}`,
          );
          status!.set({ check: c.name }, r.state);
        } catch {
          status!.set({ check: c.name }, 3);
        }
      }),
  ]);
  // A collector that failed before its verdict leaves the check UNKNOWN (3).
  for (const c of byCollector) if (verdicts.has(c)) status!.set({ check: c }, verdicts.get(c)!);
  const done = parts.filter((p): p is Registry => p !== undefined);
  return done.length ? Registry.merge([reg, ...done]) : reg;
}

/** Concurrent scrapes of the same target share one run. */
export class SingleFlight<T> {
  private readonly inflight = new Map<string, Promise<T>>();
  run(key: string, fn: () => Promise<T>): Promise<T> {
    let p = this.inflight.get(key);
    if (!p) {
      p = fn().finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return p;
  }
}
