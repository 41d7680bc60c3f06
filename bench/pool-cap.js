#!/usr/bin/env node
// The SSH pool's hard cap under a burst (src/sources/pool.ts), on loopback only: 400
// concurrent callers over 40 "hosts" (relays on 127.0.0.10-49 in front of one real sshd),
// each running `true`, with --pool-size 32. Prints the most TCP connections open at once
// (must be <= the pool size), the failures, and the wall time; the same burst with an
// unbounded pool (size 100 000, i.e. one connection per host at least) as the baseline.
// Usage: node bench/pool-cap.js [callers] [hosts] [size]   (needs dist/: npm run compile)
'use strict';
const { writeFileSync, readFileSync } = require('node:fs');
const { createServer, connect } = require('node:net');
const path = require('node:path');
const { startSshd } = require('./lib/sshd');
const { SshPool } = require(path.join(__dirname, '..', 'dist', 'sources', 'pool.js'));

const callers = Number(process.argv[2]) || 400;
const hostCount = Math.min(Number(process.argv[3]) || 40, 200);
const size = Number(process.argv[4]) || 32;

function relay(address, target) {
  const st = { address, port: 0, now: 0 };
  const held = new Set();
  const server = createServer((c) => {
    st.now++;
    const up = connect({ host: '127.0.0.1', port: target });
    held.add(c).add(up);
    let done = false;
    const end = () => {
      if (!done) (done = true), st.now--;
      c.destroy();
      up.destroy();
      held.delete(c);
      held.delete(up);
    };
    c.pipe(up).pipe(c);
    c.on('error', end).on('close', end);
    up.on('error', end).on('close', end);
  });
  st.close = () => new Promise((r) => (held.forEach((s) => s.destroy()), server.close(() => r())));
  return new Promise((resolve) => server.listen(0, address, () => ((st.port = server.address().port), resolve(st))));
}

async function burst(relays, sshd, kh, poolSize) {
  // The previous burst's connections closed first (bounded wait), so only this one's count.
  for (let i = 0; i < 200 && relays.some((r) => r.now > 0); i++) await new Promise((r) => setTimeout(r, 25));
  const pool = new SshPool({ maxSize: poolSize });
  let max = 0;
  const poll = setInterval(() => (max = Math.max(max, relays.reduce((a, r) => a + r.now, 0))), 2);
  const t0 = Date.now();
  let failed = 0;
  const why = new Map();
  await Promise.all(
    Array.from({ length: callers }, async (_, i) => {
      const r = relays[i % relays.length];
      const lease = pool.acquire({ host: r.address, port: r.port, user: 'root', keyPath: sshd.userKey, knownHostsPath: kh, connectTimeoutMs: 10000 });
      try {
        await lease.source.run(['true'], { timeoutMs: 30000 });
      } catch (e) {
        failed++;
        why.set(e.message.replace(/127\.0\.0\.\d+(:\d+)?/g, 'HOST'), (why.get(e.message) ?? 0) + 1);
      } finally {
        lease.release();
      }
    }),
  );
  clearInterval(poll);
  const ms = Date.now() - t0;
  await pool.close();
  return { max, failed, ms, why: [...why.keys()].slice(0, 3) };
}

(async () => {
  const sshd = await startSshd('127.0.0.1');
  const relays = [];
  try {
    for (let n = 0; n < hostCount; n++) relays.push(await relay(`127.0.0.${10 + n}`, sshd.port));
    const key = readFileSync(sshd.knownHosts, 'utf8').trim().split(' ').slice(1).join(' ');
    const kh = sshd.knownHosts + '.relays';
    writeFileSync(kh, relays.map((r) => `[${r.address}]:${r.port} ${key}\n`).join(''));
    const base = await burst(relays, sshd, kh, 100000);
    const capped = await burst(relays, sshd, kh, size);
    console.log(`${callers} concurrent callers over ${hostCount} hosts (node ${process.version}):`);
    console.log(`  unbounded pool    : at most ${base.max} connections at once, ${base.failed} failed, ${base.ms} ms`);
    console.log(`  --pool-size ${String(size).padEnd(5)} : at most ${capped.max} connections at once, ${capped.failed} failed, ${capped.ms} ms (${(capped.ms / base.ms).toFixed(2)}x the unbounded time)`);
    if (capped.why.length) console.log(`  failures: ${capped.why.join(' | ')}`);
    process.exitCode = capped.max <= size ? 0 : 1;
  } finally {
    await Promise.all(relays.map((r) => r.close()));
    await sshd.stop();
  }
})();
