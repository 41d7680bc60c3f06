import { PluginError } from '../runtime/errors';
import { CheckDef } from '../runtime/plugin';

export const arpCheck: CheckDef = {
  name: 'arp',
  prefix: 'LVS ARP',
  description: 'not implemented yet',
  async run() {
    throw new PluginError('check_lvs_arp is not implemented yet');
  },
};
