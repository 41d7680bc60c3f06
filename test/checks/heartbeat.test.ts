import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { evaluateHeartbeat, HeartbeatPolicy } from '../../src/checks/heartbeat';
import { HeartbeatNodeView, HeartbeatStatus, probeHeartbeat } from '../../src/probes/heartbeat';
import { PluginError } from '../../src/runtime/errors';
import { State } from '../../src/runtime/state';
import { clStatusSource, removeTempDirs, replayScript, ReplaySource, tempDir } from '../probes/replay';
import { describeSpawning } from './fast';

const ucast: HeartbeatPolicy = { media: 'ucast', host: 'frontal1' };
const node = (name: string, status: HeartbeatNodeView['status'], links: [string, 'up' | 'dead'][] = [['eth0', 'up']], extra: Partial<HeartbeatNodeView> = {}): HeartbeatNodeView => ({
  name,
  type: 'normal',
  status,
  local: false,
  links: links.map(([n, s]) => ({ name: n, status: s })),
  ...extra,
});
const running = (nodes: HeartbeatNodeView[]): HeartbeatStatus => ({
  daemon: 'running',
  detail: 'Heartbeat is running on this machine.',
  localNode: nodes.find((n) => n.local)?.name,
  nodes,
  keepalive: 2,
  warntime: 6,
  deadtime: 10,
});
const me = node('frontal1', 'active', [['eth0', 'dead']], { local: true });

describe('evaluateHeartbeat (policy)', () => {
  test('peer active, its link up: OK; the local ucast link (always dead) is ignored; perfdata', () => {
    const r = evaluateHeartbeat(running([node('frontal2', 'active'), me]), ucast);
    expect(r.state).toBe(State.OK);
    expect(r.summary).toBe('frontal1: peer frontal2 active, 1/1 links up');
    expect(r.perf).toEqual(
      expect.arrayContaining([
        { label: 'links_up', value: 1, min: 0, max: 1 },
        { label: 'links_total', value: 1, min: 0 },
        { label: 'deadtime', value: 10, uom: 's', min: 0 },
        { label: 'warntime', value: 6, uom: 's', min: 0 },
      ]),
    );
  });

  test('Heartbeat not running here: CRITICAL', () => {
    const r = evaluateHeartbeat({ daemon: 'stopped', detail: 'Heartbeat is stopped on this machine.', nodes: [] }, ucast);
    expect(r.state).toBe(State.CRITICAL);
    expect(r.summary).toBe('Heartbeat is not running on frontal1');
  });

  test('Heartbeat hangs (cl_status exit 12): CRITICAL', () => {
    expect(evaluateHeartbeat({ daemon: 'unresponsive', detail: 'timed out', nodes: [] }, ucast).state).toBe(State.CRITICAL);
  });

  test('Heartbeat refuses cl_status (permissions): UNKNOWN', () => {
    expect(evaluateHeartbeat({ daemon: 'refused', detail: '', nodes: [] }, ucast).state).toBe(State.UNKNOWN);
  });

  test('peer dead: CRITICAL', () => {
    const r = evaluateHeartbeat(running([node('frontal2', 'dead', [['eth0', 'dead']]), me]), ucast);
    expect(r.state).toBe(State.CRITICAL);
    expect(r.summary).toBe('peer frontal2 is dead');
  });

  test('peer up with some links dead: WARNING; all links dead: CRITICAL', () => {
    const some = evaluateHeartbeat(running([node('frontal2', 'active', [['eth0', 'up'], ['eth1', 'dead']]), me]), ucast);
    expect(some.state).toBe(State.WARNING);
    expect(some.summary).toBe('peer frontal2: 1 link dead (eth1), 1/2 links up');
    expect(some.perf).toEqual(expect.arrayContaining([{ label: 'links_up', value: 1, min: 0, max: 2 }]));
    const all = evaluateHeartbeat(running([node('frontal2', 'active', [['eth0', 'dead'], ['eth1', 'dead']]), me]), ucast);
    expect(all.state).toBe(State.CRITICAL);
    expect(all.summary).toBe('peer frontal2: all 2 links dead (eth0, eth1)');
  });

  test('ping node dead: WARNING; answering: OK', () => {
    const ping = (s: 'ping' | 'dead') => node('192.168.0.254', s, [], { type: 'ping' });
    expect(evaluateHeartbeat(running([node('frontal2', 'active'), me, ping('dead')]), ucast)).toMatchObject({ state: State.WARNING, summary: 'ping node 192.168.0.254 is dead' });
    expect(evaluateHeartbeat(running([node('frontal2', 'active'), me, ping('ping')]), ucast).state).toBe(State.OK);
  });

  test('peer dead and ping node dead: CRITICAL first, the warning follows', () => {
    const r = evaluateHeartbeat(running([node('frontal2', 'dead', []), me, node('10.0.0.1', 'dead', [], { type: 'ping' })]), ucast);
    expect(r.state).toBe(State.CRITICAL);
    expect(r.summary).toBe('peer frontal2 is dead; ping node 10.0.0.1 is dead');
  });

  test('local links count outside ucast (bcast: Heartbeat hears its own packets)', () => {
    const r = evaluateHeartbeat(running([node('frontal2', 'active'), me]), { ...ucast, media: 'bcast' });
    expect(r.state).toBe(State.WARNING);
    expect(r.summary).toBe('local 1 link dead on frontal1 (eth0)');
  });

  test('peer joining (up, not active): WARNING; alone in the cluster: WARNING', () => {
    expect(evaluateHeartbeat(running([node('frontal2', 'up'), me]), ucast).state).toBe(State.WARNING);
    expect(evaluateHeartbeat(running([me]), ucast)).toMatchObject({ state: State.WARNING, summary: 'no peer: frontal1 is the only Heartbeat node' });
  });

  test('cannot tell which node is local: UNKNOWN naming --node', () => {
    const r = evaluateHeartbeat(running([node('frontal2', 'active'), { ...me, local: false }]), ucast);
    expect(r.state).toBe(State.UNKNOWN);
    expect(r.summary).toMatch(/give --node/);
  });
});

