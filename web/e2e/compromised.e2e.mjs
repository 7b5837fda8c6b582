// Drives the explorer's "Assume compromised" node action
// (web/compromised_e2e_test.go builds the estate): draws the top path, opens
// the app role from the canvas, assumes it compromised and reads the answer
// and the highlighted nodes; then does the same for the idle role, whose
// answer is empty. Prints one JSON line.
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
  await page.locator('#paths li').first().waitFor();
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
} finally {
  await ctx.close();
  rmSync(profile, { recursive: true, force: true });
}
console.log(JSON.stringify(out));
