/**
 * Regenerates the README screenshots of the demo app (docs/images/{login,dashboard,sessions}.png):
 *
 *   node --conditions=latchkey-source --import tsx test/e2e/screenshots.ts
 *
 * Not a test (the PNGs would change on every run, with the times they show). Needs Chromium.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { launchChromium, USER_AGENTS } from './browser.js';
import { startTestDemo } from './demo.js';

const OUT = join(import.meta.dirname, '..', '..', 'docs', 'images');
const VIEWPORT = { width: 960, height: 640 };
const PASSWORD = 'correct horse battery staple';

const demo = await startTestDemo();
const browser = await launchChromium();
try {
  await mkdir(OUT, { recursive: true });
  const base = demo.url.replace('://127.0.0.1:', '://localhost:');
  const laptop = await browser.newContext({
    userAgent: USER_AGENTS.chromeLinux,
    viewport: VIEWPORT,
  });
  const phone = await browser.newContext({ userAgent: USER_AGENTS.firefoxMac, viewport: VIEWPORT });
  const page = await laptop.newPage();

  await page.goto(`${base}/signup`);
  await page.fill('#username', 'alice');
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForURL('**/dashboard'), page.click('main button[type=submit]')]);

  const other = await phone.newPage();
  await other.goto(`${base}/login`);
  await other.fill('#username', 'alice');
  await other.screenshot({ path: join(OUT, 'login.png') });
  await other.fill('#password', PASSWORD);
  await other.check('input[name=remember]');
  await Promise.all([other.waitForURL('**/dashboard'), other.click('main button[type=submit]')]);

  demo.advance(90_000);
  await page.reload();
  await page.screenshot({ path: join(OUT, 'dashboard.png'), fullPage: true });
  await page.goto(`${base}/account/sessions`);
  await page.screenshot({ path: join(OUT, 'sessions.png') });
  console.log(`screenshots written to ${OUT}`);
} finally {
  await browser.close();
  await demo.close();
}
