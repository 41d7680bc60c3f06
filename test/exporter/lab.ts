// Builds what an exporter under test reads: a --root tree from the REAL IPVS captures
// (test/fixtures/real/ipvs/<scenario>/proc-net-*.txt) and replay scripts standing in for
// ipvsadm, cl_status and ip (printing real captures, byte for byte). Nothing here invents
// program output: a command without a capture fails like the real program would not.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BACKEND_LABELS } from '../../src/exporter/collector';
import { Exporter, ExporterOptions } from '../../src/exporter/server';
import { referenceDeployment } from '../../src/model/reference';
import { REAL, replayScript } from '../probes/replay';

export const IPVS = join(REAL, 'ipvs');

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export interface Lab {
  dir: string;
  root: string;
  programs: Record<string, string>;
  /** How many times each replayed program ran, per argument string (from the call log). */
  calls(program: string): string[];
  cleanup(): void;
}

export interface LabOptions {
  /** test/fixtures/real/ipvs/<scenario>: its /proc files go under ROOT/proc/net. Omit: no IPVS (no /proc/net/ip_vs). */
  ipvs?: string;
  /** `ipvsadm -L --daemon` capture, relative to test/fixtures/real/ipvs (default: the scenario's). */
  daemon?: string;
  /** cl_status capture directories relative to test/fixtures/real (heartbeat/healthy/frontal1). */
  heartbeat?: string[];
  /** `ip -j addr` capture relative to test/fixtures/real (ip/healthy/frontal1/addr). */
  ipAddr?: string;
  /** A real /proc/sys tree relative to test/fixtures/real (sysctl/correct). */
  sysctl?: string;
  /** `ss -ltnH` capture relative to test/fixtures/real (ss/listening-any/reel1/ltn). */
  ssTcp?: string;
  /** Programs that sleep this long before answering (to test deadlines). */
  hang?: { program: 'cl-status' | 'ipvsadm' | 'ip'; seconds: number };
}

/** A wrapper that logs each call (for counting probe runs) and then runs the replay. */
function logged(path: string, log: string, inner: string, hang?: number): string {
  writeFileSync(path, ['#!/bin/sh', `printf '%s\\n' "$*" >> ${q(log)}`, ...(hang ? [`sleep ${hang}`] : []), `exec ${q(inner)} "$@"`, ''].join('\n'));
  chmodSync(path, 0o755);
  return path;
}

