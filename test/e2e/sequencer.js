/**
 * Jest's default order, with the lab's end-to-end files last and in a fixed order: the
 * namespace lab with Heartbeat, then with keepalived, then with Pacemaker, then the VM (each file brings its own
 * lab up and down; namespaces are machine-wide, so they never overlap: maxWorkers 1).
 */
const Sequencer = require('@jest/test-sequencer').default;

const E2E_ORDER = ['netns.test.ts', 'keepalived.test.ts', 'pacemaker.test.ts', 'vm.test.ts'];
const rank = (path) => {
  const m = /[\\/]test[\\/]e2e[\\/]([^\\/]+)$/.exec(path);
  if (!m) return -1;
  const i = E2E_ORDER.indexOf(m[1]);
  return i === -1 ? E2E_ORDER.length : i;
};

class LabOrderSequencer extends Sequencer {
  sort(tests) {
    const sorted = super.sort(tests);
    const rest = sorted.filter((t) => rank(t.path) === -1);
    const e2e = sorted.filter((t) => rank(t.path) !== -1).sort((a, b) => rank(a.path) - rank(b.path));
    return [...rest, ...e2e];
  }
}
module.exports = LabOrderSequencer;
