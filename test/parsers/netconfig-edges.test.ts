// Mutation testing (issue #19): what netconfig.ts' survivors of its session-4 run showed
// untested. Admin-written files: the lab has none, so each case is a hand-written edge.
import { netmaskToPrefix, parseInterfaces, parseNetworkUnit, unitMatchesLoopback } from '../../src/parsers/netconfig';

describe('netconfig: edges found by the second mutation run', () => {
  test('a prefix length is digits only: no dot before or after', () => {
    for (const m of ['24.', '.5', '3.', '.24']) expect([m, netmaskToPrefix(m)]).toEqual([m, undefined]);
  });
  test('a CR inside a line is no line end (only a last one is dropped)', () => {
    const deb = parseInterfaces('auto lo:1\niface lo:1 inet static\n    address 192.168.0.3\r/24\n');
    expect(deb.addresses).toEqual([{ interface: 'lo:1', address: '192.168.0.3', prefixlen: 32, atBoot: true, how: 'address', line: 3 }]);
    expect(parseInterfaces('auto lo:1\r\niface lo:1 inet static\r\n    address 192.168.0.3/24\r\n').addresses[0]).toMatchObject({ prefixlen: 24, atBoot: true });
    expect(parseNetworkUnit('[Match]\nName=lo\n[Address]\nAddress=192.168.0.3\r/24\n').addresses).toEqual([]);
    expect(parseNetworkUnit('[Match]\r\nName=lo\r\n[Address]\r\nAddress=192.168.0.3/24\r\n').addresses[0]).toMatchObject({ interface: 'lo', prefixlen: 24 });
  });
  test('does the unit select lo? a glob with an exception, and Type= words apart by several blanks', () => {
    const m = (s: string) => unitMatchesLoopback(parseNetworkUnit(`[Match]\n${s}\n`));
    expect(m('Name=en* !enp0s3')).toBe(false);
    expect(m('Name=l* !enp0s3')).toBe(true);
    expect(m('Type=!loopback  !ether')).toBe(false);
    expect(m('Type=!wlan  !ether')).toBe(true);
  });
});
