/**
 * The real programs accept the generated files. Each test runs when its program is
 * installed and is skipped otherwise (its name then says so). Nothing is started and the
 * network is not touched: only the programs' configuration checks run, on throwaway copies.
 *
 * Debian packages: prometheus (promtool), sudo (visudo), keepalived, ldirectord, nagios4,
 * icinga2, apache2, nginx, systemd (systemd-analyze).
 */
import { spawnSync, SpawnSyncReturns } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { planFiles } from '../../src/generate/plan';
import { writeFiles } from '../../src/generate/write';
import { referenceDeployment } from '../../src/model/reference';
import { STOCK_CFG } from '../clients/nagios';
import { otherDeployment, testOptions, tmp } from './helpers';

function which(program: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin', '/usr/bin'])) {
    const p = join(dir, program);
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

/**
 * A test that needs `program`. On a developer machine without it, skipped and saying so in its
 * name; in CI (scripts/install-deps.sh installs them all) a missing program is a failure.
 */
function withProgram(program: string, name: string, fn: (path: string) => void): void {
  const path = which(program);
  if (path) test(`${program}: ${name}`, () => fn(path));
  else if (process.env.CI) test(`${program}: ${name}`, () => {
    throw new Error(`${program} is not installed: scripts/install-deps.sh should have installed it`);
  });
  else test.skip(`${program}: ${name} [SKIPPED: ${program} is not installed]`, () => undefined);
}

const run = (argv: string[], env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> =>
  spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 60_000, env: { ...process.env, LC_ALL: 'C', ...env } });

const show = (r: SpawnSyncReturns<string>) => `status ${r.status}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

const base = tmp('real');
const tree = join(base, 'heartbeat');
const kaTree = join(base, 'keepalived');
const heartbeatTree = tree;
// another shape (udp, fwmark, negotiate, follow-role...), to reach the generators' other branches
const otherTree = join(base, 'other-heartbeat');
const otherKaTree = join(base, 'other-keepalived');
const pmTree = join(base, 'pacemaker');
beforeAll(() => {
  writeFiles(pmTree, planFiles({ ...referenceDeployment, ha: 'pacemaker' }, testOptions({ stack: 'pacemaker' })).files, { force: false });
  writeFiles(tree, planFiles(referenceDeployment, testOptions()).files, { force: false });
  writeFiles(kaTree, planFiles(referenceDeployment, testOptions({ stack: 'keepalived' })).files, { force: false });
  writeFiles(otherTree, planFiles(otherDeployment(), testOptions()).files, { force: false });
  writeFiles(otherKaTree, planFiles(otherDeployment(), testOptions({ stack: 'keepalived' })).files, { force: false });
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

const prom = () => join(tree, 'monitoring', 'etc', 'prometheus');

withProgram('promtool', 'check config (scrape configuration and its rule file)', (promtool) => {
  for (const t of [tree, otherTree, otherKaTree, pmTree]) {
    const r = run([promtool, 'check', 'config', join(t, 'monitoring', 'etc', 'prometheus', 'lvsha.yml')]);
    expect(show(r)).toMatch(/^status 0\n/);
    expect(r.stdout).toMatch(/SUCCESS: .*lvsha\.yml is valid prometheus config file syntax/);
  }
});

withProgram('promtool', 'check rules (also lints: no duplicate rules)', (promtool) => {
  for (const t of [tree, kaTree, otherTree, otherKaTree, pmTree]) {
    const r = run([promtool, 'check', 'rules', join(t, 'monitoring', 'etc', 'prometheus', 'lvsha-rules.yml')]);
    expect(show(r)).toMatch(/^status 0\n/);
    expect(r.stdout).toMatch(/SUCCESS: \d+ rules found/);
  }
});

withProgram('promtool', 'test rules: split brain, no holder and real servers down (some, all) fire on synthetic series', (promtool) => {
  const t = join(base, 'rules.test.yml');
  copyFileSync(join(prom(), 'lvsha-rules.yml'), join(base, 'lvsha-rules.yml'));
  const held = (inst: string, v: string) => `      - series: 'lvsha_vip_held{job="lvsha-directors",instance="${inst}",vip="192.168.0.3"}'\n        values: '${v}'`;
  writeFileSync(
    t,
    `rule_files: [lvsha-rules.yml]
