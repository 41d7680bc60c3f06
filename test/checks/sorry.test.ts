import { execFile, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { join } from 'node:path';
import { IpvsView, engagedServices, evaluateSorry, ipvsViewOf, parseExpectStatus, parseSize, SorryPolicy } from '../../src/checks/sorry';
import { parseProcIpvs } from '../../src/parsers/procIpvs';
import { HttpResponse, probeHttp } from '../../src/probes/http';
import { UsageError } from '../../src/runtime/errors';
import { parseRange } from '../../src/runtime/range';
import { State } from '../../src/runtime/state';
import { REAL, tempDir as newTempDir } from '../probes/replay';
import { sshdAvailable, startSshd } from '../helpers/sshd';
import { describeSpawning, FAST_ONLY } from './fast';


// Temp dirs this file creates, removed at the end.
const made: string[] = [];
const tempDir = () => {
  const d = newTempDir();
  made.push(d);
  return d;
};
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

const BIN = join(__dirname, '..', '..', 'bin', 'check_lvs_sorry');
const PAGE = '<html><body><h1>frontal1: site under maintenance</h1></body></html>\n';
const BIG = 3 * 1024 * 1024;

const servers: { close(): void }[] = [];
const listen = (s: net.Server): Promise<number> =>
  new Promise((resolve) => {
    servers.push(s);
    s.listen(0, '127.0.0.1', () => resolve((s.address() as net.AddressInfo).port));
  });
const sockets = new Set<net.Socket>();
const track = (s: net.Server) => s.on('connection', (c: net.Socket) => (sockets.add(c), c.on('close', () => sockets.delete(c))));

function handler(req: http.IncomingMessage, res: http.ServerResponse) {
  const u = req.url ?? '/';
  if (u === '/') return res.writeHead(200, { 'Content-Type': 'text/html' }).end(PAGE);
  if (u === '/host') return res.writeHead(200).end(`host=${req.headers.host}`);
  if (u === '/503') return res.writeHead(503, 'Service Unavailable').end('down');
  if (u === '/301') return res.writeHead(301, { Location: '/' }).end();
  if (u === '/slow') return void setTimeout(() => res.writeHead(200).end(PAGE), 1200);
  if (u === '/hang') return; // headers never come
  if (u === '/big') {
    res.writeHead(200, { 'Content-Length': String(BIG) });
    const chunk = Buffer.alloc(64 * 1024, 'x');
    let sent = 0;
    const pump = () => {
      while (sent < BIG) {
        sent += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end();
    };
    return pump();
  }
  res.writeHead(404).end('no');
}

let httpPort = 0;
let garbagePort = 0;
let silentPort = 0;
let refusedPort = 0;
let tlsPort = 0;
const tlsDir = tempDir();
// The TLS server (an RSA key made by openssl) serves only the describes that spawn: not in mutation runs.
const haveOpenssl = !FAST_ONLY && spawnSync('openssl', ['version']).status === 0;

beforeAll(async () => {
  httpPort = await listen(track(http.createServer(handler)));
  // A listener that is not HTTP: an SSH-like banner, then garbage, then close.
  garbagePort = await listen(track(net.createServer((c) => c.end('SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n\x00\x01garbage'))));
  silentPort = await listen(track(net.createServer(() => undefined)));
  const tmp = net.createServer();
  refusedPort = await new Promise<number>((resolve) => tmp.listen(0, '127.0.0.1', () => resolve((tmp.address() as net.AddressInfo).port)));
  await new Promise((r) => tmp.close(r));
  if (haveOpenssl) {
    const r = spawnSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=sorry.test',
      '-addext', 'subjectAltName=DNS:sorry.test', '-keyout', join(tlsDir, 'key.pem'), '-out', join(tlsDir, 'cert.pem'),
    ], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`);
    tlsPort = await listen(track(https.createServer({ key: readFileSync(join(tlsDir, 'key.pem')), cert: readFileSync(join(tlsDir, 'cert.pem')) }, handler)));
  }
});
afterAll(() => {
  for (const c of sockets) c.destroy();
  for (const s of servers) s.close();
});

const url = (path = '/', port = httpPort) => `http://127.0.0.1:${port}${path}`;
const policy = (p: Partial<SorryPolicy> = {}): SorryPolicy => ({ expectStatus: [[200, 200]], expectText: '200', engagedState: State.WARNING, maxSize: 1024 * 1024, verbose: 0, ...p });
const get = (u: string, o: Partial<Parameters<typeof probeHttp>[0]> = {}) => probeHttp({ url: u, timeoutMs: 3000, ...o });

/** bin/check_lvs_sorry, asynchronously (the servers live in this process). */
function plugin(args: string[]): Promise<{ code: number; first: string; out: string }> {
  const env = { ...process.env };
  delete env.LVSHA_CONFIG;
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env, timeout: 20000 }, (err, stdout) => {
      const code = err ? ((err as { code?: number }).code ?? -1) : 0;
      resolve({ code: typeof code === 'number' ? code : -1, first: stdout.split('\n')[0]!, out: stdout });
    });
  });
}
const noIpvs = () => {
  const root = tempDir(); // an empty --root: no /proc/net/ip_vs, like a host without IPVS
  return ['--root', root];
};

