// Opens the explorer of a server started with --no-auth in headless
// Chromium: the paths must load without the token dialog ever opening.
// Prints one JSON line; web/e2e_test.go asserts on it.
//
// Env: BP_URL, BP_CHROMIUM (default /usr/bin/chromium).
import { requireEnv, runExplorer } from './browser.mjs';

const [url] = requireEnv('BP_URL');
const out = { consoleErrors: [], loginOpened: false };
await runExplorer(out, async (page) => {
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
}, { viewport: null });
