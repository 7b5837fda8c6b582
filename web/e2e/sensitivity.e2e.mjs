// Drives the explorer's sensitivity coverage panel and a node's "why this
// level" (web/sensitivity_e2e_test.go builds the estate): reads the panel's
// numbers and "classify these" list, opens the first store to classify from
// it, then finds the classified store by search and reads why it has its
// level. Prints one JSON line.
//
// Env: BP_URL, BP_TOKEN, BP_CHROMIUM (default /usr/bin/chromium).
import { requireEnv, runExplorer, logIn } from './browser.mjs';

const [url, token] = requireEnv('BP_URL', 'BP_TOKEN');
const out = { consoleErrors: [] };
await runExplorer(out, async (page) => {
  await logIn(page, url, token, '#coverage-summary');
  out.summary = await page.locator('#coverage-summary').textContent();
  out.stores = await page.locator('#coverage').getAttribute('data-stores');
  out.unclassified = await page.locator('#coverage').getAttribute('data-unclassified');
  out.scopes = await page.locator('.coverage-scopes li').evaluateAll((els) => els.map((e) => [e.dataset.account, e.dataset.unclassified]));
  out.classifyFirst = await page.locator('.classify-first li').evaluateAll((els) => els.map((e) => e.dataset.id));

  // The first store to classify opens in the details panel: no level, no why.
  await page.locator('.classify-first li a').first().click();
  await page.locator('#panel .mono', { hasText: out.classifyFirst[0] }).first().waitFor();
  out.firstWhy = await page.locator('#why-level').count();

  // The classified store says which source decided its level and by which rule.
  await page.fill('#search', 'customer-data');
  await page.locator('#search-results div', { hasText: 'customer-data' }).first().click();
  await page.locator('#why-level').waitFor();
  out.whySource = await page.locator('#why-level').getAttribute('data-source');
  out.whyText = await page.locator('#why-level').textContent();
});
