import { Registry } from 'prom-client';
import { CheckName, loadCheck } from '../checks/registry';
import { runCheckEmbedded } from '../runtime/plugin';
import { VERSION } from '../runtime/version';
import { Collector, ScrapeEnv } from './collector';
import { gauge } from './metrics';

export interface ModuleSpec {
  collectors: Collector[];
  /** Checks whose verdict becomes lvsha_check_status{check}, with their arguments. */
  checks: { name: CheckName; args: string[] }[];
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
export async function scrape(spec: ModuleSpec, env: ScrapeEnv, log?: (msg: string) => void): Promise<Registry> {
  const reg = new Registry();
  const success = gauge(reg, 'lvsha_probe_success', 'Whether the probe succeeded (1) or failed (0).', ['probe']);
  const duration = gauge(reg, 'lvsha_probe_duration_seconds', 'How long the probe took, in seconds.', ['probe']);
  gauge(reg, 'lvsha_build_info', 'lvsha build information.', ['version']).set({ version: VERSION }, 1);
  const status = spec.checks.length ? gauge(reg, 'lvsha_check_status', 'Verdict of the Nagios check: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.', ['check']) : undefined;

  // Collectors write into private registries merged at the end, so a collector that times
  // out half-way never leaves half its series in the answer.
  const parts: Registry[] = [];
  await Promise.all([
    ...spec.collectors.map(async (c) => {
      const t0 = process.hrtime.bigint();
      const own = new Registry();
      try {
        await withDeadline(c.collect(env, own), env.deadline, c.name);
        parts.push(own);
        success.set({ probe: c.name }, 1);
      } catch (e) {
        log?.(`probe ${c.name} failed: ${(e as Error).message}`);
        success.set({ probe: c.name }, 0);
      }
      duration.set({ probe: c.name }, Number(process.hrtime.bigint() - t0) / 1e9);
    }),
    ...spec.checks.map(async (c) => {
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
  return parts.length ? Registry.merge([reg, ...parts]) : reg;
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
