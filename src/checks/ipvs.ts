import { PluginError } from '../runtime/errors';
import { CheckDef } from '../runtime/plugin';

export const ipvsCheck: CheckDef = {
  name: 'ipvs',
  prefix: 'LVS IPVS',
  description: 'not implemented yet',
  async run() {
    throw new PluginError('check_lvs_ipvs is not implemented yet');
  },
};
