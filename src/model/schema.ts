/**
 * The deployment document's JSON Schema (draft-07): what a YAML/JSON `--config` file may hold,
 * before the loader fills in the defaults (src/model/load.ts withDefaults). Published as
 * docs/deployment.schema.json for editors (`npm run schema` writes it; a test keeps the two
 * equal and checks that every field of the types in ./types.ts is described here).
 *
 * Each leaf's `description` is the noun phrase of its error line: "services[0].port: '0' is not
 * a port (1-65535)". validate.ts judges the same ranges on a typed Deployment (and what a
 * schema cannot: duplicates, names that refer to each other); the tests hold both to the same
 * verdict on every example deployment of the repository.
 *
 * The validator is Ajv's standalone code (./deploymentValidator.ts), loaded on first use only:
 * a check without --config never pays for it.
 */
import { UsageError } from '../runtime/errors';

const DEC_OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const IPV4 = `(?:${DEC_OCTET}\\.){3}${DEC_OCTET}`;
const H16 = '[0-9A-Fa-f]{1,4}';
const LS32 = `(?:${H16}:${H16}|${IPV4})`;
/** RFC 3986's IPv6address, written out form by form. */
const IPV6 = [
  `(?:${H16}:){6}${LS32}`,
  `::(?:${H16}:){5}${LS32}`,
  `(?:${H16})?::(?:${H16}:){4}${LS32}`,
  `(?:(?:${H16}:){0,1}${H16})?::(?:${H16}:){3}${LS32}`,
  `(?:(?:${H16}:){0,2}${H16})?::(?:${H16}:){2}${LS32}`,
  `(?:(?:${H16}:){0,3}${H16})?::${H16}:${LS32}`,
  `(?:(?:${H16}:){0,4}${H16})?::${LS32}`,
  `(?:(?:${H16}:){0,5}${H16})?::${H16}`,
  `(?:(?:${H16}:){0,6}${H16})?::`,
]
  .map((f) => `(?:${f})`)
  .join('|');

export const IP_PATTERN = `^(?:${IPV4}|${IPV6})$`;
/** validate.ts's host name rule for directors and real servers. */
export const HOST_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]*$';
/** A Pacemaker resource id (an XML ID: a letter or _ first), as crmsh and the CIB accept it. */
export const RESOURCE_ID_PATTERN = '^[A-Za-z_][A-Za-z0-9_.-]{0,63}$';
/** A network interface name (Linux: up to 15 characters, no space or slash); eth0:0 labels too. */
export const INTERFACE_PATTERN = '^[A-Za-z0-9_.:@-]{1,15}$';

const ip = { type: 'string', pattern: IP_PATTERN, description: 'a valid IP address' } as const;
const port = { type: 'integer', minimum: 1, maximum: 65535, description: 'a port (1-65535)' } as const;
/**
 * A real server's port. 0 only in a firewall-mark service: IPVS then keeps the packet's own
 * port (ipvsadm -Ln shows `:0`), as keepalived's `real_server ADDR` without a port configures it.
 */
const realPort = { type: 'integer', minimum: 0, maximum: 65535, description: 'a port (1-65535; 0 only in a firewall-mark service)' } as const;
const hostName = { type: 'string', pattern: HOST_NAME_PATTERN, description: 'a host name' } as const;
const iface = { type: 'string', pattern: INTERFACE_PATTERN, description: 'an interface name' } as const;
const seconds = { type: 'number', exclusiveMinimum: 0, maximum: 86400, description: 'a positive number of seconds (at most 86400)' } as const;
const syncid = { type: 'integer', minimum: 0, maximum: 255, description: 'a syncid (0-255)' } as const;