export function makeLab(o: LabOptions): Lab {
  const dir = mkdtempSync(join(tmpdir(), 'lvsha-exporter-'));
  const root = join(dir, 'root');
  mkdirSync(join(root, 'proc', 'net'), { recursive: true });
  const programs: Record<string, string> = {};
  const logs = join(dir, 'logs');
  mkdirSync(logs);
  const wrap = (name: string, inner: string) => (programs[name] = logged(join(dir, name), join(logs, name), inner, o.hang?.program === name ? o.hang.seconds : undefined));

  if (o.ipvs) {
    const s = join(IPVS, o.ipvs);
    for (const f of ['ip_vs', 'ip_vs_stats', 'ip_vs_conn', 'ip_vs_conn_sync']) cpSync(join(s, `proc-net-${f}.txt`), join(root, 'proc', 'net', f));
    // ipvsadm: the scenario's captures (all rc 0), by the exact arguments they were taken with.
    const daemon = join(IPVS, o.daemon ?? join(o.ipvs, 'ipvsadm-L-daemon.txt'));
    const cases: [string, string][] = [
      ['-Ln', 'ipvsadm-Ln.txt'],
      ['-Ln --stats --exact', 'ipvsadm-Ln-stats-exact.txt'],
      ['-Ln --stats', 'ipvsadm-Ln-stats.txt'],
      ['-Ln --rate --exact', 'ipvsadm-Ln-rate-exact.txt'],
    ];
    const body = ['#!/bin/sh', 'case "$*" in'];
    for (const [args, file] of cases) body.push(`  ${q(args)}) exec cat ${q(join(s, file))} ;;`);
    body.push(`  '-L --daemon') exec cat ${q(daemon)} ;;`, '  *) echo "replay: no capture for ipvsadm $*" >&2; exit 13 ;;', 'esac', '');
    writeFileSync(join(dir, 'ipvsadm.replay'), body.join('\n'));
    chmodSync(join(dir, 'ipvsadm.replay'), 0o755);
    wrap('ipvsadm', join(dir, 'ipvsadm.replay'));
  }
  if (o.heartbeat) wrap('cl-status', replayScript(join(dir, 'cl_status.replay'), { dirs: o.heartbeat }));
  if (o.ipAddr) wrap('ip', replayScript(join(dir, 'ip.replay'), { byArgs: { '-j addr': [o.ipAddr] } }));
  if (o.ssTcp) wrap('ss', replayScript(join(dir, 'ss.replay'), { byArgs: { '-ltnH': [o.ssTcp] } }));
  if (o.sysctl) cpSync(join(REAL, o.sysctl, 'proc', 'sys'), join(root, 'proc', 'sys'), { recursive: true });

  return {
    dir,
    root,
    programs,
    calls(program: string): string[] {
      const f = join(logs, program);
      return existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean) : [];
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface Got {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** GET on loopback with a bounded wait. */
export function get(port: number, path: string, headers: Record<string, string> = {}, timeoutMs = 30000): Promise<Got> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (b: Buffer) => chunks.push(b));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** Samples of an exposition text: `name{labels}` → value. */
export function samples(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    m.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return m;
}

/** `name{a="1",b="2"}` with labels sorted by name (our output keeps its own order: normalise both). */
export function series(name: string, labels: Record<string, string | number> = {}): string {
  const ls = Object.keys(labels)
    .sort()
    .map((k) => `${k}="${labels[k]}"`)
    .join(',');
  return ls ? `${name}{${ls}}` : name;
}

/** Samples with each key's labels sorted, so `series()` finds them whatever the label order. */
export function sortedSamples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, v] of samples(text)) {
    const m = /^([^{]+)\{(.*)\}$/.exec(k);
    if (!m) {
      out.set(k, v);
      continue;
    }
    const parts = m[2]!.match(/[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"/g) ?? [];
    out.set(`${m[1]}{${parts.sort().join(',')}}`, v);
  }
  return out;
}

/** Names of the series of one metric in a sample map. */
export function ofMetric(s: Map<string, number>, name: string): string[] {
  return [...s.keys()].filter((k) => k === name || k.startsWith(`${name}{`));
}

export const promtoolPath = '/usr/bin/promtool';

/** `promtool check metrics` must print nothing and exit 0 (required in CI; skipped elsewhere when missing). */
export function lint(text: string): void {
  if (!existsSync(promtoolPath)) {
    if (process.env.CI) throw new Error('promtool (Debian prometheus) is required in CI');
    return;
  }
  const r = spawnSync(promtoolPath, ['check', 'metrics'], { input: text, encoding: 'utf8' });
  expect(r.stdout + r.stderr).toBe('');
  expect(r.status).toBe(0);
}

/** The reference director on real captures (healthy frontal1, both sync daemons). */
export const DIRECTOR: LabOptions = {
  ipvs: 'reference',
  heartbeat: ['heartbeat/healthy/frontal1'],
  ipAddr: 'ip/healthy/frontal1/addr',
  daemon: 'sync-daemon/ipvsadm-L-daemon.both.txt',
};

export interface Running {
  exporter: Exporter;
  port: number;
  lab: Lab;
  logs: string[];
}

/**
 * Exporters on loopback over a lab of captures, closed (and their labs removed) by the
 * returned `stopAll` (call it in afterAll). One factory for every exporter test file.
 */
export function exporterFactory(): { start(o: LabOptions, extra?: Partial<ExporterOptions>): Promise<Running>; stopAll(): Promise<void> } {
  const running: Running[] = [];
  return {
    async start(o, extra = {}) {
      const lab = makeLab(o);
      const logs: string[] = [];
      const exporter = new Exporter({
        host: '127.0.0.1',
        port: 0,
        deployment: referenceDeployment,
        timeout: 10,
        root: lab.root,
        sudo: false,
        ssh: { port: 22, user: 'root' },
        programs: lab.programs,
        backendLabels: [...BACKEND_LABELS],
        poolSize: 4,
        poolIdleMs: 60000,
        log: (m) => logs.push(m),
        ...extra,
      });
      const { port } = await exporter.listen();
      const r = { exporter, port, lab, logs };
      running.push(r);
      return r;
    },
    async stopAll() {
      for (const r of running.splice(0)) {
        await r.exporter.close();
        r.lab.cleanup();
      }
    },
  };
}
