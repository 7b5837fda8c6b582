// Data sensitivity in the explorer: why a node has its level (the
// sensitivity rules record the deciding source and rule on the node) and a
// small coverage panel from GET /api/v1/sensitivity — the share of data
// stores no source classifies, per account, and the unclassified stores at
// the end of an attack path ("classify these").
import * as api from './api';

type Make = (tag: string, attrs?: Record<string, string>, ...children: (Node | string | null | undefined)[]) => HTMLElement;

interface Store { id: string; name: string; kind: string; level: string; source: string; rule?: string; reachable: boolean; hops?: number; }
interface Scope { cloud: string; account: string; data_stores: number; unclassified: number; unclassified_share: number; reachable_unclassified: number; }
interface Report { data_stores: number; unclassified: number; by_source: Record<string, number>; scopes: Scope[]; stores: Store[]; classify_first: number; truncated?: boolean; }

const sourceNames: Record<string, string> = {
  tag: 'an explicit tag or label', classifier: 'a cloud classifier', kind: 'what the resource is',
  name: 'its name', collector: 'the collector',
};

/** why returns the "why this level" block of a node's details, or null
 * when no rule decided its level. */
export function why(h: Make, props: Record<string, unknown> | undefined): HTMLElement | null {
  const source = typeof props?.sensitivity_source === 'string' ? props.sensitivity_source : '';
  if (!source) return null;
  const rule = typeof props?.sensitivity_rule === 'string' ? props.sensitivity_rule : '';
  const over = typeof props?.sensitivity_overridden === 'string' ? props.sensitivity_overridden : '';
  return h('div', { class: 'why', id: 'why-level', 'data-source': source },
    h('strong', {}, 'Why this level: '), `${sourceNames[source] ?? source}`, rule ? h('span', { class: 'mono' }, ' — ' + rule) : null,
    over ? h('div', { class: 'meta' }, 'overrode: ' + over) : null);
}

/** panel loads the coverage report into the element; a failure other
 * than an expired token leaves a one-line note. */
export async function panel(h: Make, into: HTMLElement, open: (id: string) => void): Promise<void> {
  let r: Report;
  try {
    r = await api.get<Report>('/sensitivity');
  } catch (e) {
    if (e instanceof api.Unauthorized) throw e;
    into.replaceChildren(h('p', { class: 'meta' }, 'sensitivity coverage unavailable'));
    return;
  }
  const pct = (n: number, d: number) => (d ? Math.round((100 * n) / d) : 0) + '%';
  into.dataset.stores = String(r.data_stores);
  into.dataset.unclassified = String(r.unclassified);
  const sources = Object.entries(r.by_source ?? {}).sort((a, b) => b[1] - a[1]).map(([s, n]) => `${s} ${n}`).join(' · ');
  const scopes = h('ol', { class: 'coverage-scopes' }, ...r.scopes.map((s) =>
    h('li', { 'data-account': s.account, 'data-unclassified': String(s.unclassified) },
      `${s.cloud} ${s.account}: ${s.unclassified}/${s.data_stores} unclassified (${pct(s.unclassified, s.data_stores)})`,
      s.reachable_unclassified ? h('span', { class: 'badge' }, `${s.reachable_unclassified} on a path`) : null)));
  const first = h('ol', { class: 'classify-first' }, ...r.stores.slice(0, Math.min(r.classify_first, 10)).map((s) => {
    const li = h('li', { 'data-id': s.id }, h('a', { href: '#' }, s.name || s.id), ` · ${s.kind}` + (s.hops ? ` · ${s.hops} hops` : ''));
    li.onclick = (ev) => { ev.preventDefault(); open(s.id); };
    return li;
  }));
  into.replaceChildren(
    h('p', { class: 'meta', id: 'coverage-summary' },
      `${r.unclassified} of ${r.data_stores} data stores unclassified (${pct(r.unclassified, r.data_stores)})` + (r.truncated ? ' · reachability truncated' : '')),
    sources ? h('p', { class: 'meta' }, 'classified by: ' + sources) : '',
    scopes,
    r.classify_first ? h('h3', {}, `Classify these (${r.classify_first})`) : '',
    first);
}
