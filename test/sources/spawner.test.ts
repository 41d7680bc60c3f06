import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT_GRACE_MS, LocalSource } from '../../src/sources/local';
import { Spawner } from '../../src/sources/spawner';
import { MAX_READ_BYTES } from '../../src/runtime/readBounded';

// The exporter runs its programs through a long-lived spawner (src/sources/spawner.ts) so that
// its own fork never blocks its event loop. Whatever a program does, the exporter must see
// exactly what a direct spawn gives: the same output, exit, error class and message.

const dir = mkdtempSync(join(tmpdir(), 'lvsha-spawner-'));
const spawners: Spawner[] = [];
afterAll(() => {
  for (const s of spawners) s.close();
  rmSync(dir, { recursive: true, force: true });
});
function newSpawner(cap = MAX_READ_BYTES, backstopMs?: number): Spawner {
  const s = new Spawner(cap, EXIT_GRACE_MS, backstopMs);
  spawners.push(s);
  return s;
}

/** Gone, or a zombie nobody reaped yet. */
function gone(pid: number): boolean {
  if (!existsSync(`/proc/${pid}`)) return true;
  try {
    return / [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, ' '));
  } catch {
    return true;
  }
}
async function waitFor(cond: () => boolean, tries = 200): Promise<boolean> {
  for (let i = 0; i < tries && !cond(); i++) await new Promise((r) => setTimeout(r, 50));
  return cond();
}

type Outcome = { ok: unknown } | { error: string; message: string };
async function outcome(p: Promise<unknown>): Promise<Outcome> {
  try {
    return { ok: await p };
  } catch (e) {
    return { error: (e as Error).constructor.name, message: (e as Error).message };
  }
}

describe('the same outcome through the spawner as spawned directly', () => {
  const noexec = join(dir, 'noexec');
  writeFileSync(noexec, '#!/bin/sh\necho hi\n');
  chmodSync(noexec, 0o644);
  // Each row has its deadline: a row shorter than the callback's arity makes jest pass `done`.
  const cases: [string, string[], number][] = [
    ['stdout, stderr and an exit code', ['sh', '-c', 'printf "a\\nb"; printf "err" >&2; exit 3'], 10_000],
    ['killed by a signal', ['sh', '-c', 'kill -TERM $$'], 10_000],
    ['not found', ['/nonexistent/lvsha-no-such-program'], 10_000],
    ['not executable', [noexec], 10_000],
    ['UTF-8 and bytes that are not', ['sh', '-c', "printf 'é→\\377\\000x'"], 10_000],
    ['output that looks like a frame header', ['sh', '-c', 'printf \'{"id":1,"out":0,"err":0,"code":0}\\n{"id":2}\\n\''], 10_000],
    ['an argument with a newline and quotes', ['printf', '%s|', 'a\nb', '"}\n{"kill":1}'], 10_000],
    ['no output at all', ['true'], 10_000],
    ['a deadline missed', ['sleep', '30'], 300],
  ];
  test.each(cases)('%s', async (_what, argv, timeoutMs) => {
    const spawner = newSpawner();
    const direct = await outcome(new LocalSource({ timeoutMs }).run(argv));
    const through = await outcome(new LocalSource({ timeoutMs, spawner }).run(argv));
    expect(through).toEqual(direct);
    expect(spawner.runs).toBe(1); // the spawner's path was taken, not a silent fallback
  });

  test('the outcomes themselves (so that two equally wrong paths cannot agree)', async () => {
    const src = new LocalSource({ timeoutMs: 10_000, spawner: newSpawner() });
    expect(await src.run(['sh', '-c', 'printf "a\\nb"; printf "err" >&2; exit 3'])).toEqual({ stdout: 'a\nb', stderr: 'err', code: 3, signal: null });
    expect(await src.run(['sh', '-c', 'kill -TERM $$'])).toMatchObject({ code: null, signal: 'SIGTERM' });
    expect(await src.run(['printf', '%s|', 'a\nb', '"}\n{"kill":1}'])).toMatchObject({ stdout: 'a\nb|"}\n{"kill":1}|' });
    expect(await outcome(src.run(['/nonexistent/lvsha-no-such-program']))).toEqual({ error: 'SpawnError', message: 'cannot run /nonexistent/lvsha-no-such-program: not found' });
    expect(await outcome(src.run([noexec]))).toEqual({ error: 'SpawnError', message: `cannot run ${noexec}: permission denied` });
    expect(await outcome(new LocalSource({ timeoutMs: 300, spawner: newSpawner() }).run(['sleep', '30']))).toEqual({ error: 'CommandTimeoutError', message: 'sleep did not finish within 0.3 s' });
  });
});