describeSpawning('probeHttp against real servers on 127.0.0.1', () => {
  test('200 with the page, size and timings', async () => {
    const r = await get(url());
    if (!r.ok) throw new Error(r.message);
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe(PAGE);
    expect(r.size).toBe(PAGE.length);
    expect(r.truncated).toBe(false);
    expect(r.timings.connect).toBeGreaterThan(0);
    expect(r.timings.firstByte!).toBeGreaterThanOrEqual(r.timings.connect!);
    expect(r.timings.total).toBeGreaterThanOrEqual(r.timings.firstByte!);
  });

  test('Host header', async () => {
    const r = await get(url('/host'), { hostHeader: 'www.example.test' });
    expect(r.ok && r.body.toString()).toBe('host=www.example.test');
  });

  test('refused port', async () => {
    const r = await get(url('/', refusedPort));
    expect(r).toMatchObject({ ok: false, kind: 'refused', message: `connection refused to 127.0.0.1:${refusedPort}` });
  });

  test('non-HTTP listener', async () => {
    const r = await get(url('/', garbagePort));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.kind).toBe('not-http');
    expect(r.message).toMatch(new RegExp(`^127\\.0\\.0\\.1:${garbagePort} does not answer HTTP \\(Parse Error`));
  });

  test('silent listener and a server that never answers: timeout with the phase', async () => {
    const s = await get(url('/', silentPort), { timeoutMs: 400 });
    expect(s).toMatchObject({ ok: false, kind: 'timeout', message: `127.0.0.1:${silentPort} accepted the connection but sent no HTTP response within 0.4 s` });
    const h = await get(url('/hang'), { timeoutMs: 400 });
    expect(h).toMatchObject({ ok: false, kind: 'timeout' });
  });

  test('--max-size: stops reading, keeps the first bytes, says so', async () => {
    const r = await get(url('/big'), { maxSize: 100 * 1024 });
    if (!r.ok) throw new Error(r.message);
    expect(r.truncated).toBe(true);
    expect(r.size).toBe(100 * 1024);
    expect(r.body.length).toBe(100 * 1024);
    expect(r.contentLength).toBe(BIG);
  });

  test('an abort signal ends the request', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    // The probe's own timer is far beyond jest's 60 s: only the signal can end this request.
    const r = await get(url('/hang'), { signal: ac.signal, timeoutMs: 600_000 });
    expect(r).toMatchObject({ ok: false, kind: 'timeout' });
  });

  (haveOpenssl ? test : test.skip)('TLS: self-signed refused unless --insecure; SNI sent', async () => {
    const bad = await get(`https://127.0.0.1:${tlsPort}/`);
    expect(bad).toMatchObject({ ok: false, kind: 'tls' });
    expect(!bad.ok && bad.message).toMatch(/self[- ]signed/);
    const ok = await get(`https://127.0.0.1:${tlsPort}/`, { insecure: true, sni: 'sorry.test' });
    if (!ok.ok) throw new Error(ok.message);
    expect(ok.status).toBe(200);
    expect(ok.timings.tls).toBeGreaterThan(0);
  });
});

