// The attack-path explorer: the ranked path list, a Cytoscape drawing of the
// selected path, its evidence and findings, neighbourhood expansion, search,
// filters and the choke-point plan with "what if fixed".
import cytoscape from 'cytoscape';
import * as api from './api';
import { iconFor, cloudColour } from './icons';
import { visible } from './text';
import * as cond from './conditional';
import * as since from './newsince';
import * as sens from './sensitivity';
import * as compromised from './compromised';

type El = HTMLElement;
const $ = <T extends El = El>(id: string) => document.getElementById(id) as T;

/** h builds an element; text children are set as text, never as HTML. */
function h(tag: string, attrs: Record<string, string> = {}, ...children: (Node | string | null | undefined)[]): El {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else e.setAttribute(k, k === 'title' ? visible(v) : v);
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    // the browser rule (text.ts): estate text shows what it is
    e.append(typeof c === 'string' ? document.createTextNode(visible(c)) : c);
  }
  return e;
}

/** bdi isolates one name inside running text. */
const bdi = (s: string) => h('bdi', {}, s);

const label = (id: string, name?: string) => visible(name || id.split(/[/:]/).filter(Boolean).pop() || id);
const riskClass = (r: number) => (r >= 50 ? 'risk' : r >= 25 ? 'risk mid' : 'risk low');

// Big graphs switch to the cheap layout and drop labels while zoomed out.
const bigGraph = 400;

const cy = cytoscape({
  container: $('graph'),
  wheelSensitivity: 0.3,
  minZoom: 0.05,
  maxZoom: 3,
  hideEdgesOnViewport: true,
  textureOnViewport: true,
  pixelRatio: 1,
  motionBlur: false,
  style: [
    {
      selector: 'node',
      style: {
        'background-opacity': 0,
        'background-image': 'data(icon)',
        'background-fit': 'contain',
        'border-width': 0,
        width: 38,
        height: 38,
        label: 'data(label)',
        color: '#d9e1ea',
        'font-size': 10,
        'text-valign': 'bottom',
        'text-margin-y': 4,
        'text-max-width': '140px',
        'text-wrap': 'ellipsis',
        'min-zoomed-font-size': 7,
        'text-background-color': '#0f1419',
        'text-background-opacity': 0.6,
        'text-background-padding': '1px',
      },
    },
    // Big graphs draw plain dots without labels: icons and text dominate the
    // frame time at thousands of nodes. Zooming in on a few still shows the
    // panel details on tap.
    { selector: 'node.lite', style: { 'background-image': 'none', 'background-opacity': 1, 'background-color': 'data(color)', label: '', width: 14, height: 14 } },
    { selector: 'edge.lite', style: { 'curve-style': 'haystack', 'target-arrow-shape': 'none', width: 1, label: '' } },
    { selector: 'node.onpath', style: { width: 52, height: 52, 'font-size': 11, 'font-weight': 'bold' } },
    { selector: 'node.target', style: { 'underlay-color': '#ff5d5d', 'underlay-opacity': 0.35, 'underlay-padding': 8, 'underlay-shape': 'ellipse' } },
    { selector: 'node.mustpass', style: { 'border-width': 4, 'border-color': '#ffb347', 'border-style': 'double' } },
    { selector: 'node.source', style: { 'underlay-color': '#6cb6ff', 'underlay-opacity': 0.3, 'underlay-padding': 8, 'underlay-shape': 'ellipse' } },
    { selector: 'node:selected', style: { 'underlay-color': '#ffb347', 'underlay-opacity': 0.55, 'underlay-padding': 10 } },
    {
      selector: 'edge',
      style: {
        width: 1,
        'line-color': '#3a4a5e',
        'target-arrow-color': '#3a4a5e',
        'target-arrow-shape': 'triangle',
        'arrow-scale': 0.8,
        'curve-style': 'bezier',
        label: '',
        'font-size': 9,
        color: '#8a99ab',
        'min-zoomed-font-size': 8,
      },
    },
    { selector: 'edge.move', style: { 'line-color': '#7a6a3e', 'target-arrow-color': '#7a6a3e', width: 1.5 } },
    {
      selector: 'edge.hop',
      style: {
        width: 4,
        'line-color': '#ff5d5d',
        'target-arrow-color': '#ff5d5d',
        label: 'data(label)',
        color: '#ffd7a8',
        'font-size': 10,
        'text-rotation': 'autorotate',
        'text-margin-y': -9,
        'text-background-color': '#0f1419',
        'text-background-opacity': 0.8,
        'text-background-padding': '2px',
      },
    },
    { selector: 'edge.choke', style: { 'line-style': 'dashed', 'line-color': '#ffb347', 'target-arrow-color': '#ffb347', width: 5 } },
    { selector: 'edge.cut', style: { 'line-color': '#4cc38a', 'target-arrow-color': '#4cc38a', 'line-style': 'dotted', opacity: 0.7 } },
    ...cond.conditionalStyle,
    ...compromised.reachedStyle,
  ],
});

