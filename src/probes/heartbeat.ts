import {
  CL_STATUS_EXIT,
  HbDaemonState,
  LinkStatus,
  NodeStatus,
  NodeType,
  parseClStatusTest,
  parseHbDuration,
  parseHbParameter,
  parseHbStatus,
  parseNodesVerbose,
} from '../parsers/clStatus';
import { PluginError } from '../runtime/errors';
import { RunResult, Source } from '../sources/source';

export interface HeartbeatProbeOptions {
  /** Path of `cl_status` (default `cl_status`); in the lab a wrapper entering the node's namespaces. */
  clStatus?: string;
  /** This node's Heartbeat name; default: `uname -n` of the source's host, else `cl_status test`. */
  node?: string;
  timeoutMs?: number;
}

export interface HeartbeatLinkView {
  name: string;
  status: LinkStatus;
}

export interface HeartbeatNodeView {
  name: string;
  type: NodeType;
  status: NodeStatus;
  /** The node cl_status runs on. */
  local: boolean;
  /** Heartbeat links to this node (normal nodes only). */
  links: HeartbeatLinkView[];
}

/** `unresponsive`: cl_status gave up after its own 5 s alarm (exit 12): Heartbeat hangs. */
export type HeartbeatDaemon = HbDaemonState | 'unresponsive';

export interface HeartbeatStatus {
  daemon: HeartbeatDaemon;
  /** What cl_status said about the daemon, for messages. */
  detail: string;
  localNode?: string;
  nodes: HeartbeatNodeView[];
  /** Seconds, when Heartbeat reports them. */
  keepalive?: number;
  warntime?: number;
  deadtime?: number;
}

/** cl_status answered 12: its alarm fired while waiting for Heartbeat. */
class Unresponsive extends Error {}
/** A sub-command needing the API could not sign on: Heartbeat went away between calls. */
class SignonLost extends Error {}

/**
 * Asks Heartbeat, through `cl_status`, about itself, its nodes and their links. Never
 * touches udp/694: everything goes through Heartbeat's local API.
 */
export async function probeHeartbeat(src: Source, o: HeartbeatProbeOptions = {}): Promise<HeartbeatStatus> {
  const prog = o.clStatus ?? 'cl_status';
  const cl = async (args: string[], okCodes: number[]): Promise<RunResult> => {
    const argv = [prog, ...args];
    const r = await src.run(argv, { timeoutMs: o.timeoutMs });
    const what = `${src.host}: cl_status ${args.join(' ')}`;
    const err = r.stderr.trim().split('\n').pop()?.replace(/^.*?ERROR: /, '') ?? '';
    if (r.code === CL_STATUS_EXIT.TIMEOUT) throw new Unresponsive(`${what} timed out (Heartbeat does not answer)`);
    if (r.code === CL_STATUS_EXIT.FAIL && /Cannot signon with heartbeat/.test(r.stderr)) throw new SignonLost(`${what}: cannot sign on`);
    if (r.code !== null && okCodes.includes(r.code)) return r;
    if (r.code === CL_STATUS_EXIT.PARAMETER_ERROR) throw new PluginError(`${what}: bad parameter${err ? ` (${err})` : ''}`);
    if (r.code === CL_STATUS_EXIT.UNKNOWN_ERROR) throw new PluginError(`${what}: error${err ? ` (${err})` : ''}`);
    const why = r.code === null ? `killed by ${r.signal}` : `exit ${r.code}`;
    throw new PluginError(`${what}: unexpected ${why}${err ? ` (${err})` : ''}`);
  };

  try {
    // One call for the daemon, every node, its type and status, and every link with its
    // status: `hbstatus -v` (0 running or "refuses my connection", 1 stopped), which prints what
    // listnodes, nodestatus, nodetype, listhblinks and hblinkstatus print one item at a time
    // (13 cl_status processes on the reference pair before, 4 now, each its own API client).
    //
    // The three timing parameters are asked at the same time as hbstatus, not after it: one
    // wave of processes instead of two (a spawn is 7-39 ms here). When the daemon turns out
    // not to run, their answers are dropped; every call is awaited either way, so none
    // outlives the probe.
    const param = async (p: string): Promise<number | undefined> => {
      // hbparameter: 1 when the parameter is not set.
      const r = await cl(['hbparameter', '-p', p], [0, 1]);
      return r.code === 0 ? parseHbDuration(parseHbParameter(r.stdout)) : undefined;
    };
    const status = cl(['hbstatus', '-v'], [0, 1]);
    const params = Promise.allSettled([param('keepalive'), param('warntime'), param('deadtime')]);
    const v = await status.catch(async (e: unknown) => {
      await params;
      throw e;
    });
    const hb = parseHbStatus(v.stdout);
    if (hb.state !== 'running') {
      await params;
      return { daemon: hb.state, detail: hb.text, nodes: [] };
    }
    let verbose: ReturnType<typeof parseNodesVerbose>;
    try {
      verbose = parseNodesVerbose(v.stdout, 'cl_status hbstatus -v');
    } catch (e) {
      await params;
      throw e;
    }
    const names = verbose.map((n) => n.name);
    const [localNode, got] = await Promise.all([findLocalNode(src, o, names, cl), params]);
    const [keepalive, warntime, deadtime] = got.map((r) => {
      if (r.status === 'rejected') throw r.reason;
      return r.value;
    });
    const nodes: HeartbeatNodeView[] = verbose.map((n) => ({
      name: n.name,
      type: n.type,
      status: n.status,
      local: n.name === localNode,
      // Heartbeat links are judged for normal nodes only.
      links: n.type === 'normal' ? n.links : [],
    }));
    return { daemon: 'running', detail: hb.text, localNode, nodes, keepalive, warntime, deadtime };
  } catch (e) {
    if (e instanceof Unresponsive) return { daemon: 'unresponsive', detail: e.message, nodes: [] };
    if (e instanceof SignonLost) return { daemon: 'stopped', detail: `Heartbeat stopped while being probed (${e.message})`, nodes: [] };
    throw e;
  }
}

async function findLocalNode(
  src: Source,
  o: HeartbeatProbeOptions,
  names: string[],
  cl: (args: string[], ok: number[]) => Promise<RunResult>,
): Promise<string | undefined> {
  if (o.node !== undefined) return o.node;
  // Heartbeat names nodes by `uname -n`; ask the host cl_status runs on.
  try {
    const r = await src.run(['uname', '-n'], { timeoutMs: o.timeoutMs });
    const n = r.stdout.trim();
    if (r.code === 0 && names.includes(n)) return n;
  } catch {
    /* fall through to cl_status test */
  }
  // cl_status may run elsewhere than uname (a wrapper entering another UTS namespace):
  // then ask Heartbeat itself.
  const t = await cl(['test'], [0]).catch(() => undefined);
  if (!t) return undefined;
  try {
    const id = parseClStatusTest(t.stdout).mynodeid;
    return names.includes(id) ? id : undefined;
  } catch {
    return undefined;
  }
}
