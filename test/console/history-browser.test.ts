/**
 * The history and stream pages in real headless Chromium against a real hub in token mode, fed
 * over its real uplink by a synthetic probe (no media): samples stored before the page opened are
 * on the stream page's charts, which then keep up; an outage of the primary that resolves shows on
 * the history page with its failover; a viewer token reads both; the history API's bad query
 * parameters are 400s naming the parameter. Screenshots in test-artifacts/console/.
 */
import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type HubHandle } from '../../src/app/start.ts';
import { ConfigSchema } from '../../src/config/schema.ts';
import type { Incident } from '../../src/model/incident.ts';
import type { Sample } from '../../src/model/sample.ts';
import { syntheticProbe, type SyntheticProbe } from '../helpers/synthetic-probe.ts';
import { until } from '../helpers/until.ts';
import { ARTIFACTS, haveChromium, launchChromium } from './chromium.ts';

const ENV = { SG_HISTORY_PROBE: 'probe-secret-0123456789', SG_HISTORY_VIEWER: 'viewer-secret-0123', SG_HISTORY_OPERATOR: 'operator-secret-0123' };
const TARGETS = [
  { stream: 's1', line: 'primary' },
  { stream: 's1', line: 'backup' },
];
/** How far back the seeded samples start: well before the page opens, inside its 15 min chart. */
const SEEDED_AGO_MS = 10 * 60_000;

let hub: HubHandle;
let probe: SyntheticProbe;
let vendor: { url: string; requests: number; close(): Promise<void> };
let browser: BrowserContext;
/** While true the probe sees the primary refused (a dead publisher, as a probe reports it). */
let outage = false;

/** A healthy window of one line at `t`, as the seeded history holds it. */
function seeded(line: string, t: number, seq: number): Sample {
  return { probe: 'probe-a', region: 'a', stream: 's1', line, seq, t, windowMs: 1000, connected: true, fps: 25, bitrateBps: 1_500_000, width: 1280, height: 720, maxGapMs: 40, stallMs: 0, freezeMs: 0, latencyMs: 1800 + (seq % 7) * 20 };
}

