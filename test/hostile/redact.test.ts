/**
 * Issue 13, class 6: URL user info (`http://user:password@...`) is never printed, at any -v.
 * The sorry check fetches a page from a test HTTP server on loopback (and from a port where
 * nothing listens), doctor runs a deployment whose sorry URL carries a password: the secret
 * appears in no line of their output. Before, the check printed the URL as given.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canIsolate, ROOT, runIsolated } from './helpers';
import { spawn } from 'node:child_process';

const SECRET = 's3cret-Pa55';
const USER = 'lvsha-admin';

/** Runs a binary (not isolated: it must reach the test server on loopback). */
function run(prog: string, args: string[]): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const c = spawn(join(ROOT, 'bin', prog), args, { env: { ...process.env, LVSHA_CONFIG: '' } });
    let stdout = '';
    c.stdout.on('data', (b) => (stdout += b));
    c.on('close', (code) => resolve({ code, stdout }));
  });
}

describe('URL user info never printed', () => {
  let server: Server;
  let port: number;
  let dir: string;
  beforeAll(async () => {
    server = createServer((_q, r) => r.end('<html>Site under maintenance</html>\n'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
    dir = mkdtempSync(join(tmpdir(), 'lvsha-redact-'));
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  test.each(['', '-v', '-vv', '-vvv'])('check_lvs_sorry %s: page served, and a port that refuses', async (v) => {
    for (const url of [`http://${USER}:${SECRET}@127.0.0.1:${port}/`, `http://${USER}:${SECRET}@127.0.0.1:1/`]) {
      const r = await run('check_lvs_sorry', ['-u', url, '-t', '5', ...(v ? [v] : [])]);
      expect(r.stdout).toMatch(/^LVS SORRY (OK|WARNING|CRITICAL|UNKNOWN) - /);
      expect(r.stdout).not.toContain(SECRET);
      expect(r.stdout).not.toContain(`${USER}:`);
    }
  });

  (canIsolate ? test : test.skip)('lvsha doctor -vv --json on a deployment whose sorry URL has a password', () => {
    const yaml = readFileSync(join(ROOT, 'lab', 'clients', 'loopback-deployment.yaml'), 'utf8').replace(/^sorry: .*$/m, `sorry: { url: "http://${USER}:${SECRET}@127.0.0.1:80/" }`);
    expect(yaml).toContain(SECRET);
    const f = join(dir, 'd.yaml');
    writeFileSync(f, yaml);
    for (const extra of [['-vv'], ['-vv', '--json']]) {
      const r = runIsolated('lvsha', ['doctor', '--config', f, '-t', '3', '--known-hosts', '/dev/null', '--ssh-key', '/dev/null', ...extra]);
      expect(r.stdout).toMatch(/sorry/);
      expect(r.stdout).not.toContain(SECRET);
    }
  });
});
