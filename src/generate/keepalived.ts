/**
 * `--stack keepalived`: the same deployment as one /etc/keepalived/keepalived.conf per
 * director (keepalived 2.2 syntax): VRRP in unicast between the directors instead of
 * Heartbeat, virtual_server blocks instead of ldirectord, and keepalived's own
 * `lvs_sync_daemon`, which follows the VRRP state (master on MASTER, backup on BACKUP).
 */
import { keepalivedOf } from '../model/ha';
import { Deployment, Director, KeepalivedConfig, VirtualService } from '../model/types';
import { GeneratedFile, GenerateOptions, MODE_SECRET, header, isV6, lines, vipInterface } from './common';

/**
 * The VRRP instance the files describe: the deployment's (src/model/ha.ts keepalivedOf, the
 * defaults the checks expect too), with --vrid when given.
 */
export function vrrpInstance(d: Deployment, o: Pick<GenerateOptions, 'vrid'>): KeepalivedConfig {
  const k = keepalivedOf(d);
  return o.vrid !== undefined ? { ...k, vrid: o.vrid } : k;
}

/** ldirectord's check types in keepalived's terms: negotiate → HTTP_GET, ping → PING_CHECK, else a connect. */
function checkBlock(s: VirtualService, port: number): string[] {
  if (s.checktype === 'negotiate' && s.protocol === 'tcp')
    return ['        HTTP_GET {', '            url {', '                path /', '                status_code 200', '            }', `            connect_port ${port}`, '            connect_timeout 3', '        }'];
  if (s.checktype === 'off' || s.checktype === 'on') return [];
  if (s.checktype === 'ping') return ['        PING_CHECK {', '            connect_timeout 3', '        }'];
  const kind = s.protocol === 'udp' ? 'UDP_CHECK' : 'TCP_CHECK';
  return [`        ${kind} {`, `            connect_port ${port}`, '            connect_timeout 3', '        }'];
}

function virtualServer(s: VirtualService): string[] {
  const head = s.protocol === 'fwm' ? `virtual_server fwmark ${s.fwmark}` : `virtual_server ${s.address} ${s.port}`;
  const lbKind = (f: string) => (f === 'gate' ? 'DR' : f === 'masq' ? 'NAT' : 'TUN');
  const kinds = [...new Set(s.realServers.map((r) => lbKind(r.forwarding)))];
  return [
    '',
    `# ${s.name}`,
    `${head} {`,
    '    delay_loop 6',
    `    lb_algo ${s.scheduler}`,
    `    lb_kind ${kinds[0] ?? 'DR'}`,
    ...(s.protocol === 'fwm' ? [] : [`    protocol ${s.protocol.toUpperCase()}`]),
    ...(s.persistent !== undefined ? [`    persistence_timeout ${s.persistent}`] : []),
    ...(s.persistent !== undefined && s.persistentNetmask ? [`    persistence_granularity ${s.persistentNetmask}`] : []),
    // quiescent = yes in ldirectord: keep a failed real server with weight 0.
    ...(s.quiescent ? ['    inhibit_on_failure'] : []),
    ...(s.fallback ? [`    sorry_server ${s.fallback.address} ${s.fallback.port}`] : []),
    ...s.realServers.flatMap((r) => [
      // a firewall-mark service has no port: keepalived wants none on its real servers
      `    real_server ${r.address}${s.protocol === 'fwm' ? '' : ` ${r.port}`} {`,
      `        weight ${r.weight}`,
      ...(kinds.length > 1 ? [`        lvs_method ${lbKind(r.forwarding)}`] : []),
      ...checkBlock(s, r.port),
      '    }',
    ]),
    '}',
  ];
}

export function keepalivedConf(d: Deployment, me: Director, o: GenerateOptions): string {
  const peers = d.directors.filter((x) => x.name !== me.name);
  const k = vrrpInstance(d, o);
  const INSTANCE = k.instance;
  const priority = k.priorities[me.name]!;
  // The highest priority starts MASTER; with nopreempt every director starts BACKUP
  // (keepalived allows nopreempt only from state BACKUP).
  const top = Math.max(...d.directors.map((x) => k.priorities[x.name] ?? 0));
  const state = priority === top && !k.nopreempt ? 'MASTER' : 'BACKUP';
  return lines(
    header(d, `/etc/keepalived/keepalived.conf on ${me.name} (keepalived 2.2; check: keepalived -t -f FILE).`).trimEnd(),
    '# Mode 0600: it holds the VRRP password.',
    'global_defs {',
    `    router_id ${me.name}`,
    `    # IPVS connection sync: master while ${INSTANCE} is MASTER, backup otherwise.`,
    `    lvs_sync_daemon ${d.sync.interface} ${INSTANCE} id ${d.sync.syncid}`,
    '}',
    '',
    `vrrp_instance ${INSTANCE} {`,
    `    state ${state}`,
    `    interface ${me.interface}`,
    `    virtual_router_id ${k.vrid}`,
    `    priority ${priority}`,
    `    advert_int ${k.advertInt}`,
    ...(k.nopreempt ? ['    nopreempt'] : []),
    `    unicast_src_ip ${me.address}`,
    '    unicast_peer {',
    ...peers.map((p) => `        ${p.address}`),
    '    }',
    '    # VRRPv2 PASS: at most 8 characters, sent in clear; it only keeps other routers out by accident.',
    '    authentication {',
    '        auth_type PASS',
    `        auth_pass ${o.authKey.slice(0, 8)}`,
    '    }',
    '    virtual_ipaddress {',
    ...d.vips.map((v) => {
      const ifc = vipInterface(d, v.label);
      const label = v.label && !isV6(v.address) ? ` label ${v.label}` : '';
      return `        ${v.address}/${v.prefix} dev ${ifc}${label}`;
    }),
    '    }',
    '}',
    ...d.services.flatMap(virtualServer),
  );
}

export function keepalivedFiles(d: Deployment, o: GenerateOptions): GeneratedFile[] {
  return d.directors.map((dir) => ({ host: dir.name, path: '/etc/keepalived/keepalived.conf', mode: MODE_SECRET, content: keepalivedConf(d, dir, o) }));
}
