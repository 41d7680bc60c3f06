/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The status page in a real browser: Debian's chromium, headless, driven by playwright-core,
 * against `lvsha exporter` processes (the real CLI) replaying the lab's real captured states
 * (test/exporter/status-replay.ts: `ip -j addr`, cl_status, `ipvsadm -L --daemon` and
 * /proc/net/ip_vs* of one director, switched between phases while the exporter runs).
 *
 * - frontal1's exporter: healthy, then reel2 failed (ldirectord took it out of the table):
 *   frontal1 marked as the VIP holder, reel2's tile red, the timeline says so. Its screenshot
 *   is docs/status.png when LVSHA_STATUS_SCREENSHOT names the file (scripts/status-screenshot.sh).
 * - frontal2's exporter: healthy (frontal1 holds the VIP, per frontal2's Heartbeat), frontal1
 *   crashes (frontal2's Heartbeat sees it dead, frontal2 holds the VIP: the timeline shows the
 *   move), then every real server is down (ldirectord's fallback alone: "fallback engaged").
 *
 * The other director is not read (--no-status-peers: the reference deployment's addresses are
 * 192.168.0.x, never reached from here). Screenshots go to a temp dir (kept on failure, path
 * printed). Nothing leaves loopback: chromium runs with background networking off and loads
 * only http://127.0.0.1.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { directorReplay, DirectorReplay, Phase, PHASES } from '../exporter/status-replay';
import { clientTest, Daemon, Fatal, REPO, waitFor } from './harness';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

async function startExporter(r: DirectorReplay, node: string): Promise<{ daemon: Daemon; base: string }> {
  const daemon = new Daemon(`exporter ${node}`, [
    process.execPath,
    join(REPO, 'bin', 'lvsha'),
    'exporter',
    '--listen',
    '127.0.0.1:0',
    '--root',
    r.root,
    '--ip',
    r.programs.ip!,
    '--cl-status',
    r.programs['cl-status']!,
    '--ipvsadm',
    r.programs.ipvsadm!,
    '--node',
    node,
    '--no-status-peers',
    '--status-refresh',
    '2',
  ]);
  const port = await waitFor(
    `the ${node} exporter to listen`,
    () => {
      if (daemon.exited) throw new Fatal(`exporter exited: ${daemon.out}`);
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(daemon.out);
      return m ? Number(m[1]) : undefined;
    },
    15_000,
    50,
  );
  return { daemon, base: `http://127.0.0.1:${port}` };
}

async function browser(dir: string): Promise<BrowserContext> {
  const { chromium } = await import('playwright-core');
  return chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
    // Nothing but the exporter on loopback.
    offline: false,
  });
}

/** What the page shows, read from the DOM (no script of ours runs in it: the page has none). */
async function view(page: Page) {
  return page.evaluate(() => {
    const all = (sel: string) => [...document.querySelectorAll(sel)];
    return {
      holders: all('[data-vip]').map((e) => `${e.getAttribute('data-vip')}=${e.getAttribute('data-holders')}`),
      holderCards: all('[data-director][data-holder="yes"]').map((e) => e.getAttribute('data-director')),
      tiles: all('[data-rs]').map((e) => `${e.getAttribute('data-rs')} ${e.getAttribute('data-state')}`),
      fallback: all('[data-fallback="engaged"]').length,
      events: all('[data-event]').map((e) => e.textContent ?? ''),
      scripts: all('script').length,
      refresh: document.querySelector('meta[http-equiv="refresh"]')?.getAttribute('content'),
    };
  });
}

type View = Awaited<ReturnType<typeof view>>;

/** Reloads the page (bounded) until `ok` holds on what it shows. */
async function until(page: Page, url: string, what: string, ok: (v: View) => boolean, timeoutMs = 20_000): Promise<View> {
  let last: View | undefined;
  try {
    return await waitFor(
      what,
      async () => {
        await page.goto(url, { waitUntil: 'load', timeout: 10_000 });
        last = await view(page);
        return ok(last) ? last : undefined;
      },
      timeoutMs,
      300,
    );
  } catch (e) {
    throw new Error(`${(e as Error).message}; the page showed ${JSON.stringify(last)}`);
  }
}

async function phase(r: DirectorReplay, p: Phase): Promise<void> {
  r.set(p);
}

