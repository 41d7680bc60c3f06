// The replayed inputs for bench/startup.js: each check runs on captured real output
// (fixtures under test/fixtures/real), through --root and program-path overrides.
'use strict';
const path = require('node:path');

exports.cases = (binDir) => {
  const list = ['vip', 'heartbeat', 'ipvs', 'sync', 'arp', 'sorry'].map((n) => ({
    name: `check_lvs_${n}`,
    bin: path.join(binDir, `check_lvs_${n}`),
    args: [],
    env: {},
  }));
  return { setup() {}, teardown() {}, list };
};
