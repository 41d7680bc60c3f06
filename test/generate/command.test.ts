/**
 * The command's behaviour: validation refusals naming the field, weak auth, determinism,
 * no overwrite without --force, modes on disk, --dry-run, --authkey-file.
 */
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, symlinkSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Command } from 'commander';
import { registerGenerate } from '../../src/generate/command';
import { planFiles } from '../../src/generate/plan';
import { referenceDeployment } from '../../src/model/reference';
import { gen, testOptions, tmp } from './helpers';

const dirs: string[] = [];
const newDir = (what: string) => {
  const d = tmp(what);
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

/** A YAML deployment: the reference with some fields replaced. */
function yamlConfig(patch: (d: typeof referenceDeployment) => void): string {
  const d = JSON.parse(JSON.stringify(referenceDeployment));
  patch(d);
  const f = join(newDir('cfg'), 'deployment.json');
  writeFileSync(f, JSON.stringify(d));
  return f;
}

describe('validation first', () => {
  test("the seed's VIP typo 192.16.8.0.3 is refused, naming the fields; nothing written", async () => {
    const cfg = join(newDir('cfg'), 'seed.yaml');
    writeFileSync(
      cfg,
      `name: seed-as-printed
directors:
  - { name: frontal1, address: 192.168.0.1, interface: eth0 }
  - { name: frontal2, address: 192.168.0.2, interface: eth0 }
vips: [{ address: 192.16.8.0.3, prefix: 24 }]
services:
  - { name: www, protocol: tcp, address: 192.16.8.0.3, port: 80, realServers: [{ address: 192.168.0.4, port: 80 }] }
`,
    );
    const out = newDir('out');
    const g = await gen({ config: cfg, out });
    expect(g.code).toBe(2);
    expect(g.err).toEqual(
      expect.arrayContaining([
        "error: vips[0].address: '192.16.8.0.3' is not a valid IP address",
        "error: services[0].address: '192.16.8.0.3' is not a valid IP address",
        "refused: deployment 'seed-as-printed' cannot be generated",
      ]),
    );
    expect(readdirSync(out)).toEqual([]);
  });

  test.each(['md5', 'crc'] as const)('%s authentication is refused unless --allow-weak-auth', async (auth) => {
    const cfg = yamlConfig((d) => (d.heartbeat.auth = auth));
    const refused = await gen({ config: cfg, dryRun: true });
    expect(refused.code).toBe(2);
    expect(refused.err).toContain(`error: heartbeat.auth: '${auth}' is weak authentication and is refused; use sha1 (or pass --allow-weak-auth)`);
    const out = newDir('out');
    const allowed = await gen({ config: cfg, out, allowWeakAuth: true });
    expect(allowed.code).toBe(0);
    expect(allowed.err).toContain(`warning: heartbeat.auth: '${auth}' is a weak authentication method; use sha1`);
    const keys = readFileSync(join(out, 'frontal1', 'etc', 'ha.d', 'authkeys'), 'utf8');
    expect(keys).toMatch(auth === 'crc' ? /^1 crc$/m : /^1 md5 [0-9a-f]{64}$/m);
  });

  test('syncid 0 warns and still generates', async () => {
    const g = await gen({ config: yamlConfig((d) => (d.sync.syncid = 0)), out: newDir('out') });
    expect(g.code).toBe(0);
    expect(g.err).toContain('warning: sync.syncid: syncid 0 means unconfigured: any director on the LAN would be accepted');
  });

  test('values that would change a file\'s meaning are refused, naming the field', async () => {
    // The document's schema refuses these two (src/model/schema.ts)...
    const g = await gen({
      config: yamlConfig((d) => {
        d.services[0]!.name = '../../etc/passwd';
        d.services[0]!.scheduler = 'wlc\nreal = 10.0.0.1:80';
      }),
      dryRun: true,
    });
    expect(g.code).toBe(2);
    expect(g.err.map((l) => l.split(':')[1]!.trim())).toEqual(expect.arrayContaining(['services[0].name', 'services[0].scheduler']));
    expect(g.err.at(-1)).toBe("refused: deployment 'reference' cannot be generated");
    // ...the generator this one (a real host named like the monitoring folder).
    const h = await gen({ config: yamlConfig((d) => (d.realHosts[0]!.name = 'monitoring')), dryRun: true });
    expect(h.code).toBe(2);
    expect(h.err.map((l) => l.split(':')[1]!.trim())).toContain('realHosts[0].name');
  });

  test('a config file that does not exist, and --out missing: exit 2', async () => {
    expect((await gen({ config: '/nonexistent/lvsha.yaml', out: newDir('out') })).code).toBe(2);
    expect((await gen({})).err).toEqual(['refused: --out DIR is required (or --dry-run, or --check DIR)']);
  });
});

describe('writing', () => {
  test('one line per file written; modes on disk whatever the umask', async () => {
    const out = newDir('out');
    const umask = process.umask(0o077); // would make 0644 files 0600 if modes were left to it
    let g;
    try {
      g = await gen({ out, authKey: 'a-fixed-test-key-0123456789' });
    } finally {
      process.umask(umask);
    }
    expect(g.code).toBe(0);
    const planned = planFiles(referenceDeployment, testOptions()).files;
    expect(g.out).toHaveLength(planned.length);
    expect(g.out[0]).toBe(`wrote ${join(out, 'frontal1/etc/apache2/sites-available/lvsha-sorry.conf')} (mode 0644)`);
    for (const f of planned) expect((statSync(join(out, f.host, f.path)).mode & 0o7777).toString(8)).toBe(f.mode.toString(8));
    expect(walk(out).filter((p) => p.includes('.lvsha-'))).toEqual([]); // no temporary file left
    expect(statSync(join(out, 'frontal1', 'etc', 'ha.d')).mode & 0o777).toBe(0o755);
  });

  test('never overwrites without --force: refuses and writes nothing at all', async () => {
    const out = newDir('out');
    const ha = join(out, 'frontal1', 'etc', 'ha.d', 'ha.cf');
    mkdirSync(join(out, 'frontal1', 'etc', 'ha.d'), { recursive: true });
    writeFileSync(ha, 'hand-made\n');
    const g = await gen({ out });
    expect(g.code).toBe(2);
    expect(g.err).toEqual([`exists: ${ha}`, 'refused: 1 file(s) already exist; nothing written (use --force to overwrite)']);
    expect(walk(out)).toEqual([ha]);
    expect(readFileSync(ha, 'utf8')).toBe('hand-made\n');
    const forced = await gen({ out, force: true });
    expect(forced.code).toBe(0);
    expect(readFileSync(ha, 'utf8')).toMatch(/^ucast\s+eth0 192\.168\.0\.2$/m);
  });

  test('refuses to write through a symbolic link inside the output tree', async () => {
    const out = newDir('out');
    const elsewhere = newDir('elsewhere');
    mkdirSync(join(out, 'frontal1'), { recursive: true });
    symlinkSync(elsewhere, join(out, 'frontal1', 'etc'));
    const g = await gen({ out });
    expect(g.code).toBe(2);
    expect(g.err.join('\n')).toMatch(/symbolic link/);
    expect(readdirSync(elsewhere)).toEqual([]);
    expect(walk(out)).toEqual([]); // nothing written for any host (the link leads to the empty folder)
  });

  test('--dry-run prints the plan and writes nothing', async () => {
    const out = newDir('out');
    const g = await gen({ out: join(out, 'tree'), dryRun: true });
    expect(g.code).toBe(0);
    expect(existsSync(join(out, 'tree'))).toBe(false);
    expect(g.out).toContain(`would write ${join(out, 'tree', 'frontal1/etc/ha.d/authkeys')} (mode 0600, ${Buffer.byteLength(planFiles(referenceDeployment, testOptions({ authKey: 'x'.repeat(64) })).files.find((f) => f.path === '/etc/ha.d/authkeys')!.content)} bytes)`);
    expect(g.out.some((l) => l.startsWith(`would write ${join(out, 'tree', 'monitoring/etc/grafana/lvsha.json')} (mode 0644, `))).toBe(true);
    expect(g.out[g.out.length - 1]).toMatch(/^dry run: 38 files for deployment 'reference', nothing written$/);
  });
});

describe('determinism and the key', () => {
  test('two runs: byte-identical files except authkeys; one key per run, shared by both directors', async () => {
    const a = newDir('a');
    const b = newDir('b');
    expect((await gen({ out: a })).code).toBe(0);
    expect((await gen({ out: b })).code).toBe(0);
    const files = walk(a).map((p) => relative(a, p)).sort();
    expect(walk(b).map((p) => relative(b, p)).sort()).toEqual(files);
    for (const f of files) {
      if (f.endsWith('authkeys')) continue;
      expect(readFileSync(join(b, f), 'utf8')).toBe(readFileSync(join(a, f), 'utf8'));
    }
    const key = (dir: string, host: string) => /^1 sha1 ([0-9a-f]+)$/m.exec(readFileSync(join(dir, host, 'etc/ha.d/authkeys'), 'utf8'))![1]!;
    expect(key(a, 'frontal1')).toMatch(/^[0-9a-f]{64}$/);
    expect(key(a, 'frontal1')).toBe(key(a, 'frontal2'));
    expect(key(b, 'frontal1')).toBe(key(b, 'frontal2'));
    expect(key(a, 'frontal1')).not.toBe(key(b, 'frontal1'));
  });

  test('--authkey-file reuses a key: from an authkeys file or a one-line key file', async () => {
    const src = newDir('src');
    await gen({ out: src });
    const keyOf = (dir: string) => /^1 sha1 (\S+)$/m.exec(readFileSync(join(dir, 'frontal1/etc/ha.d/authkeys'), 'utf8'))![1];
    const again = newDir('again');
    expect((await gen({ out: again, authkeyFile: join(src, 'frontal2/etc/ha.d/authkeys') })).code).toBe(0);
    expect(keyOf(again)).toBe(keyOf(src));
    const f = join(newDir('k'), 'key');
    writeFileSync(f, '# shared key\nthis-is-a-long-enough-key-1234\n');
    const third = newDir('third');
    expect((await gen({ out: third, authkeyFile: f })).code).toBe(0);
    expect(keyOf(third)).toBe('this-is-a-long-enough-key-1234');
    writeFileSync(f, 'short\n');
    const g = await gen({ out: newDir('x'), authkeyFile: f });
    expect(g.code).toBe(2);
    expect(g.err).toContain('error: authkey: a 5-character key is too short (16 at least; or pass --allow-weak-auth)');
  });
});

describe('commander wiring', () => {
  test('registerGenerate adds `generate` with its options', async () => {
    const program = new Command('lvsha').exitOverride();
    registerGenerate(program);
    const cmd = program.commands.find((c) => c.name() === 'generate')!;
    expect(cmd.options.map((o) => o.long)).toEqual(
      expect.arrayContaining(['--config', '--out', '--force', '--dry-run', '--check', '--stack', '--authkey-file', '--allow-weak-auth', '--monitoring-user']),
    );
    const out = newDir('cli');
    const prev = process.exitCode;
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const ewrite = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await program.parseAsync(['generate', '--stack', 'keepalived', '--out', out], { from: 'user' });
      expect(process.exitCode).toBe(0);
      expect(statSync(join(out, 'frontal1/etc/keepalived/keepalived.conf')).mode & 0o777).toBe(0o600);
      expect(existsSync(join(out, 'frontal1/etc/ha.d'))).toBe(false);
    } finally {
      write.mockRestore();
      ewrite.mockRestore();
      process.exitCode = prev;
    }
  });
});
