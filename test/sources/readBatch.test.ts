import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReadBatchError, ReadRequest, parseReadBatch, readAnswerError, readBatchArgv } from '../../src/sources/readBatch';
import { isNotFound } from '../../src/sources/source';

// Real output of the batch script (scripts/capture-readbatch.js, run as nobody): dash (Debian's
// /bin/sh) and busybox ash. They differ only in the status of a failed redirection (2 vs 1).
const FIX = join(__dirname, '..', 'fixtures', 'real', 'readbatch');
const meta = (shell: string) => {
  const m = readFileSync(join(FIX, `${shell}.meta`), 'utf8');
  return { boundary: /^boundary: (\S+)$/m.exec(m)![1]!, reqs: JSON.parse(/^requests: (.*)$/m.exec(m)![1]!) as ReadRequest[] };
};

describe.each(['dash', 'busybox'])('read batch, real %s output', (shell) => {
  const { boundary, reqs } = meta(shell);
  const out = readFileSync(join(FIX, `${shell}.out`), 'utf8');

  test('one answer per request, content byte-exact', () => {
    const a = parseReadBatch(out, boundary, reqs.length);
    expect(a).toHaveLength(13);
    expect(a[0]).toEqual({ ok: true, text: '1\n' });
    expect(a[1]).toEqual({ ok: true, text: 'x' }); // no newline added
    expect(a[2]).toEqual({ ok: true, text: '' });
    expect(a[3]).toEqual({ ok: true, text: 'net.ipv4.conf.all.arp_ignore\t= 1 \n\n# trailing spaces  \n' });
    expect(a[4]).toMatchObject({ ok: false, code: 'ENOENT', rc: shell === 'dash' ? 2 : 1 });
    expect(a[5]).toMatchObject({ ok: false, code: 'EISDIR' });
    expect(a[6]).toMatchObject({ ok: false, code: 'EACCES' });
    expect(a[7]).toMatchObject({ ok: false, code: 'ENOENT' }); // dangling symlink
    expect(a[8]).toEqual({ ok: true, text: 'a\nb\nwith space\n.hidden\n' }); // glob order; listDir sorts
    expect(a[9]).toEqual({ ok: true, text: '' });
    expect(a[10]).toMatchObject({ ok: false, code: 'ENOENT', rc: 2 });
    expect(a[11]!.ok && /^\d+\n$/.test(a[11]!.text)).toBe(true); // a /proc file, newline kept (cat)
    expect(a[12]).toEqual({ ok: true, text: "it's\n" });
  });

  test('output cut anywhere, or with bytes after it, is refused (never a wrong answer)', () => {
    for (let n = 0; n < out.length; n++) expect(() => parseReadBatch(out.slice(0, n), boundary, reqs.length)).toThrow(ReadBatchError);
    expect(() => parseReadBatch(out + 'x', boundary, reqs.length)).toThrow(ReadBatchError);
    // More requests than records: the script stopped early.
    expect(() => parseReadBatch(out, boundary, reqs.length + 1)).toThrow(/record 14 of 14 missing/);
    // Another boundary (a record forged by content cannot close a record it did not open).
    expect(() => parseReadBatch(out, 'ffffffffffffffffffffffff', reqs.length)).toThrow(ReadBatchError);
  });
});

test('errors carry the fs-like code the probes test for', () => {
  const e = readAnswerError('/etc/x', 'reel1', { code: 'ENOENT', rc: 1 });
  expect(isNotFound(e)).toBe(true);
  expect(e.message).toBe('cannot read /etc/x on reel1: ENOENT: No such file or directory');
  expect(readAnswerError('/etc', 'reel1', { code: 'EISDIR', rc: 1 }).message).toMatch(/EISDIR/);
  expect(isNotFound(readAnswerError('/etc/s', 'reel1', { code: 'EACCES', rc: 1 }))).toBe(false);
});

test('the script, run live by /bin/sh, answers what the files hold (paths are argv, not shell text)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lvsha-readbatch-'));
  try {
    const evil = join(dir, '$(touch pwned); `id` "q" *');
    writeFileSync(evil, 'safe\n');
    writeFileSync(join(dir, 'a'), 'A');
    const odd = '  lead\\ing \\n back\\slash\t\n\n\nlast line, no newline';
    writeFileSync(join(dir, 'b'), odd);
    // Multi-digit sysctls: a byte-by-byte `read` of /proc/sys gets "6" for 64 (kernel EOF at
    // a non-zero offset), so these must come out whole.
    const procs = ['/proc/sys/net/ipv4/ip_default_ttl', '/proc/sys/net/ipv4/ip_local_port_range', '/proc/sys/kernel/pid_max'];
    const reqs: ReadRequest[] = [
      { kind: 'f', path: evil },
      { kind: 'f', path: join(dir, 'a') },
      { kind: 'd', path: dir },
      { kind: 'f', path: join(dir, 'b') },
      ...procs.map((p): ReadRequest => ({ kind: 'f', path: p })),
    ];
    const boundary = '0123456789abcdef01234567';
    const argv = readBatchArgv(boundary, reqs);
    // cwd = dir: an injected `touch pwned` would show in the listing.
    const r = spawnSync('/bin/sh', argv.slice(1), { cwd: dir, encoding: 'utf8', timeout: 10000 });
    expect(r.status).toBe(0);
    const a = parseReadBatch(r.stdout, boundary, reqs.length);
    expect(a[0]).toEqual({ ok: true, text: 'safe\n' });
    expect(a[1]).toEqual({ ok: true, text: 'A' });
    expect(a[2]!.ok && a[2]!.text.split('\n').filter(Boolean).sort()).toEqual(['$(touch pwned); `id` "q" *', 'a', 'b']);
    expect(a[3]).toEqual({ ok: true, text: odd });
    procs.forEach((p, i) => expect(a[4 + i]).toEqual({ ok: true, text: readFileSync(p, 'utf8') }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
