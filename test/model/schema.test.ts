/**
 * The deployment document's JSON Schema (src/model/schema.ts, published as
 * docs/deployment.schema.json) and the typed validator (src/model/validate.ts) give the same
 * verdict on every example deployment of the repository and on each rejection below; errors
 * name the field and the value on one line. Issue 13 class 5: before, `directors: "abc"` ended in
 * "(d.directors ?? []).forEach is not a function" and `weight: 1e300` was accepted.
 *
 * docs/deployment.schema.json or src/model/deploymentValidator.ts (Ajv's standalone code for the
 * schema) out of date: `LVSHA_WRITE_SCHEMA=1 npx jest test/model/schema.test.ts` writes both.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isIP } from 'node:net';
import YAML from 'yaml';
import { loadDeployment, parseDeploymentText } from '../../src/model/load';
import { referenceDeployment } from '../../src/model/reference';
import { AJV_OPTIONS, deploymentSchema, IP_PATTERN, schemaProblems, validatorSchema } from '../../src/model/schema';
import type { Director, Endpoint, HeartbeatConfig, KeepalivedConfig, RealServer, SyncConfig, VipConfig, VirtualService, Deployment } from '../../src/model/types';
import { validateDeployment } from '../../src/model/validate';

const ROOT = join(__dirname, '..', '..');
const PUBLISHED = join(ROOT, 'docs', 'deployment.schema.json');
const VALIDATOR = join(ROOT, 'src', 'model', 'deploymentValidator.ts');
const published = () => `${JSON.stringify(deploymentSchema, null, 2)}\n`;
/** Ajv's standalone validation code for the schema, as a TypeScript module the build compiles. */
function validatorSource(): string {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const Ajv = require('ajv').default;
  const standalone = require('ajv/dist/standalone').default;
  const version = require('ajv/package.json').version;
  /* eslint-enable @typescript-eslint/no-require-imports */
  const { _ } = require('ajv');
  const { formats } = require('../../src/model/ipLiteral');
  const ajv = new Ajv({ ...AJV_OPTIONS, formats, code: { source: true, formats: _`require("./ipLiteral").formats` } });
  const code = standalone(ajv, ajv.compile(validatorSchema() as object));
  return `// @ts-nocheck\n/* eslint-disable */\n// Generated: Ajv ${version} standalone code for deploymentSchema (src/model/schema.ts). Do not edit:\n// LVSHA_WRITE_SCHEMA=1 npx jest test/model/schema.test.ts writes it again.\n${code}\nexport {};\n`;
}
if (process.env.LVSHA_WRITE_SCHEMA) {
  writeFileSync(PUBLISHED, published());
  writeFileSync(VALIDATOR, validatorSource());
}

// Compile time: every field of the types is described by the schema (tsc -p tsconfig.test.json
// fails here when a field is added to types.ts and not to the schema).
type P<K extends keyof typeof deploymentSchema.definitions> = keyof (typeof deploymentSchema.definitions)[K]['properties'];
type Covers<T, S> = [Exclude<keyof T, S>] extends [never] ? true : Exclude<keyof T, S>;
const covered: [
  Covers<Deployment, keyof typeof deploymentSchema.properties>,
  Covers<Director, P<'director'>>,
  Covers<VipConfig, P<'vip'>>,
  Covers<VirtualService, P<'service'>>,
  Covers<RealServer, P<'realServer'>>,
  Covers<Endpoint, P<'endpoint'>>,
  Covers<Deployment['realHosts'][number], P<'realHost'>>,
  Covers<HeartbeatConfig, P<'heartbeat'>>,
  Covers<SyncConfig, P<'sync'>>,
  Covers<Deployment['sorry'], P<'sorry'>>,
  Covers<KeepalivedConfig, P<'keepalived'>>,
] = [true, true, true, true, true, true, true, true, true, true, true];

const errorsOf = (d: unknown) => validateDeployment(d as Deployment).filter((p) => p.severity === 'error');
const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x));

