import { PluginError } from '../runtime/errors';
import { CheckDef } from '../runtime/plugin';

export const syncCheck: CheckDef = {
  name: 'sync',
  prefix: 'LVS SYNC',
  description: 'not implemented yet',
  async run() {
    throw new PluginError('check_lvs_sync is not implemented yet');
  },
};
