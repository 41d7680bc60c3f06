import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, request as httpRequest, Server } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { acceptsGzip } from '../../src/exporter/server';
import { DIRECTOR, exporterFactory, get, LabOptions, lint, makeLab, series, sortedSamples } from './lab';

// The exporter over HTTP on 127.0.0.1:0, reading a --root tree of real captures and
// replayed programs. Nothing leaves loopback.

const REALSERVER: LabOptions = { ipAddr: 'ip/healthy/reel1/addr', sysctl: 'sysctl/correct', ssTcp: 'ss/listening-any/reel1/ltn' };

const exporters = exporterFactory();
const start = exporters.start;
afterAll(() => exporters.stopAll());


let sorryPage: Server;
let sorryPort: number;
beforeAll(async () => {
  sorryPage = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end('<h1>Site en maintenance</h1>\n'));
  await new Promise<void>((r) => sorryPage.listen(0, '127.0.0.1', r));
  sorryPort = (sorryPage.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => sorryPage.close(() => r())));

describe('/metrics on the reference director (real captures)', () => {
  test('values from every collector, the checks\' verdicts, text format 0.0.4, promtool clean', async () => {
    const d = await start(DIRECTOR);
    const r = await get(d.port, '/metrics');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    const s = sortedSamples(r.body);
    for (const probe of ['ipvs', 'vip', 'heartbeat', 'sync']) expect([probe, s.get(series('lvsha_probe_success', { probe }))]).toEqual([probe, 1]);
    expect(s.get(series('lvsha_ipvs_backend_connections_inactive', { local_address: '192.168.0.3', local_port: '80', remote_address: '192.168.0.4', remote_port: '80', proto: 'TCP', local_mark: '' }))).toBe(10);
    expect(s.get('lvsha_ipvs_connections_total')).toBe(20);
    expect(s.get(series('lvsha_vip_held', { vip: '192.168.0.3', interface: 'eth0' }))).toBe(1);
    expect(s.get('lvsha_heartbeat_up')).toBe(1);
    expect(s.get(series('lvsha_sync_daemon_running', { role: 'backup' }))).toBe(1);
    // check_lvs_ipvs on the same snapshot: 2 of 2 live, persistence 900000 jiffies at HZ 250
    // (no kernel config in a captured tree: 250 assumed, the lab VM's) = 3600 s as configured.
    expect(s.get(series('lvsha_check_status', { check: 'ipvs' }))).toBe(0);
    expect(s.get(series('lvsha_check_status', { check: 'sync' }))).toBe(0);
    for (const check of ['heartbeat', 'sorry']) expect(s.has(series('lvsha_check_status', { check }))).toBe(true);
    expect(r.body).toMatch(/^lvsha_build_info\{version="\d+\.\d+\.\d+"\} 1$/m);
    lint(r.body);
  });

  test('Accept-Encoding: gzip (Prometheus always sends it): a gzip body that decodes to the plain one', async () => {
    const d = await start(DIRECTOR);
    const raw = (headers: Record<string, string>) =>
      new Promise<{ headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port: d.port, path: '/metrics', headers, agent: false }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (b: Buffer) => chunks.push(b));
          res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
        });
        req.on('error', reject);
        req.end();
      });
    const z = await raw({ 'Accept-Encoding': 'gzip' });
    expect(z.headers['content-encoding']).toBe('gzip');
    expect(z.headers.vary).toBe('Accept-Encoding');
    const text = gunzipSync(z.body).toString('utf8');
    const plain = await raw({});
    expect(plain.headers['content-encoding']).toBeUndefined();
    // Same families and series (values of durations differ between two scrapes).
    const names = (t: string) => t.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.slice(0, l.lastIndexOf(' '))).sort();
    expect(names(text)).toEqual(names(plain.body.toString('utf8')));
    expect(z.body.length).toBeLessThan(plain.body.length / 3);
    // gzip refused with q=0: plain text
    expect((await raw({ 'Accept-Encoding': 'gzip;q=0, identity' })).headers['content-encoding']).toBeUndefined();
    expect(acceptsGzip('deflate, gzip;q=0.5')).toBe(true);
    expect(acceptsGzip('*')).toBe(true);
    expect(acceptsGzip('br, gzip;q=0')).toBe(false);
    expect(acceptsGzip(undefined)).toBe(false);
  });

  test('fallback scenario: fallback_engaged 1 and check_lvs_ipvs CRITICAL', async () => {
    const d = await start({ ...DIRECTOR, ipvs: 'fallback' });
    const s = sortedSamples((await get(d.port, '/metrics')).body);
    expect(s.get(series('lvsha_ipvs_fallback_engaged', { local_address: '192.168.0.3', local_port: '80', proto: 'TCP', local_mark: '' }))).toBe(1);
    expect(s.get(series('lvsha_check_status', { check: 'ipvs' }))).toBe(2);
  });

  test('a failing probe is a 200 with lvsha_probe_success 0; a kernel without IPVS: check_lvs_ipvs CRITICAL', async () => {
    const d = await start({ heartbeat: ['heartbeat/healthy/frontal1'] }, { programs: { 'cl-status': '/nonexistent/cl_status', ip: '/nonexistent/ip' } });
    const r = await get(d.port, '/metrics');
    expect(r.status).toBe(200);
    const s = sortedSamples(r.body);
    expect(s.get(series('lvsha_probe_success', { probe: 'heartbeat' }))).toBe(0);
    expect(s.get(series('lvsha_probe_success', { probe: 'vip' }))).toBe(0);
    expect(s.get(series('lvsha_probe_success', { probe: 'ipvs' }))).toBe(0);
    expect(s.get(series('lvsha_check_status', { check: 'ipvs' }))).toBe(2);
    expect(d.logs.join('\n')).toMatch(/probe ipvs failed: IPVS not available in this kernel/);
    lint(r.body);
  });

  test('X-Prometheus-Scrape-Timeout-Seconds: a hanging cl_status is cut at the deadline, the rest is served', async () => {
    const d = await start({ ...DIRECTOR, hang: { program: 'cl-status', seconds: 20 } });
    const r = await get(d.port, '/metrics', { 'X-Prometheus-Scrape-Timeout-Seconds': '2' });
    expect(r.status).toBe(200);
    const s = sortedSamples(r.body);
    expect(s.get(series('lvsha_probe_success', { probe: 'heartbeat' }))).toBe(0);
    expect(s.get(series('lvsha_probe_success', { probe: 'ipvs' }))).toBe(1);
    expect(s.get(series('lvsha_probe_duration_seconds', { probe: 'heartbeat' }))).toBeGreaterThanOrEqual(1.4);
    // Cut by the header's deadline (2 s - 0.5 s), not by the exporter's default of 10 s: the
    // bound separates the two cases, it is not a speed claim.
    expect(s.get(series('lvsha_probe_duration_seconds', { probe: 'heartbeat' }))).toBeLessThan(10);
    lint(r.body);
  });

  test('50 concurrent clients for 3 s (at most 500 requests): no error, single flight', async () => {
    const d = await start(DIRECTOR);
    const until = Date.now() + 3000;
    let sent = 0;
    let errors = 0;
    let ok = 0;
    const client = async () => {
      while (Date.now() < until && sent < 500) {
        sent++;
        try {
          const r = await get(d.port, '/metrics');
          if (r.status === 200 && r.body.includes('lvsha_probe_success{probe="ipvs"} 1')) ok++;
          else errors++;
        } catch {
          errors++;
        }
      }
    };
    await Promise.all(Array.from({ length: 50 }, client));
    expect(errors).toBe(0);
    expect(ok).toBe(sent);
    // One flight runs cl_status hbstatus once (collector and check share the memo); 50
    // clients wait on the same flight, so far fewer flights ran than requests were answered.
    const flights = d.lab.calls('cl-status').filter((c) => c.startsWith('hbstatus')).length;
    expect(flights).toBeGreaterThan(0);
    expect(flights).toBeLessThanOrEqual(Math.ceil(sent / 10));
    console.log(`concurrency: ${sent} requests by 50 clients in 3 s, ${errors} errors, ${flights} scrape runs (single flight)`);
  });

  test('single flight: a burst of 50 simultaneous scrapes runs the probes once', async () => {
    // cl_status answers after 1.5 s: the flight lasts long enough for all 50 connections to
    // arrive during it, even on a loaded machine (with instant captures a flight ended before
    // the last clients connected, and they started new ones).
    const d = await start({ ...DIRECTOR, hang: { program: 'cl-status', seconds: 1.5 } });
    const rs = await Promise.all(Array.from({ length: 50 }, () => get(d.port, '/metrics')));
    expect(rs.every((r) => r.status === 200)).toBe(true);
    // At most two runs (a client arriving just as the first ended), every answer one of theirs.
    const runs = d.lab.calls('cl-status').filter((c) => c.startsWith('hbstatus')).length;
    expect(runs).toBeGreaterThanOrEqual(1);
    expect(runs).toBeLessThanOrEqual(2);
    expect(new Set(rs.map((r) => r.body)).size).toBeLessThanOrEqual(runs);
    expect(d.lab.calls('ipvsadm').filter((c) => c === '-L --daemon').length).toBeLessThanOrEqual(2);
  });
});

