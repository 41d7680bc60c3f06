/**
 * `lvsha doctor` end to end, as a sysadmin runs it (bin/lvsha, compiled dist/: `npm test`
 * builds it first; alone, run `npx tsc -p tsconfig.json` before `npx jest test/doctor`).
 *
 * The deployment's four hosts are 127.0.0.2..5: a counting TCP relay on each forwards to ONE
 * real test sshd on 127.0.0.1 (same port, so known_hosts lines `[127.0.0.N]:PORT KEY` verify).
 * Doctor treats 127.0.0.1 as "this host" but not 127.0.0.2..5, so every check goes over SSH
 * and runs the real programs of this machine (cl_status, ipvsadm, ip, ss, /proc). The relays
 * prove the SshPool: one connection per host for the whole run, though a director is asked
 * by five checks (vip, heartbeat, ipvs, sync, sorry) and the sorry page is fetched through
 * the same connection (a direct-tcpip channel to a test HTTP server on 127.0.0.1).
 *
 * States on this machine (no Heartbeat running, no IP_VS in the kernel) are mostly CRITICAL;
 * each row's expectation below says why it is deterministic, and the ones that depend on the
 * machine are derived from what the same program says locally.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, Server as HttpServer } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { doctorPlan } from '../../src/doctor/plan';
import { loadDeployment } from '../../src/model/load';
import { State, worst } from '../../src/runtime/state';
import { CountingRelay, startRelay, startSilent } from '../helpers/relay';
import { freePort, sshdAvailable, startSshd, TestSshd } from '../helpers/sshd';

const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'lvsha');
const ANSI = /\x1b\[[0-9;]*m/;

/**
 * One SSH connection per host for the whole run (without the pool: [5, 5, 1, 1]). A command
 * that misses its deadline on a loaded machine retires its connection (a remote process that
 * could not be killed may hold its channels), so one replacement per host is allowed.
 */
function expectPooled(connections: number[]): void {
  expect(connections).toHaveLength(4);
  for (const n of connections) expect([1, 2]).toContain(n);
  expect(connections.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(5);
}
const STATES = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'];
/** Documentation address (TEST-NET-1): configured on no machine, and no packet is ever sent to it (no --arp-from). */
const VIP = '192.0.2.3';
const HOSTS = { frontal1: '127.0.0.2', frontal2: '127.0.0.3', reel1: '127.0.0.4', reel2: '127.0.0.5' };
/** Nothing listens there (checked in the test): a director that is down. */
const REFUSED = '127.0.0.9';
/** Accepts TCP and never answers: a hung director. */
const SILENT = '127.0.0.8';

const available = sshdAvailable();
if (!available && process.env.CI) throw new Error('sshd (openssh-server) and root are required in CI');
const d = available ? describe : describe.skip;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  /** New connections per relay (frontal1, frontal2, reel1, reel2) during the run. */
  connections: number[];
}

interface JsonRow {
  check: string;
  host: string;
  state: string;
  exitCode: number;
  summary: string;
  details: string[];
  seconds: number;
}

const PAGE = '<html><body>Site under maintenance</body></html>\n';
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

