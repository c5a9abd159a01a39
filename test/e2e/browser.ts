import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`); CHROMIUM_PATH overrides it. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * False when Chromium is installed (run the browser tests), else a skip message printed loudly.
 * Under CI=true a missing browser is a failure, never a skip (as with services in
 * test/helpers/services.ts): the suite must not go green by testing nothing.
 */
export function browserUnavailable(): string | false {
  if (existsSync(CHROMIUM_PATH)) return false;
  const message = `Chromium not found at ${CHROMIUM_PATH} (apt-get install -y chromium, or set CHROMIUM_PATH); the browser tests are SKIPPED`;
  if (process.env.CI === 'true')
    throw new Error(message.replace('SKIPPED', 'required under CI=true'));
  console.warn(`\n!!!! ${message} !!!!\n`);
  return message;
}

/** Headless Chromium with everything that phones home turned off. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** Desktop user agents, so the sessions page shows readable device names. */
export const USER_AGENTS = {
  chromeLinux:
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  firefoxMac: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14.7; rv:133.0) Gecko/20100101 Firefox/133.0',
} as const;
