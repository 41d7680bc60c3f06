import { CliConstraint, CrmMon, parseCliConstraints, parseCrmMon } from '../parsers/crmMon';
import { PluginError } from '../runtime/errors';
import type { Source } from '../sources/source';
import { CommandTimeoutError, describeExit } from '../sources/source';

/**
 * Pacemaker as the local node's partition sees it: `crm_mon --one-shot --output-as=xml` (root or
 * group haclient), then, when it answered, `cibadmin --query --scope constraints` for the
 * cli-prefer/cli-ban constraints `crm resource move` leaves behind (crm_mon lists bans only).
 * crm_mon's exit codes (Pacemaker's crm_exit_t): 0 OK, 102 not connected (Pacemaker is not
 * running here), 4 insufficient privileges, 124 timeout.
 */
export interface PacemakerReading {
  /** crm_mon program path (replays of captures). */
  crmMon: string;
  /** cibadmin program path; '' = do not ask for the cli-* constraints. */
  cibadmin: string;
}

export interface PacemakerStatus {
  /** running: crm_mon answered; stopped: no cluster on this node; refused: not root nor haclient; hung: no answer in time. */
  daemon: 'running' | 'stopped' | 'refused' | 'hung';
  detail: string;
  mon?: CrmMon;
  /** cli-prefer/cli-ban constraints in the CIB. */
  cli: CliConstraint[];
  /** Why the constraints could not be read, when they could not. */
  cliError?: string;
}

export const CRM_EXIT = { OK: 0, INSUFFICIENT_PRIV: 4, NOT_CONNECTED: 102, TIMEOUT: 124 } as const;

/** The <error> lines of an XML error result, else stderr: what crm_mon said, one line. */
function said(stdout: string, stderr: string): string {
  const errs = [...stdout.matchAll(/<error>([^<]{0,300})<\/error>/g)].map((m) => m[1]!.trim());
  const text = errs.length ? errs[errs.length - 1]! : (stderr.trim().split('\n').pop() ?? '');
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&').slice(0, 300);
}

/**
 * One crm_mon per source object and programs: the exporter's collector and check share one per
 * scrape (the exporter makes a source per scrape; a plugin run makes one).
 */
const inflight = new WeakMap<Source, Map<string, Promise<PacemakerStatus>>>();

export function probePacemaker(src: Source, o: PacemakerReading & { timeoutMs?: number }): Promise<PacemakerStatus> {
  const key = JSON.stringify([o.crmMon, o.cibadmin]);
  let bySrc = inflight.get(src);
  if (!bySrc) inflight.set(src, (bySrc = new Map()));
  let p = bySrc.get(key);
  if (!p) bySrc.set(key, (p = readPacemaker(src, o)));
  return p;
}

async function readPacemaker(src: Source, o: PacemakerReading & { timeoutMs?: number }): Promise<PacemakerStatus> {
  const argv = [o.crmMon, '--one-shot', '--output-as=xml'];
  // crm_mon gets 80 % of the time left, so a hung cluster is said (CRITICAL "does not answer")
  // before the plugin's -t ends the run (UNKNOWN "plugin timed out" would say nothing)
  const budget = o.timeoutMs !== undefined ? Math.max(1, Math.floor(o.timeoutMs * 0.8)) : undefined;
  let r;
  try {
    // the state changes from one call to the next: never memoised
    r = await src.run(argv, { timeoutMs: budget, fresh: true });
  } catch (e) {
    if (e instanceof CommandTimeoutError) return { daemon: 'hung', detail: `${src.host}: ${e.message}`, cli: [] };
    throw e;
  }
  const why = said(r.stdout, r.stderr);
  if (r.code === CRM_EXIT.NOT_CONNECTED) return { daemon: 'stopped', detail: `${src.host}: crm_mon: ${why || 'not connected'}`, cli: [] };
  if (r.code === CRM_EXIT.INSUFFICIENT_PRIV || /permission denied|insufficient privileges/i.test(why))
    return { daemon: 'refused', detail: `${src.host}: crm_mon: ${why || 'insufficient privileges'}`, cli: [] };
  if (r.code === CRM_EXIT.TIMEOUT) return { daemon: 'hung', detail: `${src.host}: crm_mon: ${why || 'timed out'}`, cli: [] };
  if (r.code !== CRM_EXIT.OK) throw new PluginError(`${src.host}: ${describeExit(argv, { ...r, stderr: why || r.stderr })}`);
  const mon = parseCrmMon(r.stdout);
  const out: PacemakerStatus = { daemon: 'running', detail: `${src.host}: crm_mon (Pacemaker result api ${mon.apiVersion || '?'})`, mon, cli: [] };
  if (!o.cibadmin) return out;
  const cargv = [o.cibadmin, '--query', '--scope', 'constraints'];
  let c;
  try {
    c = await src.run(cargv, { timeoutMs: budget, fresh: true });
  } catch (e) {
    if (e instanceof CommandTimeoutError) return { ...out, cliError: e.message };
    throw e;
  }
  // 105 (CRM_EX_NOSUCH): no constraints section at all = none left behind
  if (c.code === 105) return out;
  if (c.code !== 0) return { ...out, cliError: describeExit(cargv, c) };
  return { ...out, cli: parseCliConstraints(c.stdout) };
}
