// Preload (node -r) for bench/startup.js: at exit, writes this process's own CPU time
// (user+sys, microseconds) to fd 3, a pipe the bench opens. CPU time is what start-up work
// costs whatever else the machine runs; it leaves out the children a check spawns.
'use strict';
process.on('exit', () => {
  const u = process.cpuUsage();
  try {
    require('node:fs').writeSync(3, `${u.user + u.system}\n`);
  } catch {
    // fd 3 not open: not run by the bench.
  }
});