describe('probeHeartbeat on real cl_status captures', () => {
  const probe = (nodeName: string, dirs: string[]) => probeHeartbeat(clStatusSource(nodeName, dirs));

  test('healthy, on frontal1: peer frontal2 active over eth0 → OK', async () => {
    const s = await probe('frontal1', ['heartbeat/healthy/frontal1']);
    expect(s.daemon).toBe('running');
    expect(s.localNode).toBe('frontal1');
    expect(s.nodes.map((n) => [n.name, n.status, n.local, n.links.map((l) => `${l.name}:${l.status}`).join()])).toEqual([
      ['frontal2', 'active', false, 'eth0:up'],
      ['frontal1', 'active', true, 'eth0:dead'],
    ]);
    expect(s.deadtime).toBeGreaterThan(s.warntime!);
    expect(evaluateHeartbeat(s, ucast)).toMatchObject({ state: State.OK, summary: 'frontal1: peer frontal2 active, 1/1 links up' });
  });

  test('healthy, on frontal2: OK too', async () => {
    const s = await probe('frontal2', ['heartbeat/healthy/frontal2']);
    expect(evaluateHeartbeat(s, { ...ucast, host: 'frontal2' })).toMatchObject({ state: State.OK, summary: 'frontal2: peer frontal1 active, 1/1 links up' });
  });


  test('split brain, on frontal1: the peer reads dead → CRITICAL', async () => {
    const s = await probe('frontal1', ['heartbeat/split-brain/frontal1']);
    expect(evaluateHeartbeat(s, ucast)).toMatchObject({ state: State.CRITICAL, summary: 'peer frontal2 is dead' });
  });

  test('peer crashed, on frontal2: CRITICAL peer frontal1 is dead', async () => {
    const s = await probe('frontal2', ['heartbeat/peer-dead/frontal2']);
    expect(evaluateHeartbeat(s, { ...ucast, host: 'frontal2' })).toMatchObject({ state: State.CRITICAL, summary: 'peer frontal1 is dead' });
  });

  test('peer stopped gracefully, on frontal1: CRITICAL', async () => {
    const s = await probe('frontal1', ['heartbeat/peer-stopped/frontal1']);
    expect(evaluateHeartbeat(s, ucast)).toMatchObject({ state: State.CRITICAL, summary: 'peer frontal2 is dead' });
  });

  test('stopped here: daemon stopped; the parameters asked at the same time are dropped', async () => {
    const src = clStatusSource('frontal2', ['heartbeat/stopped/frontal2']);
    const s = await probeHeartbeat(src);
    expect(s).toEqual({ daemon: 'stopped', detail: expect.any(String), nodes: [] });
    expect(src.runs.map((a) => a.slice(1).join(' ')).sort()).toEqual(['hbparameter -p deadtime', 'hbparameter -p keepalive', 'hbparameter -p warntime', 'hbstatus -v']);
    expect(evaluateHeartbeat(s, { ...ucast, host: 'frontal2' })).toMatchObject({ state: State.CRITICAL, summary: 'Heartbeat is not running on frontal2' });
  });

  test('the fewest cl_status calls: hbstatus -v answers nodes, types, statuses and links at once (13 calls before, 4 now)', async () => {
    const src = clStatusSource('frontal1', ['heartbeat/healthy/frontal1']);
    const s = await probeHeartbeat(src);
    const cl = src.runs.filter((a) => a[0] === 'cl_status').map((a) => a.slice(1).join(' '));
    expect(cl.sort()).toEqual(['hbparameter -p deadtime', 'hbparameter -p keepalive', 'hbparameter -p warntime', 'hbstatus -v']);
    // ...and the same answers the one-item calls gave (nodestatus, nodetype, listhblinks, hblinkstatus)
    expect(s.nodes).toEqual([
      { name: 'frontal2', type: 'normal', status: 'active', local: false, links: [{ name: 'eth0', status: 'up' }] },
      { name: 'frontal1', type: 'normal', status: 'active', local: true, links: [{ name: 'eth0', status: 'dead' }] },
    ]);
    expect([s.keepalive, s.warntime, s.deadtime]).toEqual([1, 3, 5]);
  });

  test('one wave: hbstatus and the three parameters run at once, not hbstatus then the rest', async () => {
    const base = clStatusSource('frontal1', ['heartbeat/healthy/frontal1']);
    let inflight = 0;
    let most = 0;
    const src = Object.create(base) as typeof base;
    src.run = async (argv, o) => {
      inflight++;
      most = Math.max(most, inflight);
      try {
        await new Promise((r) => setTimeout(r, 20));
        return await base.run(argv, o);
      } finally {
        inflight--;
      }
    };
    const s = await probeHeartbeat(src, { node: 'frontal1' });
    expect([s.daemon, s.keepalive, s.warntime, s.deadtime]).toEqual(['running', 1, 3, 5]);
    expect(most).toBe(4);
  });

  test('crashed node (kill -9 of every heartbeat process): cl_status stops (rc 1) or hangs (rc 12) → CRITICAL either way', async () => {
    const s = await probe('frontal1', ['heartbeat/crashed/frontal1']);
    expect(['stopped', 'unresponsive']).toContain(s.daemon);
    expect(evaluateHeartbeat(s, ucast).state).toBe(State.CRITICAL);
  });

  test('peer stopping (within deadtime of a graceful stop): Heartbeat still reads it active, link up → OK (known blind spot)', async () => {
    // Partial capture taken moments after frontal2 stopped; the other calls from frontal1's healthy set.
    const s = await probe('frontal1', ['heartbeat/peer-stopping/frontal1', 'heartbeat/healthy/frontal1']);
    const peer = s.nodes.find((n) => n.name === 'frontal2')!;
    expect(peer.status).toBe('active');
    expect(evaluateHeartbeat(s, ucast).state).toBe(State.OK);
  });

  test('the local node comes from cl_status test when uname -n is not a Heartbeat node', async () => {
    const src = new ReplaySource('localhost', (argv) => {
      if (argv[0] === 'uname') return { stdout: 'monitoring-host\n', stderr: '', code: 0, signal: null };
      if (argv[1] === 'test') return { stdout: 'Dead time: 5000\n keeplive time: 1000\n mynodeid: frontal1\n rsc: all\n', stderr: '', code: 0, signal: null };
      return clStatusSource('frontal1', ['heartbeat/healthy/frontal1']).run(argv) as never;
    });
    // ReplaySource resolves synchronously: route through a fresh source for the captures.
    const inner = clStatusSource('frontal1', ['heartbeat/healthy/frontal1']);
    const src2 = new ReplaySource('localhost', () => undefined);
    src2.run = async (argv) => (argv[0] === 'uname' || argv[1] === 'test' ? src.run(argv) : inner.run(argv));
    const s = await probeHeartbeat(src2);
    expect(s.localNode).toBe('frontal1');
  });
});