describe('/probe', () => {
  test('every module answers promtool-clean text: director, realserver (local target), sorry', async () => {
    // The test's sorry page is not the deployment's: allowed explicitly (--probe-allow URL).
    const d = await start(DIRECTOR, { probeAllow: [`http://127.0.0.1:${sorryPort}/`] });
    const dir = await get(d.port, '/probe?module=director&target=localhost');
    expect(dir.status).toBe(200);
    expect(sortedSamples(dir.body).get(series('lvsha_probe_success', { probe: 'ipvs' }))).toBe(1);
    lint(dir.body);

    const rs = await start(REALSERVER);
    const real = await get(rs.port, '/probe?module=realserver&target=127.0.0.1');
    expect(real.status).toBe(200);
    const s = sortedSamples(real.body);
    expect(s.get(series('lvsha_probe_success', { probe: 'arp' }))).toBe(1);
    expect(s.get(series('lvsha_arp_leak', { vip: '192.168.0.3' }))).toBe(0);
    expect(s.get(series('lvsha_check_status', { check: 'arp' }))).toBeDefined();
    lint(real.body);

    const sorry = await get(d.port, `/probe?module=sorry&target=${encodeURIComponent(`http://127.0.0.1:${sorryPort}/`)}`);
    expect(sorry.status).toBe(200);
    const ss = sortedSamples(sorry.body);
    expect(ss.get('lvsha_sorry_up')).toBe(1);
    expect(ss.get(series('lvsha_check_status', { check: 'sorry' }))).toBe(0);
    lint(sorry.body);
  });

  test('unknown module or malformed target: 400', async () => {
    const d = await start(DIRECTOR);
    for (const p of [
      '/probe?module=nope&target=127.0.0.1',
      '/probe?target=127.0.0.1',
      '/probe?module=realserver',
      '/probe?module=realserver&target=',
      '/probe?module=realserver&target=a%20b',
      '/probe?module=realserver&target=-oProxyCommand%3Dx',
      '/probe?module=director&target=host%3Bid',
      '/probe?module=sorry&target=127.0.0.1',
      '/probe?module=sorry&target=ftp%3A%2F%2F127.0.0.1%2F',
    ]) {
      const r = await get(d.port, p);
      expect([p, r.status]).toEqual([p, 400]);
    }
  });

  test('a target that does not answer SSH: 200 with the probe failed, not an error', async () => {
    // 127.0.0.2 is loopback; nothing listens on this port there.
    const d = await start(REALSERVER, { ssh: { port: 1, user: 'root' }, probeAllow: ['127.0.0.2'] });
    const r = await get(d.port, '/probe?module=realserver&target=127.0.0.2', { 'X-Prometheus-Scrape-Timeout-Seconds': '5' });
    expect(r.status).toBe(200);
    expect(sortedSamples(r.body).get(series('lvsha_probe_success', { probe: 'arp' }))).toBe(0);
    lint(r.body);
  });

  test('landing page, health, 404', async () => {
    const d = await start(DIRECTOR);
    const home = await get(d.port, '/');
    expect(home.status).toBe(200);
    expect(home.body).toContain('/probe?module=director|realserver|sorry');
    expect((await get(d.port, '/-/healthy')).status).toBe(200);
    expect((await get(d.port, '/nope')).status).toBe(404);
  });
});

// The command line as installed: bin/lvsha (compiled dist/, built by `npm test` first).
const BIN = join(__dirname, '..', '..', 'bin', 'lvsha');
(existsSync(join(__dirname, '..', '..', 'dist', 'exporter', 'collectors', 'ipvs.js')) ? describe : describe.skip)('lvsha exporter (CLI)', () => {
  test('--listen 127.0.0.1:0 --root: serves /metrics, stops on SIGTERM', async () => {
    const lab = makeLab(DIRECTOR);
    const child = spawn(process.execPath, [BIN, 'exporter', '--listen', '127.0.0.1:0', '--root', lab.root, '--cl-status', lab.programs['cl-status']!, '--ip', lab.programs.ip!, '--ipvsadm', lab.programs.ipvsadm!], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    try {
      let err = '';
      child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
      let port = 0;
      for (let i = 0; i < 100 && !port; i++) {
        await new Promise((r) => setTimeout(r, 100));
        port = Number(/listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(err)?.[1] ?? 0);
      }
      expect(port).toBeGreaterThan(0);
      const r = await get(port, '/metrics');
      expect(r.status).toBe(200);
      expect(sortedSamples(r.body).get(series('lvsha_probe_success', { probe: 'ipvs' }))).toBe(1);
      lint(r.body);
      const code = await new Promise<number | null>((resolve) => {
        child.once('exit', (c) => resolve(c));
        child.kill('SIGTERM');
      });
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      lab.cleanup();
    }
  });

  test('bad options: --ipvs-backend-labels with an unknown label, --ipvs-probe with an unknown way', () => {
    const a = spawnSync(process.execPath, [BIN, 'exporter', '--listen', '127.0.0.1:0', '--ipvs-backend-labels', 'local_address,nope'], { encoding: 'utf8', timeout: 20000 });
    expect(a.status).not.toBe(0);
    expect(a.stderr).toMatch(/unknown label 'nope'/);
    const b = spawnSync(process.execPath, [BIN, 'exporter', '--listen', '127.0.0.1:0', '--ipvs-probe', 'netlink'], { encoding: 'utf8', timeout: 20000 });
    expect(b.status).not.toBe(0);
    expect(b.stderr).toMatch(/--ipvs-probe/);
  });
});
