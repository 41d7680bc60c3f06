import type * as Zlib from 'node:zlib';

/**
 * gzip for /metrics, compressed in parallel on libuv's thread pool (issue #18: at 2 284 × 16
 * backends the answer is 17 MB of text and one deflate stream of it at level 6 is ~130 ms of
 * a scrape's ~500).
 *
 * The way pigz does it: the rendered chunks (metrics.ts' ChunkSink) are grouped into pieces;
 * each is deflated on its own (raw deflate, level 6), all but the last ended with a sync flush (an empty stored
 * block: the stream is byte-aligned and not final), so their concatenation is ONE valid
 * deflate stream. It is wrapped in one gzip header and one trailer (CRC-32 and length of the
 * whole input): a single-member gzip file, which every client decodes, including those that
 * read only the first member of a multi-member one (curl, some proxies).
 *
 * A piece starts with an empty window, so each costs a little ratio (+0.1 % at 4 pieces of
 * 4 MB). Answers under 2 MiB, or a Node without zlib.crc32 (before 20.15), take zlib.gzip whole.
 */

/** Pieces under this size are not worth a thread of their own. */
export const MIN_PIECE = 1 << 20;
/** libuv's default thread pool has 4 threads. */
export const MAX_PIECES = 4;

// eslint-disable-next-line @typescript-eslint/no-require-imports
const zlib = (): typeof Zlib => require('node:zlib') as typeof Zlib;

/** `chunks` in at most `max` runs of about the same byte count (a chunk is never cut). */
export function groupChunks(chunks: readonly Buffer[], max: number, minPiece: number): Buffer[][] {
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const n = Math.max(1, Math.min(max, Math.floor(total / minPiece)));
  const out: Buffer[][] = [[]];
  let done = 0;
  for (const c of chunks) {
    // A new run once this one holds its share (the last run takes the rest).
    if (out.length < n && done >= (total * out.length) / n) out.push([]);
    out[out.length - 1]!.push(c);
    done += c.length;
  }
  return out;
}

/** What gzip() did, for the tests (a broken fast path must not hide behind the slow one). */
export interface GzipResult {
  body: Buffer;
  pieces: number;
}

/** The gzip file of the concatenation of `chunks` (UTF-8 text cut at character boundaries). */
export function gzip(chunks: readonly Buffer[], level: number, opts: { maxPieces?: number; minPiece?: number } = {}): Promise<GzipResult> {
  const z = zlib();
  const runs = groupChunks(chunks, opts.maxPieces ?? MAX_PIECES, opts.minPiece ?? MIN_PIECE);
  if (runs.length === 1 || typeof z.crc32 !== 'function') {
    const whole = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    return new Promise((resolve, reject) => z.gzip(whole, { level }, (e, b) => (e ? reject(e) : resolve({ body: b, pieces: 1 }))));
  }
  // Each run through its own deflate stream, a chunk per write: no copy of the runs into one
  // Buffer (17 MB of fresh pages cost ~90 ms here, more than the deflate's share on the loop).
  const deflated = runs.map(
    (run, i) =>
      new Promise<Buffer>((resolve, reject) => {
        const d = z.createDeflateRaw({ level, finishFlush: i === runs.length - 1 ? z.constants.Z_FINISH : z.constants.Z_SYNC_FLUSH });
        const out: Buffer[] = [];
        d.on('data', (b: Buffer) => out.push(b));
        d.on('error', reject);
        d.on('end', () => resolve(Buffer.concat(out)));
        for (const c of run) d.write(c);
        d.end();
      }),
  );
  // The CRC on the event loop while the pool deflates (~5 ms for 17 MB).
  let crc = 0;
  let size = 0;
  for (const c of chunks) {
    crc = z.crc32(c, crc);
    size += c.length;
  }
  return Promise.all(deflated).then((parts) => {
    // RFC 1952: magic, CM=8 (deflate), no flags, no mtime, XFL 0, OS 3 (Unix).
    const head = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
    const tail = Buffer.alloc(8);
    tail.writeUInt32LE(crc >>> 0, 0);
    tail.writeUInt32LE(size >>> 0, 4); // ISIZE is the length modulo 2^32
    return { body: Buffer.concat([head, ...parts, tail]), pieces: parts.length };
  });
}
