/**
 * /status and /status?format=json: bounded work per request. One gather at a time (every
 * request arriving during a gather shares it) and none more often than every `minIntervalMs`
 * (requests in between get the last answer): a flood of /status costs one gather per interval,
 * and its rendered text once per gather and format. Nothing here changes anything: a gather
 * only reads, and feeds the in-memory history.
 */
import { StatusHistory, HistoryOptions } from './history';
import { renderStatusHtml } from './html';
import type { StatusSnapshot } from './model';

export const DEFAULT_STATUS_REFRESH = 10;
export const DEFAULT_MIN_GATHER_INTERVAL_MS = 2000;

export interface StatusPageOptions {
  /** Seconds between the page's own refreshes. */
  refresh: number;
  /** Seconds between background gathers (said on the page). */
  sample?: number;
  /** No two gathers closer than this (default 2 s). */
  minIntervalMs?: number;
  history?: HistoryOptions;
  /** One gather of the deployment (server.ts: the scrape's sources, pool and allow list). */
  gather(): Promise<StatusSnapshot>;
}

export type StatusFormat = 'html' | 'json';

interface Answer {
  text: string;
  contentType: string;
}

export class StatusPage {
  readonly history: StatusHistory;
  /** Gathers run so far (tests, the flood test). */
  gathers = 0;
  private last?: { snap: StatusSnapshot; done: number; rendered: Partial<Record<StatusFormat, Answer>> };
  private flight?: Promise<NonNullable<StatusPage['last']>>;

  constructor(private readonly o: StatusPageOptions) {
    this.history = new StatusHistory(o.history);
  }

  private current(): Promise<NonNullable<StatusPage['last']>> {
    const last = this.last;
    if (last && Date.now() - last.done < (this.o.minIntervalMs ?? DEFAULT_MIN_GATHER_INTERVAL_MS)) return Promise.resolve(last);
    if (!this.flight) {
      this.gathers++;
      this.flight = this.o
        .gather()
        .then((snap) => {
          this.history.record(snap);
          this.last = { snap, done: Date.now(), rendered: {} };
          return this.last;
        })
        .finally(() => (this.flight = undefined));
    }
    return this.flight;
  }

  /** A background gather (--status-sample): feeds the history; nothing rendered until asked. */
  async sample(): Promise<void> {
    await this.current();
  }

  async answer(format: StatusFormat): Promise<Answer> {
    const cur = await this.current();
    let a = cur.rendered[format];
    if (!a) {
      a =
        format === 'json'
          ? { text: JSON.stringify(statusJson(cur.snap, this.history, this.o.refresh), null, 1) + '\n', contentType: 'application/json; charset=utf-8' }
          : { text: renderStatusHtml(cur.snap, this.history, { refresh: this.o.refresh, sample: this.o.sample, now: cur.snap.at }), contentType: 'text/html; charset=utf-8' };
      cur.rendered[format] = a;
    }
    return a;
  }
}

/** The JSON answer: the snapshot, and the history (events newest first, points per service). */
export function statusJson(s: StatusSnapshot, h: StatusHistory, refresh: number) {
  const series: Record<string, { at: number; live: number; connections: number }[]> = {};
  for (const svc of s.services) series[svc.key] = h.series(svc.key);
  return { ...s, refreshSeconds: refresh, history: { since: h.since, maxAgeSeconds: h.maxAgeMs / 1000, events: h.timeline(), series } };
}