interface State {
  cursor?: string;
  selectedPath?: string;
  selectedStep?: string;
  planFindings: Set<string>;
  removed: Set<string>;
}
const state: State = { planFindings: new Set(), removed: new Set() };

function status(msg: string): void {
  $('status').textContent = msg;
}

function countElements(): void {
  $('graph').dataset.nodes = String(cy.nodes().length);
  $('graph').dataset.edges = String(cy.edges().length);
}

function nodeData(n: api.NodeSummary) {
  return { id: n.id, label: label(n.id, n.name), icon: iconFor(n.kind, n.cloud), kind: n.kind, cloud: n.cloud ?? '', color: cloudColour(n.cloud) };
}

function runLayout(roots?: string[]): void {
  const n = cy.nodes().length;
  cy.batch(() => cy.elements().toggleClass('lite', n > bigGraph));
  const opts: cytoscape.LayoutOptions =
    n > bigGraph
      ? { name: 'grid', animate: false, avoidOverlap: false, condense: true } as any
      : {
          name: 'breadthfirst', directed: true, roots: roots && roots.length ? roots : undefined, spacingFactor: 1.1,
          animate: false, padding: 30,
          // left to right, so the technique labels on the hops read horizontally
          transform: (_: unknown, p: { x: number; y: number }) => ({ x: p.y * 1.8, y: p.x }),
        } as any;
  cy.layout(opts).run();
  cy.fit(undefined, 40);
}

// ---- login ----

function askToken(message = ''): Promise<void> {
  const dlg = $('login') as HTMLDialogElement;
  $('login-error').textContent = message;
  if (!dlg.open) dlg.showModal();
  return new Promise((resolve) => {
    $('login-form').onsubmit = (ev) => {
      ev.preventDefault();
      const t = ($('token') as HTMLInputElement).value.trim();
      if (!t) return;
      api.setToken(t);
      dlg.close();
      resolve();
    };
  });
}

async function guarded<T>(fn: () => Promise<T>): Promise<T | undefined> {
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof api.Unauthorized) {
        // The server wants a token: ask for one, saying so if it refused ours.
        const sent = api.token() !== null;
        api.forgetToken();
        await askToken(sent ? 'That token was refused. Try again.' : '');
        continue;
      }
      status(String((e as Error).message ?? e));
      console.error(e);
      return undefined;
    }
  }
}

// ---- path list ----

function filters(): Record<string, string | undefined> {
  const v = (id: string) => ($(id) as HTMLInputElement).value;
  return {
    cloud: v('f-cloud') || undefined,
    account: v('f-account') || undefined,
    min_sensitivity: v('f-sens') || undefined,
    min_risk: v('f-risk') !== '0' ? v('f-risk') : undefined,
  };
}

