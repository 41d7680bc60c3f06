import { PluginError } from '../runtime/errors';
import { CheckDef } from '../runtime/plugin';

export const heartbeatCheck: CheckDef = {
  name: 'heartbeat',
  prefix: 'LVS HEARTBEAT',
  description: 'not implemented yet',
  async run() {
    throw new PluginError('check_lvs_heartbeat is not implemented yet');
  },
};