evaluation_interval: 15s
tests:
  - interval: 15s
    input_series:
${held('f1', '1x8')}
${held('f2', '1x8')}
    alert_rule_test:
      - eval_time: 1m
        alertname: LvshaSplitBrain
        exp_alerts:
          - exp_labels: { severity: critical, vip: 192.168.0.3 }
            exp_annotations:
              summary: "Split brain: several directors hold VIP 192.168.0.3"
              description: "2 directors hold 192.168.0.3: clients are split between them. Stop Heartbeat on one, check the link between the directors."
      - eval_time: 1m
        alertname: LvshaNoVipHolder
        exp_alerts: []
  - interval: 15s
    input_series:
${held('f1', '0x8')}
${held('f2', '0x8')}
    alert_rule_test:
      - eval_time: 1m
        alertname: LvshaNoVipHolder
        exp_alerts:
          - exp_labels: { severity: critical, vip: 192.168.0.3 }
            exp_annotations:
              summary: "No director holds VIP 192.168.0.3"
              description: "No director holds 192.168.0.3: the service is down."
  - interval: 15s
    input_series:
      - series: 'lvsha_ipvs_backend_weight{job="lvsha-directors",instance="f1",local_address="192.168.0.3",local_port="80",proto="TCP",remote_address="192.168.0.4",remote_port="80",local_mark=""}'
        values: '1x10'
      - series: 'lvsha_ipvs_backend_weight{job="lvsha-directors",instance="f1",local_address="192.168.0.3",local_port="80",proto="TCP",remote_address="192.168.0.5",remote_port="80",local_mark=""}'
        values: '0x10'
    alert_rule_test:
      - eval_time: 2m
        alertname: LvshaRealServersDown
        exp_alerts:
          - exp_labels: { severity: warning, service: www, instance: f1 }
            exp_annotations:
              summary: "Real servers of www (192.168.0.3:80) are down"
              description: "Only 1 of 2 real servers of 192.168.0.3:80 take traffic on f1."
  - interval: 15s
    input_series:
      # all real servers gone (quiescent = no), only the fallback left; f2 (passive) has no table
      - series: 'lvsha_ipvs_backend_weight{job="lvsha-directors",instance="f1",local_address="192.168.0.3",local_port="80",proto="TCP",remote_address="127.0.0.1",remote_port="80",local_mark=""}'
        values: '1x10'
      - series: 'lvsha_vip_held{job="lvsha-directors",instance="f2",vip="192.168.0.3"}'
        values: '0x10'
    alert_rule_test:
      - eval_time: 2m
        alertname: LvshaRealServersDown
        exp_alerts:
          - exp_labels: { severity: warning, service: www, instance: f1 }
            exp_annotations:
              summary: "Real servers of www (192.168.0.3:80) are down"
              description: "Only 0 of 2 real servers of 192.168.0.3:80 take traffic on f1."
