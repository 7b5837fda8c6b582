// What every explorer e2e script does around its own steps: read its BP_*
// environment, launch headless Chromium (playwright-core, the system
// browser) with a throwaway profile, record console errors, log in with the
// token, and print the script's results as one JSON line for the Go test
// that runs it.
//
// Env: BP_CHROMIUM (default /usr/bin/chromium), plus what each script asks
// for through requireEnv.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// requireEnv returns the named variables, exiting with status 2 when one is
// not set (the Go test always sets them; this is for a script run by hand).
export function requireEnv(...names) {
  const values = names.map((n) => process.env[n]);
  if (values.some((v) => !v)) {
    console.error(`${names.join(', ')} ${names.length > 1 ? 'are' : 'is'} required`);
    process.exit(2);
  }
  return values;
}

// runExplorer launches the browser, opens a page whose console errors and
// uncaught exceptions go to out.consoleErrors, runs steps(page), closes the
// browser and removes the profile even when a step fails, then prints out.
// viewport defaults to 1600x900; pass viewport: null to keep the browser's
// default window.
export async function runExplorer(out, steps, { viewport = { width: 1600, height: 900 } } = {}) {
  out.consoleErrors ??= [];
  const profile = mkdtempSync(join(tmpdir(), 'bp-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.BP_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    ...(viewport ? { viewport } : {}),
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    page.on('console', (m) => { if (m.type() === 'error') out.consoleErrors.push(m.text()); });
    page.on('pageerror', (e) => out.consoleErrors.push(String(e)));
    page.setDefaultTimeout(30_000);
    await steps(page);
  } finally {
    await ctx.close();
    rmSync(profile, { recursive: true, force: true });
  }
  console.log(JSON.stringify(out));
}

// logIn opens the explorer at url, signs in with the token and waits for
// the first element matching ready (by default the first listed path).
export async function logIn(page, url, token, ready = '#paths li') {
  await page.goto(url);
  await page.locator('#login').waitFor({ state: 'visible' });
  await page.fill('#token', token);
  await page.click('#login-form button[type=submit]');
  await page.locator(ready).first().waitFor();
}
