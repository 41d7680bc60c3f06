import { runPlugin } from '../runtime/plugin';
import { pluginHost } from './host';
import { CheckName, loadCheck } from './registry';

/** Entry point of bin/check_lvs_NAME. */
export function main(name: CheckName, argv: string[] = process.argv.slice(2)): void {
  void runPlugin(loadCheck(name), pluginHost, argv);
}