test('a missed deadline kills the whole group, a background grandchild too', async () => {
  const pidfile = join(dir, 'grandchild.pid');
  const src = new LocalSource({ timeoutMs: 500, spawner: newSpawner() });
  const r = await outcome(src.run(['sh', '-c', `sleep 300 & echo $! > ${pidfile}; wait`]));
  expect(r).toMatchObject({ error: 'CommandTimeoutError' });
  const pid = Number(readFileSync(pidfile, 'utf8'));
  expect(pid).toBeGreaterThan(1);
  expect(await waitFor(() => gone(pid))).toBe(true);
});

test('a program that exits leaving a child on its output: the call returns, the child is killed', async () => {
  const pidfile = join(dir, 'bg.pid');
  const src = new LocalSource({ timeoutMs: 30_000, spawner: newSpawner() });
  const r = await src.run(['sh', '-c', `sleep 300 & echo $! > ${pidfile}; echo done`]);
  expect(r).toMatchObject({ code: 0, stdout: 'done\n' });
  const pid = Number(readFileSync(pidfile, 'utf8'));
  expect(await waitFor(() => gone(pid))).toBe(true);
});

test('output over the cap: the program is killed, nothing is kept', async () => {
  const s = newSpawner(1000);
  const r = await s.run(['sh', '-c', 'head -c 5000 /dev/zero; sleep 300'], 30_000);
  expect(r).toMatchObject({ tooMuch: true, stdout: Buffer.alloc(0) });
  // And through LocalSource, the same error as a direct run over the real cap.
  const big = ['head', '-c', String(MAX_READ_BYTES + 10), '/dev/zero'];
  const direct = await outcome(new LocalSource().run(big));
  const through = await outcome(new LocalSource({ spawner: newSpawner() }).run(big));
  expect(direct).toMatchObject({ error: 'BoundedReadError' });
  expect(through).toEqual(direct);
});

test('many runs at once each get their own answer', async () => {
  const src = new LocalSource({ timeoutMs: 20_000, spawner: newSpawner() });
  const rs = await Promise.all(Array.from({ length: 40 }, (_, i) => src.run(['sh', '-c', `sleep 0.0${i % 10}; printf ${i}; printf e${i} >&2`])));
  rs.forEach((r, i) => expect(r).toEqual({ stdout: String(i), stderr: `e${i}`, code: 0, signal: null }));
});

test('a spawner killed under a run fails that run (SpawnError), and the next run starts a new one', async () => {
  const s = newSpawner();
  const src = new LocalSource({ timeoutMs: 30_000, spawner: s });
  const p = outcome(src.run(['sleep', '30']));
  await waitFor(() => s.pid !== undefined);
  const first = s.pid!;
  process.kill(first, 'SIGKILL');
  expect(await p).toEqual({ error: 'SpawnError', message: 'the spawner ended (SIGKILL)' });
  expect(await src.run(['printf', 'again'])).toMatchObject({ stdout: 'again' });
  expect(s.pid).not.toBe(first);
});