clientTest(
  ['chromium'],
  'the status page in headless Chromium: frontal1 holds the VIP and reel2 is down, at a glance',
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lvsha-status-browser-'));
    const r = directorReplay(PHASES.frontal1Healthy);
    let ex: Awaited<ReturnType<typeof startExporter>> | undefined;
    let ctx: BrowserContext | undefined;
    let ok = false;
    try {
      ex = await startExporter(r, 'frontal1');
      ctx = await browser(dir);
      const page = await ctx.newPage();
      const url = `${ex.base}/status`;
      // Healthy, long enough for the sparklines to have a few points.
      let v = await until(page, url, 'frontal1 holding the VIP, two live real servers', (x) => [...x.tiles].sort().join() === '192.168.0.4:80 live,192.168.0.5:80 live');
      expect(v.holders).toEqual(['192.168.0.3=frontal1']);
      expect(v.scripts).toBe(0);
      expect(v.refresh).toBe('2');
      await waitFor('three gathers', async () => ((await (await fetch(`${ex!.base}/status?format=json`)).json()) as { history: { series: Record<string, unknown[]> } }).history.series['tcp:192.168.0.3:80']!.length >= 3 || undefined, 20_000, 700);

      await phase(r, PHASES.frontal1OneDown);
      v = await until(page, url, 'reel2 failed', (x) => x.tiles.includes('192.168.0.5:80 failed') && x.events.length > 0);
      expect(v.holderCards).toEqual(['frontal1']);
      expect([...v.tiles].sort()).toEqual(['192.168.0.4:80 live', '192.168.0.5:80 failed']);
      expect(v.fallback).toBe(0);
      expect(v.events.some((e) => /real server reel2 192\.168\.0\.5:80 of TCP 192\.168\.0\.3:80 removed from the table \(failed\)/.test(e))).toBe(true);
      // The badges are colours, not only words: the holder green, the failed tile red.
      const colours = await page.evaluate(() => ({
        holder: getComputedStyle(document.querySelector('[data-vip] .badge')!).backgroundColor,
        failed: getComputedStyle(document.querySelector('[data-state="failed"]')!).backgroundColor,
        live: getComputedStyle(document.querySelector('[data-state="live"]')!).backgroundColor,
      }));
      expect(colours).toEqual({ holder: 'rgb(26, 127, 55)', failed: 'rgb(207, 34, 46)', live: 'rgb(26, 127, 55)' });
      const shot = join(dir, 'frontal1-reel2-down.png');
      await page.screenshot({ path: shot, fullPage: true });
      process.stderr.write(`status page screenshot: ${shot}\n`);
      if (process.env.LVSHA_STATUS_SCREENSHOT) copyFileSync(shot, process.env.LVSHA_STATUS_SCREENSHOT);
      ok = true;
    } finally {
      await ctx?.close();
      await ex?.daemon.stop();
      if (!ok && ex) process.stderr.write(`exporter output:\n${ex.daemon.out}\n`);
      r.cleanup();
      if (ok) rmSync(dir, { recursive: true, force: true });
      else process.stderr.write(`kept ${dir}\n`);
    }
  },
  120_000,
);

clientTest(
  ['chromium'],
  "the status page in headless Chromium on frontal2: healthy, frontal1 crashes (the timeline shows the VIP move), every real server down (fallback)",
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lvsha-status-browser-'));
    const r = directorReplay(PHASES.frontal2Healthy);
    let ex: Awaited<ReturnType<typeof startExporter>> | undefined;
    let ctx: BrowserContext | undefined;
    let ok = false;
    try {
      ex = await startExporter(r, 'frontal2');
      ctx = await browser(dir);
      const page = await ctx.newPage();
      const url = `${ex.base}/status`;

      // Healthy: frontal2 does not hold the VIP; its Heartbeat sees frontal1 active: the holder.
      let v = await until(page, url, 'frontal1 holding the VIP per frontal2', (x) => x.holders.join() === '192.168.0.3=frontal1');
      expect(v.holderCards).toEqual(['frontal1']);
      await page.screenshot({ path: join(dir, '1-healthy.png'), fullPage: true });

      // frontal1 crashes: frontal2 takes the VIP and ldirectord's table.
      await phase(r, PHASES.frontal2Takeover);
      v = await until(page, url, 'frontal2 holding the VIP', (x) => x.holders.join() === '192.168.0.3=frontal2' && x.events.some((e) => /moved/.test(e)));
      expect(v.holderCards).toEqual(['frontal2']);
      expect(v.events.find((e) => /VIP/.test(e))).toMatch(/VIP 192\.168\.0\.3 moved from frontal1 to frontal2$/);
      expect(v.events.some((e) => /heartbeat on frontal2 sees frontal1 dead \(was active\)/.test(e))).toBe(true);
      expect(v.tiles.sort()).toEqual(['192.168.0.4:80 live', '192.168.0.5:80 live']);
      expect(v.fallback).toBe(0);
      await page.screenshot({ path: join(dir, '2-failover.png'), fullPage: true });

      // Every real server down: the fallback alone. No reload from here: the page's own
      // <meta http-equiv="refresh"> (2 s) must bring it.
      await phase(r, PHASES.frontal2Fallback);
      let last: View | undefined;
      v = await waitFor(
        'the page to refresh itself to the fallback',
        async () => {
          last = await view(page).catch(() => undefined); // mid-navigation: try again
          return last && last.fallback === 1 ? last : undefined;
        },
        20_000,
        250,
      ).catch((e: Error) => {
        throw new Error(`${e.message}; the page showed ${JSON.stringify(last)}`);
      });
      expect(v.tiles.sort()).toEqual(['127.0.0.1:80 fallback', '192.168.0.4:80 failed', '192.168.0.5:80 failed']);
      expect(v.events.filter((e) => /fallback/.test(e))).toEqual([expect.stringMatching(/fallback engaged for TCP 192\.168\.0\.3:80: every real server is down$/)]);
      // (A phase switch rewrites several files: a gather in between may add a transient event, never these twice.)
      expect(v.events.filter((e) => /removed from the table \(failed\)/.test(e)).map((e) => /real server (\S+)/.exec(e)?.[1]).sort()).toEqual(['reel1', 'reel2']);
      expect(v.holders).toEqual(['192.168.0.3=frontal2']);
      await page.screenshot({ path: join(dir, '3-fallback.png'), fullPage: true });
      process.stderr.write(`status page screenshots: ${dir}\n`);
      ok = true;
    } finally {
      await ctx?.close();
      await ex?.daemon.stop();
      if (!ok && ex) process.stderr.write(`exporter output:\n${ex.daemon.out}\n`);
      r.cleanup();
      if (ok && !process.env.LVSHA_KEEP_SCREENSHOTS) rmSync(dir, { recursive: true, force: true });
      else process.stderr.write(`kept ${dir}\n`);
    }
  },
  120_000,
);