describe('published schema', () => {
  test('docs/deployment.schema.json is the schema the loader uses', () => {
    expect(covered.every((x) => x === true)).toBe(true);
    expect(readFileSync(PUBLISHED, 'utf8')).toBe(published());
  });

  test('src/model/deploymentValidator.ts is Ajv\'s code for this very schema', () => {
    expect(readFileSync(VALIDATOR, 'utf8') === validatorSource()).toBe(true);
  });

  test('the IP pattern agrees with node:net isIP on real and hostile addresses', () => {
    const re = new RegExp(IP_PATTERN);
    const samples = [
      '192.168.0.1', '0.0.0.0', '255.255.255.255', '127.0.0.2', '999.1.1.1', '192.16.8.0.3', '01.2.3.4', '1.2.3', '1.2.3.4.', ' 1.2.3.4', '1.2.3.4\n',
      '::', '::1', '2001:db8::4', 'fe80::1', '::ffff:192.168.0.1', '2001:db8:0:0:0:0:0:1', '2001:db8::0:1:2:3:4:5', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8:9',
      '1::2::3', '12345::', 'g::1', '[::1]', ':::', '1:2:3:4:5:6:1.2.3.4', '::1.2.3.4', 'frontal1', '',
    ];
    for (const s of samples) expect([s, re.test(s)]).toEqual([s, isIP(s) !== 0]);
  });
});

/** Every example deployment of the repository, as the loader sees its document. */
const examples: [string, unknown][] = [
  ['embedded reference', clone(referenceDeployment)],
  ['lab/deployment.yaml', YAML.parse(readFileSync(join(ROOT, 'lab', 'deployment.yaml'), 'utf8'))],
  ['lab/clients/loopback-deployment.yaml', YAML.parse(readFileSync(join(ROOT, 'lab', 'clients', 'loopback-deployment.yaml'), 'utf8'))],
  ['golden deployment.json', JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'golden', 'reference', 'heartbeat', 'monitoring', 'etc', 'lvsha', 'deployment.json'), 'utf8'))],
];

