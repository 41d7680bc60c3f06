// A TCP relay on loopback that holds every chunk for `oneWayMs` in each direction: a LAN's
// round trip between the monitoring host and a real server, without netem (the host kernel
// here has no sch_netem). Order is kept; both sockets have Nagle off so the relay adds
// nothing but the delay.
'use strict';
const net = require('node:net');

function delayed(from, to, oneWayMs) {
  let last = 0;
  from.on('data', (b) => {
    const at = Math.max(Date.now() + oneWayMs, last);
    last = at;
    setTimeout(() => to.destroyed || to.write(b), at - Date.now());
  });
  from.on('end', () => setTimeout(() => to.destroyed || to.end(), Math.max(0, last - Date.now()) + oneWayMs));
  from.on('error', () => to.destroy());
  from.on('close', () => setTimeout(() => to.destroy(), Math.max(0, last - Date.now()) + oneWayMs + 5));
}

/** Listens on `listenHost`:random, relays to `target` (host, port). Returns { port, close }. */
function startDelayProxy(listenHost, targetHost, targetPort, oneWayMs) {
  const sockets = new Set();
  const server = net.createServer({ noDelay: true }, (client) => {
    const up = net.connect({ host: targetHost, port: targetPort, noDelay: true });
    for (const s of [client, up]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    }
    delayed(client, up, oneWayMs);
    delayed(up, client, oneWayMs);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, listenHost, () =>
      resolve({
        port: server.address().port,
        close: () =>
          new Promise((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      }),
    );
  });
}

module.exports = { startDelayProxy };
