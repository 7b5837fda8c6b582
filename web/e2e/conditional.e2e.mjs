// Drives the explorer over an estate with a conditional escalation that needs
// a tag change first (web/conditional_e2e_test.go builds it): reads how the
// path list, the drawn hops, the path panel, the finding cards and the
// "can become administrator" list mark it. Prints one JSON line.
//
// Env: BP_URL, BP_TOKEN, BP_CHROMIUM (default /usr/bin/chromium).
import { requireEnv, runExplorer, logIn } from './browser.mjs';

const [url, token] = requireEnv('BP_URL', 'BP_TOKEN');
const out = { consoleErrors: [] };
await runExplorer(out, async (page) => {
  await logIn(page, url, token);
  await page.locator('#admins li').first().waitFor();
  out.pathsConditional = await page.locator('#paths li').evaluateAll((els) => els.map((e) => e.dataset.conditional));
  out.admins = Object.fromEntries(await page.locator('#admins li[data-principal]').evaluateAll((els) =>
    els.map((e) => [e.dataset.principal, e.dataset.conditional])));

  // the longest path: Internet -> instance -> role -> admin -> data
  const longest = await page.locator('#paths li').evaluateAll((els) => {
    let best = 0, hops = 0;
    els.forEach((e, i) => { const m = /(\d+) hops/.exec(e.textContent); if (m && +m[1] > hops) { hops = +m[1]; best = i; } });
    return best;
  });
  await page.locator('#paths li').nth(longest).click();
  await page.waitForFunction(() => Number(document.getElementById('panel').dataset.findings) > 0
    && window.__bp.cy.edges('.hop').length > 0);
  out.hopClasses = await page.evaluate(() => window.__bp.cy.edges('.hop').map((e) => e.classes().join(' ')));
  out.panelHops = await page.locator('#panel .hop').evaluateAll((els) => els.map((e) => ({
    conditional: e.dataset.conditional, tagStep: e.dataset.tagStep, text: e.innerText })));
  out.findings = Object.fromEntries(await page.locator('#panel .finding').evaluateAll((els) =>
    els.map((e) => [e.dataset.finding, e.dataset.conditional])));
});
