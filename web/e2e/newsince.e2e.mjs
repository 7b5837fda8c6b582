// Drives the explorer's "new since" filter over two recorded syncs
// (web/newsince_e2e_test.go builds them): reads the syncs offered, and for
// each choice (the first sync, the last 24 hours, off) which listed paths
// are marked new and the summary line. Prints one JSON line.
//
// Env: BP_URL, BP_TOKEN, BP_CHROMIUM (default /usr/bin/chromium).
import { requireEnv, runExplorer, logIn } from './browser.mjs';

const [url, token] = requireEnv('BP_URL', 'BP_TOKEN');
const out = { consoleErrors: [], marks: {}, summaries: {} };
await runExplorer(out, async (page) => {
  await logIn(page, url, token);
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
});
