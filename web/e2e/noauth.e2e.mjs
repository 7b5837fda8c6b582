// Opens the explorer of a server started with --no-auth in headless
// Chromium: the paths must load without the token dialog ever opening.
// Prints one JSON line; web/e2e_test.go asserts on it.
//
// Env: BP_URL, BP_CHROMIUM (default /usr/bin/chromium).
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const url = process.env.BP_URL;
if (!url) {
  console.error('BP_URL is required');
  process.exit(2);
}
const profile = mkdtempSync(join(tmpdir(), 'bp-chromium-'));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.BP_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
const out = { consoleErrors: [], loginOpened: false };
try {
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  page.on('console', (m) => { if (m.type() === 'error') out.consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => out.consoleErrors.push(String(e)));
  page.setDefaultTimeout(30_000);
  // Record the dialog opening at any moment, not only at the end.
  await page.addInitScript(() => {
    const open = HTMLDialogElement.prototype.showModal;
    HTMLDialogElement.prototype.showModal = function () {
      window.__loginOpened = true;
      return open.call(this);
    };
  });
  await page.goto(url);
  await page.locator('#paths li').first().waitFor();
  out.pathsListed = await page.locator('#paths li').count();
  out.loginOpened = await page.evaluate(() => window.__loginOpened === true);
} finally {
  await ctx.close();
  rmSync(profile, { recursive: true, force: true });
}
console.log(JSON.stringify(out));
