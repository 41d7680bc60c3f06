import type { ChildProcess } from 'node:child_process';

/**
 * Every process group the plugin (or exporter) spawned and has not yet seen end, so that a
 * deadline, or the process itself ending, kills them all. A group is tracked until its
 * stdio closes, not until its leader exits: a program that exits leaving a background child
 * holding the pipe still has a live group (children are spawned detached: pgid = pid).
 */
const live = new Set<ChildProcess>();

/** SIGKILL to the child's whole process group (it was spawned detached); false when already gone. */
export function killGroup(c: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): boolean {
  if (c.pid === undefined) return false;
  try {
    process.kill(-c.pid, signal);
    return true;
  } catch {
    try {
      return c.kill(signal);
    } catch {
      return false;
    }
  }
}

export function track(child: ChildProcess): void {
  hookExit();
  live.add(child);
  const drop = () => live.delete(child);
  child.once('close', drop);
  child.once('error', drop);
}

/** How many groups are tracked (tests). */
export function trackedCount(): number {
  return live.size;
}

export function killAll(signal: NodeJS.Signals = 'SIGKILL'): number {
  let n = 0;
  for (const c of live) if (killGroup(c, signal)) n++;
  live.clear();
  return n;
}

/**
 * Children die with us: on exit (process.exit included, which the exporter's SIGTERM handler
 * calls), and on a fatal signal nobody else handles (Nagios ending a plugin with SIGTERM):
 * kill the tracked groups, then let the signal do what it would have done.
 */
let hooked = false;
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.once('exit', () => killAll('SIGKILL'));
  const ours = new Map<string | symbol, (...a: unknown[]) => void>();
  // A signal someone else ever listened to is theirs to end the process on (a `once` listener
  // is gone by the time ours runs: counting listeners then would re-raise under it).
  const theirs = new Set<string | symbol>();
  process.on('newListener', (ev: string | symbol, fn: unknown) => {
    if (ours.has(ev) && fn !== ours.get(ev)) theirs.add(ev);
  });
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    if (process.listenerCount(sig) > 0) theirs.add(sig);
    const onSignal = () => {
      killAll('SIGKILL');
      if (!theirs.has(sig)) {
        // Nobody else handles it: restore the default action and re-raise.
        process.removeListener(sig, onSignal);
        process.kill(process.pid, sig);
      }
    };
    ours.set(sig, onSignal);
    process.on(sig, onSignal);
  }
}
