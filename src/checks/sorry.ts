import { PluginError } from '../runtime/errors';
import { CheckDef } from '../runtime/plugin';

export const sorryCheck: CheckDef = {
  name: 'sorry',
  prefix: 'LVS SORRY',
  description: 'not implemented yet',
  async run() {
    throw new PluginError('check_lvs_sorry is not implemented yet');
  },
};
