// Man pages and bash completion (src/man.ts) say what --help says: for every check and every
// lvsha subcommand, the options of the man page are exactly those `--help` prints (the plugins
// and the CLI run from dist/, as installed), and lvsha(1) has exactly the subcommands
// `lvsha --help` lists, recursively. The completion offers the same words.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHECK_NAMES } from '../../src/checks/registry';
import { bashCompletion, checkManPage, lvshaManPage, writeAll } from '../../src/man';

const ROOT = join(__dirname, '..', '..');
const env = { ...process.env };
delete env.LVSHA_CONFIG;

function help(bin: string, args: string[]): string {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', bin), ...args, '--help'], { encoding: 'utf8', env, timeout: 30000 });
  return r.stdout;
}

/** Flags of the "Options:" section of a --help text. */
function helpFlags(text: string): string[] {
  const section = text.split(/^Options:$/m)[1]?.split(/^Commands:$/m)[0] ?? '';
  return [...section.matchAll(/^ {2}(-\w)?(?:, )?(--[\w-]+)?/gm)].flatMap((m) => [m[1], m[2]].filter((f): f is string => !!f)).sort();
}

/** Names of the "Commands:" section of a --help text (without `help`). */
function helpCommands(text: string): string[] {
  const section = text.split(/^Commands:$/m)[1] ?? '';
  return [...section.matchAll(/^ {2}([a-z][\w-]*)/gm)].map((m) => m[1]!).filter((c) => c !== 'help');
}

/** Un-roff one line: font changes and escaped hyphens. */
const plain = (l: string) => l.replace(/\\f[BIRP]/g, '').replace(/\\-/g, '-').replace(/\\e/g, '\\');

/** Flags of the option terms (`.TP` then the term) of a roff fragment. */
function roffFlags(roff: string): string[] {
  const lines = roff.split('\n');
  return lines
    .flatMap((l, i) => (lines[i - 1] === '.TP' ? [plain(l)] : []))
    .flatMap((t) => [...t.matchAll(/(?:^|, )(--?[\w-]+)/g)].map((m) => m[1]!))
    .filter((f) => f.startsWith('-'))
    .sort();
}

describe('man pages say what --help says', () => {
  test.each(CHECK_NAMES.map((n) => [n]))('check_lvs_%s(1): the options of --help, no more, no less', (name) => {
    const flags = helpFlags(help(`check_lvs_${name}`, []));
    expect(flags.length).toBeGreaterThan(15);
    const page = checkManPage(name);
    const options = page.split(/^\.SH OPTIONS$/m)[1]!.split(/^\.SH /m)[0]!;
    expect(roffFlags(options)).toEqual(flags);
    expect(page).toMatch(new RegExp(`^\\.TH CHECK_LVS_${name.toUpperCase()} 1 `, 'm'));
  });

  test('lvsha(1): every subcommand of lvsha --help (recursively), each with the options of its --help', () => {
    const page = lvshaManPage();
    const sections = new Map<string, string>();
    for (const s of page.split(/^\.SS /m).slice(1)) {
      const title = /^"lvsha ([a-z ]+?)(?: \[| <|"|$)/.exec(s)?.[1];
      if (title) sections.set(title, s.split(/^\.SH /m)[0]!);
    }
    const seen: string[] = [];
    const visit = (path: string[]) => {
      const text = help('lvsha', path);
      if (path.length) {
        const key = path.join(' ');
        seen.push(key);
        expect({ key, found: sections.has(key) }).toEqual({ key, found: true });
        expect({ key, flags: roffFlags(sections.get(key)!) }).toEqual({ key, flags: helpFlags(text) });
      } else expect(roffFlags(page.split(/^\.SH OPTIONS$/m)[1]!.split(/^\.SH /m)[0]!)).toEqual(helpFlags(text));
      // `check` takes a check name, not subcommands.
      if (path[0] !== 'check') for (const c of helpCommands(text)) visit([...path, c]);
    };
    visit([]);
    expect(seen).toEqual(expect.arrayContaining(['check', 'exporter', 'doctor', 'generate', 'lab', 'lab up', 'install']));
    expect([...sections.keys()].sort()).toEqual([...seen].sort());
  });

  test('man renders every page without a warning', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lvsha-man-'));
    try {
      const files = writeAll(dir).filter((f) => f.endsWith('.1'));
      expect(files).toHaveLength(CHECK_NAMES.length + 1);
      for (const f of files) {
        const r = spawnSync('groff', ['-man', '-Tutf8', '-ww', '-z', f], { encoding: 'utf8', timeout: 30000 });
        if (r.error) return; // no groff here: the Debian test renders them with man
        expect({ f, stderr: r.stderr.split('\n').filter((l) => l && !/cannot adjust line/.test(l)) }).toEqual({ f, stderr: [] });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('bash completion', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'lvsha-compl-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** COMPREPLY for a command line typed up to the cursor (the last word may be empty). */
  function complete(words: string[]): string[] {
    const script = `${bashCompletion()}\ncd "$1"; shift\nCOMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _lvsha_complete; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const r = spawnSync('bash', ['-c', script, 'complete', dir, ...words], { encoding: 'utf8', timeout: 10000 });
    expect(r.stderr).toBe('');
    return r.stdout.split('\n').filter(Boolean).sort();
  }

  test('options of a check, by the name it is run as', () => {
    expect(complete(['/usr/lib/nagios/plugins/check_lvs_ipvs', '--pr'])).toEqual(['--probe']);
    expect(complete(['check_lvs_sorry', '--expect-'])).toEqual(['--expect-status']);
    expect(complete(['check_lvs_ipvs', '-'])).toEqual(helpFlags(help('check_lvs_ipvs', [])));
  });

  test('lvsha: subcommands, nested ones, check names, a check after `lvsha check NAME`', () => {
    expect(complete(['lvsha', ''])).toEqual(['-V', '--help', '--version', '-h', ...helpCommands(help('lvsha', []))].sort());
    expect(complete(['lvsha', 'lab', ''])).toEqual(['-h', '--help', ...helpCommands(help('lvsha', ['lab']))].sort());
    expect(complete(['lvsha', 'lab', 'up', '--t'])).toEqual(['--tier']);
    expect(complete(['lvsha', 'check', 'ip'])).toEqual(['ipvs']);
    expect(complete(['lvsha', 'check', 'ipvs', '--ro'])).toEqual(['--role', '--root']);
    expect(complete(['lvsha', 'exporter', '--listen', '127.0.0.1:10694', '--ipvs-p'])).toEqual(['--ipvs-probe']);
  });

  test('a value is not completed as an option; a path value as a file', () => {
    expect(complete(['check_lvs_ipvs', '--service', ''])).toEqual([]);
    spawnSync('touch', [join(dir, 'deployment.json')]);
    expect(complete(['check_lvs_ipvs', '--config', 'dep'])).toEqual(['deployment.json']);
  });
});