export const deploymentSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'lvsha deployment',
  description: 'An LVS + Heartbeat or keepalived installation, as lvsha --config reads it (YAML or JSON). Omitted sections take the reference deployment\'s values.',
  type: 'object',
  additionalProperties: false,
  required: ['directors', 'services'],
  properties: {
    $schema: { type: 'string', description: 'a schema URL or path (for editors)' },
    name: { type: 'string', minLength: 1, maxLength: 100, description: 'a deployment name' },
    directors: { type: 'array', minItems: 1, items: { $ref: '#/definitions/director' }, description: 'a list of directors (one at least)' },
    vips: { type: 'array', items: { $ref: '#/definitions/vip' }, description: 'a list of VIPs' },
    services: { type: 'array', minItems: 1, items: { $ref: '#/definitions/service' }, description: 'a list of virtual services (one at least)' },
    realHosts: { type: 'array', items: { $ref: '#/definitions/realHost' }, description: 'a list of real hosts' },
    heartbeat: { $ref: '#/definitions/heartbeat' },
    sync: { $ref: '#/definitions/sync' },
    sorry: { $ref: '#/definitions/sorry' },
    ha: { enum: ['heartbeat', 'keepalived', 'pacemaker'], description: 'an HA layer (heartbeat, keepalived or pacemaker)' },
    keepalived: { $ref: '#/definitions/keepalived' },
    pacemaker: { $ref: '#/definitions/pacemaker' },
  },
  definitions: {
    director: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'address', 'interface'],
      description: 'a director { name, address, interface }',
      properties: { name: hostName, address: ip, interface: iface },
    },
    vip: {
      type: 'object',
      additionalProperties: false,
      required: ['address', 'prefix'],
      description: 'a VIP { address, prefix, label }',
      properties: {
        address: ip,
        prefix: { type: 'integer', minimum: 0, maximum: 128, description: 'a prefix length (0-32, 0-128 for IPv6)' },
        label: iface,
      },
    },
    realServer: {
      type: 'object',
      additionalProperties: false,
      required: ['address', 'port'],
      description: 'a real server { name, address, port, weight, forwarding }',
      properties: {
        name: hostName,
        address: ip,
        port: realPort,
        // ipvsadm: "The valid values of weight are 0 through to 65535" (an int in the kernel's API).
        weight: { type: 'integer', minimum: 0, maximum: 65535, description: 'a weight (0-65535)' },
        forwarding: { enum: ['gate', 'masq', 'ipip'], description: 'gate, masq or ipip' },
      },
    },
    endpoint: {
      type: 'object',
      additionalProperties: false,
      required: ['address', 'port'],
      description: 'an endpoint { address, port }',
      properties: { address: ip, port },
    },
    service: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'protocol', 'realServers'],
      description: 'a virtual service',
      properties: {
        name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$', maxLength: 64, description: 'a service name (letters, digits, . _ -)' },
        protocol: { enum: ['tcp', 'udp', 'sctp', 'fwm'], description: 'tcp, udp, sctp or fwm' },
        address: ip,
        port,
        fwmark: { type: 'integer', minimum: 1, maximum: 4294967295, description: 'a firewall mark (1-4294967295)' },
        scheduler: { type: 'string', pattern: '^[a-z0-9]{1,16}$', description: 'a scheduler name (wlc, rr...)' },
        persistent: { type: 'integer', minimum: 1, maximum: 2678400, description: 'a persistence timeout in seconds (1-2678400)' },
        persistentNetmask: { type: 'string', minLength: 1, maxLength: 39, description: 'a netmask' },
        realServers: { type: 'array', items: { $ref: '#/definitions/realServer' }, description: 'a list of real servers' },
        fallback: { $ref: '#/definitions/endpoint' },
        quiescent: { type: 'boolean', description: 'true or false' },
        checktype: { type: 'string', pattern: '^[a-z0-9]{1,16}$', description: 'an ldirectord checktype (connect, negotiate...)' },
      },
      // A firewall-mark service has a mark and no address; the others an address and a port.
      if: { properties: { protocol: { const: 'fwm' } }, required: ['protocol'] },
      then: { required: ['fwmark'] },
      else: { required: ['address', 'port'], properties: { realServers: { type: 'array', items: { type: 'object', properties: { port: { ...realPort, minimum: 1 } } } } } },
    },
    realHost: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'address', 'interface'],
      description: 'a real host { name, address, interface }',
      properties: { name: hostName, address: ip, interface: iface },
    },
    heartbeat: {
      type: 'object',
      additionalProperties: false,
      description: 'the Heartbeat settings',
      properties: {
        keepalive: seconds,
        warntime: seconds,
        deadtime: seconds,
        initdead: seconds,
        udpport: port,
        autoFailback: { type: 'boolean', description: 'true or false' },
        preferred: hostName,
        media: { enum: ['ucast', 'bcast', 'mcast'], description: 'ucast, bcast or mcast' },
        auth: { enum: ['sha1', 'md5', 'crc'], description: 'sha1, md5 or crc' },
        pingNodes: { type: 'array', items: ip, description: 'a list of addresses' },
      },
    },
    sync: {
      type: 'object',
      additionalProperties: false,
      description: 'the IPVS connection sync settings',
      properties: {
        syncid,
        masterSyncid: syncid,
        backupSyncid: syncid,
        interface: iface,
        mode: { enum: ['both', 'follow-role'], description: 'both or follow-role' },
      },
    },
    keepalived: {
      type: 'object',
      additionalProperties: false,
      description: "keepalived's VRRP instance (with ha: keepalived)",
      properties: {
        instance: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$', description: 'a vrrp_instance name (letters, digits, _ . -)' },
        vrid: { type: 'integer', minimum: 1, maximum: 255, description: 'a VRRP virtual_router_id (1-255)' },
        advertInt: { type: 'number', exclusiveMinimum: 0, maximum: 255, description: 'an advert_int in seconds (at most 255)' },
        priorities: {
          type: 'object',
          propertyNames: { pattern: HOST_NAME_PATTERN },
          additionalProperties: { type: 'integer', minimum: 1, maximum: 254, description: 'a VRRP priority (1-254)' },
          description: 'a mapping director name: priority (1-254)',
        },
        nopreempt: { type: 'boolean', description: 'true or false' },
      },
    },
    pacemaker: {
      type: 'object',
      additionalProperties: false,
      description: 'the Pacemaker cluster (with ha: pacemaker)',
      properties: {
        clusterName: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$', description: 'a corosync cluster_name (letters, digits, _ . -)' },
        group: { type: 'string', pattern: RESOURCE_ID_PATTERN, description: 'a Pacemaker resource id' },
        vipResources: { type: 'array', minItems: 1, items: { type: 'string', pattern: RESOURCE_ID_PATTERN, description: 'a Pacemaker resource id' }, description: 'a list of resource ids, one per VIP' },
        ldirectordResource: { type: 'string', pattern: RESOURCE_ID_PATTERN, description: 'a Pacemaker resource id' },
        stickiness: { type: 'integer', minimum: 0, maximum: 1000000, description: 'a resource-stickiness score (0-1000000)' },
        preferredScore: { type: 'integer', minimum: 0, maximum: 1000000, description: 'a location score (0-1000000)' },
      },
    },
    sorry: {
      type: 'object',
      additionalProperties: false,
      description: 'the sorry page { url }',
      properties: { url: { type: 'string', pattern: '^https?://[^\\s]+$', maxLength: 2048, description: 'an http:// or https:// URL' } },
    },
  },
} as const;