function pathItem(p: api.PathSummary): El {
  const li = h('li', { 'data-path': p.id },
    h('div', { class: 'row' },
      h('span', { class: riskClass(p.risk), title: 'risk' }, p.risk.toFixed(1)),
      h('span', { class: 'ends', title: p.source + ' → ' + p.target },
        bdi(label(p.source, p.source_name)), ' → ', bdi(label(p.target, p.target_name)))),
    h('div', { class: 'meta' },
      ...p.clouds.map((c) => h('span', { class: 'tag ' + c }, c)),
      `${p.hop_count} hops · p=${p.likelihood.toFixed(2)} · ${p.target_kind} (${p.target_sensitivity}) · ${p.finding_count} findings`));
  cond.mark(h, li.lastElementChild as El, p.conditional, 'a hop of this path holds only if a condition the collection could not decide holds');
  li.dataset.conditional = String(!!p.conditional);
  since.mark(h, li, p.id);
  if (p.id === state.selectedPath) li.classList.add('selected');
  if (state.removed.has(p.id)) li.classList.add('cut');
  li.onclick = () => void selectPath(p.id);
  return li;
}

async function loadPaths(more = false): Promise<void> {
  const list = await guarded(() => api.get<api.PathList>('/paths', { ...filters(), limit: '50', cursor: more ? state.cursor : undefined }));
  if (!list) return;
  const ol = $('paths');
  if (!more) ol.replaceChildren();
  for (const p of list.items) ol.append(pathItem(p));
  ol.dataset.since = ($('f-since') as HTMLSelectElement).value; // the "new since" baseline the marks show
  state.cursor = list.next_cursor;
  ($('more-paths') as HTMLButtonElement).hidden = !list.next_cursor;
  $('path-count').textContent = `${list.total}${list.truncated ? '+' : ''}`;
}

function markPathList(): void {
  for (const li of Array.from($('paths').children) as El[]) {
    li.classList.toggle('selected', li.dataset.path === state.selectedPath);
    li.classList.toggle('cut', state.removed.has(li.dataset.path ?? ''));
  }
}

// ---- the selected path ----

async function selectPath(id: string): Promise<void> {
  const d = await guarded(() => api.get<api.PathDetail>('/paths/' + encodeURIComponent(id)));
  if (!d) return;
  state.selectedPath = id;
  markPathList();
  cy.batch(() => {
    cy.elements().remove();
    for (const n of d.nodes) {
      const el = cy.add({ group: 'nodes', data: nodeData(n) });
      el.addClass('onpath');
    }
    cy.$id(d.source).addClass('source');
    cy.$id(d.target).addClass('target');
    d.hops.forEach((hop, i) => {
      cy.add({
        group: 'edges',
        data: { id: `hop${i}`, source: hop.from, target: hop.to, label: visible(hop.technique), findings: hop.findings ?? [], hop: i },
        classes: hop.conditional ? 'hop move conditional' : 'hop move',
      });
    });
  });
  markChokes();
  runLayout([d.source]);
  countElements();
  renderPathPanel(d);
  status(`${d.hop_count} hops drawn · double-click a node to expand its neighbourhood`);
  await showMustPass(d);
}

// codes renders ids as code elements separated by commas.
function codes(ids: string[]): (El | string)[] {
  return ids.flatMap((id, i) => (i ? [', ', h('code', {}, id)] : [h('code', {}, id)]));
}

// showMustPass adds what every path to the selected path's target crosses
// (GET /targets/{id}/must-pass) to the panel and marks those nodes.
async function showMustPass(d: api.PathDetail): Promise<void> {
  const mp = await guarded(() => api.get<api.MustPass>('/targets/' + encodeURIComponent(d.target) + '/must-pass'));
  if (!mp || state.selectedPath !== d.id) return; // another path was selected meanwhile
  const target = label(d.target, d.target_name);
  const hops = mp.hops.map((hop, i) =>
    h('div', { class: 'mustpass-hop', 'data-node': hop.id },
      h('strong', {}, `${i + 1}. `), bdi(label(hop.id, hop.name)), ` (${hop.kind})`,
      hop.findings?.length ? h('div', { class: 'meta' }, 'entered only by moves citing ', ...codes(hop.findings)) : null));
  const section = h('div', { class: 'mustpass' },
    h('h2', {}, 'Must-pass'),
    mp.hops.length
      ? h('div', { class: 'meta' }, 'Every attack path to ', bdi(target), ', of any length, crosses:')
      : h('div', { class: 'meta' }, 'No single node lies on every path to ', bdi(target), '.'),
    ...hops,
    mp.findings.length
      ? h('div', { class: 'meta' }, 'Fixing any one of these cuts every path to it: ', ...codes(mp.findings))
      : null);
  const panel = $('panel');
  const firstFinding = panel.querySelector('h2:last-of-type');
  panel.insertBefore(section, firstFinding);
  panel.dataset.mustpass = String(mp.hops.length);
  for (const hop of mp.hops) cy.$id(hop.id).addClass('mustpass');
}

