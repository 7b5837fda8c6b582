// "New since": highlight the attack paths that appeared since a chosen time
// or sync, from the change ledger (GET /api/v1/changes). A path keeps its id
// while the same hops exist, so the opened ids mark the list directly. The
// syncs offered are the ledger's observations (GET /api/v1/metrics/trend).
import * as api from './api';

type Make = (tag: string, attrs?: Record<string, string>, ...children: (Node | string | null | undefined)[]) => HTMLElement;

interface ChangedPath { id: string; source: string; target: string; hops: number; risk: number; }
interface ChangeRef { id: number; sync_id: number; at: string; }
interface Changes { from: ChangeRef; to: ChangeRef; truncated: boolean; paths_opened: ChangedPath[]; paths_closed: ChangedPath[]; }
interface TrendPoint { at: string; sync_id: number; paths: number; }
interface Trend { paths: TrendPoint[]; }

let opened = new Set<string>();
let summary = '';

/** isNew reports whether the path appeared since the chosen baseline. */
export function isNew(id: string): boolean {
  return opened.has(id);
}

/** active reports whether a baseline is chosen. */
export function active(): boolean {
  return summary !== '';
}

/** mark flags a path list item as new (data-new, class, badge). */
export function mark(h: Make, li: HTMLElement, id: string): void {
  const n = opened.has(id);
  li.dataset.new = String(n);
  li.classList.toggle('new', n);
  if (n) li.firstElementChild?.append(' ', h('span', { class: 'badge new', title: summary }, 'new'));
}

/** syncChoices lists the observed syncs, newest first, as select options. */
export async function syncChoices(h: Make): Promise<HTMLElement[]> {
  let trend: Trend;
  try {
    trend = await api.get<Trend>('/metrics/trend', { since: '366d' });
  } catch (e) {
    if (e instanceof api.Unauthorized) throw e;
    return [];
  }
  return trend.paths.slice().reverse().map((p) =>
    h('option', { value: 'sync:' + p.sync_id }, `sync ${p.sync_id} · ${p.at.replace('T', ' ').slice(0, 16)} · ${p.paths} paths`));
}

/** choose sets the baseline ("" off, a duration such as "24h", or
 * "sync:N") and returns the line to show, or throws the API's error. A
 * ledger with nothing recorded is no error: nothing is new. */
export async function choose(choice: string): Promise<string> {
  opened = new Set();
  summary = '';
  if (!choice) return '';
  const params: Record<string, string> = choice.startsWith('sync:') ? { from: choice.slice(5) } : { since: choice };
  let ch: Changes;
  try {
    ch = await api.get<Changes>('/changes', params);
  } catch (e) {
    if (e instanceof Error && /^404 /.test(e.message)) {
      summary = 'no changes recorded yet';
      return summary;
    }
    throw e;
  }
  opened = new Set(ch.paths_opened.map((p) => p.id));
  const since = choice.startsWith('sync:') ? `sync ${ch.from.sync_id}` : `${ch.from.at.replace('T', ' ').slice(0, 16)} (sync ${ch.from.sync_id})`;
  summary = `${ch.paths_opened.length} new · ${ch.paths_closed.length} closed since ${since}${ch.truncated ? ' (search truncated)' : ''}`;
  return summary;
}