`,
  );
  const r = run([promtool, 'test', 'rules', t]);
  expect(show(r)).toMatch(/^status 0\n/);
});

withProgram('visudo', 'visudo -c -f on each director\'s sudoers snippet', (visudo) => {
  for (const d of ['frontal1', 'frontal2']) {
    const f = join(tree, d, 'etc', 'sudoers.d', 'lvsha');
    const r = run([visudo, '-c', '-f', f]);
    expect(show(r)).toBe(show({ ...r, status: 0, stdout: `${f}: parsed OK\n`, stderr: '' }));
  }
});

withProgram('keepalived', 'keepalived -t -f accepts each keepalived.conf (and rejects a broken one)', (keepalived) => {
  for (const t of [kaTree, otherKaTree])
    for (const d of ['frontal1', 'frontal2']) {
      const r = run([keepalived, '-t', '-l', '-f', join(t, d, 'etc', 'keepalived', 'keepalived.conf')]);
      expect(show(r)).toBe(show({ ...r, status: 0, stdout: '', stderr: '' }));
    }
  const bad = join(base, 'keepalived-bad.conf');
  writeFileSync(bad, readFileSync(join(kaTree, 'frontal1', 'etc', 'keepalived', 'keepalived.conf'), 'utf8').replace('lb_algo wlc', 'lb_algo nosuch'));
  const r = run([keepalived, '-t', '-l', '-f', bad]);
  expect(r.status).not.toBe(0);
  expect(r.stdout + r.stderr).toMatch(/Invalid lvs_scheduler 'nosuch'/);
});

/**
 * ldirectord has no config-test option; `ldirectord FILE status` parses the whole file
 * (read_config) before looking for a running instance, and starts nothing: exit 3
 * "stopped" = parsed, exit 2 "Error ... reading file" = rejected.
 */
withProgram('ldirectord', 'parses the generated www.cf (ldirectord FILE status); the article\'s flat block is rejected', (ldirectord) => {
  const cf = join(base, `lvsha-test-${process.pid}-www.cf`);
  copyFileSync(join(tree, 'frontal1', 'etc', 'ha.d', 'conf', 'www.cf'), cf);
  const r = run([ldirectord, cf, 'status']);
  expect(show(r)).toBe(show({ ...r, status: 3, stdout: `ldirectord is stopped for ${cf}\n`, stderr: '' }));
  for (const name of ['www', 'dns', 'fw']) {
    const o = join(base, `lvsha-test-${process.pid}-other-${name}.cf`);
    copyFileSync(join(otherTree, 'frontal1', 'etc', 'ha.d', 'conf', `${name}.cf`), o);
    const ro = run([ldirectord, o, 'status']);
    expect(show(ro)).toBe(show({ ...ro, status: 3, stdout: `ldirectord is stopped for ${o}\n`, stderr: '' }));
  }
  const flat = join(base, `lvsha-test-${process.pid}-flat.cf`);
  writeFileSync(flat, 'virtual = 192.168.0.3:80\nprotocol = tcp\nscheduler = wlc\nreal = 192.168.0.4:80 gate 1\n');
  const f = run([ldirectord, flat, 'status']);
  expect(f.status).toBe(2);
  expect(f.stderr).toMatch(/line 2: Unknown command protocol = tcp/);
});

withProgram('nagios4', 'nagios4 -v with the objects and a throwaway main configuration (heartbeat, keepalived and pacemaker stacks)', (nagios) => {
  for (const [stack, tree] of [['heartbeat', heartbeatTree], ['keepalived', kaTree], ['pacemaker', pmTree]] as const) {
    const t = join(base, `nagios-${stack}`);
    mkdirSync(join(t, 'spool'), { recursive: true });
    const me = userInfo().username;
    const group = run(['id', '-gn']).stdout.trim();
    writeFileSync(join(t, 'resource.cfg'), '$USER1$=/usr/lib/nagios/plugins\n');
    writeFileSync(join(t, 'stock.cfg'), STOCK_CFG);
    const main = join(t, 'nagios.cfg');
    writeFileSync(
      main,
      [
        `log_file=${t}/nagios.log`,
        `cfg_file=${t}/stock.cfg`,
        `cfg_dir=${join(tree, 'monitoring', 'etc', 'nagios4', 'conf.d')}`,
        `resource_file=${t}/resource.cfg`,
        `check_result_path=${t}/spool`,
        `lock_file=${t}/nagios.pid`,
        `temp_file=${t}/nagios.tmp`,
        `temp_path=${t}`,
        `status_file=${t}/status.dat`,
        `object_cache_file=${t}/objects.cache`,
        `precached_object_file=${t}/objects.precache`,
        `state_retention_file=${t}/retention.dat`,
        `command_file=${t}/nagios.cmd`,
        `nagios_user=${me}`,
        `nagios_group=${group}`,
        'illegal_macro_output_chars=`~$&|\'"<>',
        '',
      ].join('\n'),
    );
    const r = run([nagios, '-v', main]);
    expect(show(r)).toMatch(/^status 0\n/);
    expect(r.stdout).toMatch(/Checked 12 services\.\n\s+Checked 4 hosts\./);
    expect(r.stdout).toMatch(/Total Warnings: 0\nTotal Errors:\s+0/);
  }
});