describe('cl_status exit codes', () => {
  const withCode = (code: number, stdout = '', stderr = '') =>
    new ReplaySource('localhost', (argv) => (argv[1] === 'hbstatus' ? 'heartbeat/healthy/frontal1/hbstatus-v' : { stdout, stderr, code, signal: null }));

  test('12 (its 5 s alarm: Heartbeat does not answer) → unresponsive, CRITICAL', async () => {
    const s = await probeHeartbeat(withCode(12));
    expect(s.daemon).toBe('unresponsive');
    expect(evaluateHeartbeat(s, ucast).state).toBe(State.CRITICAL);
  });
  test('11 (bad parameter) and 13 (other error) → PluginError (UNKNOWN)', async () => {
    await expect(probeHeartbeat(withCode(11, '', 'ERROR: nosuchsubcommand: invalid sub-command.\n'))).rejects.toThrow(PluginError);
    await expect(probeHeartbeat(withCode(13, '', 'ERROR: REASON: No timely response.\n'))).rejects.toThrow(/error \(REASON: No timely response\.\)/);
  });
  test('1 with "Cannot signon" (Heartbeat stopped between two calls) → stopped', async () => {
    const s = await probeHeartbeat(withCode(1, '', 'cl_status: [1]: ERROR: Cannot signon with heartbeat\n'));
    expect(s.daemon).toBe('stopped');
  });
  test('anything else (127: not cl_status at all) → PluginError', async () => {
    await expect(probeHeartbeat(withCode(127, '', 'sh: cl_status: not found\n'))).rejects.toThrow(/unexpected exit 127/);
  });
});

