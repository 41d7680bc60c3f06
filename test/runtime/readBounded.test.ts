import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDeployment } from '../../src/model/load';
import { PluginError } from '../../src/runtime/errors';
import { readTextFile, readTextFileSync } from '../../src/runtime/readBounded';

const dir = mkdtempSync(join(tmpdir(), 'lvsha-read-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('--config naming what is not a document', () => {
  // Before: a FIFO blocked the plugin for good (no output, -t never fired: the read is
  // synchronous), /dev/zero grew to 16 GB of RSS.
  test('a FIFO is refused at once, named', () => {
    const fifo = join(dir, 'deploy.yaml');
    execFileSync('mkfifo', [fifo]);
    expect(() => loadDeployment(fifo)).toThrow(`cannot read ${fifo}: it is a FIFO, not a regular file`);
  });

  test('/dev/zero is refused, named', () => {
    let e: unknown;
    try {
      loadDeployment('/dev/zero');
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(PluginError); // UNKNOWN, one line
    expect((e as Error).message).toBe('cannot read /dev/zero: it is a character device, not a regular file');
  });

  test('a document over 1 MiB is refused, named', () => {
    const big = join(dir, 'big.yaml');
    writeFileSync(big, `# ${'x'.repeat(1024 * 1024)}\n`);
    expect(() => loadDeployment(big)).toThrow(`cannot read ${big}: larger than 1 MiB`);
  });
});

test('bounded reads: exactly the cap is read, one byte more is refused', async () => {
  const f = join(dir, 'f');
  writeFileSync(f, 'abcd');
  expect(readTextFileSync(f, { maxBytes: 4 })).toBe('abcd');
  expect(await readTextFile(f, { maxBytes: 4 })).toBe('abcd');
  expect(() => readTextFileSync(f, { maxBytes: 3 })).toThrow(/larger than 3 B/);
  await expect(readTextFile(f, { maxBytes: 3, label: 'the file' })).rejects.toThrow('cannot read the file: larger than 3 B (the limit for one file)');
  expect(() => readTextFileSync(dir)).toThrow(expect.objectContaining({ code: 'EISDIR' }));
});
