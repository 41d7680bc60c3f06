/**
 * Issue 13, class 5: bad command-line input is UNKNOWN (exit 3) with one line naming the
 * option. Before: `--ssh-port 0|99999` and `-H 999.1.1.1` were CRITICAL ("cannot reach"),
 * `-H 'a;b'` was taken as a host, `check_lvs_sync --vip 999.1.1.1` went on probing, and
 * `lvsha doctor -t abc` exited 2 with commander's text on stderr.
 * Run as a sysadmin does (the binaries), in a namespace with only lo: a bad host that slipped
 * through would fail there at once instead of reaching a resolver or the LAN.
 */
import { canIsolate, runIsolated } from './helpers';

const d = canIsolate ? describe : describe.skip;
if (!canIsolate && process.env.CI) throw new Error('root, unshare and ip are required in CI');

/** Options that keep the run on loopback and off ~/.ssh. */
const SAFE = ['-t', '5', '--known-hosts', '/dev/null', '--ssh-key', '/dev/null'];

d('bad options are UNKNOWN, naming the option (bin/check_lvs_*, lvsha doctor)', () => {
  test.each([
    ['check_lvs_ipvs', ['-H', '127.0.0.2', '--ssh-port', '0'], "--ssh-port '0' is not a port (1-65535)"],
    ['check_lvs_heartbeat', ['-H', '127.0.0.2', '--ssh-port', '99999'], "--ssh-port '99999' is not a port (1-65535)"],
    ['check_lvs_ipvs', ['-H', '999.1.1.1'], "-H/--hostname '999.1.1.1' is not a host name or IP address"],
    ['check_lvs_sync', ['-H', 'a;b'], "-H/--hostname 'a;b' is not a host name or IP address"],
    ['check_lvs_arp', ['--hostname', 'frontal1 -oProxyCommand=x'], "-H/--hostname 'frontal1 -oProxyCommand=x' is not a host name or IP address"],
    ['check_lvs_sync', ['--vip', '999.1.1.1', '--mode', 'follow-role'], "--vip '999.1.1.1' is not an IP address"],
    ['check_lvs_vip', ['--vip', '999.1.1.1'], "--vip '999.1.1.1' is not an IP address"],
  ])('%s %j', (prog, args, why) => {
    const r = runIsolated(prog, [...args, ...SAFE]);
    const first = r.stdout.split('\n')[0]!;
    expect({ code: r.code, first }).toEqual({ code: 3, first: expect.stringContaining(`UNKNOWN - ${why}`) });
    expect(r.stdout).not.toMatch(/cannot reach|internal error/);
  });

  test.each([
    [['-t', 'abc'], "--timeout 'abc' is not a positive number of seconds"],
    [['-t', '0'], "--timeout '0' is not a positive number of seconds"],
    [['--ssh-port', '99999'], "--ssh-port '99999' is not a port (1-65535)"],
  ])('lvsha doctor %j exits 3 with one line', (args, why) => {
    const r = runIsolated('lvsha', ['doctor', ...args]);
    expect(r.code).toBe(3);
    expect(r.stdout.trim().split('\n')).toEqual([expect.stringContaining(why)]);
  });
});
