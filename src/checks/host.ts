import type { Deployment } from '../model/types';
import type { PluginHost } from '../runtime/plugin';
import { LocalSource } from '../sources/local';
import { RootSource } from '../sources/root';
import type { Source } from '../sources/source';

/**
 * The plugin's sources and deployment, handed to the runtime by the entry points
 * (bin/check_lvs_NAME, `lvsha check NAME`): local, SSH (loaded only for -H), or a captured
 * tree under --root; the deployment from --config, $LVSHA_CONFIG or the embedded reference.
 */
export const pluginHost: PluginHost<Deployment> = {
  source(target, opts, io): Source {
    let s: Source;
    if (target === 'localhost' || target === '127.0.0.1' || target === '::1') {
      s = new LocalSource({ sudo: opts.sudo, onRun: io.onRun, timeoutMs: io.remainingMs() });
    } else {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { SshSource } = require('../sources/ssh') as typeof import('../sources/ssh');
      s = new SshSource({
        host: target,
        port: opts.sshPort,
        user: opts.sshUser,
        keyPath: opts.sshKey,
        knownHostsPath: opts.knownHosts,
        sudo: opts.sudo,
        // A slow handshake may use most of -t, but not all: a director that does not answer
        // must still be reported (unreachable) before the plugin itself times out.
        connectTimeoutMs: Math.max(1000, Math.floor(io.remainingMs() * 0.6)),
        timeoutMs: io.remainingMs(),
        onRun: io.onRun,
      });
    }
    return opts.root ? new RootSource(opts.root, s) : s;
  },
  loadDeployment(config) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('../model/load') as typeof import('../model/load')).loadDeployment(config);
  },
};
