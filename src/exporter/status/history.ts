/**
 * The status page's short memory, in this process only (nothing on disk: a restart empties it):
 * the events seen between two gathers (VIP moved, real server failed/back, fallback engaged/
 * cleared, sync daemon stopped/started, a check's verdict changed) and, per service, the
 * points of its sparklines (live real servers, connections). Bounded by age AND by count.
 */
import type { StatusSnapshot } from './model';
import { STATE_NAMES } from './model';

export type Severity = 'ok' | 'warning' | 'critical' | 'info';

export interface StatusEvent {
  at: number;
  kind: 'vip' | 'realserver' | 'fallback' | 'sync' | 'ha' | 'check';
  severity: Severity;
  text: string;
}

export interface Point {
  at: number;
  live: number;
  connections: number;
}

export interface HistoryOptions {
  /** Keep this much (default one hour). */
  maxAgeMs?: number;
  /** Events kept at most (default 500). */
  maxEvents?: number;
  /** Points per service at most (default 360: one hour at one gather every 10 s). */
  maxPoints?: number;
  /** Services followed at most (default 64): a table of thousands is not drawn. */
  maxServices?: number;
}

export class StatusHistory {
  readonly since: number;
  private readonly events: StatusEvent[] = [];
  private readonly points = new Map<string, Point[]>();
  private last?: StatusSnapshot;
  readonly maxAgeMs: number;
  private readonly maxEvents: number;
  private readonly maxPoints: number;
  private readonly maxServices: number;

  constructor(o: HistoryOptions = {}, now = Date.now()) {
    this.since = now;
    this.maxAgeMs = o.maxAgeMs ?? 3_600_000;
    this.maxEvents = o.maxEvents ?? 500;
    this.maxPoints = o.maxPoints ?? 360;
    this.maxServices = o.maxServices ?? 64;
  }

  /** Adds one gather: the events since the previous one, and a point per service. */
  record(s: StatusSnapshot): StatusEvent[] {
    const ev = this.last ? diff(this.last, s) : [];
    this.last = s;
    for (const e of ev) this.events.push(e);
    for (const svc of s.services) {
      let list = this.points.get(svc.key);
      if (!list) {
        if (this.points.size >= this.maxServices) continue;
        list = [];
        this.points.set(svc.key, list);
      }
      list.push({ at: s.at, live: svc.live, connections: svc.connections });
    }
    this.prune(s.at);
    return ev;
  }

  private prune(now: number): void {
    const cut = now - this.maxAgeMs;
    let i = 0;
    while (i < this.events.length && this.events[i]!.at < cut) i++;
    if (this.events.length - i > this.maxEvents) i = this.events.length - this.maxEvents;
    if (i) this.events.splice(0, i);
    for (const [k, list] of this.points) {
      let j = 0;
      while (j < list.length && list[j]!.at < cut) j++;
      if (list.length - j > this.maxPoints) j = list.length - this.maxPoints;
      if (j) list.splice(0, j);
      if (!list.length) this.points.delete(k);
    }
  }

  /** Newest first. */
  timeline(): StatusEvent[] {
    return [...this.events].reverse();
  }

  series(key: string): Point[] {
    return this.points.get(key) ?? [];
  }

  get size(): { events: number; points: number } {
    let points = 0;
    for (const l of this.points.values()) points += l.length;
    return { events: this.events.length, points };
  }
}

const who = (l: string[]) => (l.length ? l.join(' and ') : 'no director');

/** The events between two gathers. */
export function diff(a: StatusSnapshot, b: StatusSnapshot): StatusEvent[] {
  const at = b.at;
  const out: StatusEvent[] = [];
  const push = (kind: StatusEvent['kind'], severity: Severity, text: string) => out.push({ at, kind, severity, text });

  for (const v of b.vips) {
    const before = a.vips.find((x) => x.address === v.address);
    if (!before || (before.how === 'unknown' && v.how === 'unknown')) continue;
    const was = [...before.holders].sort().join(',');
    const now = [...v.holders].sort().join(',');
    if (was === now) continue;
    if (v.holders.length === 1 && before.holders.length === 1) push('vip', 'warning', `VIP ${v.address} moved from ${before.holders[0]} to ${v.holders[0]}`);
    else if (v.holders.length === 0) push('vip', 'critical', `VIP ${v.address}: no director holds it (was ${who(before.holders)})`);
    else if (v.holders.length > 1) push('vip', 'critical', `VIP ${v.address} held by ${who(v.holders)}: split brain`);
    else push('vip', 'ok', `VIP ${v.address} held by ${v.holders[0]} (was ${who(before.holders)})`);
  }

  for (const s of b.services) {
    const before = a.services.find((x) => x.key === s.key);
    if (!before) continue;
    for (const r of s.realServers) {
      if (r.fallback) continue;
      const p = before.realServers.find((x) => !x.fallback && x.address === r.address && x.port === r.port);
      // Nothing is said about a real server while its holder's table is not read.
      if (!p || p.state === r.state || p.state === 'unknown' || r.state === 'unknown') continue;
      const name = `${r.name ? `${r.name} ` : ''}${r.address}:${r.port}`;
      if (r.state === 'live') push('realserver', 'ok', `real server ${name} of ${s.label} back (was ${p.state})`);
      else if (r.state === 'drained') push('realserver', 'warning', `real server ${name} of ${s.label} drained (weight 0)`);
      else push('realserver', 'critical', `real server ${name} of ${s.label} ${r.state === 'failed' ? 'removed from the table (failed)' : 'removed with its service'}`);
    }
    if (s.fallbackEngaged !== before.fallbackEngaged && s.director !== undefined && before.director !== undefined)
      push('fallback', s.fallbackEngaged ? 'critical' : 'ok', s.fallbackEngaged ? `fallback engaged for ${s.label}: every real server is down` : `fallback cleared for ${s.label}`);
  }

  for (const d of b.directors) {
    const p = a.directors.find((x) => x.name === d.name);
    if (!p) continue;
    const was = p.sync.value?.daemons;
    const now = d.sync.value?.daemons;
    if (was && now)
      for (const role of ['master', 'backup'] as const) {
        const w = was.some((x) => x.role === role);
        const n = now.some((x) => x.role === role);
        if (w && !n) push('sync', 'warning', `${role} sync daemon stopped on ${d.name}`);
        if (!w && n) push('sync', 'ok', `${role} sync daemon started on ${d.name}`);
      }
    const hw = p.ha.value;
    const hn = d.ha.value;
    if (hw && hn) {
      if (hw.daemon !== hn.daemon) push('ha', hn.daemon === 'running' ? 'ok' : 'critical', `${hn.layer} on ${d.name}: ${hw.daemon} → ${hn.daemon}`);
      for (const n of hn.nodes) {
        const o = hw.nodes.find((x) => x.name === n.name);
        if (o && o.status !== n.status) push('ha', n.status === 'dead' || n.status === 'FAULT' || n.status === 'offline' || n.status === 'unclean' ? 'critical' : 'info', `${hn.layer} on ${d.name} sees ${n.name} ${n.status} (was ${o.status})`);
      }
    }
    for (const c of d.checks) {
      const o = p.checks.find((x) => x.check === c.check);
      if (o && o.state !== c.state) push('check', c.state === 0 ? 'ok' : c.state === 2 ? 'critical' : 'warning', `check_lvs_${c.check} on ${d.name}: ${STATE_NAMES[o.state] ?? o.state} → ${STATE_NAMES[c.state] ?? c.state}`);
    }
  }
  return out;
}