describe('evaluateSorry', () => {
  test('OK summary, perfdata time and size; -v adds connect and first-byte', async () => {
    const h = await get(url());
    const r = evaluateSorry({ url: url(), http: h }, policy({ verbose: 1 }));
    expect(r.state).toBe(State.OK);
    expect(r.summary).toMatch(new RegExp(`^HTTP/1\\.1 200 OK, ${PAGE.length} B in \\d\\.\\d{3} s from ${url().replace(/\./g, '\\.')}$`));
    expect(r.perf!.map((p) => p.label)).toEqual(['time', 'size', 'time_connect', 'time_firstbyte']);
  });

  test('status, string, regex, inverted regex', async () => {
    const h503 = await get(url('/503'));
    expect(evaluateSorry({ url: url('/503'), http: h503 }, policy()).summary).toBe(`HTTP/1.1 503 Service Unavailable from ${url('/503')} (expected 200)`);
    expect(evaluateSorry({ url: url('/503'), http: h503 }, policy({ expectStatus: parseExpectStatus('5xx') })).state).toBe(State.OK);
    const h = await get(url());
    expect(evaluateSorry({ url: url(), http: h }, policy({ string: 'maintenance' })).state).toBe(State.OK);
    expect(evaluateSorry({ url: url(), http: h }, policy({ string: 'welcome' })).summary).toBe("'welcome' not found in the page");
    expect(evaluateSorry({ url: url(), http: h }, policy({ regex: /under\s+maint/ })).state).toBe(State.OK);
    expect(evaluateSorry({ url: url(), http: h }, policy({ regex: /under\s+maint/, invertRegex: true })).summary).toBe('pattern /under\\s+maint/ found in the page');
  });

  test('response time beyond -c is CRITICAL, beyond -w WARNING', async () => {
    const h = await get(url('/slow'));
    const r = evaluateSorry({ url: url('/slow'), http: h }, policy({ warning: parseRange('0.5'), critical: parseRange('1') }));
    expect(r.state).toBe(State.CRITICAL);
    expect(r.summary).toMatch(/^response time 1\.\d{3} s \(critical 1\)$/);
    expect(r.perf![0]).toMatchObject({ label: 'time', uom: 's' });
    expect(evaluateSorry({ url: url('/slow'), http: h }, policy({ warning: parseRange('0.5'), critical: parseRange('5') })).state).toBe(State.WARNING);
  });

  test('max size: the string beyond the limit is reported as not found in the part read', async () => {
    const h = await get(url('/big'), { maxSize: 1000 });
    const r = evaluateSorry({ url: url('/big'), http: h }, policy({ string: 'y', maxSize: 1000 }));
    expect(r.summary).toBe("'y' not found in the page in the first 1000 B");
    expect(r.long).toContain(`read only the first 1000 B of the body (--max-size 1000); Content-Length ${BIG}`);
  });
});

