import type { ChildProcess } from 'node:child_process';

/**
 * Every child process the plugin spawned and has not yet reaped, so that the
 * timeout can kill them all (their whole process group) before exiting.
 */
const live = new Set<ChildProcess>();

export function track(child: ChildProcess): void {
  live.add(child);
  const drop = () => live.delete(child);
  child.once('exit', drop);
  child.once('error', drop);
}

export function killAll(signal: NodeJS.Signals = 'SIGKILL'): number {
  let n = 0;
  for (const c of live) {
    if (c.pid === undefined) continue;
    try {
      process.kill(-c.pid, signal); // spawned detached: its own process group
      n++;
    } catch {
      try {
        c.kill(signal);
        n++;
      } catch {
        /* already gone */
      }
    }
  }
  live.clear();
  return n;
}
