import { createHmac } from 'node:crypto';

/** One usable line of an OpenSSH known_hosts file. */
export interface KnownHostEntry {
  marker?: '@revoked' | '@cert-authority';
  patterns: string[];
  keyType: string;
  key: string; // base64 blob as in the file
}

export function parseKnownHosts(text: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const f = line.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (f[0] === '@revoked' || f[0] === '@cert-authority') marker = f.shift() as KnownHostEntry['marker'];
    if (f.length < 3) continue;
    out.push({ marker, patterns: f[0]!.split(','), keyType: f[1]!, key: f[2]! });
  }
  return out;
}

function globMatch(pattern: string, name: string): boolean {
  const re = '^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$';
  return new RegExp(re, 'i').test(name);
}

function patternMatches(p: string, name: string): boolean {
  if (p.startsWith('|1|')) {
    const [, , salt, hash] = p.split('|');
    if (!salt || !hash) return false;
    const h = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
    return h === hash;
  }
  return globMatch(p, name);
}

/** The name a host has in known_hosts: `host`, or `[host]:port` off port 22. */
export function knownHostName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

export function entriesFor(entries: KnownHostEntry[], host: string, port: number): KnownHostEntry[] {
  const name = knownHostName(host, port);
  return entries.filter((e) => {
    let hit = false;
    for (const p of e.patterns) {
      if (p.startsWith('!')) {
        if (patternMatches(p.slice(1), name)) return false;
      } else if (patternMatches(p, name)) hit = true;
    }
    return hit;
  });
}

export type HostKeyVerdict = 'ok' | 'unknown' | 'changed' | 'revoked';

/** Compares the key the server presented (wire blob) with the entries for this host. */
export function verifyHostKey(entries: KnownHostEntry[], host: string, port: number, blob: Buffer): HostKeyVerdict {
  const mine = entriesFor(entries, host, port);
  const b64 = blob.toString('base64');
  if (mine.some((e) => e.marker === '@revoked' && e.key === b64)) return 'revoked';
  const plain = mine.filter((e) => e.marker === undefined);
  if (plain.length === 0) return 'unknown';
  return plain.some((e) => e.key === b64) ? 'ok' : 'changed';
}
