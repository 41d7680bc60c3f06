/**
 * The status page's HTML: server-rendered, no JavaScript, refreshed by <meta http-equiv="refresh">.
 * Look before read: who holds each VIP and which real server is down are big coloured badges
 * (green / amber / red); the tables come after. Every string from outside (host names, check
 * summaries, errors, the deployment) goes through esc().
 */
import type { Point, StatusEvent, StatusHistory } from './history';
import type { DirectorStatus, RealServerStatus, ServiceStatus, StatusSnapshot } from './model';
import { STATE_NAMES } from './model';

export function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const time = (at: number) => `${new Date(at).toISOString().slice(11, 19)} UTC`;
/** When a value was read (the page is rendered once per gather and shared: no "ago" here). */
const ago = (at: number | undefined, _now?: number): string => (at === undefined ? 'not read' : time(at));

type Tone = 'ok' | 'warn' | 'crit' | 'idle' | 'info';
const badge = (tone: Tone, text: string, extra = '') => `<span class="badge ${tone}${extra ? ` ${extra}` : ''}">${text}</span>`;
const CHECK_TONES: Tone[] = ['ok', 'warn', 'crit', 'warn'];

const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f4f6f8;color:#1f2328}
header{background:#1f2328;color:#fff;padding:10px 20px;display:flex;flex-wrap:wrap;gap:16px;align-items:baseline}
header h1{font-size:20px;margin:0}header .meta{font-size:13px;color:#c9d1d9}header a{color:#9ecbff}
main{padding:14px 20px;max-width:1400px}
h2{font-size:16px;margin:18px 0 8px;text-transform:uppercase;letter-spacing:.05em;color:#57606a}
.row{display:flex;flex-wrap:wrap;gap:12px}
.card{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:12px 14px;min-width:260px}
.badge{display:inline-block;border-radius:6px;padding:2px 8px;font-weight:700;color:#fff;font-size:13px}
.ok{background:#1a7f37}.warn{background:#bf8700}.crit{background:#cf222e}.idle{background:#6e7781}.info{background:#0969da}
.big{font-size:22px;padding:6px 14px}
.vip{display:flex;align-items:center;gap:14px;font-size:18px}
.vip .addr{font-family:ui-monospace,monospace;font-weight:700}
.director{border-width:3px;min-width:300px}.director.holder{border-color:#1a7f37;box-shadow:0 0 0 3px #1a7f3733}
.director .name{font-size:22px;font-weight:800}
.crown{font-size:13px;font-weight:800;color:#1a7f37;letter-spacing:.06em}
.small{font-size:12px;color:#57606a}
.err{color:#cf222e;font-size:13px;word-break:break-word}
.tiles{display:flex;flex-wrap:wrap;gap:8px;margin:8px 0}
.tile{border-radius:8px;padding:8px 10px;color:#fff;min-width:150px}
.tile .st{font-size:18px;font-weight:800;letter-spacing:.04em}.tile .who{font-family:ui-monospace,monospace;font-size:13px}
.tile .n{font-size:12px;opacity:.95}
.banner{border-radius:6px;padding:6px 10px;color:#fff;font-weight:800;margin:6px 0}
table{border-collapse:collapse;font-size:13px;background:#fff}
td,th{border:1px solid #d0d7de;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa}
.num{text-align:right;font-variant-numeric:tabular-nums}
.spark{display:inline-flex;flex-direction:column;margin-right:14px}
ul.timeline{list-style:none;padding:0;margin:0;background:#fff;border:1px solid #d0d7de;border-radius:8px;max-height:420px;overflow:auto}
ul.timeline li{padding:4px 10px;border-bottom:1px solid #eaeef2;font-size:13px}
ul.timeline li .badge{font-size:11px;margin-right:8px}
`;

/** What the directors that were read say of `name` through their HA layer (Heartbeat's node status). */
function seenBy(s: StatusSnapshot, name: string): { by: string; status: string }[] {
  const out: { by: string; status: string }[] = [];
  for (const x of s.directors) for (const n of x.ha.value?.nodes ?? []) if (n.name === name && !n.local) out.push({ by: x.name, status: n.status });
  return out;
}

function directorTone(s: StatusSnapshot, d: DirectorStatus, holds: boolean): { tone: Tone; text: string } {
  if (d.read === 'not-read') {
    if (holds) return { tone: 'ok', text: 'ACTIVE (per HA)' };
    const seen = seenBy(s, d.name);
    if (seen.some((x) => x.status === 'dead' || x.status === 'offline' || x.status === 'unclean')) return { tone: 'crit', text: 'DEAD (per HA)' };
    if (seen.some((x) => x.status === 'active' || x.status === 'up' || x.status === 'online' || x.status === 'standby')) return { tone: 'info', text: 'STANDBY (per HA)' };
    return { tone: 'idle', text: 'NOT READ' };
  }
  const ha = d.ha.value;
  const down = !d.vips.value && !ha && !d.ipvs.value;
  if (down) return { tone: 'crit', text: 'UNREACHABLE' };
  if (ha && ha.daemon !== 'running') return { tone: 'crit', text: `${ha.layer.toUpperCase()} ${ha.daemon.toUpperCase()}` };
  if (holds) return { tone: 'ok', text: 'ACTIVE' };
  return { tone: 'info', text: 'STANDBY' };
}

function haStatusTone(s: string): Tone {
  if (s === 'active' || s === 'up' || s === 'MASTER' || s === 'online') return 'ok';
  if (s === 'BACKUP' || s === 'standby') return 'info';
  if (s === 'dead' || s === 'FAULT' || s === 'offline' || s === 'unclean') return 'crit';
  return 'warn';
}

function directorCard(s: StatusSnapshot, d: DirectorStatus, now: number): string {
  const held = s.vips.filter((v) => v.holders.includes(d.name));
  const t = directorTone(s, d, held.length > 0);
  const parts: string[] = [];
  parts.push(`<div class="card director${held.length ? ' holder' : ''}" data-director="${esc(d.name)}" data-holder="${held.length ? 'yes' : 'no'}">`);
  parts.push(`<div class="name">${esc(d.name)}${d.local ? ' <span class="small">(this exporter)</span>' : ''}</div>`);
  parts.push(`<div class="small">${esc(d.address)} · ${d.read === 'local' ? 'read here' : d.read === 'ssh' ? 'read over SSH' : 'not read'}</div>`);
  parts.push(`<div style="margin:8px 0">${badge(t.tone, esc(t.text), 'big')}</div>`);
  if (held.length) parts.push(`<div class="crown">★ HOLDS ${held.map((v) => esc(v.address)).join(', ')}${held.some((v) => v.how === 'ha') ? ' (per the HA layer)' : ''}</div>`);
  if (d.note) parts.push(`<div class="small">${esc(d.note)}</div>`);
  if (d.read === 'not-read')
    for (const x of seenBy(s, d.name)) parts.push(`<div style="margin-top:6px">${esc(s.haLayer)} on ${esc(x.by)} sees it ${badge(haStatusTone(x.status), esc(x.status))}</div>`);
  const ha = d.ha;
  if (ha.value) {
    const nodes = ha.value.nodes.map((n) => `${esc(n.name)}${n.local ? ' (self)' : ''} ${badge(haStatusTone(n.status), esc(n.status))}${n.holdsVip ? ' ★VIP' : ''}`).join(' ');
    parts.push(`<div style="margin-top:6px">${esc(ha.value.layer)}: ${badge(ha.value.daemon === 'running' ? 'ok' : 'crit', esc(ha.value.daemon))} ${nodes}</div>`);
    parts.push(`<div class="small">sees: ${esc(ha.value.detail)} · read ${esc(ago(ha.at, now))}</div>`);
  } else if (d.read !== 'not-read') parts.push(`<div class="err">HA layer: ${esc(ha.error ?? 'not read')}</div>`);
  const sy = d.sync;
  if (sy.value) {
    const roles = (['master', 'backup'] as const).map((r) => {
      const x = sy.value!.daemons.find((y) => y.role === r);
      return `${r} ${x ? badge('ok', `syncid ${esc(x.syncid)}`) : badge('idle', 'off')}`;
    });
    parts.push(`<div style="margin-top:6px">sync: ${roles.join(' ')} · LOCAL <b>${esc(sy.value.local)}</b> · SYNC <b>${esc(sy.value.sync)}</b></div>`);
    parts.push(`<div class="small">read ${esc(ago(sy.at, now))}${sy.value.note ? ` · ${esc(sy.value.note)}` : ''}</div>`);
  } else if (d.read !== 'not-read') parts.push(`<div class="err">sync: ${esc(sy.error ?? 'not read')}</div>`);
  const ipvs = d.ipvs.value;
  if (ipvs) parts.push(`<div style="margin-top:6px">IPVS: <b>${esc(ipvs.services)}</b> service${ipvs.services === 1 ? '' : 's'}${ipvs.cps !== undefined ? ` · <b>${esc(ipvs.cps)}</b> new conn/s` : ''} <span class="small">read ${esc(ago(d.ipvs.at))}</span></div>`);
  if (d.vips.error && d.read !== 'not-read') parts.push(`<div class="err">VIP: ${esc(d.vips.error)}</div>`);
  if (d.ipvs.error && d.read !== 'not-read') parts.push(`<div class="err">IPVS: ${esc(d.ipvs.error)}</div>`);
  parts.push('</div>');
  return parts.join('\n');
}

const RS_TONE: Record<RealServerStatus['state'], Tone> = { live: 'ok', drained: 'warn', failed: 'crit', removed: 'crit', unknown: 'idle' };

function tile(r: RealServerStatus): string {
  const tone: Tone = r.fallback ? (r.state === 'live' ? 'info' : 'idle') : RS_TONE[r.state];
  const label = r.fallback ? `FALLBACK ${r.state === 'live' ? 'ON' : 'OFF'}` : r.state.toUpperCase();
  const nums =
    r.weight === undefined
      ? r.state === 'unknown'
        ? 'holder\'s table not read'
        : 'not in the IPVS table'
      : `weight ${esc(r.weight)} · act ${esc(r.active)} · inact ${esc(r.inactive)}${r.rate !== undefined ? ` · ${esc(r.rate)} conn/s` : ''}`;
  return `<div class="tile ${tone}" data-rs="${esc(r.address)}:${esc(r.port)}" data-state="${esc(r.fallback ? 'fallback' : r.state)}"><div class="st">${esc(label)}</div><div class="who">${r.name ? `${esc(r.name)} ` : ''}${esc(r.address)}:${esc(r.port)}</div><div class="n">${nums}</div></div>`;
}

/** An inline SVG sparkline (no script): `pick` of each point, scaled to the box. */
export function sparkline(points: Point[], pick: (p: Point) => number, colour: string, title: string): string {
  const w = 180;
  const h = 36;
  if (points.length < 2) return `<svg width="${w}" height="${h}" role="img" aria-label="${esc(title)}: not enough history yet"><text x="4" y="22" font-size="11" fill="#6e7781">collecting…</text></svg>`;
  const t0 = points[0]!.at;
  const t1 = points[points.length - 1]!.at;
  const max = Math.max(1, ...points.map(pick));
  const xy = points.map((p) => `${(((p.at - t0) / Math.max(1, t1 - t0)) * (w - 4) + 2).toFixed(1)},${(h - 3 - (pick(p) / max) * (h - 6)).toFixed(1)}`).join(' ');
  return `<svg width="${w}" height="${h}" role="img" aria-label="${esc(title)}"><polyline fill="none" stroke="${colour}" stroke-width="2" points="${xy}"/></svg>`;
}

function serviceCard(svc: ServiceStatus, hist: StatusHistory, now: number): string {
  const tone: Tone = svc.live === 0 ? 'crit' : svc.live < svc.total ? 'warn' : 'ok';
  const pts = hist.series(svc.key);
  const parts: string[] = [];
  parts.push(`<div class="card" data-service="${esc(svc.key)}" style="flex:1 1 520px">`);
  parts.push(`<div style="display:flex;gap:10px;align-items:center;flex-wrap:wrap"><b style="font-size:17px">${esc(svc.label)}</b>${svc.name ? ` <span class="small">${esc(svc.name)}</span>` : ''} ${badge(tone, `${esc(svc.live)}/${esc(svc.total)} LIVE`, 'big')}</div>`);
  if (svc.fallbackEngaged) parts.push(`<div class="banner crit" data-fallback="engaged">FALLBACK ENGAGED: every real server is down, clients get the sorry page</div>`);
  parts.push(`<div class="small">${svc.director ? `table of ${esc(svc.director)}` : 'no table'}${svc.scheduler ? ` · ${esc(svc.scheduler)}` : ''} · read ${esc(ago(svc.at, now))}${svc.note ? ` · ${esc(svc.note)}` : ''}</div>`);
  parts.push(`<div class="tiles">${svc.realServers.map(tile).join('')}</div>`);
  const last = pts[pts.length - 1];
  parts.push(
    `<div><span class="spark">${sparkline(pts, (p) => p.live, '#1a7f37', `live real servers of ${svc.label}`)}<span class="small">live real servers${last ? ` (now ${esc(last.live)})` : ''}</span></span>` +
      `<span class="spark">${sparkline(pts, (p) => p.connections, '#0969da', `connections of ${svc.label}`)}<span class="small">connections${last ? ` (now ${esc(last.connections)})` : ''}</span></span></div>`,
  );
  parts.push('</div>');
  return parts.join('\n');
}

const EV_TONE: Record<StatusEvent['severity'], Tone> = { ok: 'ok', warning: 'warn', critical: 'crit', info: 'info' };

export interface RenderOptions {
  /** Seconds between refreshes (meta refresh). */
  refresh: number;
  /** Seconds between background gathers (0 or absent: only when asked). */
  sample?: number;
  now?: number;
}

export function renderStatusHtml(s: StatusSnapshot, hist: StatusHistory, o: RenderOptions): string {
  const now = o.now ?? Date.now();
  const out: string[] = [];
  out.push(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="${esc(Math.max(1, Math.round(o.refresh)))}">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(s.deployment)}: LVS status</title><style>${STYLE}</style></head><body>
<header><h1>${esc(s.deployment)}: LVS status</h1><span class="meta">read ${esc(time(s.at))} in ${esc(((s.at - s.startedAt) / 1000).toFixed(1))} s · refreshes every ${esc(o.refresh)} s · HA ${esc(s.haLayer)} · lvsha ${esc(s.version)}</span>
<span class="meta"><a href="status?format=json">JSON</a> · <a href="metrics">/metrics</a> · <a href="./">home</a></span></header><main>`);

  out.push('<h2>Virtual IPs</h2><div class="row">');
  for (const v of s.vips) {
    const tone: Tone = v.holders.length === 1 ? 'ok' : 'crit';
    const who = v.holders.length === 0 ? 'NO DIRECTOR' : v.holders.length > 1 ? `SPLIT BRAIN: ${v.holders.map(esc).join(' + ')}` : esc(v.holders[0]);
    out.push(
      `<div class="card vip" data-vip="${esc(v.address)}" data-holders="${esc(v.holders.join(','))}"><span class="addr">${esc(v.address)}</span> → ${badge(tone, who, 'big')}${v.how === 'ha' ? ' <span class="small">per the HA layer (holder not read)</span>' : v.how === 'unknown' ? ' <span class="small">unknown: holders not read</span>' : ''}</div>`,
    );
  }
  out.push('</div>');

  out.push('<h2>Directors</h2><div class="row">');
  for (const d of s.directors) out.push(directorCard(s, d, now));
  out.push('</div>');

  out.push('<h2>Virtual services</h2><div class="row">');
  for (const svc of s.services) out.push(serviceCard(svc, hist, now));
  if (!s.services.length) out.push('<div class="card">The deployment has no virtual service and no holder\'s table lists one.</div>');
  out.push('</div>');

  out.push('<h2>Checks</h2><table><tr><th>director</th><th>check</th><th>verdict</th><th>summary</th><th>read</th></tr>');
  for (const d of s.directors)
    for (const c of d.checks)
      out.push(
        `<tr data-check="${esc(d.name)}/${esc(c.check)}"><td>${esc(d.name)}</td><td>check_lvs_${esc(c.check)}</td><td>${badge(CHECK_TONES[c.state] ?? 'warn', esc(STATE_NAMES[c.state] ?? c.state))}</td><td>${esc(c.summary)}</td><td>${esc(ago(c.at, now))}</td></tr>`,
      );
  out.push('</table>');

  const tl = hist.timeline();
  out.push(`<h2>Timeline</h2><p class="small">Kept in this exporter's memory only (last ${esc(Math.round(hist.maxAgeMs / 60000))} min at most): history starts at exporter start, ${esc(time(hist.since))}, and grows at each gather: ${o.sample ? `every ${esc(o.sample)} s in the background and ` : ''}when this page is read.</p>`);
  if (tl.length) out.push(`<ul class="timeline">${tl.map((e) => `<li data-event="${esc(e.kind)}">${badge(EV_TONE[e.severity], esc(time(e.at)))}${esc(e.text)}</li>`).join('')}</ul>`);
  else out.push('<ul class="timeline"><li>no change seen yet</li></ul>');
  out.push('</main></body></html>\n');
  return out.join('\n');
}