describe('engaged: the fallback among the real servers of a real IPVS table (lab VM captures)', () => {
  const table = (scenario: string) => ipvsViewOf(parseProcIpvs(readFileSync(join(REAL, 'ipvs', scenario, 'proc-net-ip_vs.txt'), 'utf8')));
  const fb = [{ address: '127.0.0.1', port: 80 }];
  test('ldirectord-fallback: engaged, all real servers down', () => {
    expect(engagedServices(table('ldirectord-fallback'), fb)).toEqual([{ service: '192.168.0.3:80', fallback: '127.0.0.1:80', others: 0, othersLive: 0 }]);
  });
  test('recovered / one down: not engaged', () => {
    expect(engagedServices(table('ldirectord-recovered'), fb)).toEqual([]);
    if (existsSync(join(REAL, 'ipvs', 'ldirectord-one-down', 'proc-net-ip_vs.txt'))) expect(engagedServices(table('ldirectord-one-down'), fb)).toEqual([]);
  });
  test('quiesced reals (weight 0) and fwmark services', () => {
    const v: IpvsView = {
      services: [
        { address: '192.168.0.3', port: 80, protocol: 'tcp', reals: [{ address: '192.168.0.4', port: 80, weight: 0 }, { address: '127.0.0.1', port: 80, weight: 1 }] },
        { fwmark: 7, protocol: 'fwm', reals: [{ address: '127.0.0.1', port: 0, weight: 1 }, { address: '192.168.0.5', port: 0, weight: 1 }] },
      ],
    };
    expect(engagedServices(v, fb)).toEqual([
      { service: '192.168.0.3:80', fallback: '127.0.0.1:80', others: 1, othersLive: 0 },
      { service: 'fwmark 7', fallback: '127.0.0.1:0', others: 1, othersLive: 1 },
    ]);
  });
  test('policy: WARNING by default, --engaged-state, unreadable table leaves the state alone', async () => {
    const h = await get(url());
    const engaged = engagedServices(table('ldirectord-fallback'), fb);
    const w = evaluateSorry({ url: url(), http: h, engaged }, policy());
    expect(w.state).toBe(State.WARNING);
    expect(w.summary).toBe('sorry server in service for 192.168.0.3:80 since all real servers are down');
    const ok = evaluateSorry({ url: url(), http: h, engaged }, policy({ engagedState: State.OK }));
    expect(ok.state).toBe(State.OK);
    expect(ok.summary).toMatch(/^sorry server in service for 192\.168\.0\.3:80 since all real servers are down; HTTP\/1\.1 200 OK/);
    const un = evaluateSorry({ url: url(), http: h, engaged: { unreadable: 'IPVS table not readable here' } }, policy());
    expect(un.state).toBe(State.OK);
    expect(un.long).toContain('IPVS table not readable here: whether the sorry server is in service is unknown');
  });
});

describe('option parsing', () => {
  test('expect-status and max-size', () => {
    expect(parseExpectStatus('200,301-302,4xx')).toEqual([[200, 200], [301, 302], [400, 499]]);
    expect(() => parseExpectStatus('ok')).toThrow(UsageError);
    expect(() => parseExpectStatus('302-301')).toThrow(UsageError);
    expect(parseSize('512K')).toBe(512 * 1024);
    expect(parseSize('1M')).toBe(1024 * 1024);
    expect(parseSize('100')).toBe(100);
    expect(() => parseSize('1.5M')).toThrow(UsageError);
  });
});