describe('schema and validator agree', () => {
  test.each(examples)('%s: accepted by both', (name, doc) => {
    expect(schemaProblems(doc)).toEqual([]);
    const file = name.endsWith('.yaml') ? join(ROOT, name) : 'x.json';
    expect(errorsOf(parseDeploymentText(JSON.stringify(doc), 'x.json'))).toEqual([]);
    if (name.endsWith('.yaml')) expect(loadDeployment(file).deployment.name).toBe((doc as Deployment).name);
  });

  /** [what, change to the reference, field both must name, the schema's line]. */
  const rejections: [string, (d: Record<string, any>) => void, string, string][] = [
    ['directors is a string', (d) => (d.directors = 'abc'), 'directors', "directors: 'abc' is not a list"],
    ['no director', (d) => (d.directors = []), 'directors', 'directors: at least one is needed'],
    ['a director is a string', (d) => (d.directors[1] = 'frontal2'), 'directors[1]', "directors[1]: 'frontal2' is not a mapping"],
    ['weight 1e300', (d) => (d.services[0].realServers[0].weight = 1e300), 'services[0].realServers[0].weight', "services[0].realServers[0].weight: '1e+300' is not a weight (0-65535)"],
    ['weight 65536', (d) => (d.services[0].realServers[1].weight = 65536), 'services[0].realServers[1].weight', "services[0].realServers[1].weight: '65536' is not a weight (0-65535)"],
    ['weight 1.5', (d) => (d.services[0].realServers[1].weight = 1.5), 'services[0].realServers[1].weight', "services[0].realServers[1].weight: '1.5' is not a weight (0-65535)"],
    ['port 0', (d) => (d.services[0].port = 0), 'services[0].port', "services[0].port: '0' is not a port (1-65535)"],
    ['port as text', (d) => (d.services[0].realServers[0].port = 'http'), 'services[0].realServers[0].port', "services[0].realServers[0].port: 'http' is not a port (1-65535; 0 only in a firewall-mark service)"],
    ['real server port 0 outside a firewall-mark service', (d) => (d.services[0].realServers[0].port = 0), 'services[0].realServers[0].port', "services[0].realServers[0].port: '0' is not a port (1-65535; 0 only in a firewall-mark service)"],
    ['address 999.1.1.1', (d) => (d.directors[0].address = '999.1.1.1'), 'directors[0].address', "directors[0].address: '999.1.1.1' is not a valid IP address"],
    ["the seed's VIP typo", (d) => (d.vips[0].address = '192.16.8.0.3'), 'vips[0].address', "vips[0].address: '192.16.8.0.3' is not a valid IP address"],
    ['protocol icmp', (d) => (d.services[0].protocol = 'icmp'), 'services[0].protocol', "services[0].protocol: 'icmp' is not tcp, udp, sctp or fwm"],
    ['forwarding dr', (d) => (d.services[0].realServers[0].forwarding = 'dr'), 'services[0].realServers[0].forwarding', "services[0].realServers[0].forwarding: 'dr' is not gate, masq or ipip"],
    ['fwm without a mark', (d) => Object.assign(d.services[0], { protocol: 'fwm', address: undefined, port: undefined }), 'services[0].fwmark', 'services[0].fwmark: missing'],
    ['syncid 300', (d) => (d.sync.syncid = 300), 'sync.syncid', "sync.syncid: '300' is not a syncid (0-255)"],
    ['keepalive -1', (d) => (d.heartbeat.keepalive = -1), 'heartbeat.keepalive', "heartbeat.keepalive: '-1' is not a positive number of seconds (at most 86400)"],
    ['udpport 70000', (d) => (d.heartbeat.udpport = 70000), 'heartbeat.udpport', "heartbeat.udpport: '70000' is not a port (1-65535)"],
    ['a real host without a valid address', (d) => (d.realHosts[0].address = 'reel1'), 'realHosts[0].address', "realHosts[0].address: 'reel1' is not a valid IP address"],
    ['a service name with a slash', (d) => (d.services[0].name = '../x'), 'services[0].name', "services[0].name: '../x' is not a service name (letters, digits, . _ -)"],
    ['sorry URL with a password, not http', (d) => (d.sorry.url = 'ftp://u:secret@127.0.0.1/'), 'sorry.url', "sorry.url: 'ftp://***@127.0.0.1/' is not an http:// or https:// URL"],
    ['ha openais', (d) => (d.ha = 'openais'), 'ha', "ha: 'openais' is not an HA layer (heartbeat, keepalived or pacemaker)"],
    ['keepalived vrid 256', (d) => ((d.ha = 'keepalived'), (d.keepalived = { vrid: 256 })), 'keepalived.vrid', "keepalived.vrid: '256' is not a VRRP virtual_router_id (1-255)"],
    ['keepalived priority 255', (d) => ((d.ha = 'keepalived'), (d.keepalived = { priorities: { frontal1: 255 } })), 'keepalived.priorities.frontal1', "keepalived.priorities.frontal1: '255' is not a VRRP priority (1-254)"],
    ['services is a mapping', (d) => (d.services = { www: {} }), 'services', `services: '{"www":{}}' is not a list`],
  ];

  test.each(rejections)('%s: refused by both, naming the field', (_, change, field, line) => {
    const doc = clone(referenceDeployment) as unknown as Record<string, any>;
    change(doc);
    const s = schemaProblems(doc);
    expect(s).toContain(line);
    expect(errorsOf(doc).map((p) => p.field)).toContain(field);
    // The validator never walks into a wrong type (a crash there was "internal error").
    expect(() => validateDeployment(doc as Deployment)).not.toThrow();
  });

  test('the schema alone: unknown fields (typos the typed validator cannot see)', () => {
    const doc = clone(referenceDeployment) as unknown as Record<string, any>;
    doc.services[0].realServers[0].wieght = 2;
    doc.heartbeat.deadtme = 3;
    expect(schemaProblems(doc)).toEqual(['services[0].realServers[0].wieght: unknown field', 'heartbeat.deadtme: unknown field']);
  });
});