async function get(path: string, token?: string): Promise<{ status: number; body: { error?: { code: string; message: string } } & Record<string, unknown> }> {
  const res = await fetch(`${hub.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, body: (await res.json()) as never };
}

/** A page of the console; with `token`, stored first where the console keeps it (as after a sign-in). */
async function openPage(path: string, token?: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  if (token !== undefined) {
    await page.goto(`${hub.url}/console/favicon.svg`);
    await page.evaluate((t) => sessionStorage.setItem('streamguard.token', t), token);
  }
  page.setDefaultTimeout(10_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // The browser reports the 401 that makes a page ask for a token as an error too: expected here.
  page.on('console', (m) => m.type() === 'error' && !m.text().includes('status of 401') && errors.push(m.text()));
  await page.goto(`${hub.url}${path}`);
  return { page, errors };
}

describe.skipIf(!haveChromium)('history and stream pages in headless Chromium', () => {
  beforeAll(async () => {
    let requests = 0;
    const server = http.createServer((req, res) => {
      requests++;
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ref":"T-1"}'));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    vendor = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, get requests() { return requests; }, close: () => new Promise<void>((r) => server.close(() => r())) };
    const config = ConfigSchema.parse({
      hub: { listen: '127.0.0.1:0', dataDir: mkdtempSync(join(tmpdir(), 'sg-history-')) },
      regions: ['a'],
      probe: { embedded: false },
      uplink: { probes: [{ id: 'probe-a', region: 'a', tokenEnv: 'SG_HISTORY_PROBE' }] },
      auth: { tokens: [{ name: 'victor', role: 'viewer', tokenEnv: 'SG_HISTORY_VIEWER' }, { name: 'alice', role: 'operator', tokenEnv: 'SG_HISTORY_OPERATOR' }] },
      vendors: [{ name: 'cdn-hook', type: 'webhook', use: 'ticket', url: vendor.url, minSeverity: 'P3' }],
      streams: [{ id: 's1', lines: { primary: { url: 'rtmp://127.0.0.1:1/live/s1' }, backup: { url: 'rtmp://127.0.0.1:1/live/s1b' } } }],
      control: { default: { holdOff: '60s', minDwell: '1s' } },
    });
    hub = await startHub(config, { env: ENV });
    const start = Date.now() - SEEDED_AGO_MS;
    hub.store.samples.append(TARGETS.flatMap(({ line }, l) => Array.from({ length: 120 }, (_, i) => seeded(line, start + i * 1000, 1 + l * 1000 + i))));
    probe = syntheticProbe({
      url: `${hub.url!.replace(/^http/, 'ws')}/probes`,
      token: ENV.SG_HISTORY_PROBE,
      probe: 'probe-a',
      region: 'a',
      targets: TARGETS,
      // Only the backup reports loudness (a content check): its chart appears for that line alone.
      window: (target) => (outage && target.line === 'primary' ? { connected: false, fps: 0, bitrateBps: 0, stallMs: 1000, error: 'refused' } : { latencyMs: 1500, ...(target.line === 'backup' && { loudnessLufs: -23 }) }),
    });
    await probe.welcomed;
    browser = await launchChromium();
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    probe?.stop();
    await hub?.stop();
    await vendor?.close();
  });

  it('answers a viewer; refuses no token; names the bad query parameter in a 400', async () => {
    expect((await get('/api/v1/history/incidents')).status).toBe(401);
    const ok = await get('/api/v1/history/incidents?severity=P0,P1&kind=down', ENV.SG_HISTORY_VIEWER);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ incidents: [], truncated: false, from: expect.any(Number), to: expect.any(Number) });
    expect((await get('/api/v1/history/actions?stream=s1', ENV.SG_HISTORY_VIEWER)).status).toBe(200);
    const bad: [string, string][] = [
      ['/api/v1/history/incidents?from=yesterday', 'query parameter "from" must be an integer ≥ 0 (unix ms), got "yesterday"'],
      ['/api/v1/history/incidents?severity=P5', 'query parameter "severity" must be one or more of P0, P1, P2, P3, comma-separated, got "P5"'],
      ['/api/v1/history/incidents?kind=gone', 'query parameter "kind" must be one or more of down, degraded, blind, impaired, comma-separated, got "gone"'],
      ['/api/v1/history/actions?limit=0', 'query parameter "limit" must be an integer from 1 to 1000, got "0"'],
      ['/api/v1/history/actions?from=20&to=10', 'query parameter "from" must be before "to" (got from=20, to=10)'],
      ['/api/v1/history/actions?streams=s1', 'unknown query parameter "streams" (expected from, to, stream, limit)'],
      ['/api/v1/streams/s1/samples?rollup=hour', 'query parameter "rollup" must be "minute", got "hour"'],
    ];
    for (const [path, message] of bad) {
      const res = await get(path, ENV.SG_HISTORY_VIEWER);
      expect({ path, status: res.status, error: res.body.error }).toEqual({ path, status: 400, error: { code: 'bad_request', message } });
    }
  });

  it('stream page: a viewer signs in; the charts hold samples from before the page opened, then keep up live', async () => {
    const opened = Date.now();
    const { page, errors } = await openPage('/console/stream.html?stream=s1');
    await expect.poll(() => page.locator('#login').isVisible(), { message: errors.join('; ') }).toBe(true);
    await page.fill('#login input', ENV.SG_HISTORY_VIEWER);
    await page.click('#login button');
    const chart = page.getByTestId('chart-latencyMs');
    await expect.poll(async () => (await chart.count()) || `${await page.locator('#status').textContent()} ${errors.join('; ')}`, { timeout: 10_000 }).toBe(1);
    console.log(`stream page: latency chart drawn ${Date.now() - opened} ms after the page opened`);
    /** The chart's times (s) that have a value, per series: what uPlot holds. */
    const pointTimes = () =>
      chart.evaluate((box) => {
        const data = (box as unknown as { uplot: { data: (number | null)[][] } }).uplot.data;
        return data.slice(1).flatMap((ys) => data[0]!.filter((_, k) => ys[k] !== null && ys[k] !== undefined)) as number[];
      });
    const times = await pointTimes();
    expect(Math.min(...times) * 1000).toBeLessThan(opened - SEEDED_AGO_MS + 60_000);
    const views = await chart.evaluate((box) => (box as unknown as { uplot: { series: { label: string }[] } }).uplot.series.slice(1).map((s) => s.label));
    expect(views).toEqual(['backup/a', 'primary/a']);
    // Live: the newest point moves on past the page load.
    const newest = Math.max(...times);
    await expect.poll(async () => Math.max(...(await pointTimes())), { timeout: 15_000 }).toBeGreaterThan(Math.max(newest, opened / 1000));
    for (const f of ['stallMs', 'fps', 'bitrateBps']) expect(await page.getByTestId(`chart-${f}`).count(), f).toBe(1);
    expect(await page.getByTestId('chart-blackMs').count()).toBe(0);
    await expect.poll(() => page.getByTestId('chart-loudnessLufs').count(), { timeout: 10_000 }).toBe(1);
    expect(await page.locator('header').textContent()).toContain('times in UTC');
    await page.screenshot({ path: join(ARTIFACTS, 'history-1-stream-charts.png'), fullPage: true });

    // 6 h comes in minutes: the seeded minutes are points of their own.
    await page.getByRole('button', { name: '6 h' }).click();
    const seededMinute = Math.floor((opened - SEEDED_AGO_MS) / 60_000) * 60;
    await expect.poll(async () => (await pointTimes()).includes(seededMinute), { timeout: 10_000 }).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  }, 40_000);

  it('history page: an outage of the primary that resolves is listed with its failover and ticket; its link reaches the stream page by keyboard', async () => {
    outage = true;
    const down = await until('s1/primary down open', () => hub.hub.incidents.open().find((i: Incident) => i.key === 's1/primary/down'), 20_000);
    await until('the switch to backup', () => hub.controller!.served('s1')?.active === 'backup', 10_000);
    outage = false;
    await until('the incident resolved', async () => (await hub.store.incidents.get(down.id))?.status === 'resolved', 20_000);
    await until('its ticket delivered', async () => (await hub.store.incidents.timeline(down.id)).some((e) => e.data.action === 'ticket-opened'), 10_000);

    const { page, errors } = await openPage('/console/history.html', ENV.SG_HISTORY_VIEWER);
    const row = page.getByTestId(`history-${down.id}`);
    await expect.poll(() => row.count(), { timeout: 10_000 }).toBe(1);
    const text = await row.textContent();
    expect(text).toContain('s1 / primary');
    expect(text).toContain('switch primary → backup by policy:');
    expect(text).toContain('ticket opened at cdn-hook (T-1)');
    expect(await row.getByTestId('resolution').textContent()).toMatch(/^(cleared|blip)$/);
    expect(await page.getByTestId('action-control.switch').count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(ARTIFACTS, 'history-2-history.png'), fullPage: true });

    // Filters: text that matches nothing empties the list; severity P3 only leaves no P1.
    await page.fill('#text', 'no-such-thing');
    await expect.poll(() => row.count()).toBe(0);
    await page.fill('#text', 'cdn-hook');
    await expect.poll(() => row.count()).toBe(1);

    await page.getByRole('button', { name: '6 h' }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByRole('button', { name: '6 h' }).getAttribute('aria-pressed')).toBe('true');
    await row.getByRole('link', { name: 'stream page' }).focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/console\/stream\.html\?stream=s1$/);
    await expect.poll(() => page.getByTestId('chart-latencyMs').count(), { timeout: 10_000 }).toBe(1);
    await page.screenshot({ path: join(ARTIFACTS, 'history-3-stream-after-outage.png'), fullPage: true });
    expect(errors).toEqual([]);
  }, 60_000);
});
