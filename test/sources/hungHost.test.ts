import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// A hung host (accepts TCP, never speaks SSH) is CRITICAL, like an unreachable one, within -t:
// every check, through its real binary (dist/, built by `npm test`). Before: check_lvs_ipvs and
// check_lvs_sorry said UNKNOWN "plugin timed out" (a second connect after the first failed ate
// the rest of -t). Each check runs in a network namespace of its own with only `lo`, the
// silent host on 127.0.0.5 inside it: nothing can leave, whatever the deployment names.

const root = process.getuid?.() === 0;
let unshare = false;
try {
  execFileSync('unshare', ['-n', 'true'], { stdio: 'ignore' });
  unshare = root;
} catch {
  unshare = false;
}
if (!unshare && process.env.CI) throw new Error('the hung-host tests need root and unshare(1) in CI');
const d = unshare ? describe : describe.skip;

const REPO = join(__dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'lvsha-hung-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Inside the namespace: lo up, a silent listener (prints its port), a known_hosts line for it,
// then the check. The listener ends with the namespace's shell.
const SCRIPT = `
ip link set lo up
node -e "const s=require('net').createServer(c=>c.on('error',()=>{})).listen(0,'127.0.0.5',()=>console.log(s.address().port))" > "$DIR/port.$CHECK" &
silent=$!
for i in $(seq 1 100); do [ -s "$DIR/port.$CHECK" ] && break; sleep 0.05; done
port=$(cat "$DIR/port.$CHECK")
echo "[127.0.0.5]:$port $(cut -d' ' -f1,2 "$DIR/key.pub")" > "$DIR/kh.$CHECK"
node "$REPO/bin/check_lvs_$CHECK" -H 127.0.0.5 --ssh-port "$port" --ssh-key "$DIR/key" --known-hosts "$DIR/kh.$CHECK" -t 3 "$@"
rc=$?
kill $silent
exit $rc
`;

function runHung(check: string): Promise<{ code: number | null; signal: string | null; out: string }> {
  return new Promise((resolve) => {
    execFile('unshare', ['-n', 'sh', '-c', SCRIPT, 'hung'], { env: { ...process.env, DIR: dir, REPO, CHECK: check }, timeout: 30_000, killSignal: 'SIGKILL' }, (err, stdout) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, signal: err ? ((err as { signal?: string }).signal ?? null) : null, out: stdout }),
    );
  });
}

d('a hung host is CRITICAL within -t, for every check', () => {
  beforeAll(() => {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'key')]);
    expect(readFileSync(join(dir, 'key.pub'), 'utf8')).toMatch(/^ssh-ed25519 /);
  });

  test.each(['ipvs', 'sorry', 'vip', 'heartbeat', 'sync', 'arp'])('check_lvs_%s -H <silent host> -t 3', async (check) => {
    const r = await runHung(check);
    expect(r.signal).toBeNull(); // ended by itself
    const first = r.out.split('\n')[0]!;
    expect(first).toMatch(/^LVS [A-Z]+ CRITICAL - /);
    expect(first).not.toMatch(/timed out/);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/cannot reach 127\.0\.0\.5:\d+ over SSH/);
  });
});
