// A check built on the real runtime (compiled in dist/ by `npm test`), with behaviours
// the runtime tests need: hang in a child process, throw, succeed.
'use strict';
const { runPlugin } = require('../../dist/runtime/plugin');
const { pluginHost } = require('../../dist/checks/host');
const { State } = require('../../dist/runtime/state');

const mode = process.argv[2];
const check = {
  name: 'test',
  prefix: 'LVS TEST',
  description: 'runtime test check',
  options(cmd) {
    cmd.option('-w, --warning <range>', 'warning range').option('-c, --critical <range>', 'critical range').option('--pidfile <file>');
  },
  configure(opts, ctx) {
    return { opts, warning: ctx.warning, critical: ctx.critical };
  },
  defaults: () => ({ opts: {} }),
  evaluate: (r) => r,
  async gather(c, env) {
    const ctx = { opts: c.opts, warning: c.warning, critical: c.critical, source: env.source };
    if (mode === 'hang') {
      // A child that records its PID and never ends: -t must kill it.
      await ctx.source().run(['sh', '-c', `echo $$ > ${ctx.opts.pidfile}; exec sleep 300`]);
      return { state: State.OK, summary: 'not reached' };
    }
    if (mode === 'throw') throw new TypeError('boom inside the check');
    if (mode === 'value') {
      const { evaluate } = require('../../dist/runtime/result');
      const v = 7;
      return { state: evaluate(v, ctx.warning, ctx.critical), summary: `value ${v}`, perf: [{ label: 'value', value: v, warn: ctx.warning, crit: ctx.critical }] };
    }
    return { state: State.OK, summary: 'fine' };
  },
};
runPlugin(check, pluginHost, process.argv.slice(3));