test('a stuck spawner: the run gives up after its deadline and a backstop, the spawner is replaced', async () => {
  const s = newSpawner(MAX_READ_BYTES, 300);
  s.start();
  const stuck = s.pid!;
  process.kill(stuck, 'SIGSTOP');
  try {
    const r = await outcome(s.run(['true'], 200));
    expect(r).toEqual({ error: 'SpawnError', message: 'no answer from the spawner for true within 0.7 s' });
    const again = await s.run(['printf', 'ok'], 5000);
    expect(again.stdout.toString()).toBe('ok');
    expect(s.pid).not.toBe(stuck);
    expect(await waitFor(() => gone(stuck))).toBe(true); // stopped, then SIGKILLed by PID
  } finally {
    try {
      process.kill(stuck, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
});

test('ps names it: lvsha-spawner, not a page of JavaScript', () => {
  const s = newSpawner();
  s.start();
  const pid = s.pid!;
  // process.title is set as the script's first statement: poll, bounded.
  const name = () => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0];
  return waitFor(() => name() === 'lvsha-spawner').then((ok) => {
    expect(name()).toBe('lvsha-spawner');
    expect(ok).toBe(true);
  });
});

test('a large output arrives whole, byte for byte (kept as chunks, joined once)', async () => {
  const s = newSpawner();
  // 20 MB of numbered lines: any lost, doubled or reordered chunk changes the text.
  const r = await s.run(['seq', '1', '2500000'], 60_000);
  const text = r.stdout.toString();
  expect(r.stdout.length).toBe(Number(execFileSync('sh', ['-c', 'seq 1 2500000 | wc -c'], { encoding: 'utf8' }).trim()));
  expect(text.startsWith('1\n2\n3\n')).toBe(true);
  expect(text.endsWith('\n2499999\n2500000\n')).toBe(true);
  expect(text.split('\n')[1234567]).toBe('1234568');
});

test('something that is not an answer on the spawner\'s stdout: its runs fail, it is replaced', async () => {
  const s = newSpawner();
  const p = outcome(s.run(['sleep', '5'], 10_000));
  await waitFor(() => s.pid !== undefined);
  const first = s.pid!;
  // As if the spawner had printed a stray line (a warning on stdout).
  const child = (s as unknown as { child: unknown }).child;
  (s as unknown as { onData(c: unknown, b: Buffer): void }).onData(child, Buffer.from('(node:1) Warning: something\n'));
  expect(await p).toEqual({ error: 'SpawnError', message: 'the spawner sent something that is not an answer: replaced' });
  expect((await s.run(['printf', 'ok'], 5000)).stdout.toString()).toBe('ok');
  expect(s.pid).not.toBe(first);
  expect(await waitFor(() => gone(first))).toBe(true);
});

test('a closed spawner refuses new runs', async () => {
  const s = newSpawner();
  s.close();
  await expect(s.run(['true'], 1000)).rejects.toThrow('the spawner is closed');
});

test('when the exporter dies (SIGKILL, no handler runs), the spawner kills what it started and exits', async () => {
  const pidfile = join(dir, 'orphan.pid');
  // A process standing for the exporter: the compiled spawner (npm test compiles dist/ first).
  const code = `const { Spawner } = require(${JSON.stringify(join(__dirname, '../../dist/sources/spawner.js'))});
    const s = new Spawner(1 << 20, 200); s.start(); console.log(s.pid);
    s.run(['sh', '-c', 'echo $$ > ${pidfile}; exec sleep 300'], 60000).catch(() => {});
    setInterval(() => {}, 1000);`;
  const parent = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  parent.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  try {
    expect(await waitFor(() => existsSync(pidfile) && readFileSync(pidfile, 'utf8').trim() !== '' && /\d+\n/.test(out))).toBe(true);
    const spawnerPid = Number(out.trim());
    const sleepPid = Number(readFileSync(pidfile, 'utf8'));
    expect(gone(sleepPid)).toBe(false);
    parent.kill('SIGKILL');
    expect(await waitFor(() => gone(sleepPid))).toBe(true);
    expect(await waitFor(() => gone(spawnerPid))).toBe(true);
  } finally {
    parent.kill('SIGKILL');
  }
});
