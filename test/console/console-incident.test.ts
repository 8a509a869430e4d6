/**
 * The live page at 1440×900 in real headless Chromium against a real hub, the real lab and the
 * lab's vendor desk (a real HTTP ticket desk the hub tickets into): healthy → "no problems" with
 * the counts; kill the primary → a card with the reach, the cause in words, the switch and the
 * desk's ticket with its link, the title counting the P1, the cell in words; the timeline as rows
 * (samples as a table) that never widen the page; the zone switch; ack reached by keyboard alone;
 * a pin to the dead line warns with who and until when. Screenshots in test-artifacts/console/.
 */
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type HubHandle } from '../../src/app/start.ts';
import { startLab, VendorDesk, type Lab } from '../../src/lab/index.ts';
import { until } from '../helpers/until.ts';
import { ARTIFACTS, consoleHubConfig, haveChromium, launchChromium } from './chromium.ts';

const VIEWPORT = { width: 1440, height: 900 };

let lab: Lab;
let desk: VendorDesk;
let deskUrl: string;
let hub: HubHandle;
let browser: BrowserContext;
let page: Page;
const pageErrors: string[] = [];

describe.skipIf(!haveChromium)('live page incident card in headless Chromium', () => {
  beforeAll(async () => {
    lab = await startLab({ streams: [{ id: 's1', protocols: ['rtmp'] }] });
    desk = new VendorDesk();
    deskUrl = `http://127.0.0.1:${await desk.start()}`;
    hub = await startHub(consoleHubConfig(lab, { vendors: [{ name: 'cdn-desk', type: 'desk', url: deskUrl, minSeverity: 'P1' }] }));
    browser = await launchChromium(VIEWPORT);
    page = await browser.newPage();
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('dialog', (d) => void d.dismiss());
  }, 40_000);

  afterAll(async () => {
    await browser?.close();
    await hub?.stop();
    await desk?.stop();
    await lab?.stop();
  });

  const widthFits = () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

  it('healthy: no problems in the default view, the counts say so; the full grid is one click away', async () => {
    await page.goto(`${hub.url}/`);
    await expect.poll(() => page.getByTestId('count-ok').textContent(), { timeout: 15_000 }).toBe('1');
    expect(await page.getByTestId('grid-empty').textContent()).toContain('No problems');
    // Lines the probes have just started to read may show a blip first.
    await expect.poll(() => page.getByTestId('no-incidents').isVisible(), { timeout: 15_000 }).toBe(true);
    expect(await page.title()).toBe('streamguard');
    await page.screenshot({ path: join(ARTIFACTS, 'live-1-no-problems.png') });
    await page.getByTestId('view-all').click();
    await expect.poll(() => page.getByTestId('cell-s1-primary-a').textContent(), { timeout: 20_000 }).toMatch(/^✓ok( · latency \d+\.\d s)?$/);
    expect(page.url()).toContain('view=all');
    await page.screenshot({ path: join(ARTIFACTS, 'live-2-all-streams.png') });
    await page.getByTestId('view-problems').click();
  }, 40_000);

  let id: string;

  it('kill the primary: the card shows reach, cause in words, the switch and the desk ticket with its link; the title counts it', async () => {
    const kill = await lab.applyFault({ stream: 's1', line: 'primary', kind: 'kill' });
    id = (await until('an incident on s1/primary', () => hub.hub.incidents.open().find((i) => i.stream === 's1' && i.line === 'primary'), 10_000)).id;
    const card = page.getByTestId(`incident-${id}`);
    await expect.poll(() => card.isVisible(), { timeout: 5000 }).toBe(true);
    expect(await page.getByTestId(`card-reach-${id}`).textContent()).toBe('line: every region sees it (a)');
    expect(await page.getByTestId(`card-cause-${id}`).textContent()).toMatch(/^a \(probe [^)]+, from \d\d:\d\d:\d\d\): not connected/);
    await expect.poll(() => page.getByTestId(`card-did-${id}`).textContent(), { timeout: 5000 }).toContain('switched to line backup (from primary)');
    const ticket = await until('the desk ticket', () => desk.tickets.find((t) => t.externalId?.startsWith('s1/primary')), 15_000);
    const link = page.getByTestId(`card-tickets-${id}`).locator('a');
    await expect.poll(() => link.getAttribute('href'), { timeout: 5000 }).toBe(`${deskUrl}/agent/tickets/${ticket.id}`);
    expect(await page.getByTestId(`card-tickets-${id}`).textContent()).toMatch(new RegExp(`^cdn-desk: ticket ${ticket.id} open at \\d\\d:\\d\\d:\\d\\d`));
    const opened = (await (await fetch((await link.getAttribute('href'))!)).json()) as { ticket: { id: number } };
    expect(opened.ticket.id).toBe(ticket.id);
    console.log(`console: card with switch and ticket ${ticket.id} ${Date.now() - kill.startedAt} ms after the kill`);
    expect(await page.title()).toBe('(1 P0/P1) streamguard');
    // The same card over the REST twin, cut at its limit with the total.
    const rest = await fetch(`${hub.url}/api/v1/commands/cards`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ limit: 1 }) });
    expect(await rest.json()).toMatchObject({ ok: true, result: { total: 1, cards: [{ id, reach: 'every region sees it (a)', tickets: [{ vendor: 'cdn-desk', ref: String(ticket.id), state: 'open' }] }] } });
    // The probe's error and how long it has been down, from the cell's latest sample.
    await expect.poll(() => page.getByTestId('cell-s1-primary-a').textContent(), { timeout: 5000 }).toMatch(/^✖DOWN [a-z-]+ (<1 s|\d+ s|\d+ min \d\d s)$/);
    expect(await page.getByTestId('active-s1').textContent()).toBe('active: backup');
    expect(await widthFits()).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'live-3-card.png') });
  }, 40_000);

  it('the timeline reads as rows with times, who and what, samples as a table, and never widens the page; the zone switch', async () => {
    await page.getByTestId(`timeline-${id}`).click();
    const story = page.getByTestId(`narrative-${id}`);
    await expect.poll(() => story.isVisible()).toBe(true);
    const rows = await story.locator(':scope > li').allTextContents();
    expect(rows[0]).toMatch(/^\d\d:\d\d:\d\d detectoropened P1, line/);
    expect(rows.some((r) => r.includes('switched to line backup (from primary)'))).toBe(true);
    expect(await story.locator('table.samples').count()).toBeGreaterThan(0);
    expect(await story.textContent()).not.toMatch(/\{"|\d{13}/);
    expect(await widthFits()).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'live-4-timeline.png'), fullPage: true });

    expect(await page.getByTestId('zone').textContent()).toBe('UTC');
    await page.getByTestId('zone-switch').click();
    await expect.poll(() => page.getByTestId('zone').textContent()).toMatch(/^UTC[+−]\d\d:\d\d$/);
    await page.getByTestId('zone-switch').click();
    await expect.poll(() => page.getByTestId('zone').textContent()).toBe('UTC');
  }, 30_000);

  it('ack by keyboard alone: Tab reaches the button, Enter acks, the card says who', async () => {
    await page.fill('#reason', 'console test: on it');
    await page.getByTestId('view-problems').focus();
    let focused: string | undefined;
    for (let i = 0; i < 60 && focused !== `ack-${id}`; i++) {
      await page.keyboard.press('Tab');
      focused = await page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.testid);
    }
    expect(focused).toBe(`ack-${id}`);
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
    expect(outline).toBe('solid');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId(`card-status-${id}`).textContent(), { timeout: 5000 }).toMatch(/^acknowledged by anonymous at \d\d:\d\d:\d\d$/);
    expect((await hub.hub.incidents.open().find((i) => i.id === id))?.status).toBe('acknowledged');
  }, 30_000);

  it('a pin to the dead line warns, with who and until when; fail back clears it', async () => {
    await page.fill('#reason', 'console test: pin the dead line');
    await page.getByTestId('switch-s1-primary').click();
    const pin = page.getByTestId('pin-s1');
    await expect.poll(() => pin.textContent(), { timeout: 5000 }).toMatch(/^⚠ primary is DOWN in a but pinned: .* pinned to primary by anonymous until \d\d:\d\d:\d\d \(in (29|30) min/);
    expect(await pin.getAttribute('role')).toBe('alert');
    await page.screenshot({ path: join(ARTIFACTS, 'live-5-pin-warning.png') });
    await page.getByTestId('failback-s1').click();
    await expect.poll(() => pin.count(), { timeout: 5000 }).toBe(0);
    expect(pageErrors).toEqual([]);
  }, 30_000);
});
