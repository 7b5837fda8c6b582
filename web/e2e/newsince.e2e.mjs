// Drives the explorer's "new since" filter over two recorded syncs
// (web/newsince_e2e_test.go builds them): reads the syncs offered, and for
// each choice (the first sync, the last 24 hours, off) which listed paths
// are marked new and the summary line. Prints one JSON line.
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
const out = { consoleErrors: [], marks: {}, summaries: {} };
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
  await page.locator('#f-since option[value^="sync:"]').first().waitFor({ state: 'attached' });
  out.options = await page.locator('#f-since option').evaluateAll((els) => els.map((e) => e.value));
  const firstSync = out.options.filter((v) => v.startsWith('sync:')).sort((a, b) => +a.slice(5) - +b.slice(5))[0];
  for (const choice of [firstSync, '24h', '']) {
    await page.selectOption('#f-since', choice);
    // the list says which baseline its marks show once it is rebuilt
    await page.locator(`#paths[data-since="${choice}"] li`).first().waitFor();
    out.summaries[choice] = await page.locator('#since-summary').textContent();
    out.marks[choice] = Object.fromEntries(await page.locator('#paths li').evaluateAll((els) =>
      els.map((e) => [e.dataset.path, e.dataset.new])));
  }
} finally {
  await ctx.close();
  rmSync(profile, { recursive: true, force: true });
}
console.log(JSON.stringify(out));
