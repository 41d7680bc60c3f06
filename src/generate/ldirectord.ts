/**
 * ldirectord's file per virtual service, /etc/ha.d/conf/NAME.cf, started by Heartbeat
 * (`ldirectord::NAME.cf` in haresources) on the director that holds the VIP.
 */
import { Deployment, VirtualService } from '../model/types';
import { GeneratedFile, MODE_CONFIG, header, hostPort, isV6, lines } from './common';

/**
 * ldirectord ends a virtual block at the first line that is not indented by a tab or four
 * spaces (the article's flat block would not parse), so every option is tab-indented.
 * IPv6 services use ldirectord's `virtual6`/`real6`/`fallback6` keywords.
 */
export function ldirectordCf(d: Deployment, s: VirtualService): string {
  const v6 = isV6(s.address);
  const six = v6 ? '6' : '';
  const virtual = s.protocol === 'fwm' ? String(s.fwmark) : hostPort(s.address!, s.port!);
  const opt = (k: string, v: string) => `\t${k} = ${v}`;
  return lines(
    header(d, `/etc/ha.d/conf/${s.name}.cf: ldirectord, started by Heartbeat (haresources: ldirectord::${s.name}.cf).`).trimEnd(),
    '# Options of a virtual block must be indented (tab or 4 spaces).',
    `virtual${six} = ${virtual}`,
    opt('protocol', s.protocol),
    opt('scheduler', s.scheduler),
    ...s.realServers.map((r) => opt(`real${six}`, `${hostPort(r.address, r.port)} ${r.forwarding} ${r.weight}`)),
    opt('checktype', s.checktype),
    opt('quiescent', s.quiescent ? 'yes' : 'no'),
    s.persistent !== undefined && opt('persistent', String(s.persistent)),
    s.persistent !== undefined && s.persistentNetmask !== undefined && opt('netmask', s.persistentNetmask),
    s.fallback && opt(`fallback${six}`, hostPort(s.fallback.address, s.fallback.port)),
  );
}

export function ldirectordFiles(d: Deployment): GeneratedFile[] {
  return d.directors.flatMap((dir) =>
    d.services.map((s) => ({ host: dir.name, path: `/etc/ha.d/conf/${s.name}.cf`, mode: MODE_CONFIG, content: ldirectordCf(d, s) })),
  );
}
