// One director replayed from the lab's real captures for the status page's tests, switchable
// between phases while an exporter runs: `ip -j addr`, cl_status and `ipvsadm -L --daemon`
// answer from the capture directories named in DIR/cur/*, and ROOT/proc/net/ip_vs* are copied
// from test/fixtures/real/ipvs/STATE (as test/clients/harness.ts's setIpvsState).
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Exporter, ExporterOptions } from '../../src/exporter/server';
import { referenceDeployment } from '../../src/model/reference';
import { CL_STATUS_NAME_SH, REAL } from '../probes/replay';

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** What a director's captures say in one phase (paths relative to test/fixtures/real). */
export interface Phase {
  /** ip/<scenario>/<host> (its addr.* capture). */
  ip: string;
  /** heartbeat/<scenario>/<host>. */
  heartbeat: string;
  /** ipvs/<state> (its /proc/net files). */
  ipvs: string;
  /** ipvs/sync-daemon/ipvsadm-L-daemon.<x>.txt */
  daemon: string;
}

/** The lab's phases, per director, as captured. */
export const PHASES = {
  frontal1Healthy: { ip: 'ip/healthy/frontal1', heartbeat: 'heartbeat/healthy/frontal1', ipvs: 'ldirectord-up', daemon: 'ipvs/sync-daemon/ipvsadm-L-daemon.both.txt' },
  frontal1OneDown: { ip: 'ip/healthy/frontal1', heartbeat: 'heartbeat/healthy/frontal1', ipvs: 'ldirectord-one-down', daemon: 'ipvs/sync-daemon/ipvsadm-L-daemon.both.txt' },
  frontal1Fallback: { ip: 'ip/healthy/frontal1', heartbeat: 'heartbeat/healthy/frontal1', ipvs: 'ldirectord-fallback', daemon: 'ipvs/sync-daemon/ipvsadm-L-daemon.both.txt' },
  frontal2Healthy: { ip: 'ip/healthy/frontal2', heartbeat: 'heartbeat/healthy/frontal2', ipvs: 'empty', daemon: 'ipvs/sync-daemon/ipvsadm-L-daemon.both.txt' },
  /** frontal1 crashed: frontal2's Heartbeat sees it dead and frontal2 took the VIP and the table. */
  frontal2Takeover: { ip: 'ip/peer-dead/frontal2', heartbeat: 'heartbeat/peer-dead/frontal2', ipvs: 'ldirectord-up', daemon: 'ipvs/sync-daemon/ipvsadm-L-daemon.both.txt' },
  /** Then every real server down: ldirectord's fallback alone in the table. */
  frontal2Fallback: { ip: 'ip/peer-dead/frontal2', heartbeat: 'heartbeat/peer-dead/frontal2', ipvs: 'ldirectord-fallback', daemon: 'ipvs/sync-daemon/ipvsadm-L-daemon.both.txt' },
} satisfies Record<string, Phase>;

export interface DirectorReplay {
  dir: string;
  root: string;
  programs: Record<string, string>;
  set(p: Phase): void;
  cleanup(): void;
}

function script(path: string, lines: string[]): string {
  writeFileSync(path, ['#!/bin/sh', ...lines, ''].join('\n'));
  chmodSync(path, 0o755);
  return path;
}

const emit = (base: string) => [`cat ${base}.stdout`, `[ -f ${base}.stderr ] && cat ${base}.stderr >&2`, `exit "$(cat ${base}.rc)"`];

export function directorReplay(first: Phase): DirectorReplay {
  const dir = mkdtempSync(join(tmpdir(), 'lvsha-status-'));
  const root = join(dir, 'root');
  const cur = join(dir, 'cur');
  mkdirSync(join(root, 'proc', 'net'), { recursive: true });
  mkdirSync(cur);
  const real = q(REAL);
  const ip = script(join(dir, 'ip'), [`[ "$*" = '-j addr' ] || { echo "replay: no capture for ip $*" >&2; exit 13; }`, `b=${real}/"$(cat ${q(join(cur, 'ip'))})"/addr`, ...emit('"$b"')]);
  const cl = script(join(dir, 'cl_status'), [
    CL_STATUS_NAME_SH,
    `b=${real}/"$(cat ${q(join(cur, 'heartbeat'))})"/"$name"`,
    'if [ -f "$b.stdout" ]; then',
    ...emit('"$b"').map((l) => `  ${l}`),
    'fi',
    'echo "cl_status: $1: invalid sub-command." >&2',
    'exit 11',
  ]);
  const ipvsadm = script(join(dir, 'ipvsadm'), [`[ "$*" = '-L --daemon' ] && exec cat ${real}/"$(cat ${q(join(cur, 'daemon'))})"`, 'echo "replay: no capture for ipvsadm $*" >&2', 'exit 13']);
  const set = (p: Phase) => {
    for (const k of ['ip', 'heartbeat', 'daemon'] as const) writeFileSync(join(cur, k), p[k]);
    for (const f of ['ip_vs', 'ip_vs_stats', 'ip_vs_conn', 'ip_vs_conn_sync']) cpSync(join(REAL, 'ipvs', p.ipvs, `proc-net-${f}.txt`), join(root, 'proc', 'net', f));
  };
  set(first);
  return { dir, root, programs: { ip, 'cl-status': cl, ipvsadm }, set, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** An in-process exporter of the reference deployment on 127.0.0.1:0 over a replayed director; the other director not read. */
export function statusExporter(r: DirectorReplay, node: string, extra: Partial<ExporterOptions> = {}): Exporter {
  return new Exporter({
    host: '127.0.0.1',
    port: 0,
    deployment: structuredClone(referenceDeployment),
    timeout: 10,
    root: r.root,
    sudo: false,
    ssh: { port: 22, user: 'root' },
    programs: r.programs,
    backendLabels: ['local_address', 'local_port', 'remote_address', 'remote_port', 'proto', 'local_mark'],
    poolSize: 0,
    poolIdleMs: 1000,
    statusPeers: false,
    node,
    ...extra,
  });
}
