// Drives the explorer in headless Chromium (playwright-core, the system
// browser): log in, select the top path, check its hops and findings are
// shown, expand a node, try a what-if, screenshot, then time a 5k-element
// redraw. Prints one JSON line of results; web/e2e_test.go asserts on it.
//
// Env: BP_URL, BP_TOKEN, BP_SCREENSHOT, BP_CHROMIUM (default /usr/bin/chromium).
import { requireEnv, runExplorer, logIn } from './browser.mjs';

const [url, token, shot] = requireEnv('BP_URL', 'BP_TOKEN', 'BP_SCREENSHOT');
const out = { consoleErrors: [] };
await runExplorer(out, async (page) => {
  await logIn(page, url, token);
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
});
