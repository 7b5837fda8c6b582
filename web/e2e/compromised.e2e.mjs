// Drives the explorer's "Assume compromised" node action
// (web/compromised_e2e_test.go builds the estate): draws the top path, opens
// the app role from the canvas, assumes it compromised and reads the answer
// and the highlighted nodes; then does the same for the idle role, whose
// answer is empty. Prints one JSON line.
//
// Env: BP_URL, BP_TOKEN, BP_CHROMIUM (default /usr/bin/chromium).
import { requireEnv, runExplorer, logIn } from './browser.mjs';

const [url, token] = requireEnv('BP_URL', 'BP_TOKEN');
const out = { consoleErrors: [] };
await runExplorer(out, async (page) => {
  await logIn(page, url, token);
  await page.locator('#paths li').first().click();
  await page.waitForFunction(() => window.__bp.cy.edges('.hop').length > 0);

  // The app role, drawn on the path: assume it compromised.
  await page.evaluate(() => window.__bp.cy.$id('arn:aws:iam::123456789012:role/app').emit('tap'));
  await page.locator('#assume-compromised').waitFor();
  await page.click('#assume-compromised');
  await page.locator('#compromised-summary').waitFor();
  out.appSummary = await page.locator('#compromised-summary').textContent();
  out.appTotal = await page.locator('#compromised').getAttribute('data-total');
  out.appTargets = await page.locator('.compromised-paths li').evaluateAll((els) => els.map((e) => e.dataset.target));
  out.reached = await page.evaluate(() => window.__bp.cy.nodes('.reached').map((n) => n.id()));
  out.compromised = await page.evaluate(() => window.__bp.cy.nodes('.compromised').map((n) => n.id()));

  // The idle role, found by search: an empty answer that says why.
  await page.fill('#search', 'idle');
  await page.locator('#search-results div', { hasText: 'idle' }).first().click();
  await page.locator('#panel .mono', { hasText: 'role/idle' }).first().waitFor();
  await page.click('#assume-compromised');
  await page.locator('#compromised[data-total="0"]').waitFor();
  out.idleSummary = await page.locator('#compromised-summary').textContent();
  out.idleTotal = await page.locator('#compromised').getAttribute('data-total');
});