function findingCard(f: api.Finding): El {
  const row = cond.mark(h, h('div', { class: 'row' }, h('span', { class: 'sev ' + f.severity }, f.severity), h('strong', {}, f.title || f.rule_id)),
    f.conditional, 'every attack path this finding enables has a conditional hop');
  return h('div', { class: 'finding', 'data-finding': f.id, 'data-conditional': String(!!f.conditional) },
    row,
    h('div', { class: 'meta' }, h('code', {}, f.rule_id), ' · on ', bdi(label(f.resource, f.resource_name)), f.owner ? ' · owner ' : '', f.owner ? bdi(f.owner) : null,
      ` · priority ${f.priority.toFixed(1)}`),
    f.evidence ? h('div', { class: 'meta' }, f.evidence) : null,
    f.remediation ? h('div', { class: 'fix' }, f.remediation) : null,
    f.controls?.length ? h('div', { class: 'meta' }, f.controls.join(' · ')) : null);
}

function renderPathPanel(d: api.PathDetail): void {
  const panel = $('panel');
  const hops = d.hops.map((hop, i) =>
    h('div', { class: 'hop', 'data-hop': String(i), 'data-conditional': String(!!hop.conditional), 'data-tag-step': hop.tag_step ?? '' },
      h('div', {}, h('strong', {}, `${i + 1}. `), bdi(label(hop.from, hop.from_name)), ' → ', bdi(label(hop.to, hop.to_name))),
      cond.tagStep(h, hop),
      cond.mark(h, h('div', {}, h('span', { class: 'tech' }, hop.technique), ` · ${hop.kind} · p=${hop.likelihood.toFixed(2)}`,
        hop.stale ? ' · stale' : ''), hop.conditional, 'this move holds only if a condition the collection could not decide holds (see its evidence)'),
      hop.evidence?.length ? h('ul', {}, ...hop.evidence.map((e) => h('li', {}, e))) : null));
  panel.replaceChildren(
    h('h3', {}, `Risk ${d.risk.toFixed(1)} · ${d.hop_count} hops`),
    h('div', { class: 'meta' }, bdi(label(d.source, d.source_name)), ' → ', bdi(label(d.target, d.target_name)), ` (${d.target_kind}, ${d.target_sensitivity})`),
    h('div', { class: 'meta' }, `likelihood ${d.likelihood.toFixed(3)} · blast radius ${d.reach} targets`),
    h('h2', {}, 'Hops and evidence'),
    ...hops,
    ...(d.loops ?? []).map((l) =>
      h('div', { class: 'loop meta' }, 'Loop: ',
        l.to === l.from + 1 ? `hop ${l.to} runs` : l.to === l.from ? 'this node is' : `hops ${l.from + 1}–${l.to} run`,
        ` inside a cycle of ${l.members.length} nodes that all reach each other (`,
        ...l.members.flatMap((m, i) => (i ? [', ', bdi(label(m))] : [bdi(label(m))])),
        '): whoever holds one holds them all.')),
    h('h2', {}, `Enabling findings (${d.findings.length})`),
    ...(d.findings.length ? d.findings.map(findingCard) : [h('div', { class: 'meta' }, 'No finding enables this path: no single fix cuts it.')]),
  );
  panel.dataset.findings = String(d.findings.length);
  delete panel.dataset.mustpass; // set again by showMustPass
}

