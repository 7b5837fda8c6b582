// Drives the explorer's sensitivity coverage panel and a node's "why this
// level" (web/sensitivity_e2e_test.go builds the estate): reads the panel's
// numbers and "classify these" list, opens the first store to classify from
// it, then finds the classified store by search and reads why it has its
// level. Prints one JSON line.
//
// Env: BP_URL, BP_TOKEN, BP_CHROMIUM (default /usr/bin/chromium).
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const url = process.env.BP_URL;
const token = process.env.BP_TOKEN;
if (!url || !token) {
  console.error('BP_URL and BP_TOKEN are required');
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
  await page.locator('#coverage-summary').waitFor();
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
} finally {
  await ctx.close();
  rmSync(profile, { recursive: true, force: true });
}
console.log(JSON.stringify(out));
