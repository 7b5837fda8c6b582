// Drives the explorer in headless Chromium (playwright-core, the system
// browser): log in, select the top path, check its hops and findings are
// shown, expand a node, try a what-if, screenshot, then time a 5k-element
// redraw. Prints one JSON line of results; web/e2e_test.go asserts on it.
//
// Env: BP_URL, BP_TOKEN, BP_SCREENSHOT, BP_CHROMIUM (default /usr/bin/chromium).
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const url = process.env.BP_URL;
const token = process.env.BP_TOKEN;
const shot = process.env.BP_SCREENSHOT;
if (!url || !token || !shot) {
  console.error('BP_URL, BP_TOKEN and BP_SCREENSHOT are required');
  process.exit(2);
}
const profile = mkdtempSync(join(tmpdir(), 'bp-chromium-'));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.BP_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1600, height: 900 },
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
const out = { consoleErrors: [] };
try {
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  page.on('console', (m) => { if (m.type() === 'error') out.consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => out.consoleErrors.push(String(e)));
  page.setDefaultTimeout(30_000);

  await page.goto(url);
  await page.locator('#login').waitFor({ state: 'visible' });
  await page.fill('#token', token);
  await page.click('#login-form button[type=submit]');
  await page.locator('#paths li').first().waitFor();
  out.pathsListed = await page.locator('#paths li').count();
  out.planSteps = await page.locator('#plan li[data-finding]').count();

  const first = page.locator('#paths li').first();
  out.topPath = await first.getAttribute('data-path');
  await first.click();
  await page.waitForFunction(() => Number(document.getElementById('panel').dataset.findings) > 0
    && window.__bp.cy.edges('.hop').length > 0);
  out.hopEdges = await page.evaluate(() => window.__bp.cy.edges('.hop').length);
  out.hopTechniques = await page.evaluate(() => window.__bp.cy.edges('.hop').map((e) => e.data('label')));
  out.pathNodes = await page.evaluate(() => window.__bp.cy.nodes().length);
  out.panelFindings = await page.locator('#panel .finding').count();
  out.panelFindingIds = await page.locator('#panel .finding').evaluateAll((els) => els.map((e) => e.dataset.finding));
  out.panelHops = await page.locator('#panel .hop').count();
  await page.waitForFunction(() => document.getElementById('panel').dataset.mustpass !== undefined);
  out.mustPassHops = await page.locator('#panel .mustpass-hop').evaluateAll((els) => els.map((e) => e.dataset.node));
  out.mustPassMarked = await page.evaluate(() => window.__bp.cy.nodes('.mustpass').length);

  // Expand the entry node (the first hop's head) with the toolbar button.
  const before = await page.evaluate(() => window.__bp.cy.elements().length);
  await page.evaluate(() => {
    const cy = window.__bp.cy;
    cy.$(':selected').unselect();
    cy.edges('.hop').first().target().select();
  });
  await page.click('#expand');
  await page.waitForFunction((n) => window.__bp.cy.elements().length > n, before);
  out.elementsBeforeExpand = before;
  out.elementsAfterExpand = await page.evaluate(() => window.__bp.cy.elements().length);
  out.graphDataNodes = Number(await page.locator('#graph').getAttribute('data-nodes'));

  // What if the first choke point were fixed?
  if (out.planSteps > 0) {
    await page.locator('#plan li[data-finding]').first().click();
    await page.locator('#plan li.selected').waitFor();
    out.cutPaths = await page.locator('#paths li.cut').count();
  }
  // For the screenshot: the longest listed path, with its entry node expanded.
  const longest = await page.locator('#paths li').evaluateAll((els) => {
    let best = 0, hops = 0;
    els.forEach((e, i) => { const m = /(\d+) hops/.exec(e.textContent); if (m && +m[1] > hops) { hops = +m[1]; best = i; } });
    return best;
  });
  await page.locator('#paths li').nth(longest).click();
  await page.waitForFunction((id) => window.__bp.state.selectedPath === id,
    await page.locator('#paths li').nth(longest).getAttribute('data-path'));
  await page.waitForFunction(() => document.getElementById('panel').dataset.mustpass !== undefined);
  out.longestPath = await page.evaluate(() => window.__bp.state.selectedPath);
  out.longestMustPass = await page.locator('#panel .mustpass-hop').evaluateAll((els) => els.map((e) => e.dataset.node));
  const drawn = await page.evaluate(() => window.__bp.cy.elements().length);
  await page.evaluate(() => window.__bp.cy.edges('.hop').first().target().select());
  await page.click('#expand');
  await page.waitForFunction((n) => window.__bp.cy.elements().length > n, drawn);
  await page.evaluate(() => { window.__bp.cy.$(':selected').unselect(); window.__bp.cy.fit(undefined, 40); });
  await page.waitForTimeout(300); // let the canvas repaint before the screenshot (not an assertion)
  await page.screenshot({ path: shot });

  // The queue download goes through fetch + a blob link (the bearer header
  // cannot ride on a plain link).
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#download-csv')]);
  out.downloadName = dl.suggestedFilename();
  const dlPath = await dl.path();
  out.downloadHeader = dlPath ? (await import('node:fs')).readFileSync(dlPath, 'utf8').split('\n')[0] : '';

  // 5k elements: time the add + layout + first render, and a pan/zoom.
  out.stress5k = await page.evaluate(() => window.__bp.stress(5000));
  out.stressElements = await page.evaluate(() => window.__bp.cy.elements().length);
  out.zoom5kMs = await page.evaluate(() => new Promise((resolve) => {
    const cy = window.__bp.cy;
    const t0 = performance.now();
    cy.zoom({ level: cy.zoom() * 1.5, renderedPosition: { x: 400, y: 300 } });
    requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now() - t0)));
  }));
} finally {
  await ctx.close();
  rmSync(profile, { recursive: true, force: true });
}
console.log(JSON.stringify(out));
