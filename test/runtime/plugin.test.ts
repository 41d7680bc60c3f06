import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const helper = join(__dirname, '..', 'helpers', 'testPlugin.js');
const run = (...args: string[]) => {
  const r = spawnSync(process.execPath, [helper, ...args], { encoding: 'utf8', timeout: 20000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

describe('plugin runtime', () => {
  test('a hanging source is ended by -t: exit 3, one line, child killed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lvsha-'));
    const pidfile = join(dir, 'pid');
    const r = run('hang', '-t', '1', '--pidfile', pidfile);
    expect(r.code).toBe(3);
    expect(r.out).toBe('LVS TEST UNKNOWN - plugin timed out after 1 s\n');
    const pid = Number(readFileSync(pidfile, 'utf8'));
    expect(pid).toBeGreaterThan(1);
    // The child (its whole group) was killed, not orphaned.
    let alive = false;
    try {
      process.kill(pid, 0);
      alive = !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
    } catch {
      alive = false;
    }
    expect(alive).toBe(false);
  });

  test('a thrown error gives exit 3 and one clear line, no stack', () => {
    const r = run('throw');
    expect(r.code).toBe(3);
    expect(r.out).toBe('LVS TEST UNKNOWN - internal error: boom inside the check\n');
    expect(r.err).toBe('');
  });

  test('-vvv adds the stack trace as long output', () => {
    const r = run('throw', '-vvv');
    expect(r.code).toBe(3);
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toBe('LVS TEST UNKNOWN - internal error: boom inside the check');
    expect(lines.some((l) => /at .*testPlugin\.js/.test(l))).toBe(true);
  });

  test('--help and --version exit 3 with text on stdout', () => {
    const h = run('ok', '--help');
    expect(h.code).toBe(3);
    expect(h.out).toMatch(/^Usage: check_lvs_test \[options\]/);
    const v = run('ok', '-V');
    expect(v.code).toBe(3);
    expect(v.out).toMatch(/^check_lvs_test \(lvsha\) \d+\.\d+\.\d+\n$/);
  });

  test('bad option and bad option value exit 3 with usage, never commander codes', () => {
    const a = run('ok', '--nope');
    expect(a.code).toBe(3);
    expect(a.out.split('\n')[0]).toBe("LVS TEST UNKNOWN - unknown option '--nope'");
    expect(a.out).toContain('Usage: check_lvs_test');
    const b = run('ok', '-t', '0');
    expect(b.code).toBe(3);
    expect(b.out.split('\n')[0]).toBe("LVS TEST UNKNOWN - --timeout '0' is not a positive number of seconds");
    const c = run('ok', 'positional');
    expect(c.code).toBe(3);
  });

  test('malformed range is UNKNOWN naming it', () => {
    const r = run('value', '-w', '20:10');
    expect(r.code).toBe(3);
    expect(r.out).toBe("LVS TEST UNKNOWN - invalid range '20:10': start 20 is greater than end 10\n");
  });

  test('thresholds: critical evaluated first, perfdata carries them', () => {
    expect(run('value', '-w', '5', '-c', '6').out).toBe('LVS TEST CRITICAL - value 7 | value=7;5;6\n');
    expect(run('value', '-w', '5', '-c', '10').code).toBe(1);
    expect(run('value', '-w', '@7:7').code).toBe(1);
    const ok = run('value', '-w', '10');
    expect(ok.code).toBe(0);
    expect(ok.out).toBe('LVS TEST OK - value 7 | value=7;10\n');
  });
});
