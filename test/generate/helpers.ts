import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_OPTIONS, GenerateOptions } from '../../src/generate/common';
import { GenerateCliOptions, runGenerate } from '../../src/generate/command';
import { referenceDeployment } from '../../src/model/reference';
import { Deployment } from '../../src/model/types';

/** The fixed key the goldens are made with (the command draws a random one). */
export const TEST_KEY = 'golden-test-key-not-a-secret-0123456789abcdef';

export const testOptions = (o: Partial<GenerateOptions> = {}): GenerateOptions => ({ ...DEFAULT_OPTIONS, authKey: TEST_KEY, ...o });

export const tmp = (what: string): string => mkdtempSync(join(tmpdir(), `lvsha-gen-${what}-`));

/** Runs `lvsha generate` in-process; returns its exit code and what it printed. */
export async function gen(o: GenerateCliOptions): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runGenerate(o, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

/**
 * A deployment of another shape: three real servers with an HTTP (negotiate) check and a
 * persistence netmask, a UDP service checked by ping, a firewall-mark service, sync in
 * follow-role mode on eth1, no auto_failback, a ping node.
 */
export function otherDeployment(): Deployment {
  const d: Deployment = JSON.parse(JSON.stringify(referenceDeployment));
  d.name = 'other';
  const www = d.services[0]!;
  www.realServers.push({ name: 'reel3', address: '192.168.0.6', port: 80, weight: 3, forwarding: 'gate' });
  www.checktype = 'negotiate';
  www.persistentNetmask = '255.255.255.0';
  d.services.push({
    name: 'dns',
    protocol: 'udp',
    address: '192.168.0.3',
    port: 53,
    scheduler: 'rr',
    realServers: [{ address: '192.168.0.4', port: 53, weight: 1, forwarding: 'gate' }],
    quiescent: true,
    checktype: 'ping',
  });
  d.services.push({
    name: 'fw',
    protocol: 'fwm',
    fwmark: 7,
    scheduler: 'sh',
    realServers: [{ address: '192.168.0.5', port: 443, weight: 2, forwarding: 'gate' }],
    quiescent: true,
    checktype: 'connect',
  });
  d.sync = { syncid: 2, interface: 'eth1', mode: 'follow-role' };
  d.heartbeat.deadtime = 12;
  d.heartbeat.autoFailback = false;
  d.heartbeat.pingNodes = ['192.168.0.254'];
  return d;
}
