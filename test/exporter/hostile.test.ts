/**
 * The exporter's HTTP side under hostile or unlucky clients (issue 13, classes 2 and 3), all on
 * loopback: a huge X-Prometheus-Scrape-Timeout-Seconds against a hanging collector, slowloris
 * clients, oversized headers, a flood of scrapes, and /probe targets outside the deployment.
 * No wall-clock assertions: hangs are proven cut by what the exporter reports or by the
 * server closing the connection before the client's own (generous) bound.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTcpServer, Server as TcpServer, Socket, connect } from 'node:net';
import { AddressInfo } from 'node:net';
import { ProbeAllow } from '../../src/exporter/allow';
import { deadlineFrom, ExporterOptions } from '../../src/exporter/server';
import { referenceDeployment } from '../../src/model/reference';
import { Deployment } from '../../src/model/types';
import { DIRECTOR, exporterFactory, get, series, sortedSamples } from './lab';


const exporters = exporterFactory();
const start = exporters.start;
afterAll(() => exporters.stopAll());

/** A throwaway SSH key and an empty known_hosts: the SSH source gets as far as connecting. */
let sshDir = '';
function sshOpts(port: number): ExporterOptions['ssh'] {
  if (!sshDir) {
    sshDir = mkdtempSync(join(tmpdir(), 'lvsha-hostile-ssh-'));
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(sshDir, 'key')]);
    writeFileSync(join(sshDir, 'known_hosts'), '');
  }
  return { port, user: 'root', keyPath: join(sshDir, 'key'), knownHostsPath: join(sshDir, 'known_hosts') };
}
afterAll(() => sshDir && rmSync(sshDir, { recursive: true, force: true }));

/** A loopback TCP listener that counts connections and never speaks (a hung host). */
async function silentListener(host: string): Promise<{ server: TcpServer; port: number; count: () => number; close: () => Promise<void> }> {
  let n = 0;
  const socks = new Set<Socket>();
  const server = createTcpServer((s) => {
    n++;
    socks.add(s);
    s.on('error', () => undefined);
    s.on('close', () => socks.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  return {
    server,
    port: (server.address() as AddressInfo).port,
    count: () => n,
    close: () =>
      new Promise<void>((r) => {
        for (const s of socks) s.destroy();
        server.close(() => r());
      }),
  };
}

describe('X-Prometheus-Scrape-Timeout-Seconds: clamped, and one caller never stalls the others', () => {
  test('deadlineFrom: a plain positive number, clamped to the maximum; junk means the default', () => {
    const now = 1_000_000;
    expect(deadlineFrom('10', 10, 60, now)).toBe(now + 9500);
    expect(deadlineFrom('100000', 10, 60, now)).toBe(now + 59500);
    expect(deadlineFrom('1e400', 10, 60, now)).toBe(now + 10000);
    for (const junk of [undefined, '', 'abc', '-5', '0', 'NaN', 'Infinity', '0x10', '1e3', '99999999999999999999'])
      expect([junk, deadlineFrom(junk, 10, 60, now)]).toEqual([junk, now + 10000]);
    expect(deadlineFrom(['3', '100000'], 10, 60, now)).toBe(now + 2500);
    expect(deadlineFrom('0.2', 10, 60, now)).toBe(now + 500);
    // A default above the maximum is clamped too (the command refuses it anyway).
    expect(deadlineFrom(undefined, 100, 60, now)).toBe(now + 60000);
  });

  test('a scrape asking 100000 s against a hanging cl_status: a later 2 s scrape answers by its own deadline', async () => {
    // cl_status hangs 20 s, then answers. Before the fix, the later scrape joined the first
    // one's flight (deadline 100000 s) and got its answer after 20 s, heartbeat probe successful.
    const d = await start({ ...DIRECTOR, hang: { program: 'cl-status', seconds: 20 } });
    const hostile = get(d.port, '/metrics', { 'X-Prometheus-Scrape-Timeout-Seconds': '100000' }, 90_000).catch((e: Error) => e);
    // Let the hostile scrape start its flight first.
    for (let i = 0; i < 250 && !d.lab.calls('cl-status').length; i++) await new Promise((r) => setTimeout(r, 20));
    expect(d.lab.calls('cl-status').length).toBeGreaterThan(0);
    const r = await get(d.port, '/metrics', { 'X-Prometheus-Scrape-Timeout-Seconds': '2' });
    expect(r.status).toBe(200);
    const s = sortedSamples(r.body);
    expect(s.get(series('lvsha_probe_success', { probe: 'heartbeat' }))).toBe(0);
    expect(s.get(series('lvsha_probe_success', { probe: 'ipvs' }))).toBe(1);
    // Its own deadline (1.5 s) cut it, not the 20 s hang nor the hostile caller's.
    expect(s.get(series('lvsha_probe_duration_seconds', { probe: 'heartbeat' }))).toBeLessThan(10);
    void hostile;
  }, 40_000);

  test('callers with compatible deadlines still share one run', async () => {
    const d = await start({ ...DIRECTOR, hang: { program: 'cl-status', seconds: 1 } });
    const rs = await Promise.all(Array.from({ length: 10 }, () => get(d.port, '/metrics', { 'X-Prometheus-Scrape-Timeout-Seconds': '10' })));
    expect(rs.every((r) => r.status === 200)).toBe(true);
    expect(d.lab.calls('cl-status').filter((c) => c.startsWith('hbstatus')).length).toBe(1);
  });
});

/** Opens a socket and sends `first`, then one byte every `everyMs` (bounded); resolves how it ended. */
function slowClient(port: number, first: string, everyMs: number, maxMs: number): Promise<{ closedByServer: boolean; reply: string }> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let reply = '';
    let done = false;
    const finish = (closedByServer: boolean) => {
      if (done) return;
      done = true;
      clearInterval(t);
      clearTimeout(bound);
      s.destroy();
      resolve({ closedByServer, reply });
    };
    s.on('data', (b) => (reply += b.toString()));
    s.on('error', () => finish(true));
    s.on('close', () => finish(true));
    s.on('connect', () => s.write(first));
    const t = setInterval(() => {
      if (everyMs > 0 && s.writable) s.write('a');
    }, Math.max(everyMs, 50));
    const bound = setTimeout(() => finish(false), maxMs);
  });
}

