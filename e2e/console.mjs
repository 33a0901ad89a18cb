// Drives the officers' console in Debian's headless chromium, as an officer
// would: log in, find a declaration, open it, grant clearance. Started by
// tests/browser.rs against the real binary, which then checks that the
// declarant's terminal receives the clearance output.
//
// Environment: OUTPOST_URL (https://127.0.0.1:PORT), OFFICER_LOGIN,
// OFFICER_PASSWORD, NUMBER (the declaration to clear); SCREENSHOTS (a
// directory) to save pictures of the main pages; CHROMIUM (default
// /usr/bin/chromium).
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const need = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set`);
  return v;
};
const url = need('OUTPOST_URL');
const login = need('OFFICER_LOGIN');
const password = need('OFFICER_PASSWORD');
const number = need('NUMBER');
const shots = process.env.SCREENSHOTS;

const profile = mkdtempSync(join(tmpdir(), 'outpost-e2e-'));
// Without these flags chromium waits on network services this closed
// machine does not have.
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--ignore-certificate-errors',
  ],
  ignoreHTTPSErrors: true,
  viewport: { width: 1280, height: 900 },
  locale: 'vi-VN',
});
const step = (what) => console.log(`e2e: ${what}`);
try {
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // page.waitForFunction polls with eval, which the console's CSP forbids;
  // page.evaluate does not.
  const until = async (what, fn) => {
    for (let i = 0; i < 150; i += 1) {
      if (await page.evaluate(fn)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out waiting for ${what}`);
  };
  const shot = async (name) => {
    if (shots) await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  };

  step('open the console');
  await page.goto(`${url}/console/`);
  await page.waitForSelector('#login-form');
  await until('the mode badge', () => document.querySelector('#mode-badge').textContent !== '');
  await shot('login');

  step('log in');
  await page.fill('#login', login);
  await page.fill('#password', 'not the password');
  await page.click('#login-button');
  await page.waitForSelector('#flash.error');
  await page.fill('#password', password);
  await page.click('#login-button');
  await page.waitForSelector('#declarations');

  step('find the declaration');
  const row = `#declarations tr[data-number="${number}"]`;
  await page.waitForSelector(row);
  await shot('declarations');
  await page.fill('#f-number', number);
  await page.click('#search');
  // Only it is left once the list has reloaded with the filter.
  await until('the filtered list', () => document.querySelectorAll('#declarations tbody tr[data-number]').length === 1);
  await page.waitForSelector(row);

  step('open it');
  await page.click(row);
  await page.waitForSelector('#items');
  const state = await page.textContent('h1 .state');
  if (state.trim() !== 'Đã đăng ký') throw new Error(`state shown as ${state}`);

  step('grant clearance');
  await page.click('#decide-clearance');
  await page.waitForSelector('#cleared');
  await until('the clearance output', () => [...document.querySelectorAll('#outputs code')].some((c) => c.textContent === 'VAD1AG0'));
  await until('the audit entry', () => [...document.querySelectorAll('#history td')].some((c) => c.textContent === 'Quyết định: thông quan'));
  await until('Vietnamese labels', () => [...document.querySelectorAll('#items .label')].some((l) => l.textContent.startsWith('Mã loại hình ')));
  await shot('declaration');

  step('switch to English');
  await page.click('#lang');
  await until('English', () => document.querySelector('h1 .state')?.textContent === 'Cleared');
  await until('the audit entry in English', () => [...document.querySelectorAll('#history td')].some((c) => c.textContent === 'decision: clearance'));
  await until('English labels', () => [...document.querySelectorAll('#items .label')].some((l) => l.textContent.startsWith('Kind code ')));
  await until('the job column in English', () => [...document.querySelectorAll('#outputs th')].some((c) => c.textContent === 'Job'));

  if (shots) {
    step('statistics');
    await page.click('#lang');
    await page.goto(`${url}/console/#/statistics`);
    await page.waitForSelector('#chart svg rect');
    await shot('statistics');
    for (const name of ['transports', 'directions', 'mode', 'accounts', 'sync']) {
      step(name);
      await page.goto(`${url}/console/#/${name}`);
      await until(`the ${name} page`, () => document.querySelector('#nav a.active')?.getAttribute('href') === location.hash
        && document.querySelector('#main h1') !== null);
      // Its data arrives after the heading.
      await new Promise((r) => setTimeout(r, 800));
      await shot(name);
    }
  }
  if (errors.length) throw new Error(`errors on the page: ${errors.join('; ')}`);
  step('done');
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