async function showNode(id: string): Promise<void> {
  const n = await guarded(() => api.get<api.NodeDetail>('/nodes', { id }));
  if (!n) return;
  const kv = h('dl', { class: 'kv' });
  const add = (k: string, v: unknown) => {
    if (v === undefined || v === '' || v === null) return;
    kv.append(h('dt', {}, k), h('dd', {}, typeof v === 'string' ? v : JSON.stringify(v)));
  };
  add('kind', n.kind); add('type', n.native_type); add('cloud', n.cloud); add('account', n.account); add('region', n.region);
  add('sensitivity', n.sensitivity + (n.crown_jewel ? ' (crown jewel)' : '')); add('attack paths', String(n.paths)); add('edges', String(n.degree));
  for (const [k, v] of Object.entries(n.tags ?? {})) add('tag ' + k, v);
  for (const [k, v] of Object.entries(n.props ?? {})) add(k, v);
  const panel = $('panel');
  const back = h('button', { type: 'button', class: 'ghost' }, '← back to path');
  back.onclick = () => state.selectedPath && void selectPath(state.selectedPath);
  const expand = h('button', { type: 'button' }, 'Expand neighbourhood');
  expand.onclick = () => void expandNode(n.id);
  const assume = h('button', { type: 'button', id: 'assume-compromised' }, 'Assume compromised');
  assume.onclick = () => void assumeCompromised(n.id);
  panel.replaceChildren(
    h('div', { class: 'row' }, state.selectedPath ? back : null, expand, assume),
    h('h3', {}, label(n.id, n.name)),
    h('div', { class: 'mono' }, n.id),
    sens.why(h, n.props) ?? '',
    kv,
    h('h2', {}, `Findings (${n.findings.length})`),
    ...n.findings.map(findingCard));
}

// assumeCompromised asks what the node reaches as a foothold, adds the
// answer to its details and highlights the reached targets drawn.
async function assumeCompromised(id: string): Promise<void> {
  const sec = await guarded(() => compromised.section(h, id, (source, targets) => {
    cy.nodes().removeClass('compromised reached');
    cy.$id(source).addClass('compromised');
    for (const t of targets) cy.$id(t).addClass('reached');
  }, (pathID) => void selectPath(pathID)));
  if (!sec) return;
  $('compromised')?.remove();
  const panel = $('panel');
  panel.insertBefore(sec, panel.querySelector('h2'));
}

async function expandNode(id: string): Promise<void> {
  const nb = await guarded(() => api.get<api.Neighbourhood>('/nodes/neighbourhood', { id, depth: '1', limit: '60' }));
  if (!nb) return;
  const before = cy.elements().length;
  const centre = cy.$id(id);
  const p = centre.nonempty() ? centre.position() : { x: 0, y: 0 };
  cy.batch(() => {
    nb.nodes.forEach((n, i) => {
      if (cy.$id(n.id).nonempty()) return;
      const angle = (2 * Math.PI * i) / Math.max(1, nb.nodes.length);
      cy.add({ group: 'nodes', data: nodeData(n), position: { x: p.x + 220 * Math.cos(angle), y: p.y + 220 * Math.sin(angle) } });
    });
    for (const e of nb.edges) {
      const eid = `${e.from}|${e.kind}|${e.to}|${e.technique ?? ''}`;
      if (cy.$id(eid).nonempty()) continue;
      // a hop already drawn stands for the same move
      if (cy.edges('.hop').some((x) => x.data('source') === e.from && x.data('target') === e.to && x.data('label') === visible(e.technique ?? ''))) continue;
      cy.add({ group: 'edges', data: { id: eid, source: e.from, target: e.to, label: visible(e.technique ?? e.kind), findings: e.findings ?? [] },
        classes: e.family === 'move' ? 'move' : 'fact' });
    }
  });
  markChokes();
  if (cy.nodes().length > bigGraph) runLayout();
  else cy.animate({ fit: { eles: cy.elements(), padding: 40 } }, { duration: 200 });
  countElements();
  status(`+${cy.elements().length - before} elements around ${label(id)}${nb.truncated ? ' (capped: more around)' : ''}`);
}

