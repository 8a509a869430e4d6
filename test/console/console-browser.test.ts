/**
 * The web console in real headless Chromium against a real hub and the real lab:
 * load, a lab fault turns a cell red and the active line changes; switch back by hand and fail
 * back by clicking; a line's live preview shows frames and its ffmpeg is gone once it is closed.
 * Screenshots in test-artifacts/console/.
 */
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PREVIEW_GRACE_MS } from '../../src/console/preview.ts';
import { startHub, type HubHandle } from '../../src/app/start.ts';
import { startLab, type Lab } from '../../src/lab/index.ts';
import { gone } from '../helpers/gone.ts';
import { ARTIFACTS, consoleHubConfig, haveChromium, launchChromium } from './chromium.ts';

let lab: Lab;
let hub: HubHandle;
let browser: BrowserContext;
let page: Page;

describe.skipIf(!haveChromium)('web console in headless Chromium', () => {
  beforeAll(async () => {
    lab = await startLab({ streams: [{ id: 's1', protocols: ['rtmp'] }] });
    hub = await startHub(consoleHubConfig(lab), { tickets: false });
    browser = await launchChromium();
    page = await browser.newPage();
  }, 40_000);

  afterAll(async () => {
    await browser?.close();
    await hub?.stop();
    await lab?.stop();
  });

  const cell = (line: string) => page.getByTestId(`cell-s1-${line}-a`);
  const active = () => page.getByTestId('active-s1');

  it('kill the primary → its cell turns red and the active line becomes backup; switch and fail back by clicking', async () => {
    await page.goto(`${hub.url}/?view=all`);
    await expect.poll(() => cell('primary').getAttribute('class'), { timeout: 15_000 }).toContain('ok');
    await expect.poll(() => cell('backup').getAttribute('class'), { timeout: 15_000 }).toContain('ok');
    await expect.poll(() => active().textContent()).toBe('active: primary');
    await page.screenshot({ path: join(ARTIFACTS, '1-healthy.png') });

    const kill = await lab.applyFault({ stream: 's1', line: 'primary', kind: 'kill' });
    await expect.poll(() => cell('primary').getAttribute('class'), { timeout: 5000 }).toContain('down');
    await expect.poll(() => active().textContent(), { timeout: 5000 }).toBe('active: backup');
    console.log(`console: primary red and backup active ${Date.now() - kill.startedAt} ms after the kill`);
    await expect.poll(() => page.locator('.incident').count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(ARTIFACTS, '2-failover.png') });

    await lab.applyFault({ stream: 's1', line: 'primary', kind: 'start' });
    await expect.poll(() => cell('primary').getAttribute('class'), { timeout: 15_000 }).toContain('ok');
    await page.fill('#reason', 'console test: primary is back');
    await page.getByTestId('switch-s1-primary').click();
    await expect.poll(() => active().textContent(), { timeout: 5000 }).toBe('active: primary');
    await expect.poll(() => page.locator('[data-stream=s1] tr.active').getAttribute('data-line')).toBe('primary');
    await page.screenshot({ path: join(ARTIFACTS, '3-switched-back.png') });

    await page.getByTestId('failback-s1').click();
    await expect.poll(async () => (await hub.controller!.state('s1'))?.line.pin, { timeout: 5000 }).toBeUndefined();
    const audit = (await hub.store.audit.recent(20)).map((a) => a.action);
    expect(audit).toEqual(expect.arrayContaining(['ws.switch', 'ws.failback']));
  }, 60_000);

  it('preview a line: frames reach the canvas; closing it stops its ffmpeg', async () => {
    await page.goto(`${hub.url}/?view=all`);
    const opened = Date.now();
    await page.getByTestId('preview-s1-backup').click();
    const canvas = page.getByTestId('preview-canvas-s1-backup');
    await expect.poll(async () => Number(await canvas.getAttribute('data-frames')), { timeout: 15_000 }).toBeGreaterThan(10);
    const frames = Number(await canvas.getAttribute('data-frames'));
    // Distinct grey levels in the picture: a blank (all black) canvas has one.
    const shades = await canvas.evaluate((c: HTMLCanvasElement) => {
      const px = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      const seen = new Set<number>();
      for (let i = 0; i < px.length; i += 4) seen.add(px[i]! + px[i + 1]! + px[i + 2]!);
      return { size: `${c.width}x${c.height}`, shades: seen.size };
    });
    console.log(`console: preview ${shades.size}, ${frames} frames ${Date.now() - opened} ms after the click, ${shades.shades} shades`);
    expect(shades.shades).toBeGreaterThan(10);
    await page.screenshot({ path: join(ARTIFACTS, '4-preview.png') });

    const [feed] = hub.preview!.list();
    expect(feed).toMatchObject({ key: 's1/backup', viewers: 1, pid: expect.any(Number) });
    await page.getByTestId('preview-close-s1-backup').click();
    const closed = Date.now();
    await expect.poll(() => canvas.count()).toBe(0);
    await expect.poll(() => gone(feed!.pid!), { timeout: PREVIEW_GRACE_MS + 5000, interval: 100 }).toBe(true);
    console.log(`console: preview ffmpeg ${feed!.pid} gone ${Date.now() - closed} ms after closing the player`);
    expect(hub.preview!.list()).toEqual([]);
  }, 40_000);
});
