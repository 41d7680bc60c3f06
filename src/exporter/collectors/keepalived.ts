import type { Registry } from 'prom-client';
import { keepalivedOf } from '../../model/ha';
import type { VrrpStats } from '../../parsers/keepalived';
import { KEEPALIVED_FILES, probeKeepalived } from '../../probes/keepalived';
import { Collector, remainingMs, ScrapeEnv } from '../collector';
import { counterLike, gauge, setEnum } from '../metrics';

const DAEMON_STATES = ['running', 'stopped', 'hung', 'refused', 'nobus'] as const;
const VRRP_STATES = ['INIT', 'BACKUP', 'MASTER', 'FAULT'] as const;

/** keepalived-exporter's counter names (prefixed lvsha_), one per field of the JSON dump's stats. */
const COUNTERS: [keyof VrrpStats, string, string][] = [
  ['advertRcvd', 'advertisements_received_total', 'VRRP advertisements received.'],
  ['advertSent', 'advertisements_sent_total', 'VRRP advertisements sent.'],
  ['becomeMaster', 'become_master_total', 'Transitions to MASTER.'],
  ['releaseMaster', 'release_master_total', 'Transitions out of MASTER.'],
  ['packetLenErr', 'packet_length_errors_total', 'Advertisements of a bad length.'],
  ['advertIntervalErr', 'advertisements_interval_errors_total', 'Advertisements with another advert_int.'],
  ['ipTtlErr', 'ip_ttl_errors_total', 'Advertisements with a TTL other than 255.'],
  ['invalidTypeRcvd', 'invalid_type_received_total', 'Packets of an unknown VRRP type.'],
  ['addrListErr', 'address_list_errors_total', 'Advertisements whose address list differs from ours.'],
  ['invalidAuthtype', 'authentication_invalid_total', 'Advertisements with an unknown authentication type.'],
  ['authtypeMismatch', 'authentication_mismatch_total', 'Advertisements with another authentication type.'],
  ['authFailure', 'authentication_failure_total', 'Advertisements failing authentication.'],
  ['priZeroRcvd', 'priority_zero_received_total', 'Priority 0 advertisements received (the MASTER leaving).'],
  ['priZeroSent', 'priority_zero_sent_total', 'Priority 0 advertisements sent.'],
];

/**
 * keepalived's VRRP as this director's keepalived gives it (JSON dump: root, or --sudo; the
 * exporter's `--keepalived-method dbus` for state only without root). A dead or hung daemon is
 * lvsha_keepalived_up 0 and no instance series: never a stale MASTER.
 */
export const keepalivedCollector: Collector = {
  name: 'keepalived',
  async collect(env: ScrapeEnv, reg: Registry): Promise<void> {
    const k = keepalivedOf(env.deployment);
    const method = env.programs['keepalived-method'] === 'dbus' ? 'dbus' : 'json';
    const s = await probeKeepalived(env.source, {
      method,
      ...KEEPALIVED_FILES,
      kill: env.programs.kill ?? 'kill',
      stat: env.programs.stat ?? 'stat',
      dbusSend: env.programs['dbus-send'] ?? 'dbus-send',
      instances: [{ name: k.instance, interface: env.deployment.directors[0]?.interface ?? 'eth0', vrid: k.vrid }],
      captured: false,
      deadline: Date.now() + remainingMs(env),
    });
    gauge(reg, 'lvsha_keepalived_up', 'Whether keepalived runs on this director and answered this scrape (1) or not (0).').set(s.daemon === 'running' ? 1 : 0);
    setEnum(gauge(reg, 'lvsha_keepalived_daemon_state', 'State of the local keepalived, one series per state (1 on the current one).', ['state']), {}, DAEMON_STATES, s.daemon);
    if (s.daemon !== 'running') return;
    const labels = ['iname', 'intf', 'vrid'] as const;
    const state = gauge(reg, 'lvsha_keepalived_vrrp_state', 'VRRP state of each instance, one series per state (1 on the current one).', [...labels, 'state']);
    for (const i of s.instances) {
      const d = i.dump;
      const l = { iname: i.name, intf: d?.interface ?? env.deployment.directors[0]?.interface ?? '', vrid: String(d?.vrid ?? k.vrid) };
      setEnum(state, l, VRRP_STATES, i.state);
      if (!d) continue;
      gauge(reg, 'lvsha_keepalived_vrrp_priority', 'Effective VRRP priority (base priority moved by tracked scripts and interfaces).', labels).set(l, d.effectivePriority);
      gauge(reg, 'lvsha_keepalived_vrrp_base_priority', 'Configured VRRP priority.', labels).set(l, d.basePriority);
      gauge(reg, 'lvsha_keepalived_vrrp_last_transition_timestamp_seconds', 'When the instance last changed state, seconds since the epoch.', labels).set(l, d.lastTransition);
      for (const [key, name, help] of COUNTERS) counterLike(reg, `lvsha_keepalived_${name}`, help, labels).set(l, d.stats[key]);
      const failed = gauge(reg, 'lvsha_keepalived_script_failed', 'Tracked scripts of an instance that are not GOOD (read only when its priority dropped).', [...labels, 'script']);
      for (const f of i.failedScripts ?? []) failed.set({ ...l, script: f.name }, 1);
    }
  },
};
