// A synthetic /proc tree for exporter benchmarks: N services × M real servers in the exact
// line layout of the kernel's /proc/net/ip_vs (see test/fixtures/real/ipvs/reference/):
//   `TCP  C0A80003:0050 wlc  persistent 900000 FFFFFFFF` / `TCP  C0A80003:0050 wlc  `
//   `  -> C0A80004:0050      Route   1      0          10        `
'use strict';
const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const hex = (n, w) => n.toString(16).toUpperCase().padStart(w, '0');
const ip = (a, b, c, d) => hex(((a << 24) >>> 0) + (b << 16) + (c << 8) + d, 8);

/** Writes DIR/proc/net/ip_vs{,_stats} and returns the line count. */
function writeProcTree(dir, services = 1000, reals = 20) {
  const out = ['IP Virtual Server version 1.2.1 (size=4096)', 'Prot LocalAddress:Port Scheduler Flags', '  -> RemoteAddress:Port Forward Weight ActiveConn InActConn'];
  for (let s = 0; s < services; s++) {
    // VIPs 10.1.x.y, ports 80 upwards: every service distinct.
    const vip = ip(10, 1, (s >> 8) & 0xff, s & 0xff);
    const port = hex(80 + (s % 7), 4);
    const persistent = s % 3 === 0 ? 'persistent 900000 FFFFFFFF' : '';
    out.push(`TCP  ${vip}:${port} wlc  ${persistent}`);
    // The kernel lists real servers in reverse order of ipvsadm.
    for (let r = reals - 1; r >= 0; r--) {
      const rip = ip(10, 2 + r, (s >> 8) & 0xff, s & 0xff);
      const weight = String(1 + (r % 5)).padEnd(6);
      const act = String((s * 7 + r) % 50).padEnd(10);
      const inact = String((s * 13 + r * 3) % 400).padEnd(10);
      out.push(`  -> ${rip}:${port}      Route   ${weight} ${act} ${inact}`);
    }
  }
  mkdirSync(join(dir, 'proc', 'net'), { recursive: true });
  writeFileSync(join(dir, 'proc', 'net', 'ip_vs'), out.join('\n') + '\n');
  // The kernel's "%8LX %8LX %8LX %16LX %16LX".
  const row = (vals) => vals.map((v, i) => hex(v, 0).padStart(i < 3 ? 8 : 16)).join(' ');
  writeFileSync(
    join(dir, 'proc', 'net', 'ip_vs_stats'),
    [
      '   Total Incoming Outgoing         Incoming         Outgoing',
      '   Conns  Packets  Packets            Bytes            Bytes',
      row([0x14, 0x78, 0, 0x1edc, 0]),
      '',
      ' Conns/s   Pkts/s   Pkts/s          Bytes/s          Bytes/s',
      row([1, 8, 0, 0x21c, 0]),
      '',
    ].join('\n'),
  );
  return out.length;
}

module.exports = { writeProcTree };
