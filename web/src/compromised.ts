// "Assume compromised": from a node's details, ask what someone who holds
// that foothold reaches (GET /api/v1/compromised?source=<id>), list the
// paths riskiest first, and highlight the reached targets on the canvas.
// An empty answer says why: the node names no foothold the graph holds
// (the API's reason), or nothing sensitive is reachable from it.
import type cytoscape from 'cytoscape';
import * as api from './api';

type Make = (tag: string, attrs?: Record<string, string>, ...children: (Node | string | null | undefined)[]) => HTMLElement;

interface Compromised {
  generation: string; resolved: Record<string, string[]>; unresolved: Record<string, string>;
  total: number; truncated: boolean; items: api.PathSummary[];
}

/** The Cytoscape style of the foothold and the targets it reaches. */
export const reachedStyle: cytoscape.StylesheetJson = [
  { selector: 'node.compromised', style: { 'border-width': 4, 'border-color': '#ff2e63' } },
  { selector: 'node.reached', style: { 'border-width': 4, 'border-color': '#ff9f1c', 'border-style': 'double' } },
];

/** section asks the API from the foothold id and returns the panel section
 * (id "compromised"); highlight receives the foothold and the reached
 * target ids, open a path id the user picks. */
export async function section(h: Make, id: string, highlight: (source: string, targets: string[]) => void,
  open: (pathID: string) => void): Promise<HTMLElement> {
  const r = await api.get<Compromised>('/compromised', { source: id });
  const targets = [...new Set(r.items.map((p) => p.target))];
  highlight(id, targets);
  let summary: string;
  if (r.unresolved[id] !== undefined) {
    summary = `Nothing to assume: ${r.unresolved[id]}`;
  } else if (r.total === 0) {
    summary = 'Assumed compromised, this foothold reaches no sensitive target within the search bounds.';
  } else {
    summary = `Assumed compromised, this foothold reaches ${targets.length} target${targets.length === 1 ? '' : 's'} ` +
      `by ${r.total}${r.truncated ? '+' : ''} path${r.total === 1 ? '' : 's'} (riskiest first):`;
  }
  const list = h('ol', { class: 'compromised-paths' }, ...r.items.slice(0, 50).map((p) => {
    const li = h('li', { 'data-path': p.id, 'data-target': p.target },
      h('a', { href: '#' }, p.target_name || p.target), ` · ${p.hop_count} hops · risk ${p.risk.toFixed(1)}`);
    li.onclick = (ev) => { ev.preventDefault(); open(p.id); };
    return li;
  }));
  return h('div', { class: 'compromised', id: 'compromised', 'data-total': String(r.total), 'data-targets': String(targets.length) },
    h('h2', {}, 'Assume compromised'),
    h('p', { class: 'meta', id: 'compromised-summary' }, summary),
    list);
}
