import { closeSync, constants, fstatSync, openSync, readSync, Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import { PluginError } from './errors';

/**
 * Reading a file must end, whatever the path names: a FIFO (open and read block forever), a
 * character device (/dev/zero never ends), or a huge file (a 100 MB /proc/net/ip_vs). So
 * files are opened non-blocking, only regular files are read, and at most `maxBytes`.
 */

/** The cap for one file or one program's output: generous (a /proc/net/ip_vs of ~1 million real servers fits). */
export const MAX_READ_BYTES = 64 * 1024 * 1024;

/** A read refused: not a regular file, or larger than the cap. UNKNOWN, naming the file. */
export class BoundedReadError extends PluginError {
  override name = 'BoundedReadError';
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

export interface BoundedReadOptions {
  /** Default MAX_READ_BYTES. */
  maxBytes?: number;
  /** How the file is named in messages (default: the path). */
  label?: string;
}

const FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY;
const CHUNK = 1024 * 1024;

function kind(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

function refuseType(label: string, st: Stats): BoundedReadError {
  return new BoundedReadError(`cannot read ${label}: it is ${kind(st)}, not a regular file`, st.isDirectory() ? 'EISDIR' : 'EINVAL');
}

export function sizeLabel(n: number): string {
  return n % (1024 * 1024) === 0 ? `${n / 1024 / 1024} MiB` : n % 1024 === 0 ? `${n / 1024} KiB` : `${n} B`;
}

function tooBig(label: string, max: number): BoundedReadError {
  return new BoundedReadError(`cannot read ${label}: larger than ${sizeLabel(max)} (the limit for one file)`, 'EFBIG');
}

/** Reads a regular file as UTF-8, synchronously, refusing FIFOs, devices and files over the cap. */
export function readTextFileSync(path: string, o: BoundedReadOptions = {}): string {
  const max = o.maxBytes ?? MAX_READ_BYTES;
  const label = o.label ?? path;
  const fd = openSync(path, FLAGS);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw refuseType(label, st);
    const parts: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.min(CHUNK, max + 1 - total));
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      total += n;
      if (total > max) throw tooBig(label, max);
      parts.push(n === buf.length ? buf : buf.subarray(0, n));
    }
    return Buffer.concat(parts, total).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** The same, asynchronously (sources: /proc, /sys, a --root tree). */
export async function readTextFile(path: string, o: BoundedReadOptions = {}): Promise<string> {
  const max = o.maxBytes ?? MAX_READ_BYTES;
  const label = o.label ?? path;
  const fh = await open(path, FLAGS);
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw refuseType(label, st);
    const parts: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.min(CHUNK, max + 1 - total));
      const { bytesRead: n } = await fh.read(buf, 0, buf.length, null);
      if (n === 0) break;
      total += n;
      if (total > max) throw tooBig(label, max);
      parts.push(n === buf.length ? buf : buf.subarray(0, n));
    }
    return Buffer.concat(parts, total).toString('utf8');
  } finally {
    await fh.close();
  }
}

/** A deployment document or one of a director's native files: 1 MiB is far beyond any real one. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/** Reads a configuration file: regular files only, at most MAX_CONFIG_BYTES (a FIFO or /dev/zero is refused at once, named). */
export function readConfigFile(path: string): string {
  return readTextFileSync(path, { maxBytes: MAX_CONFIG_BYTES });
}