describeSpawning('end to end: bin/check_lvs_sorry against real servers', () => {
  test('OK with perfdata; -v adds connect and first-byte times', async () => {
    const r = await plugin([...noIpvs(), '-u', url(), '-s', 'maintenance', '-w', '1', '-c', '2']);
    expect(r.code).toBe(0);
    expect(r.first).toMatch(new RegExp(`^LVS SORRY OK - HTTP/1\\.1 200 OK, ${PAGE.length} B in \\d\\.\\d{3} s from .* \\| time=\\d\\.\\d+s;1;2;0 size=${PAGE.length}B;;;0$`));
    expect(r.out).toContain('IPVS table not readable here: whether the sorry server is in service is unknown');
    const v = await plugin([...noIpvs(), '-u', url(), '-v']);
    expect(v.first).toMatch(/ time_connect=[\d.]+s;;;0 time_firstbyte=[\d.]+s;;;0$/);
  });

  test('refused → CRITICAL with the cause', async () => {
    const r = await plugin([...noIpvs(), '-u', url('/', refusedPort)]);
    expect(r.code).toBe(2);
    expect(r.first).toBe(`LVS SORRY CRITICAL - connection refused to 127.0.0.1:${refusedPort}`);
  });

  test('non-HTTP listener → CRITICAL', async () => {
    const r = await plugin([...noIpvs(), '-u', url('/', garbagePort)]);
    expect(r.code).toBe(2);
    expect(r.first).toMatch(new RegExp(`^LVS SORRY CRITICAL - 127\\.0\\.0\\.1:${garbagePort} does not answer HTTP`));
  });

  test('a silent server is CRITICAL before -t expires (not UNKNOWN)', async () => {
    const r = await plugin([...noIpvs(), '-u', url('/hang'), '-t', '2']);
    expect(r.code).toBe(2);
    expect(r.first).toMatch(new RegExp(`^LVS SORRY CRITICAL - 127\\.0\\.0\\.1:${httpPort} accepted the connection but sent no HTTP response within 1\\.\\d s`)); // what -t leaves after start-up: 1.8 s idle, less under load
  });

  test('slow beyond -c → CRITICAL; status and regex', async () => {
    expect((await plugin([...noIpvs(), '-u', url('/slow'), '-c', '1'])).first).toMatch(/^LVS SORRY CRITICAL - response time 1\.\d{3} s \(critical 1\) \| time=1\.\d+s;;1;0/);
    expect((await plugin([...noIpvs(), '-u', url('/301')])).code).toBe(2);
    expect((await plugin([...noIpvs(), '-u', url('/301'), '--expect-status', '200,301'])).code).toBe(0);
    expect((await plugin([...noIpvs(), '-u', url(), '-r', 'maint[a-z]+'])).code).toBe(0);
    const inv = await plugin([...noIpvs(), '-u', url(), '-r', 'maint[a-z]+', '--invert-regex']);
    expect(inv.first).toBe('LVS SORRY CRITICAL - pattern /maint[a-z]+/ found in the page | time=' + inv.first.split('time=')[1]);
    const bad = await plugin([...noIpvs(), '-u', url(), '-r', '(']);
    expect(bad.code).toBe(3);
    expect(bad.first).toMatch(/^LVS SORRY UNKNOWN - --regex: Invalid regular expression/);
  });

  test('huge body beyond --max-size: OK, read stops, long output says so', async () => {
    const r = await plugin([...noIpvs(), '-u', url('/big'), '--max-size', '64K']);
    expect(r.code).toBe(0);
    expect(r.first).toMatch(/ size=65536B;;;0$/);
    expect(r.out).toContain(`read only the first 65536 B of the body (--max-size 65536); Content-Length ${BIG}`);
  });

  (haveOpenssl ? test : test.skip)('TLS self-signed: CRITICAL, --insecure OK', async () => {
    const bad = await plugin([...noIpvs(), '-u', `https://127.0.0.1:${tlsPort}/`, '--sni', 'sorry.test']);
    expect(bad.code).toBe(2);
    expect(bad.first).toMatch(new RegExp(`^LVS SORRY CRITICAL - TLS with 127\\.0\\.0\\.1:${tlsPort} failed: self[- ]signed certificate`));
    const ok = await plugin([...noIpvs(), '-u', `https://127.0.0.1:${tlsPort}/`, '--insecure', '-v']);
    expect(ok.code).toBe(0);
    expect(ok.first).toMatch(/ time_tls=[\d.]+s;;;0/);
  });

  test('engaged from a captured IPVS table (--root): WARNING; --engaged-state ok; --no-engaged', async () => {
    const root = tempDir();
    mkdirSync(join(root, 'proc', 'net'), { recursive: true });
    cpSync(join(REAL, 'ipvs', 'ldirectord-fallback', 'proc-net-ip_vs.txt'), join(root, 'proc', 'net', 'ip_vs'));
    const w = await plugin(['--root', root, '-u', url()]);
    expect(w.code).toBe(1);
    expect(w.first).toMatch(/^LVS SORRY WARNING - sorry server in service for 192\.168\.0\.3:80 since all real servers are down \| time=.* engaged=1;;;0$/);
    expect((await plugin(['--root', root, '-u', url(), '--engaged-state', 'ok'])).code).toBe(0);
    expect((await plugin(['--root', root, '-u', url(), '--engaged-state', 'critical'])).code).toBe(2);
    const no = await plugin(['--root', root, '-u', url(), '--no-engaged']);
    expect(no.code).toBe(0);
    expect(no.out).not.toContain('IPVS');
    cpSync(join(REAL, 'ipvs', 'ldirectord-recovered', 'proc-net-ip_vs.txt'), join(root, 'proc', 'net', 'ip_vs'));
    const rec = await plugin(['--root', root, '-u', url()]);
    expect(rec.code).toBe(0);
    expect(rec.out).toContain('sorry server not in service');
  });

  test('bad options are UNKNOWN', async () => {
    expect((await plugin(['-u', 'ftp://x/'])).first).toBe("LVS SORRY UNKNOWN - --url 'ftp://x/': only http and https");
    expect((await plugin(['--engaged-state', 'maybe'])).code).toBe(3);
  });
});

