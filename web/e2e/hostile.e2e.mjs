// Drives the explorer over the hostile estate (cmd/breachpath/testdata/hostile)
// in headless Chromium: log in, open the top path, its findings and the
// node panel of every hop. Any dialog (alert, confirm, prompt) or console
// error fails the run; the page must show acting characters as escapes and
// hold no element the estate injected. Prints one JSON line for
// web/hostile_e2e_test.go.
//
// Env: BP_URL, BP_TOKEN, BP_SCREENSHOT, BP_CHROMIUM (default /usr/bin/chromium).
import { requireEnv, runExplorer, logIn } from './browser.mjs';

const [url, token, shot] = requireEnv('BP_URL', 'BP_TOKEN', 'BP_SCREENSHOT');
const out = { consoleErrors: [], dialogs: [] };
await runExplorer(out, async (page) => {
  page.on('dialog', async (d) => { out.dialogs.push(d.message()); await d.dismiss(); });

  await logIn(page, url, token);
  out.pathsListed = await page.locator('#paths li').count();
  await page.locator('#paths li').first().click();
  await page.waitForFunction(() => Number(document.getElementById('panel').dataset.findings) > 0
    && window.__bp.cy.edges('.hop').length > 0);
  out.pathPanelText = await page.locator('#panel').innerText();
  out.pathListText = await page.locator('#paths').innerText();
  // every node of the path in the side panel
  const ids = await page.evaluate(() => window.__bp.cy.nodes().map((n) => n.id()));
  out.nodePanels = [];
  for (const id of ids) {
    await page.evaluate((nid) => { const cy = window.__bp.cy; cy.$(':selected').unselect(); cy.getElementById(nid).select(); }, id);
    await page.waitForTimeout(300); // let the panel render; dialogs would fire meanwhile
    out.nodePanels.push(await page.locator('#panel').innerText());
  }
  out.labels = await page.evaluate(() => window.__bp.cy.elements().map((e) => String(e.data('label') ?? '')));
  out.injected = await page.evaluate(() => document.querySelectorAll('img[src="x"], script:not([src]), iframe, object, embed').length);
  out.isolated = await page.evaluate(() => getComputedStyle(document.querySelector('#paths li .ends') ?? document.body).unicodeBidi);
  await page.screenshot({ path: shot });
});
