import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clampDelay, MAX_DELAY_MS } from '../../src/runtime/timeouts';

test('the largest delay is 2^31 - 1 ms, what a signed 32-bit timer holds', () => {
  expect(MAX_DELAY_MS).toBe(2147483647);
});

test('delays are clamped to what setTimeout honours', () => {
  expect(clampDelay(9_999_999_000)).toBe(MAX_DELAY_MS);
  expect(clampDelay(Infinity)).toBe(MAX_DELAY_MS);
  expect(clampDelay(-5)).toBe(1);
  expect(clampDelay(NaN)).toBe(1);
  expect(clampDelay(1500.2)).toBe(1501);
});

test('-t beyond 2^31 ms is refused naming --timeout, never an instant "timed out"', () => {
  const root = mkdtempSync(join(tmpdir(), 'lvsha-t-')); // an empty --root: nothing probed
  try {
    const bin = join(__dirname, '..', '..', 'bin', 'check_lvs_heartbeat');
    const big = spawnSync(bin, ['--root', root, '-t', '9999999'], { encoding: 'utf8', timeout: 30_000 });
    // Before: "LVS HEARTBEAT UNKNOWN - plugin timed out after 9999999 s" at once (timer overflow).
    expect(big.stdout.split('\n')[0]).toMatch(/^LVS HEARTBEAT UNKNOWN - --timeout '9999999' is too (large|long)/);
    expect(big.status).toBe(3);
    const max = spawnSync(bin, ['--root', root, '-t', '2147483'], { encoding: 'utf8', timeout: 30_000 });
    expect(max.stdout).not.toMatch(/timed out|--timeout/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