withProgram('icinga2', 'icinga2 daemon -C with a throwaway configuration (heartbeat, keepalived and pacemaker stacks)', (icinga2) => {
  for (const [stack, tree] of [['heartbeat', heartbeatTree], ['keepalived', kaTree], ['pacemaker', pmTree]] as const) {
    const t = join(base, `icinga2-${stack}`);
    mkdirSync(join(t, 'cache'), { recursive: true });
    const conf = join(t, 'icinga2.conf');
    writeFileSync(
      conf,
      `const PluginDir = "/usr/lib/nagios/plugins"
  const NodeName = "lvsha-config-test"
  const ZoneName = NodeName
  include <itl>
  include <plugins>
  include "${join(tree, 'monitoring', 'etc', 'icinga2', 'conf.d')}/*.conf"
  `,
    );
    const r = run(
      [icinga2, 'daemon', '-C', '-c', conf, `-DConfiguration.CacheDir=${t}/cache`, `-DConfiguration.VarsPath=${t}/cache/icinga2.vars`, `-DConfiguration.ObjectsPath=${t}/cache/icinga2.debug`],
      // as root icinga2 drops to its own user, which cannot write our temporary directory
      { ICINGA2_USER: userInfo().username, ICINGA2_GROUP: run(['id', '-gn']).stdout.trim() },
    );
    expect(show(r)).toMatch(/^status 0\n/);
    expect(r.stdout).toMatch(/Instantiated 12 Services\./);
    expect(r.stdout).toMatch(/Instantiated 4 Hosts\./);
    expect(r.stdout).not.toMatch(/warning\/|critical\//);
  }
});

withProgram('apache2', 'apache2 -t with the sorry server configuration', (apache2) => {
  const mods = '/usr/lib/apache2/modules';
  if (!existsSync(join(mods, 'mod_mpm_prefork.so'))) return; // not Debian's layout
  const t = join(base, 'apache2');
  mkdirSync(t, { recursive: true });
  const conf = join(t, 'httpd.conf');
  writeFileSync(
    conf,
    [
      'ServerRoot /etc/apache2',
      `LoadModule mpm_prefork_module ${mods}/mod_mpm_prefork.so`,
      `LoadModule authz_core_module ${mods}/mod_authz_core.so`,
      `LoadModule dir_module ${mods}/mod_dir.so`,
      `PidFile ${t}/httpd.pid`,
      `ErrorLog ${t}/error.log`,
      'ServerName lvsha-config-test',
      `Include ${join(tree, 'frontal1', 'etc', 'apache2', 'sites-available', 'lvsha-sorry.conf')}`,
      '',
    ].join('\n'),
  );
  const r = run([apache2, '-t', '-f', conf]);
  expect(r.status).toBe(0);
  // the page's directory exists on the director, not here
  expect(r.stderr).toBe('AH00112: Warning: DocumentRoot [/var/www/lvsha-sorry] does not exist\nSyntax OK\n');
});

withProgram('nginx', 'nginx -t with the sorry server block', (nginx) => {
  const t = join(base, 'nginx');
  mkdirSync(t, { recursive: true });
  const conf = join(t, 'nginx.conf');
  writeFileSync(
    conf,
    `pid ${t}/nginx.pid;
error_log stderr;
events {}
http {
    access_log off;
    include ${join(tree, 'frontal1', 'etc', 'nginx', 'sites-available', 'lvsha-sorry')};
}
`,
  );
  const r = run([nginx, '-t', '-p', t, '-e', 'stderr', '-c', conf]);
  expect(show(r)).toMatch(/^status 0\n/);
  expect(r.stderr).toMatch(/syntax is ok/);
});

withProgram('systemd-analyze', 'systemd-analyze verify lvsstate.service', (sa) => {
  const t = join(base, 'systemd');
  mkdirSync(t, { recursive: true });
  const unit = join(t, 'lvsstate.service');
  copyFileSync(join(tree, 'frontal1', 'etc', 'systemd', 'system', 'lvsstate.service'), unit);
  const r = run([sa, 'verify', unit]);
  expect(r.status).toBe(0);
  // unrelated units of the machine may warn; ours must not
  expect(r.stderr.split('\n').filter((l) => l.includes('lvsstate'))).toEqual([]);
});

withProgram('sh', 'sh -n accepts the init script', (sh) => {
  const r = run([sh, '-n', join(tree, 'frontal1', 'etc', 'init.d', 'lvsstate')]);
  expect(show(r)).toBe(show({ ...r, status: 0, stdout: '', stderr: '' }));
});

/**
 * The real servers' sysctl file, applied by the real `sysctl -p` inside a fresh network
 * namespace made for this test (unshare -n: its own /proc/sys/net, nothing else touched),
 * then read back from the kernel.
 */
const canNetns = process.getuid?.() === 0 && which('unshare') !== undefined;
(canNetns ? withProgram : (p: string, n: string) => test.skip(`${p}: ${n} [SKIPPED: needs root and unshare]`, () => undefined))(
  'sysctl',
  'sysctl -p of the real servers\' file in a network namespace sets arp_ignore=1, arp_announce=2 on all and lo',
  (sysctl) => {
    const file = join(tree, 'reel1', 'etc', 'sysctl.d', '90-lvs-dr.conf');
    const script = `${sysctl} -q -p ${file} && for i in all lo; do for k in arp_ignore arp_announce; do printf '%s.%s=%s\\n' $i $k "$(cat /proc/sys/net/ipv4/conf/$i/$k)"; done; done`;
    const r = run(['unshare', '-n', 'sh', '-c', script]);
    expect(show(r)).toBe(show({ ...r, status: 0, stderr: '' }));
    expect(r.stdout).toBe('all.arp_ignore=1\nall.arp_announce=2\nlo.arp_ignore=1\nlo.arp_announce=2\n');
  },
);

/**
 * The rule allows exactly the sync check's command: sudo itself is asked (`sudo -l -U`), with
 * the snippet bind-mounted over /etc/sudoers.d inside a private mount namespace (root only;
 * the machine's sudoers is never touched).
 */
const canUnshare = process.getuid?.() === 0 && which('unshare') !== undefined && run(['id', 'nagios']).status === 0;
(canUnshare ? withProgram : (p: string, n: string) => test.skip(`${p}: ${n} [SKIPPED: needs root, unshare and a nagios user]`, () => undefined))(
  'sudo',
  'allows nagios exactly `ipvsadm -L --daemon` (sudo -l -U nagios in a private mount namespace)',
  (sudo) => {
    const d = join(base, 'sudoers.d');
    mkdirSync(d, { recursive: true });
    copyFileSync(join(tree, 'frontal1', 'etc', 'sudoers.d', 'lvsha'), join(d, 'lvsha'));
    const script = [
      `mount --bind ${d} /etc/sudoers.d || exit 99`,
      `for a in '-L --daemon' '-Ln' '-L --daemon -c' '--start-daemon master'; do ${sudo} -l -U nagios /usr/sbin/ipvsadm $a >/dev/null 2>&1; echo "$a=$?"; done`,
    ].join('\n');
    const r = run([which('unshare')!, '-m', '--propagation', 'private', 'sh', '-c', script]);
    expect(show(r)).toBe(show({ ...r, status: 0, stdout: '-L --daemon=0\n-Ln=1\n-L --daemon -c=1\n--start-daemon master=1\n', stderr: '' }));
  },
);

withProgram('visudo', "visudo -c -f on the keepalived stack's sudoers snippet (its ^...$ regular expression)", (visudo) => {
  for (const d of ['frontal1', 'frontal2']) {
    const f = join(kaTree, d, 'etc', 'sudoers.d', 'lvsha');
    const r = run([visudo, '-c', '-f', f]);
    expect(show(r)).toBe(show({ ...r, status: 0, stdout: `${f}: parsed OK\n`, stderr: '' }));
  }
});

/** keepalived stack: one dump signal to one pid, the two dumps read, and nothing wider. */
(canUnshare ? withProgram : (p: string, n: string) => test.skip(`${p}: ${n} [SKIPPED: needs root, unshare and a nagios user]`, () => undefined))(
  'sudo',
  'keepalived stack: allows nagios `kill -s 36|10 PID` and `cat --` of the two dumps only (sudo -l -U nagios)',
  (sudo) => {
    const d = join(base, 'sudoers-keepalived.d');
    mkdirSync(d, { recursive: true });
    copyFileSync(join(kaTree, 'frontal1', 'etc', 'sudoers.d', 'lvsha'), join(d, 'lvsha'));
    const asks = [
      '/usr/bin/kill -s 36 1234',
      '/usr/bin/kill -s 10 1234',
      '/usr/bin/kill -s 36 1234 5678',
      '/usr/bin/kill -s 9 1234',
      '/usr/bin/kill -s 36 -1',
      '/usr/bin/kill -s 36 0',
      '/usr/bin/kill 1234',
      '/usr/bin/cat -- /tmp/keepalived.json',
      '/usr/bin/cat -- /tmp/keepalived.data',
      '/usr/bin/cat /tmp/keepalived.json',
      '/usr/bin/cat -- /etc/shadow',
      '/usr/bin/cat -- /tmp/keepalived.json /etc/shadow',
      '/usr/sbin/ipvsadm -L --daemon',
    ];
    const script = [`mount --bind ${d} /etc/sudoers.d || exit 99`, ...asks.map((a) => `${sudo} -l -U nagios ${a} >/dev/null 2>&1; echo "${a}=$?"`)].join('\n');
    const r = run([which('unshare')!, '-m', '--propagation', 'private', 'sh', '-c', script]);
    const allowed = new Set(['/usr/bin/kill -s 36 1234', '/usr/bin/kill -s 10 1234', '/usr/bin/cat -- /tmp/keepalived.json', '/usr/bin/cat -- /tmp/keepalived.data', '/usr/sbin/ipvsadm -L --daemon']);
    expect(show(r)).toBe(show({ ...r, status: 0, stdout: asks.map((a) => `${a}=${allowed.has(a) ? 0 : 1}\n`).join(''), stderr: '' }));
  },
);

withProgram('promtool', 'test rules (pacemaker stack): split brain (each partition sees the VIP on its own node), the group away from the preferred node while it is online, a fail count', (promtool) => {
  const dir = join(base, 'pm-rules');
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(pmTree, 'monitoring', 'etc', 'prometheus', 'lvsha-rules.yml'), join(dir, 'lvsha-rules.yml'));
  const J = 'job="lvsha-directors"';
  const on = (d: string) => `instance="${d}:10694",director="${d}"`;
  const t = join(dir, 'rules.test.yml');
  writeFileSync(
    t,
    `rule_files: [lvsha-rules.yml]
evaluation_interval: 15s
tests:
  - interval: 15s
    input_series:
      - series: 'lvsha_pacemaker_resource_running{${J},${on('frontal1')},resource="vip",node="frontal1",group="lvs",agent="ocf:heartbeat:IPaddr2"}'
        values: '1 1 1'
      - series: 'lvsha_pacemaker_resource_running{${J},${on('frontal2')},resource="vip",node="frontal2",group="lvs",agent="ocf:heartbeat:IPaddr2"}'
        values: '_ 1 1'
      - series: 'lvsha_pacemaker_group_node{${J},${on('frontal1')},group="lvs",node="frontal1"}'
        values: '0x12'
      - series: 'lvsha_pacemaker_node_state{${J},${on('frontal1')},node="frontal1",state="online"}'
        values: '1x12'
      - series: 'lvsha_pacemaker_resource_failcount{${J},${on('frontal1')},resource="ldirectord",node="frontal1"}'
        values: '0 0 1x10'
    alert_rule_test:
      - eval_time: 0s
        alertname: LvshaPacemakerSplitBrain
        exp_alerts: []
      - eval_time: 30s
        alertname: LvshaPacemakerSplitBrain
        exp_alerts:
          - exp_labels: { severity: critical, resource: vip }
            exp_annotations:
              summary: "Resource vip runs on several nodes"
              description: "The directors report vip running on 2 nodes: a split brain. With fencing off (stonith-enabled=false) a cut Corosync link lets both directors run the VIP."
      - eval_time: 3m
        alertname: LvshaPacemakerNotPreferred
        exp_alerts:
          - exp_labels: { severity: warning, job: lvsha-directors, instance: "frontal1:10694", director: frontal1, group: lvs, node: frontal1 }
            exp_annotations:
              summary: "lvs does not run on the preferred frontal1"
              description: "frontal1 is online but lvs runs elsewhere: auto_failback is wanted (location 100 > stickiness 0); a move, a ban or a failure keeps it away."
      - eval_time: 2m
        alertname: LvshaPacemakerFailCount
        exp_alerts:
          - exp_labels: { severity: warning, job: lvsha-directors, instance: "frontal1:10694", director: frontal1, resource: ldirectord, node: frontal1 }
            exp_annotations:
              summary: "ldirectord failed on frontal1"
              description: "frontal1:10694: fail-count 1 of ldirectord on frontal1; at migration-threshold it moves away. crm resource cleanup ldirectord once the cause is fixed."
`,
  );
  const r = run([promtool, 'test', 'rules', t]);
  expect(show(r)).toMatch(/^status 0\n/);
});

