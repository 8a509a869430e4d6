import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { ConfigSchema, type Config } from '../../src/config/schema.ts';
import type { Lab } from '../../src/lab/index.ts';

/** The browser tests of test/console: Debian's headless Chromium driven by playwright-core. */
export const CHROMIUM = '/usr/bin/chromium';
export const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`test/console: ${CHROMIUM} missing, browser tests skipped (install it: bash scripts/install-chromium.sh)`);

/** Screenshots land here (gitignored). */
export const ARTIFACTS = join(import.meta.dirname, '../../test-artifacts/console');

/** A headless Chromium with a fresh profile every run (playwright passes it as --user-data-dir). */
export function launchChromium(viewport = { width: 1100, height: 700 }): Promise<BrowserContext> {
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'sg-chromium-')), {
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport,
  });
}

/**
 * The hub both browser tests run: the lab's stream s1 (primary and backup over HTTP-FLV) seen
 * from one region, failback held off 60 s so a line switched in a test stays; `control` adds to
 * the default policy, `auth` and `vendors` are the config's sections.
 */
export function consoleHubConfig(lab: Lab, extra: { control?: Record<string, unknown>; auth?: unknown; vendors?: unknown } = {}): Config {
  const line = (name: 'primary' | 'backup') => ({ url: lab.url('s1', name, 'http-flv') });
  return ConfigSchema.parse({
    hub: { listen: '127.0.0.1:0', dataDir: mkdtempSync(join(tmpdir(), 'sg-console-')) },
    probe: { regions: ['a'] },
    streams: [{ id: 's1', lines: { primary: line('primary'), backup: line('backup') } }],
    control: { default: { holdOff: '60s', minDwell: '1s', ...extra.control } },
    ...(extra.auth !== undefined && { auth: extra.auth }),
    ...(extra.vendors !== undefined && { vendors: extra.vendors }),
  });
}
