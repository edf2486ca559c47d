import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** The system's Chromium (Debian's package; scripts/browser-setup.sh installs it), or EMBREC_CHROMIUM. */
export const CHROMIUM = process.env.EMBREC_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Launches the system's Chromium headless for a browser test, with the flags this machine's closed
 * network needs. Without a Chromium it returns undefined (the test returns early) outside CI, and throws
 * in CI, where a browser test that skips tests nothing.
 */
export async function launchChromium(): Promise<Browser | undefined> {
  if (!existsSync(CHROMIUM)) {
    if (process.env.CI === 'true')
      throw new Error(`no Chromium at ${CHROMIUM} (apt-get install -y chromium)`);
    return undefined;
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
}
