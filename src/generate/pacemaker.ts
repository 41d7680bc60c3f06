/**
 * `--stack pacemaker`: the cluster configuration of the reference deployment for Corosync 3 +
 * Pacemaker 2 (Debian 12: corosync 3.1, pacemaker 2.1, crmsh 4.4), on every director:
 * - /etc/corosync/corosync.conf: knet with crypto, the directors as nodelist, votequorum
 *   (two_node with two directors);
 * - /etc/corosync/authkey: the shared key, derived from the run's secret (mode 0400);
 * - /etc/lvsha/pacemaker.crm: the resources as a crmsh script (`crm configure load update FILE`
 *   on one node);
 * - /etc/lvsha/pacemaker-cib.xml: the same configuration as a whole CIB (`crm_verify
 *   --xml-file`, or `cibadmin --replace --scope configuration`).
 * Everything Pacemaker-specific comes from pacemakerOf (src/model/ha.ts), which the checks read
 * too. Pure: the same deployment and options give byte-identical files.
 */
import { createHmac } from 'node:crypto';
import { pacemakerOf } from '../model/ha';
import { Deployment, PacemakerConfig, VirtualService } from '../model/types';
import { GeneratedFile, GenerateOptions, MODE_CONFIG, header, lines, vipInterface } from './common';

export const COROSYNC_CONF = '/etc/corosync/corosync.conf';
export const COROSYNC_AUTHKEY = '/etc/corosync/authkey';
export const PACEMAKER_CRM = '/etc/lvsha/pacemaker.crm';
export const PACEMAKER_CIB = '/etc/lvsha/pacemaker-cib.xml';
/** corosync reads its key file as it is (any bytes); knet wants 128 to 4096 bytes. */
export const AUTHKEY_BYTES = 256;
export const MODE_AUTHKEY = 0o400;
/** The CIB schema of Pacemaker 2.1.5 (Debian 12), as `cibadmin --empty` writes it. */
export const CIB_SCHEMA = 'pacemaker-3.9';

/** The ldirectord configuration file a service's resource names (ldirectordFiles writes it). */
export const ldirectordConfigFile = (s: VirtualService): string => `/etc/ha.d/conf/${s.name}.cf`;

/** One resource per service: the first is the deployment's ldirectord id, the others get the service name appended. */
export function ldirectordResources(d: Deployment, p: PacemakerConfig = pacemakerOf(d)): { id: string; configfile: string }[] {
  return d.services.map((s, i) => ({ id: i === 0 ? p.ldirectordResource : `${p.ldirectordResource}-${s.name}`, configfile: ldirectordConfigFile(s) }));
}

/**
 * corosync's authkey from the run's secret: HMAC-SHA512 blocks, hex, AUTHKEY_BYTES long. The
 * key is as strong as the secret (by default 32 random bytes); every director of one run gets
 * the same key, and `--authkey-file` gives the same key again on a later run.
 */
export function corosyncAuthkey(secret: string): string {
  let out = '';
  for (let i = 0; out.length < AUTHKEY_BYTES; i++) out += createHmac('sha512', secret).update(`lvsha corosync authkey ${i}`).digest('hex');
  return out.slice(0, AUTHKEY_BYTES);
}

export function corosyncConf(d: Deployment): string {
  const p = pacemakerOf(d);
  const two = d.directors.length === 2;
  return lines(
    header(d, `${COROSYNC_CONF}: Corosync 3 (identical on all directors; check: corosync -t).`).trimEnd(),
    'totem {',
    '    version: 2',
    `    cluster_name: ${p.clusterName}`,
    '    transport: knet',
    '    # Every packet encrypted and signed with the shared key below (mode 0400, identical on all).',
    '    crypto_cipher: aes256',
    '    crypto_hash: sha256',
    `    keyfile: ${COROSYNC_AUTHKEY}`,
    '}',
    '',
    '# Node names must equal `uname -n` on each director (Pacemaker names its nodes by them).',
    'nodelist {',
    ...d.directors.flatMap((x, i) => ['    node {', `        ring0_addr: ${x.address}`, `        name: ${x.name}`, `        nodeid: ${i + 1}`, '    }']),
    '}',
    '',
    'quorum {',
    '    provider: corosync_votequorum',
    ...(two
      ? [
          '    # Two nodes: the survivor of a crash keeps quorum (and wait_for_all: at first start both',
          '    # must have met). A cut link leaves BOTH quorate: without fencing both take the VIP.',
          '    two_node: 1',
        ]
      : []),
    '}',
    '',
    'logging {',
    '    to_logfile: yes',
    '    logfile: /var/log/corosync/corosync.log',
    '    to_syslog: yes',
    '    timestamp: on',
    '}',
  );
}

/** `eth0:0` → iflabel `0` (IPaddr2 labels the address `nic:iflabel`, as Heartbeat's IPaddr did). */
function iflabel(label: string | undefined): string | undefined {
  return label?.includes(':') ? label.split(':').slice(1).join(':') : undefined;
}

interface Primitive {
  id: string;
  agent: 'IPaddr2' | 'ldirectord';
  params: [string, string][];
  monitor: { interval: string; timeout: string };
}

/** The resources in group order: the VIPs (IPaddr2), then ldirectord, as haresources had them. */
export function primitives(d: Deployment, p: PacemakerConfig = pacemakerOf(d)): Primitive[] {
  const vips: Primitive[] = d.vips.map((v, i) => {
    const lbl = iflabel(v.label);
    return {
      id: p.vipResources[i]!,
      agent: 'IPaddr2',
      params: [['ip', v.address], ['cidr_netmask', String(v.prefix)], ['nic', vipInterface(d, v.label)], ...(lbl !== undefined ? [['iflabel', lbl] as [string, string]] : [])],
      monitor: { interval: '10s', timeout: '20s' },
    };
  });
  // ldirectord's own advice (its meta-data): monitor every 20 s, 10 s timeout; status is costly.
  const lds: Primitive[] = ldirectordResources(d, p).map((r) => ({ id: r.id, agent: 'ldirectord', params: [['configfile', r.configfile]], monitor: { interval: '20s', timeout: '10s' } }));
  return [...vips, ...lds];
}