describeSpawning('-H: the page is fetched from the director through its SSH connection', () => {
  // A real sshd on 127.0.0.2 plays the director; its own loopback HTTP server is reached
  // through the SSH channel (direct-tcpip), as `-H frontal1 -u http://127.0.0.1/` would.
  const available = sshdAvailable();
  if (!available && process.env.CI) throw new Error('openssh-server is required in CI');
  (available ? test : test.skip)('OK through the tunnel; refused port is CRITICAL with the cause', async () => {
    const sshd = await startSshd('127.0.0.2', 'DEBUG1');
    try {
      const ssh = ['-H', '127.0.0.2', '--ssh-port', String(sshd.port), '--ssh-key', sshd.userKey, '--known-hosts', sshd.knownHosts, '--no-engaged'];
      const ok = await plugin([...ssh, '-u', url(), '-v']);
      expect(ok.code).toBe(0);
      expect(ok.first).toMatch(/^LVS SORRY OK - /);
      expect(ok.out).toContain('fetched from 127.0.0.2 through its SSH connection');
      // The page really came through sshd (same machine here, so a direct connection would
      // also have worked: sshd's own log is the proof).
      expect(sshd.log()).toMatch(new RegExp(`direct-tcpip.*127\\.0\\.0\\.1.*${httpPort}|target 127\\.0\\.0\\.1 port ${httpPort}`));
      const refused = await plugin([...ssh, '-u', url('/', refusedPort)]);
      expect(refused.code).toBe(2);
      expect(refused.first).toMatch(/^LVS SORRY CRITICAL - /);
      // A host key we refuse is our side, not the sorry server: UNKNOWN like every other check.
      const key = await plugin([...ssh.map((a) => (a === sshd.knownHosts ? sshd.wrongKnownHosts : a)), '-u', url()]);
      expect(key.code).toBe(3);
      expect(key.first).toMatch(/^LVS SORRY UNKNOWN - HOST KEY CHANGED for 127\.0\.0\.2:\d+/);
    } finally {
      await sshd.stop();
    }
  });
});

