/**
 * --web-config-file (Prometheus' exporter-toolkit format): the parser refuses what it does not
 * know, naming the key; over loopback, TLS + basic auth answer 200 to the right password and
 * 401 to a wrong one, plain HTTP to the TLS port gets no metrics, client certificates are
 * enforced; and a real Prometheus scrapes the exporter over TLS with basic auth (target up).
 * Certificates are made with openssl in a temporary directory.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest, RequestOptions } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { BasicAuth, loadWebConfig, webConfigFrom } from '../../src/exporter/webConfig';
import { clientTest, Daemon, Fatal, freePort, httpGet, waitFor } from '../clients/harness';
import { DIRECTOR, exporterFactory, series, sortedSamples } from './lab';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const bcrypt = require('bcryptjs') as typeof import('bcryptjs');


let dir = '';
const factory = exporterFactory();
/** htpasswd -nBC 10 writes $2y$; bcryptjs writes $2b$: the same hash otherwise. */
let hash = '';

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe', timeout: 30_000 });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lvsha-webconfig-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=lvsha test CA');
  const sign = (name: string, ext: string) => {
    openssl('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    writeFileSync(join(dir, `${name}.ext`), ext);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`);
  };
  sign('server', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
  sign('client', 'subjectAltName=DNS:prometheus.test\nbasicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n');
  hash = bcrypt.hashSync('s3cret', 10).replace(/^\$2b\$/, '$2y$');
});
afterAll(async () => {
  await factory.stopAll();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function writeConfig(name: string, doc: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, stringify(doc));
  return p;
}

async function startWith(configPath: string): Promise<number> {
  return (await factory.start(DIRECTOR, { poolSize: 1, web: loadWebConfig(configPath) })).port;
}

function httpsGet(port: number, path: string, o: RequestOptions = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path, ca: o.ca, timeout: 20_000, ...o }, (res) => {
      let body = '';
      res.on('data', (b: Buffer) => (body += b.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

describe('the web configuration file', () => {
  test('unknown keys are refused, naming the key; malformed values name their key', () => {
    const cases: [unknown, RegExp][] = [
      [{ basic_auth_user: { prom: '$2y$10$' + 'a'.repeat(53) } }, /unknown key 'basic_auth_user'/],
      [{ tls_server_config: { cert_file: 'x', certfile: 'y' } }, /unknown key 'tls_server_config\.certfile'/],
      [{ http_server_config: { http3: true } }, /unknown key 'http_server_config\.http3'/],
      [{ http_server_config: { headers: { 'X-Powered-By': 'x' } } }, /unknown key 'http_server_config\.headers\.X-Powered-By'/],
      [{ rate_limit: { interval: '1s', burstt: 2 } }, /unknown key 'rate_limit\.burstt'/],
      [{ basic_auth_users: { prom: 'plaintext' } }, /basic_auth_users\.prom is not a bcrypt hash/],
      [{ basic_auth_users: { 'a:b': hash } }, /user 'a:b'/],
      [{ tls_server_config: { client_auth_type: 'RequireAndVerifyClientCert' } }, /no certificate/],
      [{ rate_limit: { interval: 'soon' } }, /rate_limit\.interval/],
      [['a'], /not a mapping/],
    ];
    for (const [doc, re] of cases) expect(() => webConfigFrom(doc, 'web.yml')).toThrow(re);
    const tlsBad: [Record<string, unknown>, RegExp][] = [
      [{ min_version: 'TLS14' }, /min_version 'TLS14'/],
      [{ client_auth_type: 'Maybe' }, /client_auth_type 'Maybe'/],
      [{ client_auth_type: 'RequireAndVerifyClientCert' }, /needs client_ca_file/],
      [{ cipher_suites: ['TLS_FAKE'] }, /unknown suite 'TLS_FAKE'/],
      [{ curve_preferences: ['CurveP999'] }, /unknown curve 'CurveP999'/],
      [{ min_version: 'TLS13', max_version: 'TLS12' }, /min_version is above/],
    ];
    for (const [extra, re] of tlsBad)
      expect(() => webConfigFrom({ tls_server_config: { cert_file: join(dir, 'server.crt'), key_file: join(dir, 'server.key'), ...extra } }, 'web.yml')).toThrow(re);
    // An empty file, or empty sections: plain HTTP, no auth (as exporter-toolkit).
    expect(webConfigFrom({}, 'web.yml')).toEqual({ headers: {} });
    expect(webConfigFrom({ tls_server_config: { cert_file: '', key_file: '' }, basic_auth_users: null }, 'web.yml')).toEqual({ headers: {} });
  });

  test('a file that is not a regular file is refused, not read', () => {
    expect(() => loadWebConfig('/dev/zero')).toThrow(/not a regular file/);
    expect(() => loadWebConfig(join(dir, 'nope.yml'))).toThrow(/ENOENT/);
  });

  test('basic auth: a bcrypt check once, then the cached digest; a wrong password or unknown user is refused', async () => {
    const auth = new BasicAuth(new Map([['prom', hash]]));
    const spy = jest.spyOn(bcrypt, 'compare');
    try {
      expect(await auth.check(basic('prom', 's3cret'))).toBe(true);
      for (let i = 0; i < 5; i++) expect(await auth.check(basic('prom', 's3cret'))).toBe(true);
      expect(spy).toHaveBeenCalledTimes(1);
      expect(await auth.check(basic('prom', 'wrong'))).toBe(false);
      expect(await auth.check(basic('nobody', 's3cret'))).toBe(false);
      expect(await auth.check(undefined)).toBe(false);
      expect(await auth.check('Bearer x')).toBe(false);
      expect(await auth.check(basic('prom', 's3cret' + 'x'.repeat(80)))).toBe(false);
      // Still cached for the right password after the failures.
      expect(await auth.check(basic('prom', 's3cret'))).toBe(true);
      // The wrong password and the unknown user cost one bcrypt each; > 72 bytes none.
      expect(spy).toHaveBeenCalledTimes(3);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('over loopback', () => {
  test('TLS + basic auth: 200 with the password, 401 without or with a wrong one, headers set; plain HTTP gets no metrics', async () => {
    const cfg = writeConfig('tls-auth.yml', {
      tls_server_config: { cert_file: 'server.crt', key_file: 'server.key' },
      http_server_config: { headers: { 'X-Content-Type-Options': 'nosniff' } },
      basic_auth_users: { prom: hash },
    });
    const port = await startWith(cfg);
    const ca = execFileSync('cat', [join(dir, 'ca.crt')]);
    const ok = await httpsGet(port, '/metrics', { ca, headers: { Authorization: basic('prom', 's3cret') } });
    expect(ok.status).toBe(200);
    expect(ok.headers['x-content-type-options']).toBe('nosniff');
    expect(sortedSamples(ok.body).get(series('lvsha_probe_success', { probe: 'ipvs' }))).toBe(1);
    const wrong = await httpsGet(port, '/metrics', { ca, headers: { Authorization: basic('prom', 'nope') } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers['www-authenticate']).toMatch(/^Basic /);
    expect(wrong.body).not.toMatch(/lvsha_/);
    expect((await httpsGet(port, '/probe?module=director&target=localhost', { ca })).status).toBe(401);
    // Plain HTTP to the TLS port: the handshake fails, no answer with metrics.
    const plain = await new Promise<string>((resolve) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/metrics', timeout: 10_000 }, (res) => {
        let b = '';
        res.on('data', (x: Buffer) => (b += x.toString()));
        res.on('end', () => resolve(`HTTP ${res.statusCode} ${b}`));
      });
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', (e) => resolve(`error ${e.message}`));
      req.end();
    });
    expect(plain).not.toMatch(/lvsha_probe_success/);
    expect(plain).toMatch(/^error /);
  });

  test('client_auth_type RequireAndVerifyClientCert + client_allowed_sans: only the right client certificate gets in', async () => {
    const cfg = writeConfig('mtls.yml', {
      tls_server_config: { cert_file: 'server.crt', key_file: 'server.key', client_auth_type: 'RequireAndVerifyClientCert', client_ca_file: 'ca.crt', client_allowed_sans: ['prometheus.test'] },
    });
    const port = await startWith(cfg);
    const read = (f: string) => execFileSync('cat', [join(dir, f)]);
    const ca = read('ca.crt');
    const ok = await httpsGet(port, '/-/healthy', { ca, cert: read('client.crt'), key: read('client.key') });
    expect(ok.status).toBe(200);
    await expect(httpsGet(port, '/-/healthy', { ca })).rejects.toThrow();
    // A certificate of the right CA but another SAN (the server's): refused.
    await expect(httpsGet(port, '/-/healthy', { ca, cert: read('server.crt'), key: read('server.key') })).rejects.toThrow();
  });
});

clientTest(
  ['prometheus'],
  'scrapes the exporter over TLS with basic auth (target up); a wrong password is a 401 (down); plain HTTP to the TLS port is down',
  async ([prometheus]) => {
    const cfg = writeConfig('prom-web.yml', { tls_server_config: { cert_file: join(dir, 'server.crt'), key_file: join(dir, 'server.key') }, basic_auth_users: { prom: hash } });
    const port = await startWith(cfg);
    const pdir = join(dir, 'prometheus');
    mkdirSync(join(pdir, 'data'), { recursive: true });
    const job = (name: string, extra: Record<string, unknown>) => ({ job_name: name, scrape_interval: '1s', scrape_timeout: '1s', static_configs: [{ targets: [`127.0.0.1:${port}`] }], ...extra });
    const tls = { scheme: 'https', tls_config: { ca_file: join(dir, 'ca.crt') } };
    writeFileSync(
      join(pdir, 'prometheus.yml'),
      stringify({
        global: { scrape_interval: '1s', evaluation_interval: '1s' },
        scrape_configs: [
          job('lvsha-tls', { ...tls, basic_auth: { username: 'prom', password: 's3cret' } }),
          job('lvsha-wrong-password', { ...tls, basic_auth: { username: 'prom', password: 'guess' } }),
          job('lvsha-plain', { scheme: 'http', basic_auth: { username: 'prom', password: 's3cret' } }),
        ],
      }),
    );
    const promPort = await freePort();
    const base = `http://127.0.0.1:${promPort}`;
    const prom = new Daemon('prometheus', [prometheus!, `--config.file=${join(pdir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(pdir, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`, '--log.level=warn']);
    try {
      await waitFor('prometheus to be ready', async () => {
        if (prom.exited) throw new Fatal(`prometheus exited: ${prom.out}`);
        return (await httpGet(`${base}/-/ready`, 2000)).status === 200 ? true : undefined;
      }, 30_000, 200);
      type Target = { labels: Record<string, string>; health: string; lastError: string; scrapeUrl: string };
      const targets = await waitFor('all three targets scraped', async () => {
        const r = await httpGet(`${base}/api/v1/targets`, 5000);
        const t = (JSON.parse(r.body) as { data: { activeTargets: Target[] } }).data.activeTargets;
        return t.length === 3 && t.every((x) => x.health !== 'unknown') && t.some((x) => x.health === 'up') ? t : undefined;
      }, 30_000);
      const by = (j: string) => targets.find((t) => t.labels.job === j)!;
      process.stderr.write(`prometheus over TLS: ${JSON.stringify(targets.map((t) => [t.labels.job, t.scrapeUrl, t.health, t.lastError]))}\n`);
      expect([by('lvsha-tls').health, by('lvsha-tls').lastError]).toEqual(['up', '']);
      expect(by('lvsha-tls').scrapeUrl).toMatch(/^https:/);
      expect(by('lvsha-wrong-password').health).toBe('down');
      expect(by('lvsha-wrong-password').lastError).toMatch(/401/);
      expect(by('lvsha-plain').health).toBe('down');
      // The series are stored (lvsha_build_info is in every answer, whatever the probes say).
      const q = await httpGet(`${base}/api/v1/query?query=${encodeURIComponent('lvsha_build_info{job="lvsha-tls"}')}`, 5000);
      expect((JSON.parse(q.body) as { data: { result: { value: [number, string] }[] } }).data.result[0]?.value[1]).toBe('1');
    } finally {
      await prom.stop(10_000);
    }
  },
  90_000,
);