const preferredOf = (d: Deployment) => d.directors.find((x) => x.name === d.heartbeat.preferred)?.name;

/** XML comments may not hold `--` (libxml2 only recovers, lxml and crmsh refuse): `- -`. */
const xmlComment = (s: string) => s.replace(/-(?=-)/g, '- ');

const FENCING_RISK = [
  'RISK: fencing (STONITH) is off. With two nodes and a cut Corosync link both nodes stay quorate',
  '(two_node) and both start the group: two directors answer ARP for the VIP. check_lvs_pacemaker',
  'reports this setting; configure a fence device and set stonith-enabled=true where you can.',
];

export function pacemakerCrm(d: Deployment): string {
  const p = pacemakerOf(d);
  const prims = primitives(d, p);
  const pref = preferredOf(d);
  return lines(
    // crmsh stores these comments in the CIB as XML comments: no `--` (it refuses the script)
    xmlComment(header(d, `${PACEMAKER_CRM}: the Pacemaker resources (on one node: crm configure load update ${PACEMAKER_CRM}).`).trimEnd()),
    ...FENCING_RISK.map((l) => `# ${l}`),
    'property cib-bootstrap-options: \\',
    '\tstonith-enabled=false \\',
    '\tno-quorum-policy=stop',
    `rsc_defaults rsc-options: \\`,
    `\tresource-stickiness=${p.stickiness}`,
    ...prims.flatMap((x) => [
      `primitive ${x.id} ocf:heartbeat:${x.agent} \\`,
      `\tparams ${x.params.map(([k, v]) => `${k}=${v}`).join(' ')} \\`,
      `\top monitor interval=${x.monitor.interval} timeout=${x.monitor.timeout}`,
    ]),
    `group ${p.group} ${prims.map((x) => x.id).join(' ')}`,
    ...(pref ? [`location prefer-${pref} ${p.group} ${p.preferredScore}: ${pref}`] : []),
  );
}

const xmlAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const nv = (id: string, name: string, value: string) => `<nvpair id="${xmlAttr(`${id}-${name}`)}" name="${xmlAttr(name)}" value="${xmlAttr(value)}"/>`;

export function pacemakerCib(d: Deployment): string {
  const p = pacemakerOf(d);
  const prims = primitives(d, p);
  const pref = preferredOf(d);
  const a = xmlAttr;
  return lines(
    `<cib crm_feature_set="3.16.1" validate-with="${CIB_SCHEMA}" epoch="1" num_updates="0" admin_epoch="0">`,
    `  <!-- ${xmlComment(header(d, `${PACEMAKER_CIB}: the Pacemaker configuration as a CIB (check: crm_verify --xml-file FILE).`).replace(/^# /gm, '').trimEnd().replace(/\n/g, '\n       '))} -->`,
    '  <configuration>',
    '    <crm_config>',
    `      <!-- ${xmlComment(FENCING_RISK.join('\n           '))} -->`,
    '      <cluster_property_set id="cib-bootstrap-options">',
    `        ${nv('cib-bootstrap-options', 'stonith-enabled', 'false')}`,
    `        ${nv('cib-bootstrap-options', 'no-quorum-policy', 'stop')}`,
    '      </cluster_property_set>',
    '    </crm_config>',
    '    <nodes/>',
    '    <resources>',
    `      <group id="${a(p.group)}">`,
    ...prims.flatMap((x) => [
      `        <primitive id="${a(x.id)}" class="ocf" provider="heartbeat" type="${x.agent}">`,
      `          <instance_attributes id="${a(x.id)}-instance_attributes">`,
      ...x.params.map(([k, v]) => `            ${nv(`${x.id}-instance_attributes`, k, v)}`),
      '          </instance_attributes>',
      '          <operations>',
      `            <op name="monitor" interval="${x.monitor.interval}" timeout="${x.monitor.timeout}" id="${a(x.id)}-monitor-${x.monitor.interval}"/>`,
      '          </operations>',
      '        </primitive>',
    ]),
    '      </group>',
    '    </resources>',
    ...(pref ? ['    <constraints>', `      <rsc_location id="prefer-${a(pref)}" rsc="${a(p.group)}" score="${p.preferredScore}" node="${a(pref)}"/>`, '    </constraints>'] : ['    <constraints/>']),
    '    <rsc_defaults>',
    '      <meta_attributes id="rsc-options">',
    `        ${nv('rsc-options', 'resource-stickiness', String(p.stickiness))}`,
    '      </meta_attributes>',
    '    </rsc_defaults>',
    '  </configuration>',
    '  <status/>',
    '</cib>',
  );
}

export function pacemakerFiles(d: Deployment, o: GenerateOptions): GeneratedFile[] {
  const conf = corosyncConf(d);
  const key = corosyncAuthkey(o.authKey);
  const crm = pacemakerCrm(d);
  const cib = pacemakerCib(d);
  return d.directors.flatMap((dir) => [
    { host: dir.name, path: COROSYNC_CONF, mode: MODE_CONFIG, content: conf },
    { host: dir.name, path: COROSYNC_AUTHKEY, mode: MODE_AUTHKEY, content: key },
    { host: dir.name, path: PACEMAKER_CRM, mode: MODE_CONFIG, content: crm },
    { host: dir.name, path: PACEMAKER_CIB, mode: MODE_CONFIG, content: cib },
  ]);
}