d('lvsha doctor over SSH (loopback hosts, one test sshd)', () => {
  let sshd: TestSshd;
  let relays: CountingRelay[];
  let silent: Awaited<ReturnType<typeof startSilent>>;
  let http: HttpServer;
  let httpPort: number;
  let httpHits = 0;
  let dir: string;
  let knownHosts: string;
  /** Same, but reel2's line holds another host key. */
  let knownHostsWrongReel2: string;
  const cfg: Record<'main' | 'refused' | 'silent', string> = { main: '', refused: '', silent: '' };
  /** What this machine's own cl_status says (the SSH sessions run on this machine too). */
  let localHb: string | undefined;
  const ipvsHere = existsSync('/proc/net/ip_vs');
  const children = new Set<ChildProcess>();

  const deployment = (frontal2: string) => `name: loopback
directors:
  - { name: frontal1, address: ${HOSTS.frontal1}, interface: eth0 }
  - { name: frontal2, address: ${frontal2}, interface: eth0 }
vips: [{ address: ${VIP}, prefix: 24, label: 'eth0:0' }]
services:
  - name: www
    protocol: tcp
    address: ${VIP}
    port: 80
    persistent: 3600
    realServers:
      - { name: reel1, address: ${HOSTS.reel1}, port: 80 }
      - { name: reel2, address: ${HOSTS.reel2}, port: 80 }
realHosts:
  - { name: reel1, address: ${HOSTS.reel1}, interface: eth0 }
  - { name: reel2, address: ${HOSTS.reel2}, interface: eth0 }
heartbeat: { preferred: frontal1 }
sorry: { url: 'http://127.0.0.1:${httpPort}/' }
`;

  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'dist', 'doctor', 'command.js'))) throw new Error('dist/ is not built: run npx tsc -p tsconfig.json');
    sshd = await startSshd();
    relays = [];
    for (const a of Object.values(HOSTS)) relays.push(await startRelay(a, sshd.port, sshd.port));
    silent = await startSilent(SILENT, sshd.port);
    httpPort = await freePort();
    http = createHttpServer((_req, res) => {
      httpHits++;
      res.setHeader('Content-Type', 'text/html');
      res.end(PAGE);
    });
    await new Promise<void>((r) => http.listen(httpPort, '127.0.0.1', r));

    dir = mkdtempSync(join(tmpdir(), 'lvsha-doctor-'));
    const key = (f: string) => readFileSync(f, 'utf8').trim().split(' ').slice(1).join(' ');
    const good = key(sshd.knownHosts);
    const other = key(sshd.wrongKnownHosts);
    const line = (a: string, k: string) => `[${a}]:${sshd.port} ${k}\n`;
    const all = [...Object.values(HOSTS), REFUSED, SILENT];
    knownHosts = join(dir, 'known_hosts');
    writeFileSync(knownHosts, all.map((a) => line(a, good)).join(''));
    knownHostsWrongReel2 = join(dir, 'known_hosts_wrong_reel2');
    writeFileSync(knownHostsWrongReel2, all.map((a) => line(a, a === HOSTS.reel2 ? other : good)).join(''));
    for (const [k, f2] of [
      ['main', HOSTS.frontal2],
      ['refused', REFUSED],
      ['silent', SILENT],
    ] as const) {
      cfg[k] = join(dir, `${k}.yaml`);
      writeFileSync(cfg[k], deployment(f2));
    }
    const hb = spawnSync('cl_status', ['hbstatus'], { encoding: 'utf8', timeout: 10000 });
    localHb = hb.error ? undefined : hb.stdout.trim();
  }, 60000);

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const r of relays ?? []) await r.close();
    await silent?.close();
    await new Promise<void>((r) => (http ? http.close(() => r()) : r()));
    await sshd?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Runs argv without blocking this process (the relays and the HTTP server live here), bounded. */
  function spawnBounded(cmd: string, args: string[]): Promise<Run> {
    const env = { ...process.env };
    for (const k of ['NO_COLOR', 'LVSHA_CONFIG', 'LVSHA_SSH_USER', 'LVSHA_SSH_KEY', 'LVSHA_KNOWN_HOSTS', 'LVSHA_SSH_PORT']) delete env[k];
    const before = relays.map((r) => r.connections);
    return new Promise((resolve) => {
      const c = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
      children.add(c);
      let stdout = '';
      let stderr = '';
      c.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
      c.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
      // Far beyond any run here (about 1 s each): only a hang reaches it, and the assertions then fail.
      const guard = setTimeout(() => c.kill('SIGKILL'), 40000);
      c.on('close', (code) => {
        clearTimeout(guard);
        children.delete(c);
        resolve({ code, stdout, stderr, connections: relays.map((r, i) => r.connections - before[i]!) });
      });
    });
  }

  const doctorArgs = (config: string, extra: string[], kh = knownHosts) => [
    BIN,
    'doctor',
    '--config',
    config,
    '--ssh-user',
    'root',
    '--ssh-port',
    String(sshd.port),
    '--ssh-key',
    sshd.userKey,
    '--known-hosts',
    kh,
    ...extra,
  ];
  const doctor = (config: string, extra: string[] = [], kh = knownHosts) => spawnBounded(process.execPath, doctorArgs(config, extra, kh));

  /** The table's rows (between the heading and `worst state:`), cut at the heading's columns. */
  function tableRows(stdout: string): { check: string; host: string; state: string; summary: string; line: string }[] {
    const lines = stdout.replace(ANSI_ALL, '').split('\n');
    const h = lines.findIndex((l) => l.startsWith('CHECK '));
    expect(h).toBe(1);
    const head = lines[h]!;
    const [c1, c2, c3] = ['HOST', 'STATE', 'SUMMARY'].map((x) => head.indexOf(x)) as [number, number, number];
    return lines
      .slice(h + 1)
      .filter((l) => l !== '' && !l.startsWith(' ') && !l.startsWith('worst state: '))
      .map((line) => ({ check: line.slice(0, c1).trimEnd(), host: line.slice(c1, c2).trimEnd(), state: line.slice(c2, c3).trimEnd(), summary: line.slice(c3), line }));
  }
  const ANSI_ALL = new RegExp(ANSI.source, 'g');
  const planOf = (config: string) => doctorPlan(loadDeployment(config).deployment).map((i) => `${i.check} ${i.host}`);

  /**
   * The rows whose verdict does not depend on timing, for a director at `f` reached over SSH:
   * - vip: no director holds the documentation VIP (it is on no machine) → CRITICAL;
   * - heartbeat: over SSH cl_status runs on this very machine; when it says here that
   *   Heartbeat is stopped, the row is CRITICAL "not running" (the host named by address);
   * - ipvs/sync: without /proc/net/ip_vs (no IP_VS in this kernel) → CRITICAL "IPVS not
   *   available"; sync names whichever of its two probes failed first (ipvsadm's "Protocol not
   *   available" or the missing /proc/net/ip_vs_conn_sync: both seen), so only the prefix;
   * - sorry: the page of the test HTTP server on 127.0.0.1, fetched from the director through
   *   its SSH connection → HTTP 200; OK when the IPVS table cannot say the page is in service;
   * - arp: the VIP is not on this machine's lo → CRITICAL "lacks VIP on lo".
   */
  function expectDirectorRows(rows: JsonRow[], name: string, f: string): void {
    const row = (check: string) => rows.find((r) => r.check === check && r.host === name)!;
    if (localHb === 'Heartbeat is stopped on this machine.') {
      expect(row('heartbeat')).toMatchObject({ state: 'CRITICAL', summary: `Heartbeat is not running on ${f}`, details: ['Heartbeat is stopped on this machine.'] });
    }
    if (!ipvsHere) {
      expect(row('ipvs')).toMatchObject({ state: 'CRITICAL', summary: `IPVS not available in this kernel (${f}: no /proc/net/ip_vs)` });
      expect(row('sync').state).toBe('CRITICAL');
      expect(row('sync').summary).toMatch(new RegExp(`^IPVS not available in this kernel \\(${f.replace(/\./g, '\\.')}: (ipvsadm: Protocol not available|no /proc/net/ip_vs_conn_sync)\\)$`));
      expect(row('sorry').state).toBe('OK');
      expect(row('sorry').details).toContain('IPVS table not readable here: whether the sorry server is in service is unknown');
    }
    expect(row('sorry').summary).toMatch(new RegExp(`^HTTP/1\\.1 200 OK, ${Buffer.byteLength(PAGE)} B in \\d+\\.\\d{3} s from http://127\\.0\\.0\\.1:${httpPort}/$`));
  }
  function expectRealServerRow(rows: JsonRow[], name: string, a: string): void {
    const r = rows.find((x) => x.check === 'arp' && x.host === name)!;
    expect(r.state).toBe('CRITICAL');
    expect(r.summary.startsWith(`${a} lacks ${VIP} on lo: DR traffic for ${VIP} would be dropped`)).toBe(true);
  }

  test('preconditions: the VIP is on no interface here; nothing listens on the "down" director', async () => {
    for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) expect(a.address).not.toBe(VIP);
    const err = await new Promise<string>((resolve) => {
      const s = connect({ host: REFUSED, port: sshd.port });
      s.on('connect', () => {
        s.destroy();
        resolve('connected');
      });
      s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    });
    expect(err).toBe('ECONNREFUSED');
  });

  test('table on a pipe: ONE SSH connection per host for the whole run, every planned row with a state, no colour', async () => {
    const hits = httpHits;
    const r = await doctor(cfg.main);
    // 11 checks, 4 hosts: each host's relay saw exactly one TCP connection.
    expectPooled(r.connections);
    // Both directors fetched the sorry page through that connection.
    expect(httpHits - hits).toBe(2);
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(`lvsha doctor: deployment loopback (${cfg.main})`);
    expect(lines.at(-1)).toBe('');
    expect(lines.at(-2)).toMatch(/^worst state: (OK|WARNING|CRITICAL|UNKNOWN)$/);
    const rows = tableRows(r.stdout);
    expect(rows.map((x) => `${x.check} ${x.host}`)).toEqual(planOf(cfg.main));
    expect(rows).toHaveLength(11);
    for (const x of rows) {
      expect(STATES).toContain(x.state);
      expect(x.summary.length).toBeGreaterThan(0);
    }
    // Not a terminal: summaries whole (piped into grep or a mail, the end matters).
    expect(r.stdout).not.toContain('…');
    expect(r.stdout).not.toMatch(ANSI);
    // The deterministic rows (see expectDirectorRows): vip CRITICAL makes the whole run CRITICAL.
    expect(rows[0]).toMatchObject({ check: 'vip', host: 'frontal1+frontal2', state: 'CRITICAL', summary: `no director holds ${VIP}` });
    expect(lines.at(-2)).toBe('worst state: CRITICAL');
    expect(r.code).toBe(2);
  }, 45000);

  test('--json: parses; exitCode = the process exit code = worst of the rows; rows as expected on this machine', async () => {
    const r = await doctor(cfg.main, ['--json']);
    expectPooled(r.connections);
    expect(r.stdout).not.toMatch(ANSI);
    const j = JSON.parse(r.stdout) as { state: string; exitCode: number; results: JsonRow[] };
    expect(j.exitCode).toBe(r.code);
    expect(j.state).toBe(State[r.code!]);
    expect(worst(...j.results.map((x) => x.exitCode as State))).toBe(r.code);
    expect(j.results.map((x) => `${x.check} ${x.host}`)).toEqual(planOf(cfg.main));
    for (const x of j.results) {
      expect(Object.keys(x).sort()).toEqual(['check', 'details', 'exitCode', 'host', 'seconds', 'state', 'summary']);
      expect(State[x.exitCode]).toBe(x.state);
      expect(typeof x.seconds).toBe('number');
    }
    expect(j.results[0]).toMatchObject({
      check: 'vip',
      state: 'CRITICAL',
      summary: `no director holds ${VIP}`,
      details: [`CRITICAL: no director holds ${VIP}`, `frontal1 (${HOSTS.frontal1}): holds no VIP`, `frontal2 (${HOSTS.frontal2}): holds no VIP`],
    });
    expectDirectorRows(j.results, 'frontal1', HOSTS.frontal1);
    expectDirectorRows(j.results, 'frontal2', HOSTS.frontal2);
    expectRealServerRow(j.results, 'reel1', HOSTS.reel1);
    expectRealServerRow(j.results, 'reel2', HOSTS.reel2);
    // Mixed states in one run (OK sorry rows, CRITICAL others) still exit with the worst.
    if (!ipvsHere) expect(new Set(j.results.map((x) => x.state))).toEqual(new Set(['OK', 'CRITICAL']));
    expect(r.code).toBe(2);
  }, 45000);

  test('--color on a pipe: each state coloured, nothing else; same table once the codes are stripped', async () => {
    const r = await doctor(cfg.main, ['--color']);
    expectPooled(r.connections);
    const lines = r.stdout.split('\n');
    const coloured = lines.filter((l) => ANSI.test(l));
    expect(coloured).toHaveLength(11);
    for (const l of coloured) expect(l).toMatch(/^\S+ +\S+ +\x1b\[[0-9;]+m(OK|WARNING|CRITICAL|UNKNOWN) *\x1b\[0m  \S/);
    expect(tableRows(r.stdout).map((x) => `${x.check} ${x.host} ${x.state}`)).toHaveLength(11);
    expect(r.code).toBe(2);
  }, 45000);

  test('-v: details under the rows; the sorry page went through the director\'s (single) SSH connection', async () => {
    const r = await doctor(cfg.main, ['-v']);
    expectPooled(r.connections);
    const lines = r.stdout.split('\n');
    expect(r.stdout).not.toContain('…');
    for (const f of ['127.0.0.2', '127.0.0.3']) expect(lines.filter((l) => l.trim() === `fetched from ${f} through its SSH connection`)).toHaveLength(1);
    const vipAt = lines.findIndex((l) => l.startsWith('vip '));
    expect(lines.slice(vipAt + 1, vipAt + 4).map((l) => l.trim())).toEqual([
      `CRITICAL: no director holds ${VIP}`,
      `frontal1 (${HOSTS.frontal1}): holds no VIP`,
      `frontal2 (${HOSTS.frontal2}): holds no VIP`,
    ]);
    expect(tableRows(r.stdout)).toHaveLength(11);
    expect(r.code).toBe(2);
  }, 45000);

  test('a director that is down (connection refused) and a real server whose host key changed: CRITICAL "cannot reach" rows, UNKNOWN for the key, exit 2', async () => {
    const r = await doctor(cfg.refused, ['--json', '-t', '3'], knownHostsWrongReel2);
    const j = JSON.parse(r.stdout) as { state: string; exitCode: number; results: JsonRow[] };
    expect(j.results.map((x) => `${x.check} ${x.host}`)).toEqual(planOf(cfg.refused));
    const row = (check: string, host: string) => j.results.find((x) => x.check === check && x.host === host)!;
    const cannot = `cannot reach ${REFUSED}:${sshd.port} over SSH: connect ECONNREFUSED ${REFUSED}:${sshd.port}`;
    for (const c of ['heartbeat', 'ipvs', 'sync']) expect(row(c, 'frontal2')).toMatchObject({ state: 'CRITICAL', summary: cannot });
    expect(row('sorry', 'frontal2')).toMatchObject({ state: 'CRITICAL', summary: `GET 127.0.0.1:${httpPort} failed: ${cannot}` });
    expect(row('vip', 'frontal1+frontal2')).toMatchObject({ state: 'CRITICAL', summary: `no director holds ${VIP} (frontal2 unreachable)` });
    expect(row('vip', 'frontal1+frontal2').details).toContain(`frontal2 (${REFUSED}): unreachable: ${cannot}`);
    // The healthy director is not disturbed: same rows, still one connection; frontal2's relay unused.
    expectDirectorRows(j.results, 'frontal1', HOSTS.frontal1);
    expect(r.connections[0]).toBe(1);
    expect(r.connections[1]).toBe(0);
    // reel2 presents a key that known_hosts does not have for it: our side cannot ask → UNKNOWN.
    expect(row('arp', 'reel2').state).toBe('UNKNOWN');
    expect(row('arp', 'reel2').summary).toBe(`HOST KEY CHANGED for ${HOSTS.reel2}:${sshd.port} (does not match ${knownHostsWrongReel2}); refusing to connect`);
    expectRealServerRow(j.results, 'reel1', HOSTS.reel1);
    // CRITICAL (2) outranks UNKNOWN (3): the exit code is 2 though a row says 3.
    expect(j.results.some((x) => x.exitCode === 3)).toBe(true);
    expect([r.code, j.exitCode, j.state]).toEqual([2, 2, 'CRITICAL']);
  }, 45000);

  test('a hung director (accepts TCP, never speaks SSH): doctor still ends, its rows CRITICAL "timed out waiting for handshake"', async () => {
    const r = await doctor(cfg.silent, ['--json', '-t', '2']);
    expect(r.code).not.toBeNull(); // ended by itself (not by the 40 s guard's SIGKILL)
    const j = JSON.parse(r.stdout) as { state: string; exitCode: number; results: JsonRow[] };
    const row = (check: string, host: string) => j.results.find((x) => x.check === check && x.host === host)!;
    const cannot = `cannot reach ${SILENT}:${sshd.port} over SSH: Timed out while waiting for handshake`;
    for (const c of ['heartbeat', 'ipvs', 'sync']) expect(row(c, 'frontal2')).toMatchObject({ state: 'CRITICAL', summary: cannot });
    expect(row('sorry', 'frontal2')).toMatchObject({ state: 'CRITICAL', summary: `GET 127.0.0.1:${httpPort} failed: ${cannot}` });
    expect(row('vip', 'frontal1+frontal2')).toMatchObject({ state: 'CRITICAL', summary: `no director holds ${VIP} (frontal2 unreachable)` });
    // One attempt for the whole run: the pool shares it, and a failed host is not retried.
    expect(silent.connections).toBe(1);
    expectDirectorRows(j.results, 'frontal1', HOSTS.frontal1);
    expect(r.connections[0]).toBe(1);
    expect([r.code, j.exitCode]).toEqual([2, 2]);
  }, 45000);

  test('a bad -t is one usage error naming the value, before any check runs', async () => {
    for (const bad of ['abc', '0', '-1']) {
      const r = await doctor(cfg.main, ['-t', bad]);
      // Bad input is UNKNOWN (issue 13): exit 3, one line on stdout.
      expect(r.code).toBe(3);
      expect(r.stdout).toBe(`lvsha doctor: UNKNOWN - --timeout '${bad}' is not a positive number of seconds\n`);
      expect(r.connections).toEqual([0, 0, 0, 0]);
    }
  }, 45000);

  // On a terminal (a pty from util-linux `script`, its width set with stty).
  const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
  const onTty = (extra: string[], cols: number) =>
    spawnBounded('script', ['-qec', `stty cols ${cols} && exec ${[process.execPath, ...doctorArgs(cfg.main, extra)].map(q).join(' ')}`, '/dev/null']);
  const ttyTest = hasScript ? test : test.skip;

  ttyTest('on a terminal: every row cut to the terminal\'s width', async () => {
    const r = await onTty([], 100);
    expectPooled(r.connections);
    const lines = r.stdout.replace(ANSI_ALL, '').split('\r\n');
    const rows = lines.filter((l) => /^(vip|heartbeat|ipvs|sync|sorry|arp) /.test(l));
    expect(rows).toHaveLength(11);
    for (const l of rows) expect(l.length).toBeLessThanOrEqual(100);
    // The arp summaries are far longer than the room left (100 - 40): cut to exactly 100.
    for (const l of rows.filter((x) => x.startsWith('arp'))) expect([l.length, l.at(-1)]).toEqual([100, '…']);
    expect(r.code).toBe(2);
  }, 45000);

  // Found by this test: `--color` once defaulted to false, so a terminal never got colour.
  (hasScript ? test : test.skip)('on a terminal: states coloured without --color, none with --no-color', async () => {
    const r = await onTty([], 120);
    expect(r.stdout).toMatch(ANSI);
    const n = await onTty(['--no-color'], 120);
    expect(n.stdout).not.toMatch(ANSI);
  }, 60000);
});