describe('inbound bounds', () => {
  test('slowloris: clients trickling their headers are cut at --header-timeout; the exporter then serves', async () => {
    const d = await start(DIRECTOR, { headersTimeoutMs: 1000 });
    // The client's own bound (15 s) is far beyond the exporter's (1 s): only the server closes.
    const slow = await Promise.all(Array.from({ length: 10 }, () => slowClient(d.port, 'GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ', 200, 15_000)));
    expect(slow.map((x) => x.closedByServer)).toEqual(Array(10).fill(true));
    expect(slow.every((x) => x.reply === '' || /^HTTP\/1\.1 408/.test(x.reply))).toBe(true);
    expect((await get(d.port, '/metrics')).status).toBe(200);
  }, 30_000);

  test('connections beyond --max-connections are closed at once, the ones within stay', async () => {
    const d = await start(DIRECTOR, { maxConnections: 4, headersTimeoutMs: 20_000 });
    const idle = await Promise.all(Array.from({ length: 12 }, () => slowClient(d.port, '', 0, 3000)));
    expect(idle.filter((x) => x.closedByServer).length).toBe(8);
    // Served again once the server has seen the clients go (bounded retries).
    let status = 0;
    for (let i = 0; i < 40 && status !== 200; i++) {
      status = await get(d.port, '/-/healthy').then((r) => r.status, () => 0);
      if (status !== 200) await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe(200);
  }, 30_000);

  test('an oversized header: 431, nothing run', async () => {
    const d = await start(DIRECTOR);
    const r = await get(d.port, '/metrics', { 'X-Big': 'a'.repeat(10_000) }).catch((e: Error) => ({ status: -1, body: e.message }));
    expect(r.status).toBe(431);
    expect(d.lab.calls('cl-status')).toEqual([]);
  });

  test('scrapes beyond --max-requests: 503 at once; the others are answered', async () => {
    const d = await start({ ...DIRECTOR, hang: { program: 'cl-status', seconds: 3 } }, { maxRequests: 2 });
    const rs = await Promise.all([
      get(d.port, '/metrics', { 'X-Prometheus-Scrape-Timeout-Seconds': '10' }),
      get(d.port, '/probe?module=director&target=localhost', { 'X-Prometheus-Scrape-Timeout-Seconds': '10' }),
      new Promise((r) => setTimeout(r, 300)).then(() => get(d.port, '/metrics')),
    ]);
    expect(rs.map((r) => r.status)).toEqual([200, 200, 503]);
    expect((await get(d.port, '/-/healthy')).status).toBe(200);
  }, 30_000);
});

/** The reference deployment moved to loopback: directors 127.0.0.21-22, real servers 127.0.0.24-25. */
function loopbackDeployment(sorryPort: number): Deployment {
  const d = JSON.parse(JSON.stringify(referenceDeployment)) as Deployment;
  d.directors = d.directors.map((x, i) => ({ ...x, address: `127.0.0.${21 + i}` }));
  d.realHosts = d.realHosts.map((x, i) => ({ ...x, address: `127.0.0.${24 + i}` }));
  d.sorry = { url: `http://127.0.0.1:${sorryPort}/` };
  for (const s of d.services) if (s.fallback) s.fallback = { address: '127.0.0.1', port: sorryPort };
  return d;
}

describe('/probe reaches only what the deployment names', () => {
  test('ProbeAllow: deployment hosts by name or address, sorry URLs, --probe-allow entries', () => {
    const a = new ProbeAllow(loopbackDeployment(8080), ['10.9.0.0/16', 'extra.example', 'https://status.example/lvs/', '::1']);
    const ok = (m: 'director' | 'realserver' | 'sorry', t: string) => a.refusal(m, t) === undefined;
    expect(ok('director', 'frontal1')).toBe(true);
    expect(ok('director', '127.0.0.21')).toBe(true);
    expect(ok('realserver', 'reel2')).toBe(true);
    expect(ok('realserver', '127.0.0.25')).toBe(true);
    expect(ok('realserver', 'localhost')).toBe(true);
    expect(ok('realserver', '10.9.3.4')).toBe(true);
    expect(ok('realserver', 'EXTRA.example')).toBe(true);
    expect(ok('realserver', '127.0.0.26')).toBe(false);
    expect(ok('realserver', '127.1')).toBe(false);
    expect(ok('realserver', '10.10.0.1')).toBe(false);
    expect(ok('director', 'evil.example')).toBe(false);
    expect(ok('sorry', 'http://127.0.0.1:8080/')).toBe(true);
    expect(ok('sorry', 'http://127.1:8080/index.html')).toBe(true);
    expect(ok('sorry', 'http://frontal2:8080/')).toBe(true);
    expect(ok('sorry', 'http://127.0.0.22:8080/')).toBe(true);
    expect(ok('sorry', 'https://status.example/lvs/page')).toBe(true);
    expect(ok('sorry', 'http://127.0.0.1:8081/')).toBe(false);
    expect(ok('sorry', 'http://127.0.0.1:22/')).toBe(false);
    expect(ok('sorry', 'https://status.example/other')).toBe(false);
    expect(ok('sorry', 'http://169.254.169.254/latest/meta-data/')).toBe(false);
    expect(a.refusal('sorry', 'http://user:secret@127.0.0.9/')).not.toMatch(/secret/);
    for (const bad of ['10.0.0.0/33', 'a b', 'ftp://x/', 'http://u:p@x/'])
      expect(() => new ProbeAllow(loopbackDeployment(8080), [bad])).toThrow(/--probe-allow/);
  });

  test('a target outside the deployment: 403 with one line, and no connection attempted; a deployment host is reached', async () => {
    const victim = await silentListener('127.0.0.26');
    const director = await silentListener('127.0.0.21');
    try {
      const dep = loopbackDeployment(victim.port);
      // SSH and the sorry fetch both aim at the listeners' port.
      const d = await start(DIRECTOR, { deployment: dep, ssh: sshOpts(victim.port) });
      const refused = [
        '/probe?module=realserver&target=127.0.0.26',
        '/probe?module=director&target=127.0.0.26',
        `/probe?module=sorry&target=${encodeURIComponent(`http://127.0.0.26:${victim.port}/`)}`,
      ];
      for (const p of refused) {
        const r = await get(d.port, p, { 'X-Prometheus-Scrape-Timeout-Seconds': '2' });
        expect([p, r.status]).toEqual([p, 403]);
        expect(r.body).toMatch(/^target not allowed: [^\n]+\n$/);
      }
      expect(victim.count()).toBe(0);

      // The same exporter reaches a director of the deployment (the listener never speaks:
      // the probe fails, 200 with lvsha_probe_success 0): the listeners do see connections.
      const e = await start(DIRECTOR, { deployment: dep, ssh: sshOpts(director.port) });
      const r = await get(e.port, '/probe?module=realserver&target=127.0.0.21', { 'X-Prometheus-Scrape-Timeout-Seconds': '2' });
      expect(r.status).toBe(200);
      expect(sortedSamples(r.body).get(series('lvsha_probe_success', { probe: 'arp' }))).toBe(0);
      expect(director.count()).toBeGreaterThan(0);
    } finally {
      await victim.close();
      await director.close();
    }
  }, 30_000);

  test('a refused or malformed target is never echoed with its user info', async () => {
    const d = await start(DIRECTOR, { deployment: loopbackDeployment(9) });
    const secret = 'hunter2-secret';
    for (const p of [
      `/probe?module=director&target=${encodeURIComponent(`http://user:${secret}@127.0.0.26/`)}`,
      `/probe?module=sorry&target=${encodeURIComponent(`http://user:${secret}@127.0.0.26:9/`)}`,
    ]) {
      const r = await get(d.port, p, { 'X-Prometheus-Scrape-Timeout-Seconds': '2' });
      expect([p, r.status >= 400]).toEqual([p, true]);
      expect(r.body).not.toContain(secret);
      expect(r.body.split('\n').filter(Boolean)).toHaveLength(1);
    }
  }, 30_000);

  test('--probe-allow widens it: the same target is then probed', async () => {
    const victim = await silentListener('127.0.0.26');
    try {
      const d = await start(DIRECTOR, { deployment: loopbackDeployment(victim.port), ssh: sshOpts(victim.port), probeAllow: ['127.0.0.24/30'] });
      const r = await get(d.port, '/probe?module=realserver&target=127.0.0.26', { 'X-Prometheus-Scrape-Timeout-Seconds': '2' });
      expect(r.status).toBe(200);
      expect(victim.count()).toBeGreaterThan(0);
    } finally {
      await victim.close();
    }
  }, 30_000);
});

describe('SingleFlight', () => {
  test('a caller joins the flight with the latest deadline not after its own, else runs its own', async () => {
    const { SingleFlight } = await import('../../src/exporter/scrape');
    const sf = new SingleFlight<string>();
    const pending: (() => void)[] = [];
    const runs: string[] = [];
    const fn = (name: string) => () =>
      new Promise<string>((r) => {
        runs.push(name);
        pending.push(() => r(name));
      });
    const long = sf.run('k', 100_000, fn('long'));
    const short = sf.run('k', 2_000, fn('short'));
    const shortToo = sf.run('k', 2_500, fn('third'));
    const longToo = sf.run('k', 200_000, fn('fourth'));
    const other = sf.run('other', 2_000, fn('other'));
    expect(runs).toEqual(['long', 'short', 'other']);
    expect(sf.size).toBe(3);
    for (const p of pending) p();
    expect(await Promise.all([long, short, shortToo, longToo, other])).toEqual(['long', 'short', 'short', 'long', 'other']);
    expect(sf.size).toBe(0);
  });

  test('simultaneous scrapes a few ms apart share one flight, whatever order they reach it in (250 ms slack)', async () => {
    const { SingleFlight } = await import('../../src/exporter/scrape');
    const sf = new SingleFlight<string>();
    let runs = 0;
    const releases: (() => void)[] = [];
    const fn = () =>
      new Promise<string>((r) => {
        const n = ++runs;
        releases.push(() => r(`run${n}`));
      });
    const later = sf.run('k', 10_040, fn); // arrived second, reached run() first
    const earlier = sf.run('k', 10_000, fn); // 40 ms earlier deadline: joins
    const muchEarlier = sf.run('k', 9_000, fn); // 1 s earlier: its own flight
    expect(runs).toBe(2);
    releases.forEach((r) => r());
    expect(await Promise.all([later, earlier, muchEarlier])).toEqual(['run1', 'run1', 'run2']);
  });
});

// The command line as installed (dist/, built by `npm test` first): bad bounds and a bad
// web configuration stop the exporter at start, naming the culprit.
const BIN = join(__dirname, '..', '..', 'bin', 'lvsha');
(existsSync(join(__dirname, '..', '..', 'dist', 'exporter', 'allow.js')) ? describe : describe.skip)('lvsha exporter (CLI): refused at start', () => {
  test('unknown web config key, bad --probe-allow, -t above --scrape-timeout-max, a FIFO-like web config', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lvsha-hostile-cli-'));
    try {
      writeFileSync(join(dir, 'web.yml'), 'basic_auth_user:\n  prom: x\n');
      const cases: [string[], RegExp][] = [
        [['--web-config-file', join(dir, 'web.yml')], /unknown key 'basic_auth_user'/],
        [['--web-config-file', '/dev/zero'], /not a regular file/],
        [['--probe-allow', '10.0.0.0/40'], /--probe-allow '10\.0\.0\.0\/40'/],
        [['-t', '100'], /--timeout '100' is above --scrape-timeout-max/],
        [['--scrape-timeout-max', '99999'], /--scrape-timeout-max '99999'/],
        [['--max-connections', '0'], /--max-connections '0'/],
        [['--ssh-port', '99999'], /--ssh-port '99999'/],
        [['--ssh-port', '0'], /--ssh-port '0'/],
      ];
      for (const [args, re] of cases) {
        const r = spawnSync(process.execPath, [BIN, 'exporter', '--listen', '127.0.0.1:0', ...args], { encoding: 'utf8', timeout: 20_000 });
        expect([args.join(' '), r.status === 0 || r.status === null]).toEqual([args.join(' '), false]);
        expect(r.stderr).toMatch(re);
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