// ---- choke points and what-if ----

function markChokes(): void {
  cy.edges().forEach((e) => {
    const fs: string[] = e.data('findings') ?? [];
    e.toggleClass('choke', fs.some((f) => state.planFindings.has(f)));
    e.toggleClass('cut', state.selectedStep !== undefined && fs.includes(state.selectedStep));
  });
}

async function loadAdmins(): Promise<void> {
  const items = await guarded(() => cond.adminItems(h, (id) => label(id)));
  if (items) $('admins').replaceChildren(...items);
}

async function loadPlan(): Promise<void> {
  const plan = await guarded(() => api.get<api.Plan>('/plan'));
  if (!plan) return;
  state.planFindings = new Set(plan.steps.map((s) => s.finding_id));
  const ol = $('plan');
  ol.replaceChildren(...plan.steps.slice(0, 30).map((s) => {
    const li = h('li', { 'data-finding': s.finding_id },
      h('div', { class: 'row' }, h('span', { class: 'sev ' + s.severity }, s.severity), h('span', { class: 'ends' }, s.title || s.rule_id || s.finding_id)),
      h('div', { class: 'meta' }, `cuts ${s.paths_removed} paths · effort ${s.fix_effort} · `, bdi(label(s.resource ?? '')),
        s.must_pass ? h('span', { class: 'badge', title: 'every path to some target crosses a move citing it' }, ' must-pass') : null));
    li.onclick = () => void whatIf(s.finding_id, li);
    return li;
  }));
  if (!plan.steps.length) ol.append(h('li', {}, 'No finding to fix: no cuttable attack path.'));
  markChokes();
}

async function whatIf(findingID: string, li: El): Promise<void> {
  if (state.selectedStep === findingID) {
    state.selectedStep = undefined;
    state.removed = new Set();
    li.classList.remove('selected');
  } else {
    const w = await guarded(() => api.get<api.WhatIf>('/plan/whatif', { fix: findingID }));
    if (!w) return;
    state.selectedStep = findingID;
    state.removed = new Set(w.removed);
    for (const x of Array.from($('plan').children)) x.classList.toggle('selected', x === li);
    status(`Fixing it removes ${w.removed.length} of ${w.paths_before} paths and protects ${w.protected_targets.length} targets`);
  }
  markPathList();
  markChokes();
}

// ---- search ----

let searchTimer: number | undefined;
function onSearchInput(): void {
  window.clearTimeout(searchTimer);
  searchTimer = window.setTimeout(async () => {
    const q = ($('search') as HTMLInputElement).value.trim();
    const box = $('search-results');
    if (!q) {
      box.hidden = true;
      return;
    }
    const r = await guarded(() => api.get<api.SearchResult>('/search', { q, limit: '15' }));
    if (!r) return;
    box.replaceChildren(...r.items.map((n) => {
      const d = h('div', {}, h('span', { class: 'tag ' + (n.cloud ?? '') }, n.kind), label(n.id, n.name),
        n.paths ? h('span', { class: 'meta' }, ` · on ${n.paths} paths`) : null);
      d.onclick = async () => {
        box.hidden = true;
        if (cy.$id(n.id).empty()) {
          cy.add({ group: 'nodes', data: nodeData(n) });
          cy.$id(n.id).position({ x: 0, y: 0 });
        }
        cy.$(':selected').unselect();
        cy.$id(n.id).select();
        await expandNode(n.id);
        await showNode(n.id);
      };
      return d;
    }));
    if (!r.items.length) box.append(h('div', { class: 'meta' }, 'no match'));
    box.hidden = false;
  }, 200);
}

// ---- wiring ----

