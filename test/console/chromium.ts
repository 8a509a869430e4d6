import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** The browser tests of test/console: Debian's headless Chromium driven by playwright-core. */
export const CHROMIUM = '/usr/bin/chromium';
export const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`test/console: ${CHROMIUM} missing, browser tests skipped (install it: bash scripts/install-chromium.sh)`);

/** Screenshots land here (gitignored). */
export const ARTIFACTS = join(import.meta.dirname, '../../test-artifacts/console');

/** A headless Chromium with a fresh profile every run (playwright passes it as --user-data-dir). */
export function launchChromium(): Promise<BrowserContext> {
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'sg-chromium-')), {
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1100, height: 700 },
  });
}