describe('loading a file: one line naming the file, the field and the value', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'lvsha-schema-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    const f = join(dir, name);
    writeFileSync(f, text);
    return f;
  };
  const refusal = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      expect((e as Error).name).toMatch(/UsageError|SchemaError/);
      expect((e as Error).message).not.toMatch(/\n|internal error|is not a function/);
      return (e as Error).message;
    }
    throw new Error('accepted');
  };

  test('directors: "abc" (was: forEach is not a function)', () => {
    const f = write('abc.yaml', 'directors: "abc"\nservices: []\n');
    expect(refusal(() => loadDeployment(f))).toBe(`invalid deployment (${f}): directors: 'abc' is not a list; services: at least one is needed`);
  });
  test('weight: 1e300 (was accepted)', () => {
    const d = clone(referenceDeployment) as unknown as Record<string, any>;
    d.services[0].realServers[0].weight = 1e300;
    const f = write('w.json', JSON.stringify(d));
    expect(refusal(() => loadDeployment(f))).toBe(`invalid deployment (${f}): services[0].realServers[0].weight: '1e+300' is not a weight (0-65535)`);
  });
  test('ELOOP: a symbolic link loop is named (was: "does not exist")', () => {
    symlinkSync(join(dir, 'loop-b'), join(dir, 'loop-a'));
    symlinkSync(join(dir, 'loop-a'), join(dir, 'loop-b'));
    expect(refusal(() => loadDeployment(join(dir, 'loop-a')))).toBe(`config ${join(dir, 'loop-a')} is a loop of symbolic links (ELOOP)`);
  });
  test('EISDIR: a directory that is no ha.d', () => {
    mkdirSync(join(dir, 'etc'));
    expect(refusal(() => loadDeployment(join(dir, 'etc')))).toMatch(/^config .*\/etc is a directory \(EISDIR\) without ha\.cf/);
  });
  test('ENOTDIR and a missing file', () => {
    const f = write('plain.yaml', 'name: x\n');
    expect(refusal(() => loadDeployment(join(f, 'ha.cf')))).toContain('(ENOTDIR)');
    expect(refusal(() => loadDeployment(join(dir, 'missing.yaml')))).toBe(`config ${join(dir, 'missing.yaml')} does not exist`);
  });
  test('CRLF line ends: a YAML file and a native ha.d load as with LF', () => {
    const lf = readFileSync(join(ROOT, 'lab', 'deployment.yaml'), 'utf8');
    const f = write('crlf.yaml', lf.replace(/\n/g, '\r\n'));
    expect(loadDeployment(f).deployment).toEqual(loadDeployment(join(ROOT, 'lab', 'deployment.yaml')).deployment);
    const etc = join(dir, 'crlf-etc');
    cpSync(join(ROOT, 'test', 'fixtures', 'native', 'seed-etc'), etc, { recursive: true });
    for (const n of ['ha.cf', 'haresources', 'authkeys', 'conf/www.cf']) {
      const p = join(etc, 'ha.d', n);
      writeFileSync(p, readFileSync(p, 'utf8').replace(/\n/g, '\r\n'));
    }
    const crlf = loadDeployment(join(etc, 'ha.d')).deployment;
    expect(crlf).toEqual(loadDeployment(join(ROOT, 'test', 'fixtures', 'native', 'seed-etc', 'ha.d')).deployment);
    expect(JSON.stringify(crlf)).not.toContain('\\r');
  });
});

describe('the validator is loaded only for a --config file, and never Ajv\'s compiler', () => {
  const probe = (code: string) => spawnSync(process.execPath, ['-e', code], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, LVSHA_CONFIG: '' } });
  const dist = JSON.stringify(join(ROOT, 'dist', 'model', 'load.js'));
  const loaded = `JSON.stringify({ validator: Object.keys(require.cache).some((k) => /deploymentValidator/.test(k)), compiler: Object.keys(require.cache).some((k) => /node_modules[\\\\/]ajv[\\\\/]dist[\\\\/](ajv|core)\\.js$/.test(k)) })`;
  test('embedded reference: nothing; a YAML file: the generated validator only', () => {
    const none = probe(`const l = require(${dist}); l.loadDeployment(); console.log(${loaded})`);
    expect(JSON.parse(none.stdout)).toEqual({ validator: false, compiler: false });
    const yaml = probe(`const l = require(${dist}); l.loadDeployment(${JSON.stringify(join(ROOT, 'lab', 'deployment.yaml'))}); console.log(${loaded})`);
    expect(JSON.parse(yaml.stdout)).toEqual({ validator: true, compiler: false });
  });
});
