import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalSource } from '../../src/sources/local';
import { RootSource } from '../../src/sources/root';
import { MAX_READ_BYTES } from '../../src/runtime/readBounded';

// Adversarial inputs for the local source: programs that leave children behind, files that
// never end. Each case must END (a hang is what these tests catch: the test completing proves it).

const dir = mkdtempSync(join(tmpdir(), 'lvsha-local-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Gone, or a zombie nobody reaped yet (PID 1 of a container may not reap). */
function gone(pid: number): boolean {
  if (!existsSync(`/proc/${pid}`)) return true;
  try {
    return / [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, ' '));
  } catch {
    return true;
  }
}
async function waitGone(pid: number): Promise<boolean> {
  for (let i = 0; i < 200 && !gone(pid); i++) await new Promise((r) => setTimeout(r, 50));
  return gone(pid);
}

test('a program that exits leaving a background child on its output: the call returns, the child is killed', async () => {
  const pidfile = join(dir, 'bg.pid');
  const src = new LocalSource({ timeoutMs: 30_000 });
  // Before: the call waited for the child to close the pipe (here 300 s, i.e. the deadline)
  // and the child was no longer tracked once the program had exited.
  const r = await src.run(['sh', '-c', `sleep 300 & echo $! > ${pidfile}; echo done`]);
  expect(r).toMatchObject({ code: 0, stdout: 'done\n' });
  const pid = Number(readFileSync(pidfile, 'utf8'));
  expect(pid).toBeGreaterThan(1);
  expect(await waitGone(pid)).toBe(true);
});

test.each([
  ['nobody else handles SIGTERM: it ends the process, by the signal', '', null, 'SIGTERM'],
  ['the program has its own once-listener: it ends the process its way', "process.once('SIGTERM', () => setTimeout(() => process.exit(0), 50));", 0, null],
])('children die with the process: %s', async (_what, extra, code, signal) => {
  // The source compiled alone (esbuild), so the test does not depend on dist/.
  const bundle = join(dir, 'local-bundle.js');
  execFileSync(join(__dirname, '..', '..', 'node_modules', '.bin', 'esbuild'), [join(__dirname, '..', '..', 'src', 'sources', 'local.ts'), '--bundle', '--platform=node', `--outfile=${bundle}`, '--log-level=error']);
  const pidfile = join(dir, `child.${signal ?? code}.pid`);
  const script = `const { LocalSource } = require(${JSON.stringify(bundle)});
new LocalSource({ timeoutMs: 300000 }).run(['sh', '-c', 'echo $$ > ${pidfile}; exec sleep 300']);
${extra}
setInterval(() => {}, 1000);`;
  const node = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
  try {
    for (let i = 0; i < 200 && !(existsSync(pidfile) && readFileSync(pidfile, 'utf8').trim()); i++) await new Promise((r) => setTimeout(r, 50));
    const pid = Number(readFileSync(pidfile, 'utf8'));
    expect(gone(pid)).toBe(false);
    node.kill('SIGTERM');
    const how = await new Promise<[number | null, string | null]>((r) => node.once('exit', (c, s) => r([c, s])));
    expect(how).toEqual([code, signal]);
    expect(await waitGone(pid)).toBe(true); // before: the child lived on (its own process group)
  } finally {
    node.kill('SIGKILL');
  }
});

test('a FIFO is refused at once, named (before: the read blocked forever)', async () => {
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  await expect(new LocalSource().readFile(fifo)).rejects.toThrow(`cannot read ${fifo}: it is a FIFO, not a regular file`);
});

test('a character device is refused (/dev/zero never ends)', async () => {
  await expect(new LocalSource().readFile('/dev/zero')).rejects.toThrow('cannot read /dev/zero: it is a character device, not a regular file');
});

test('a missing file is still ENOENT (probes turn it into a state)', async () => {
  await expect(new LocalSource().readFile(join(dir, 'nope'))).rejects.toMatchObject({ code: 'ENOENT' });
});

test('/proc files (size 0 in stat) read whole', async () => {
  expect(await new LocalSource().readFile('/proc/self/status')).toMatch(/^Name:/);
});

describe('a --root tree', () => {
  const root = join(dir, 'root');
  beforeAll(() => mkdirSync(join(root, 'proc', 'net'), { recursive: true }));

  test('a FIFO in the tree is refused, named', async () => {
    const f = join(root, 'proc', 'net', 'ip_vs');
    rmSync(f, { force: true });
    execFileSync('mkfifo', [f]);
    const src = new RootSource(root, new LocalSource());
    await expect(src.readFile('/proc/net/ip_vs')).rejects.toThrow(`cannot read ${f}: it is a FIFO`);
  });

  test('a file over the cap is refused, named, after reading at most the cap', async () => {
    const f = join(root, 'proc', 'net', 'ip_vs');
    rmSync(f, { force: true });
    writeFileSync(f, '');
    truncateSync(f, MAX_READ_BYTES + 1); // sparse: no disk used
    const src = new RootSource(root, new LocalSource());
    await expect(src.readFile('/proc/net/ip_vs')).rejects.toThrow(`cannot read ${f}: larger than 64 MiB (the limit for one file)`);
    truncateSync(f, 1000);
    expect(await src.readFile('/proc/net/ip_vs')).toHaveLength(1000);
  });
});
