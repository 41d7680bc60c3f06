import { PluginError } from '../runtime/errors';
import { CheckDef } from '../runtime/plugin';

export const vipCheck: CheckDef = {
  name: 'vip',
  prefix: 'LVS VIP',
  description: 'not implemented yet',
  async run() {
    throw new PluginError('check_lvs_vip is not implemented yet');
  },
};
