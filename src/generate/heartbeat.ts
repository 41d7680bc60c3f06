/**
 * Heartbeat's three files on each director: ha.cf (differs per director: its ucast lines
 * name the peers), haresources and authkeys (identical on every director).
 */
import { ConfigError } from '../model/validate';
import { Deployment, Director } from '../model/types';
import { GeneratedFile, GenerateOptions, MODE_CONFIG, MODE_SECRET, hbTime, header, lines, vipInterface } from './common';

const col = (k: string, v: string) => `${k.padEnd(13)} ${v}`;

export function haCf(d: Deployment, me: Director): string {
  const hb = d.heartbeat;
  const peers = d.directors.filter((x) => x.name !== me.name);
  let media: string[];
  switch (hb.media) {
    case 'ucast':
      media = peers.map((p) => col('ucast', `${me.interface} ${p.address}`));
      break;
    case 'bcast':
      media = [col('bcast', me.interface)];
      break;
    default:
      // The model carries no multicast group, port or TTL: refuse rather than invent one.
      throw new ConfigError([{ severity: 'error', field: 'heartbeat.media', message: `'${hb.media}' cannot be generated (the deployment has no multicast group); use ucast or bcast` }]);
  }
  return lines(
    header(d, `/etc/ha.d/ha.cf on ${me.name}: Heartbeat's main configuration.`).trimEnd(),
    '# udpport comes before the media lines: Heartbeat warns when it follows them.',
    col('udpport', String(hb.udpport)),
    ...media,
    col('debugfile', '/var/log/ha-debug'),
    col('logfile', '/var/log/ha-log'),
    col('logfacility', 'local0'),
    '',
    col('keepalive', hbTime(hb.keepalive)),
    col('deadtime', hbTime(hb.deadtime)),
    col('warntime', hbTime(hb.warntime)),
    col('initdead', hbTime(hb.initdead)),
    '',
    ...(hb.pingNodes.length ? [col('ping', hb.pingNodes.join(' ')), ''] : []),
    '# node names must equal `uname -n` on each director',
    ...d.directors.map((x) => col('node', x.name)),
    '',
    col('auto_failback', hb.autoFailback ? 'on' : 'off'),
  );
}

/**
 * `frontal1 IPaddr::192.168.0.3/24/eth0 ldirectord::www.cf`: Heartbeat starts resources left
 * to right and stops them right to left, so the VIP is up before ldirectord and goes after it.
 */
export function haresources(d: Deployment): string {
  const ips = d.vips.map((v) => `IPaddr::${v.address}/${v.prefix}/${vipInterface(d, v.label)}`);
  const ld = d.services.map((s) => `ldirectord::${s.name}.cf`);
  return lines(
    header(d, '/etc/ha.d/haresources: the resources Heartbeat moves between the directors (identical on all).').trimEnd(),
    '# Started left to right on the active director, stopped right to left: the VIP comes up',
    '# before ldirectord and goes down after it.',
    [d.heartbeat.preferred, ...ips, ...ld].join(' '),
  );
}

/** The key line; crc has no key. */
export function authkeys(d: Deployment, o: GenerateOptions): string {
  const m = d.heartbeat.auth;
  return lines(
    header(d, '/etc/ha.d/authkeys: the key Heartbeat signs its packets with (identical on all directors, mode 0600).').trimEnd(),
    'auth 1',
    m === 'crc' ? '1 crc' : `1 ${m} ${o.authKey}`,
  );
}

export function heartbeatFiles(d: Deployment, o: GenerateOptions): GeneratedFile[] {
  const out: GeneratedFile[] = [];
  const res = haresources(d);
  const keys = authkeys(d, o);
  for (const dir of d.directors) {
    out.push({ host: dir.name, path: '/etc/ha.d/ha.cf', mode: MODE_CONFIG, content: haCf(d, dir) });
    out.push({ host: dir.name, path: '/etc/ha.d/haresources', mode: MODE_CONFIG, content: res });
    out.push({ host: dir.name, path: '/etc/ha.d/authkeys', mode: MODE_SECRET, content: keys });
  }
  return out;
}
