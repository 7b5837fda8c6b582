// Conditional moves in the explorer: a hop that holds only if something the
// collection could not decide holds (an unresolved IAM condition, a fact the
// export lacks) is drawn dashed and badged; a finding whose every path is
// conditional (the queue row's `conditional`) and a principal that reaches an
// administrator only conditionally (GET /paths?target=admin) are badged too.
// A hop whose move needs a tag change first (ABAC) names that step.
import type cytoscape from 'cytoscape';
import * as api from './api';

/** The Cytoscape style of a conditional attack hop. */
export const conditionalStyle: cytoscape.StylesheetJson = [
  { selector: 'edge.hop.conditional', style: { 'line-style': 'dashed', 'line-color': '#c99cff', 'target-arrow-color': '#c99cff' } },
];

/** The legend entry for conditional hops. */
export const conditionalLegend: [string, string] = ['#c99cff', 'conditional hop (dashed)'];

type Make = (tag: string, attrs?: Record<string, string>, ...children: (Node | string | null | undefined)[]) => HTMLElement;

/** badge returns the "conditional" badge, explaining what it means for this item. */
export function badge(h: Make, why: string): HTMLElement {
  return h('span', { class: 'badge conditional', title: why }, 'conditional');
}

/** mark sets data-conditional on an element and appends the badge when c is set. */
export function mark(h: Make, el: HTMLElement, c: boolean | undefined, why: string): HTMLElement {
  el.dataset.conditional = String(!!c);
  if (c) el.append(' ', badge(h, why));
  return el;
}

/** tagStep renders the tag change a hop's move needs first, or null. */
export function tagStep(h: Make, hop: api.Hop): HTMLElement | null {
  if (!hop.tag_step) return null;
  return h('div', { class: 'tag-step meta' }, h('strong', {}, 'step 1: '), 'tag change ', h('code', {}, hop.tag_step), h('strong', {}, ' · then step 2: '), hop.technique);
}

/** adminItems lists the principals that can become an administrator, the conditional ones badged. */
export async function adminItems(h: Make, label: (id: string) => string): Promise<HTMLElement[]> {
  const list = await api.get<api.AdminPathList>('/paths', { target: 'admin', limit: '100' });
  if (!list.principals.length) return [h('li', {}, 'No principal can become an administrator.')];
  return list.principals.map((r) => {
    const li = h('li', { 'data-principal': r.principal, title: r.chain.join('\n') },
      h('div', { class: 'row' }, h('bdi', {}, label(r.principal)), h('span', { class: 'meta' }, ` · ${r.hops} hops`)));
    return mark(h, li, r.conditional, 'every chain to an administrator has a move that holds only if a condition the collection could not decide holds');
  });
}