interface AjvError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
}

type Node = { $ref?: string; properties?: Record<string, Node>; additionalProperties?: Node | boolean; items?: Node; description?: string };

/** The schema node that describes the value at `pointer` (following $ref, properties, items). */
function nodeAt(pointer: string): Node | undefined {
  const deref = (n: Node | undefined): Node | undefined => {
    for (let i = 0; n?.$ref && i < 8; i++) n = (deploymentSchema.definitions as Record<string, Node>)[n.$ref.replace('#/definitions/', '')];
    return n;
  };
  let n = deref(deploymentSchema as unknown as Node);
  for (const seg of pointer.split('/').slice(1)) {
    if (!n) return undefined;
    const key = seg.replace(/~1/g, '/').replace(/~0/g, '~');
    const extra = typeof n.additionalProperties === 'object' ? n.additionalProperties : undefined;
    n = deref(/^\d+$/.test(seg) && n.items ? n.items : (n.properties?.[key] ?? extra));
  }
  return n;
}

function valueAt(doc: unknown, pointer: string): unknown {
  let v = doc;
  for (const seg of pointer.split('/').slice(1)) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[seg.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
  return v;
}

/** `/services/0/realServers/1/weight` → `services[0].realServers[1].weight`. */
export function fieldOf(pointer: string, extra?: string): string {
  const parts = pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (extra !== undefined) parts.push(extra);
  let out = '';
  for (const p of parts) out += /^\d+$/.test(p) ? `[${p}]` : out ? `.${p}` : p;
  return out || '(document)';
}

/** A value as an error line shows it: short, one line, user info of URLs hidden. */
function show(v: unknown): string {
  let s = typeof v === 'string' ? v : v === undefined ? 'undefined' : typeof v === 'number' ? String(v) : JSON.stringify(v);
  s = s.replace(/[\r\n\t]/g, ' ').replace(/([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^\s/?#@]*@/g, '$1***@');
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function lineOf(doc: unknown, e: AjvError): string {
  const field = fieldOf(e.instancePath);
  const value = () => show(valueAt(doc, e.instancePath));
  switch (e.keyword) {
    case 'required':
      return `${fieldOf(e.instancePath, String(e.params.missingProperty))}: missing`;
    case 'additionalProperties':
      return `${fieldOf(e.instancePath, String(e.params.additionalProperty))}: unknown field`;
    case 'type':
      if (e.params.type === 'array') return `${field}: '${value()}' is not a list`;
      if (e.params.type === 'object') return `${field}: '${value()}' is not a mapping`;
      break;
    case 'minItems':
      return `${field}: at least ${e.params.limit === 1 ? 'one is' : `${String(e.params.limit)} are`} needed`;
  }
  return `${field}: '${value()}' is not ${nodeAt(e.instancePath)?.description ?? `valid (${e.keyword})`}`;
}

type Validate = ((doc: unknown) => boolean) & { errors?: AjvError[] | null };

/** Ajv options of the generated validator (test/model/schema.test.ts regenerates it with them). */
export const AJV_OPTIONS = { allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true } as const;

/**
 * The schema the generated validator checks: deploymentSchema with each IP_PATTERN leaf as
 * `format: ip` instead, judged by ./ipLiteral.ts (the same rule, held to the pattern by
 * test/model/ipLiteral.test.ts) without compiling the 1.6 kB pattern on every --config run
 * (15-20 ms here). The published schema keeps the pattern for editors. Build/test time only.
 */
export function validatorSchema(): unknown {
  return JSON.parse(JSON.stringify(deploymentSchema), (_k, v: unknown) => {
    if (v === null || typeof v !== 'object' || (v as { pattern?: unknown }).pattern !== IP_PATTERN) return v;
    const { pattern: _p, ...rest } = v as Record<string, unknown>;
    return { ...rest, format: 'ip' };
  });
}

/**
 * The validator: Ajv's standalone code for this schema (./deploymentValidator.ts, generated and
 * kept current by the schema test), so a --config run neither loads Ajv's compiler nor compiles
 * the schema (8x the time of requiring the generated code, measured).
 */
function validator(): Validate {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('./deploymentValidator') as Validate;
}

/**
 * The schema's verdict on a parsed document: one line per problem, `field: 'value' is not ...`,
 * at most one per field (the first), in document order. Empty = valid.
 */
export function schemaProblems(doc: unknown): string[] {
  const v = validator();
  if (v(doc)) return [];
  const seen = new Set<string>();
  const out: string[] = [];
  for (const e of v.errors ?? []) {
    if (e.keyword === 'if') continue; // its then/else branch already said what is missing
    const line = lineOf(doc, e);
    const field = line.slice(0, line.indexOf(': '));
    if (seen.has(field)) continue;
    seen.add(field);
    out.push(line);
  }
  return out;
}

/** A document the schema refuses: bad input (UNKNOWN), one line naming the file and the first problems. */
export class SchemaError extends UsageError {
  override name = 'SchemaError';
  constructor(
    readonly file: string,
    /** `field: 'value' is not ...`, one per field. */
    readonly problems: string[],
    /** The document's own `name`, when it has a usable one. */
    readonly documentName?: string,
  ) {
    super(`invalid deployment (${file}): ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? `; and ${problems.length - 5} more` : ''}`);
  }
}

/** Throws SchemaError when the schema refuses the document. */
export function assertSchema(doc: unknown, file: string): void {
  const p = schemaProblems(doc);
  if (p.length === 0) return;
  const name = (doc as { name?: unknown } | null)?.name;
  throw new SchemaError(file, p, typeof name === 'string' ? name : undefined);
}
