/**
 * Entry of the single-file bundle (npm run build → build/lvsha.js): called as
 * check_lvs_NAME (a link or wrapper) it is that check, otherwise the lvsha CLI.
 */
import { basename } from 'node:path';

const invoked = basename(process.argv[1] ?? '');
const m = /^check_lvs_([a-z]+)(\.js)?$/.exec(invoked);
/* eslint-disable @typescript-eslint/no-require-imports */
if (m) (require('./checks/main') as typeof import('./checks/main')).main(m[1] as never);
else void (require('./cli') as typeof import('./cli')).main();