function legend(): void {
  const item = (text: string) => h('span', {}, h('i'), text);
  const items = [
    ['#ff5d5d', 'attack hop'], cond.conditionalLegend, ['#ffb347', 'choke point'], ['#4cc38a', 'cut by the fix'],
    [cloudColour('aws'), 'AWS'], [cloudColour('azure'), 'Azure'], [cloudColour('gcp'), 'GCP'],
  ];
  $('legend').replaceChildren(...items.map(([c, t]) => {
    const e = item(t);
    (e.firstChild as HTMLElement).style.background = c; // CSSOM, allowed by the CSP
    return e;
  }));
}

async function start(): Promise<void> {
  legend();
  // Ask for a token up front only when the server wants one: /healthz says
  // (a 401 would do too, but shows as a console error). Under --no-auth the
  // login never opens.
  if (!api.token() && (await api.authMode()) !== 'none') await askToken();
  // /stats counts every edge, which a large estate's server loads only
  // after its first answer: the paths do not wait for the summary
  const summary = guarded(() => api.get<api.Stats>('/stats')).then((stats) => {
    if (!stats) return;
    $('summary').textContent = `${stats.nodes.toLocaleString()} nodes · ${stats.paths} paths · ${stats.findings_on_path} of ${stats.findings} findings on paths`;
    const sel = $('f-account');
    for (const a of stats.accounts) sel.append(h('option', { value: a }, a));
  });
  await Promise.all([summary, loadPaths(), loadPlan(), loadAdmins(), guarded(async () => $('f-since').append(...await since.syncChoices(h))),
    guarded(() => sens.panel(h, $('coverage'), (id) => void showNode(id)))]);
}

cy.on('tap', 'node', (ev) => void showNode(ev.target.id()));
cy.on('dbltap', 'node', (ev) => void expandNode(ev.target.id()));
cy.on('select unselect', 'node', () => {
  ($('expand') as HTMLButtonElement).disabled = cy.$('node:selected').empty();
});
$('expand').onclick = () => {
  const n = cy.$('node:selected').first();
  if (n.nonempty()) void expandNode(n.id());
};
$('fit').onclick = () => cy.fit(undefined, 40);
$('more-paths').onclick = () => void loadPaths(true);
for (const id of ['f-cloud', 'f-account', 'f-sens']) $(id).onchange = () => void loadPaths();
$('f-since').onchange = () => void guarded(async () => {
  $('since-summary').textContent = await since.choose(($('f-since') as HTMLSelectElement).value);
  await loadPaths();
});
$('f-risk').oninput = () => { $('f-risk-out').textContent = ($('f-risk') as HTMLInputElement).value; };
$('f-risk').onchange = () => void loadPaths();
$('search').oninput = onSearchInput;
$('search-form').onsubmit = (ev) => ev.preventDefault();
$('download-csv').onclick = () => void guarded(() => api.download('/queue?format=csv', 'breachpath-queue.csv'));
$('logout').onclick = () => { api.forgetToken(); location.reload(); };

// Test and debugging hook: the e2e test reads element counts from cy and
// measures a 5k-element redraw with stress().
(window as any).__bp = {
  cy,
  state,
  stress(n: number): Promise<{ addMs: number; layoutMs: number; firstFrameMs: number }> {
    const t0 = performance.now();
    cy.batch(() => {
      cy.elements().remove();
      const nodes = Math.ceil(n / 2);
      for (let i = 0; i < nodes; i++) {
        cy.add({ group: 'nodes', data: { id: 's' + i, label: 'n' + i, icon: iconFor(i % 3 ? 'Compute' : 'Bucket', ['aws', 'azure', 'gcp'][i % 3]),
          color: cloudColour(['aws', 'azure', 'gcp'][i % 3]) } });
      }
      for (let i = 1; i < n - nodes + 1; i++) {
        cy.add({ group: 'edges', data: { id: 'se' + i, source: 's' + (i % nodes), target: 's' + ((i * 7919) % nodes) } });
      }
    });
    const t1 = performance.now();
    runLayout();
    const t2 = performance.now();
    countElements();
    return new Promise((resolve) =>
      requestAnimationFrame(() => requestAnimationFrame(() =>
        resolve({ addMs: t1 - t0, layoutMs: t2 - t1, firstFrameMs: performance.now() - t2 }))));
  },
};

void start();