describeSpawning('bin/check_lvs_heartbeat end to end (replayed captures)', () => {
  const bin = join(__dirname, '..', '..', 'bin', 'check_lvs_heartbeat');
  const run = (dirs: string[], ...args: string[]) => {
    const script = replayScript(join(tempDir(), 'cl_status'), { dirs });
    const r = spawnSync(process.execPath, [bin, '--cl-status', script, ...args], { encoding: 'utf8', timeout: 30000 });
    return { code: r.status, first: r.stdout.split('\n')[0], out: r.stdout };
  };

  test('healthy frontal1: OK, perfdata on the first line', () => {
    const r = run(['heartbeat/healthy/frontal1'], '--node', 'frontal1');
    expect(r.code).toBe(0);
    expect(r.first).toMatch(/^LVS HEARTBEAT OK - frontal1: peer frontal2 active, 1\/1 links up \| links_up=1;;;0;1 links_total=1;;;0 deadtime=\d+s;;;0 warntime=\d+s;;;0 keepalive=\d+s;;;0 time=[\d.]+s;;;0$/);
  });
  test('without --node: uname -n is not a node and cl_status test is not captured → UNKNOWN naming --node', () => {
    const r = run(['heartbeat/healthy/frontal1']);
    expect(r.code).toBe(3);
    expect(r.first).toMatch(/^LVS HEARTBEAT UNKNOWN - cannot tell which Heartbeat node .* is \(nodes: frontal2, frontal1\); give --node/);
  });
  test('split brain frontal1: CRITICAL peer dead', () => {
    const r = run(['heartbeat/split-brain/frontal1'], '--node', 'frontal1');
    expect(r.code).toBe(2);
    expect(r.first).toMatch(/^LVS HEARTBEAT CRITICAL - peer frontal2 is dead \| links_up=0;;;0;1 /);
  });
  test('stopped frontal2: CRITICAL not running', () => {
    const r = run(['heartbeat/stopped/frontal2'], '--node', 'frontal2');
    expect(r.code).toBe(2);
    expect(r.first).toMatch(/^LVS HEARTBEAT CRITICAL - Heartbeat is not running on frontal2( \|.*)?$/);
  });
  test('crashed frontal1: CRITICAL (not running, or not answering)', () => {
    const r = run(['heartbeat/crashed/frontal1'], '--node', 'frontal1');
    expect(r.code).toBe(2);
    expect(r.first).toMatch(/^LVS HEARTBEAT CRITICAL - Heartbeat (is not running on frontal1|on frontal1 does not answer \(cl_status timed out\)) \|/);
  });
  test('peer dead (frontal1 crashed), on frontal2: CRITICAL', () => {
    const r = run(['heartbeat/peer-dead/frontal2'], '--node', 'frontal2');
    expect(r.code).toBe(2);
    expect(r.first).toMatch(/^LVS HEARTBEAT CRITICAL - peer frontal1 is dead \| links_up=0;;;0;1 /);
  });
  test('--node that Heartbeat does not know: UNKNOWN naming it', () => {
    const r = run(['heartbeat/healthy/frontal1'], '--node', 'frontal9');
    expect(r.code).toBe(3);
    expect(r.first).toMatch(/^LVS HEARTBEAT UNKNOWN - frontal9 is not a Heartbeat node \(nodes: frontal2, frontal1\)/);
  });
  test('a cl_status that does not exist: UNKNOWN', () => {
    const r = spawnSync(process.execPath, [bin, '--cl-status', '/nonexistent/cl_status'], { encoding: 'utf8', timeout: 30000 });
    expect(r.status).toBe(3);
    expect(r.stdout.split('\n')[0]).toBe('LVS HEARTBEAT UNKNOWN - cannot run /nonexistent/cl_status: not found');
  });
});