describe('evaluateSorry: whole results (probe outcomes with fixed timings, as probeHttp returns them)', () => {
  const U = 'http://127.0.0.1:8080/';
  const resp = (o: Partial<HttpResponse> = {}): HttpResponse => ({
    ok: true, httpVersion: '1.1', status: 200, statusText: 'OK', headers: {}, body: Buffer.from(PAGE), size: PAGE.length, truncated: false,
    timings: { connect: 0.0012, firstByte: 0.0034, total: 0.0056 }, ...o,
  });
  test('OK: summary, perfdata, no long output; -v: connect, TLS, first byte as perfdata and one timings line', () => {
    expect(evaluateSorry({ url: U, http: resp() }, policy())).toEqual({
      state: State.OK, summary: `HTTP/1.1 200 OK, ${PAGE.length} B in 0.006 s from ${U}`, long: [`OK: HTTP/1.1 200 OK, ${PAGE.length} B in 0.006 s from ${U}`],
      perf: [{ label: 'time', value: 0.006, uom: 's', min: 0, warn: undefined, crit: undefined }, { label: 'size', value: PAGE.length, uom: 'B', min: 0 }],
    });
    const v = evaluateSorry({ url: U, http: resp({ statusText: '', timings: { connect: 0.001, tls: 0.002, firstByte: 0.003, total: 0.004 } }) }, policy({ verbose: 1 }));
    expect(v.summary).toBe(`HTTP/1.1 200, ${PAGE.length} B in 0.004 s from ${U}`);
    expect(v.perf!.slice(2)).toEqual([{ label: 'time_connect', value: 0.001, uom: 's', min: 0 }, { label: 'time_tls', value: 0.002, uom: 's', min: 0 }, { label: 'time_firstbyte', value: 0.003, uom: 's', min: 0 }]);
    expect(v.long!.slice(1)).toEqual(['timings: connect 0.001 s, TLS 0.002 s, first byte 0.003 s, total 0.004 s']);
  });
  test('a failed probe: CRITICAL with its message; -v: the timings it has', () => {
    const failure = { ok: false as const, kind: 'refused' as const, message: 'connection refused to 127.0.0.1:8080', code: 'ECONNREFUSED', timings: { total: 0.0021 } };
    expect(evaluateSorry({ url: U, http: failure }, policy({ verbose: 1 }))).toEqual({
      state: State.CRITICAL, summary: 'connection refused to 127.0.0.1:8080',
      long: ['CRITICAL: connection refused to 127.0.0.1:8080', 'timings: connect - s, first byte - s, total 0.002 s'], perf: [],
    });
  });
  test('status: any of several ranges, both bounds', () => {
    const two = policy({ expectStatus: [[200, 200], [301, 302]], expectText: '200,301-302' });
    expect(evaluateSorry({ url: U, http: resp({ status: 302, statusText: 'Found' }) }, two).state).toBe(State.OK);
    expect(evaluateSorry({ url: U, http: resp({ status: 199, statusText: 'X' }) }, policy({ expectStatus: [[200, 299]], expectText: '2xx' })).summary).toBe(`HTTP/1.1 199 X from ${U} (expected 2xx)`);
  });
  test('regex not found; response time WARNING names -w; truncated without Content-Length', () => {
    expect(evaluateSorry({ url: U, http: resp() }, policy({ regex: /welcome/ })).summary).toBe('pattern /welcome/ not found in the page');
    const w = evaluateSorry({ url: U, http: resp({ timings: { total: 0.7 } }) }, policy({ warning: parseRange('0.5'), critical: parseRange('1') }));
    expect([w.state, w.summary]).toEqual([State.WARNING, 'response time 0.700 s (warning 0.5)']);
    const t = evaluateSorry({ url: U, http: resp({ truncated: true, size: 10, body: Buffer.from(PAGE.slice(0, 10)) }) }, policy({ maxSize: 10 }));
    expect(t.long).toEqual([`OK: HTTP/1.1 200 OK, 10 B in 0.006 s from ${U}`, 'read only the first 10 B of the body (--max-size 10)']);
  });
  test('the survivors of the second mutation run: no OK line beside a failure, no "not in service" line when engaged', () => {
    const bad = evaluateSorry({ url: U, http: resp({ status: 503, statusText: 'Service Unavailable' }) }, policy());
    expect(bad.long).toEqual([`CRITICAL: HTTP/1.1 503 Service Unavailable from ${U} (expected 200)`]);
    const e = { service: '192.168.0.3:80', fallback: '127.0.0.1:80', others: 2, othersLive: 0 };
    const engaged = evaluateSorry({ url: U, http: resp(), engaged: [e] }, policy());
    expect(engaged.long).toEqual(['WARNING: sorry server in service for 192.168.0.3:80 since all 2 real servers are quiesced (weight 0)', `OK: HTTP/1.1 200 OK, ${PAGE.length} B in 0.006 s from ${U}`]);
  });
  test('engaged beside live or quiesced real servers; engaged nowhere', () => {
    const e = (others: number, othersLive: number) => ({ service: '192.168.0.3:80', fallback: '127.0.0.1:80', others, othersLive });
    expect(evaluateSorry({ url: U, http: resp(), engaged: [e(2, 0)] }, policy()).summary).toBe('sorry server in service for 192.168.0.3:80 since all 2 real servers are quiesced (weight 0)');
    expect(evaluateSorry({ url: U, http: resp(), engaged: [e(2, 1)] }, policy()).summary).toBe('sorry server in service for 192.168.0.3:80 alongside 1 real server(s)');
    const none = evaluateSorry({ url: U, http: resp(), engaged: [] }, policy());
    expect(none.long!.slice(1)).toEqual(['sorry server not in service: no virtual service has the fallback among its real servers']);
    expect(none.perf!.slice(2)).toEqual([{ label: 'engaged', value: 0, min: 0 }]);
  });
});