withProgram('promtool', 'test rules (keepalived stack): keepalived down, FAULT, priority dropped and the preferred director not MASTER fire on synthetic series', (promtool) => {
  const dir = join(base, 'ka-rules');
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(kaTree, 'monitoring', 'etc', 'prometheus', 'lvsha-rules.yml'), join(dir, 'lvsha-rules.yml'));
  const J = 'job="lvsha-directors"';
  const st = (dir: string, state: string, v: string) =>
    `      - series: 'lvsha_keepalived_vrrp_state{${J},instance="${dir}:10694",director="${dir}",iname="VI_1",intf="eth0",vrid="51",state="${state}"}'\n        values: '${v}'`;
  const t = join(dir, 'rules.test.yml');
  writeFileSync(
    t,
    `rule_files: [lvsha-rules.yml]
evaluation_interval: 15s
tests:
  - interval: 15s
    input_series:
      - series: 'lvsha_keepalived_up{${J},instance="frontal2:10694",director="frontal2"}'
        values: '0x8'
${st('frontal1', 'MASTER', '1x8')}
${st('frontal1', 'FAULT', '0x8')}
    alert_rule_test:
      - eval_time: 1m
        alertname: LvshaKeepalivedDown
        exp_alerts:
          - exp_labels: { severity: critical, job: lvsha-directors, instance: "frontal2:10694", director: frontal2 }
            exp_annotations:
              summary: "keepalived is down on frontal2"
              description: "frontal2:10694: keepalived does not run or does not answer (never a stale MASTER): this director cannot take the VIPs over."
      - eval_time: 1m
        alertname: LvshaKeepalivedNotMaster
        exp_alerts: []
  - interval: 15s
    input_series:
${st('frontal1', 'MASTER', '0x12')}
${st('frontal1', 'FAULT', '1x12')}
${st('frontal2', 'MASTER', '1x12')}
      - series: 'lvsha_keepalived_vrrp_priority{${J},instance="frontal1:10694",director="frontal1",iname="VI_1",intf="eth0",vrid="51"}'
        values: '90x12'
      - series: 'lvsha_keepalived_vrrp_base_priority{${J},instance="frontal1:10694",director="frontal1",iname="VI_1",intf="eth0",vrid="51"}'
        values: '150x12'
    alert_rule_test:
      - eval_time: 3m
        alertname: LvshaKeepalivedFault
        exp_alerts:
          - exp_labels: { severity: critical, job: lvsha-directors, instance: "frontal1:10694", director: frontal1, iname: VI_1, intf: eth0, vrid: "51", state: FAULT }
            exp_annotations:
              summary: "VRRP instance VI_1 is in FAULT on frontal1"
              description: "frontal1:10694: VI_1 (VRID 51, eth0) is in FAULT: an interface or a tracked script keeps it from holding the VIPs."
      - eval_time: 3m
        alertname: LvshaKeepalivedPriorityDropped
        exp_alerts:
          - exp_labels: { severity: warning, job: lvsha-directors, instance: "frontal1:10694", director: frontal1, iname: VI_1, intf: eth0, vrid: "51" }
            exp_annotations:
              summary: "VRRP priority of VI_1 lowered on frontal1"
              description: "frontal1:10694: VI_1 runs at priority 90, below its configured one: a tracked script or interface failed (lvsha_keepalived_script_failed names it)."
      - eval_time: 3m
        alertname: LvshaKeepalivedNotMaster
        exp_alerts:
          - exp_labels: { severity: warning, job: lvsha-directors, instance: "frontal1:10694", director: frontal1, iname: VI_1, intf: eth0, vrid: "51", state: MASTER }
            exp_annotations:
              summary: "frontal1 (preferred, priority 150) is not VRRP MASTER of VI_1"
              description: "frontal1 runs keepalived but is not MASTER of VI_1: the VIPs are on the other director (a lowered priority, a FAULT, or its adverts not heard). Failback is automatic (no nopreempt) once it is healthy."
`,
  );
  const r = run([promtool, 'test', 'rules', t]);
  expect(show(r)).toMatch(/^status 0\n/);
});