afterAll(removeTempDirs);

describe('evaluateHeartbeat: whole results, every branch', () => {
  test('OK: summary, every perfdata in order, long output (ucast local links, timings, unknown-type nodes)', () => {
    const unknown = node('odd', 'up', [], { type: 'unknown' });
    const r = evaluateHeartbeat(running([node('frontal2', 'active'), me, node('192.168.0.254', 'ping', [], { type: 'ping' }), unknown]), { ...ucast, seconds: 0.12345 });
    expect(r).toEqual({
      state: State.OK,
      summary: 'frontal1: peer frontal2 active, 1/1 links up',
      perf: [
        { label: 'links_up', value: 1, min: 0, max: 1 },
        { label: 'links_total', value: 1, min: 0 },
        { label: 'deadtime', value: 10, uom: 's', min: 0 },
        { label: 'warntime', value: 6, uom: 's', min: 0 },
        { label: 'keepalive', value: 2, uom: 's', min: 0 },
        { label: 'time', value: 0.123, uom: 's', min: 0 },
      ],
      long: [
        'OK: peer frontal2 active, 1/1 links up',
        'OK: ping node 192.168.0.254 answers',
        'node odd: type unknown, status up (ignored)',
        'local links (not judged in ucast mode): eth0 dead',
        'timings: keepalive 2 s, warntime 6 s, deadtime 10 s',
      ],
    });
  });
  test('no timings, no time, no local links: only the link perfdata, no timings line', () => {
    const r = evaluateHeartbeat({ daemon: 'running', detail: '', localNode: 'frontal1', nodes: [node('frontal2', 'active'), { ...me, links: [] }], deadtime: 10 }, ucast);
    expect(r.perf).toEqual([
      { label: 'links_up', value: 1, min: 0, max: 1 },
      { label: 'links_total', value: 1, min: 0 },
      { label: 'deadtime', value: 10, uom: 's', min: 0 },
    ]);
    expect(r.long).toEqual(['OK: peer frontal2 active, 1/1 links up']);
    const k = evaluateHeartbeat({ daemon: 'running', detail: '', nodes: [node('frontal2', 'active'), me], keepalive: 1, warntime: 2 }, ucast);
    expect(k.perf!.map((p) => p.label)).toEqual(['links_up', 'links_total', 'warntime', 'keepalive']);
    expect(k.long!.some((l) => l.startsWith('timings'))).toBe(false);
  });
  test('the daemon states: whole results, with the time perfdata', () => {
    const t = { ...ucast, seconds: 2 };
    const time = [{ label: 'time', value: 2, uom: 's', min: 0 }];
    expect(evaluateHeartbeat({ daemon: 'stopped', detail: 'd1', nodes: [] }, t)).toEqual({ state: State.CRITICAL, summary: 'Heartbeat is not running on frontal1', long: ['d1'], perf: time });
    expect(evaluateHeartbeat({ daemon: 'unresponsive', detail: 'd2', nodes: [] }, t)).toEqual({ state: State.CRITICAL, summary: 'Heartbeat on frontal1 does not answer (cl_status timed out)', long: ['d2'], perf: time });
    expect(evaluateHeartbeat({ daemon: 'refused', detail: 'd3', nodes: [] }, t)).toEqual({
      state: State.UNKNOWN,
      summary: 'Heartbeat runs on frontal1 but refuses cl_status (run as root or in group haclient)',
      long: ['d3'],
      perf: time,
    });
    expect(evaluateHeartbeat({ daemon: 'stopped', detail: 'd1', nodes: [] }, ucast).perf).toEqual([]);
  });
  test('which node is local: named but absent, or not known', () => {
    const nodes = [node('frontal2', 'active'), { ...me, local: false }];
    expect(evaluateHeartbeat({ daemon: 'running', detail: '', localNode: 'frontal9', nodes }, ucast)).toEqual({ state: State.UNKNOWN, summary: 'frontal9 is not a Heartbeat node (nodes: frontal2, frontal1)', perf: [] });
    expect(evaluateHeartbeat({ daemon: 'running', detail: '', nodes }, ucast)).toEqual({ state: State.UNKNOWN, summary: 'cannot tell which Heartbeat node frontal1 is (nodes: frontal2, frontal1); give --node', perf: [] });
  });
  test('peer states one by one, and this node not active', () => {
    const s = (peer: HeartbeatNodeView, local = me) => evaluateHeartbeat(running([peer, local]), ucast);
    expect(s(node('frontal2', 'init'))).toMatchObject({ state: State.WARNING, summary: "peer frontal2 is 'init', not active (1/1 links up)" });
    expect(s(node('frontal2', 'up', [['eth0', 'up'], ['eth1', 'up']]))).toMatchObject({ state: State.WARNING, summary: "peer frontal2 is 'up', not active (2/2 links up)" });
    expect(s(node('frontal2', 'active', []))).toMatchObject({ state: State.WARNING, summary: 'peer frontal2 is active but has no Heartbeat link' });
    expect(s(node('frontal2', 'active', [['eth0', 'dead']]))).toMatchObject({ state: State.CRITICAL, summary: 'peer frontal2: all 1 link dead (eth0)' });
    expect(s(node('frontal2', 'active', [['a', 'up'], ['b', 'dead'], ['c', 'dead']]))).toMatchObject({ state: State.WARNING, summary: 'peer frontal2: 2 links dead (b, c), 1/3 links up' });
    expect(s(node('frontal2', 'active'), { ...me, status: 'up' })).toMatchObject({ state: State.WARNING, summary: "frontal1 (this node) is 'up', not active" });
    const b = evaluateHeartbeat(running([node('frontal2', 'active'), { ...me, links: [{ name: 'eth0', status: 'up' }, { name: 'eth1', status: 'dead' }, { name: 'eth2', status: 'dead' }] }]), { ...ucast, media: 'bcast' });
    expect(b).toMatchObject({ state: State.WARNING, summary: 'local 2 links dead on frontal1 (eth1, eth2)' });
    expect(evaluateHeartbeat(running([node('frontal2', 'active'), { ...me, links: [{ name: 'eth0', status: 'up' }] }]), { ...ucast, media: 'bcast' }).state).toBe(State.OK);
    expect(evaluateHeartbeat(running([node('frontal2', 'active'), { ...me, links: [] }]), { ...ucast, media: 'bcast' }).long).toEqual([
      'OK: peer frontal2 active, 1/1 links up',
      'timings: keepalive 2 s, warntime 6 s, deadtime 10 s',
    ]);
  });
  test('two peers: links summed over peers, both named', () => {
    const r = evaluateHeartbeat(running([node('a', 'active', [['eth0', 'up'], ['eth1', 'dead']]), node('b', 'active'), me]), ucast);
    expect(r.perf!.slice(0, 2)).toEqual([
      { label: 'links_up', value: 2, min: 0, max: 3 },
      { label: 'links_total', value: 3, min: 0 },
    ]);
    expect(evaluateHeartbeat(running([node('a', 'active'), node('b', 'active'), me]), ucast).summary).toBe('frontal1: peer a active, 1/1 links up; peer b active, 1/1 links up');
  });
});

describe('evaluateHeartbeat: the survivors of the first mutation run', () => {
  test('the timings line needs all three timings; local links joined with commas', () => {
    const base = { daemon: 'running' as const, detail: '', nodes: [node('frontal2', 'active'), { ...me, links: [{ name: 'eth0', status: 'dead' as const }, { name: 'eth1', status: 'up' as const }] }] };
    const timings = (t: { keepalive?: number; warntime?: number; deadtime?: number }) => evaluateHeartbeat({ ...base, ...t }, ucast).long!.filter((l) => l.startsWith('timings'));
    expect(timings({ warntime: 6, deadtime: 10 })).toEqual([]);
    expect(timings({ keepalive: 2, deadtime: 10 })).toEqual([]);
    expect(timings({ keepalive: 2, warntime: 6 })).toEqual([]);
    expect(timings({ keepalive: 2, warntime: 6, deadtime: 10 })).toEqual(['timings: keepalive 2 s, warntime 6 s, deadtime 10 s']);
    expect(evaluateHeartbeat(base, ucast).long).toContain('local links (not judged in ucast mode): eth0 dead, eth1 up');
  });
});
