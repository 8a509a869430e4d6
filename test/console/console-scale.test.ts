/**
 * The live page with 1,000 streams × 2 lines × 5 regions in real headless Chromium, against a real
 * hub process fed by synthetic remote probes over its uplink (10,000 samples/s; some streams
 * down, stalling or out of sync). Measures and prints what bench/RESULTS.md records (*Console at
 * 1,000 streams*): time to the overview, full redraw and per-frame paint times, the JS heap and
 * DOM size, long tasks while live, sample frames the page takes per second.
 *
 *   npx vitest run test/console/console-scale.test.ts
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sample } from '../../src/model/sample.ts';
import { spawnHub, until, type HubProcess } from '../helpers/processes.ts';
import { syntheticProbe, type SyntheticProbe } from '../helpers/synthetic-probe.ts';
import { ARTIFACTS, haveChromium, launchChromium } from './chromium.ts';

const STREAMS = Array.from({ length: 1000 }, (_, i) => `s${String(i).padStart(4, '0')}`);
const REGIONS = ['r1', 'r2', 'r3', 'r4', 'r5'];
/** Two probes per region: a `samples` message carries at most 1,000 samples (2 lines × 500 streams each). */
const PROBES = REGIONS.flatMap((region) => [0, 1].map((half) => ({ id: `p-${region}-${half}`, region, half, env: `SG_PROBE_${region.toUpperCase()}_${half}` })));
const TOKENS = Object.fromEntries(PROBES.map((p) => [p.env, `${p.id}-token-0123456789`]));
const MEASURE_MS = 10_000;

/** What a stream's window shows: s0000–s0009 primary dead, s0010–s0019 primary stalling in r1, s0020–s0024 backup audio late. */
function window(target: { stream: string; line: string }, region: string): Partial<Sample> {
  const n = Number(target.stream.slice(1));
  if (n < 10 && target.line === 'primary') return { connected: false, fps: 0, bitrateBps: 0, stallMs: 1000, maxGapMs: 1000, error: 'timeout' };
  if (n < 20 && n >= 10 && target.line === 'primary' && region === 'r1') return { stallMs: 400, maxGapMs: 400 };
  if (n < 25 && n >= 20 && target.line === 'backup') return { avSyncMs: -310 };
  return { latencyMs: 1800 };
}

let hub: HubProcess;
let url: string;
const probes: SyntheticProbe[] = [];
let browser: BrowserContext;
let page: Page;
let cdp: CDPSession;

describe.skipIf(!haveChromium)('live page with 1,000 streams × 2 lines × 5 regions', () => {
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-console-scale-'));
    const file = join(dir, 'hub.yaml');
    writeFileSync(
      file,
      [
        `hub: { listen: "127.0.0.1:0", dataDir: ${JSON.stringify(join(dir, 'data'))} }`,
        `regions: [${REGIONS.join(', ')}]`,
        'probe: { embedded: false }',
        'uplink:',
        '  probes:',
        ...PROBES.map((p) => `    - { id: ${p.id}, region: ${p.region}, tokenEnv: ${p.env} }`),
        'streams:',
        ...STREAMS.flatMap((s) => [`  - id: ${s}`, '    lines:', `      primary: { url: "rtmp://127.0.0.1:1/live/${s}" }`, `      backup: { url: "rtmp://127.0.0.1:1/live/${s}b" }`]),
        '',
      ].join('\n'),
    );
    hub = spawnHub(['--config', file], TOKENS);
    url = await Promise.race([hub.url, hub.exited.then((code) => Promise.reject(new Error(`hub exited (${code}): ${hub.stderr()}`)))]);
    const ws = `${url.replace(/^http/, 'ws')}/probes`;
    for (const p of PROBES) {
      const mine = STREAMS.filter((_, i) => i % 2 === p.half).flatMap((stream) => ['primary', 'backup'].map((line) => ({ stream, line })));
      probes.push(syntheticProbe({ url: ws, token: TOKENS[p.env]!, probe: p.id, region: p.region, targets: mine, window: (t) => window(t, p.region) }));
    }
    await Promise.all(probes.map((p) => p.welcomed));
    await until('the ten dead primaries to be incidents', async () => {
      const res = await fetch(`${url}/api/v1/incidents`);
      const { incidents } = (await res.json()) as { incidents: { stream?: string; line?: string }[] };
      return incidents.filter((i) => i.line === 'primary' && Number(i.stream?.slice(1)) < 10).length >= 10;
    }, 30_000, 250);
    browser = await launchChromium({ width: 1440, height: 900 });
    page = await browser.newPage();
    page.setDefaultTimeout(15_000);
    cdp = await browser.newCDPSession(page);
    await cdp.send('Performance.enable');
    await cdp.send('Network.enable');
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    for (const p of probes) p.stop();
    if (hub) {
      process.kill(hub.child.pid!, 'SIGTERM');
      await Promise.race([hub.exited, until('the hub to exit', () => hub.child.exitCode !== null, 15_000).catch(() => hub.kill9())]);
    }
  });

  it('overview first, then every stream a page at a time: prints render time, heap and frames', async () => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.addInitScript(() => {
      const w = window as unknown as { longTasks: number[] };
      w.longTasks = [];
      new PerformanceObserver((list) => w.longTasks.push(...list.getEntries().map((e) => e.duration))).observe({ type: 'longtask', buffered: true });
    });
    await page.goto(`${url}/`);
    const total = async () => {
      const n = await Promise.all(['count-ok', 'count-degraded', 'count-down'].map(async (id) => Number((await page.getByTestId(id).textContent({ timeout: 500 }).catch(() => '0')) ?? 0)));
      return n.reduce((a, b) => a + b, 0);
    };
    await expect.poll(total, { timeout: 20_000, interval: 50 }).toBe(1000);
    const overviewMs = await page.evaluate(() => performance.now());
    const problems = Number((await page.getByTestId('shown').textContent())!.split(' ')[0]);
    expect(problems).toBeGreaterThanOrEqual(10);
    expect(await page.locator('.card').count()).toBeGreaterThanOrEqual(10);
    expect(await page.title()).toMatch(/^\(\d+ P0\/P1\) streamguard$/);
    await page.screenshot({ path: join(ARTIFACTS, 'scale-1-problems.png') });

    await page.getByTestId('view-all').click();
    await expect.poll(() => page.locator('table.grid tbody').count()).toBe(50);
    let frames = 0;
    cdp.on('Network.webSocketFrameReceived', (f: { response: { payloadData: string } }) => {
      if (f.response.payloadData.startsWith('{"type":"event","topic":"samples:')) frames++;
    });
    await page.evaluate(() => ((window as unknown as { longTasks: number[] }).longTasks = []));
    const started = Date.now();
    await until('the live measurement', () => Date.now() - started >= MEASURE_MS, MEASURE_MS + 1000, 500);
    const seconds = (Date.now() - started) / 1000;
    const stats = await page.evaluate(() => {
      const w = window as unknown as { streamguardRenderStats: { render: number[]; paint: number[] }; longTasks: number[] };
      return { render: w.streamguardRenderStats.render, paint: w.streamguardRenderStats.paint, longTasks: w.longTasks, nodes: document.getElementsByTagName('*').length };
    });
    const { metrics } = (await cdp.send('Performance.getMetrics')) as { metrics: { name: string; value: number }[] };
    const metric = (n: string) => metrics.find((m) => m.name === n)?.value ?? NaN;
    const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? NaN;
    const fmt = (x: number) => x.toFixed(1);
    const cellText = await page.getByTestId('cell-s0000-primary-r1').textContent();
    console.log(
      [
        `console at 1,000 streams × 2 lines × 5 regions (${PROBES.length} probes, 10,000 samples/s into the hub):`,
        `  overview (counts + problems grid + ${problems} problem streams' cards) ready ${fmt(overviewMs)} ms after navigation start`,
        `  full redraw (50 streams, 500 cells, cards): median ${fmt(q(stats.render, 0.5))} ms, max ${fmt(Math.max(...stats.render))} ms over ${stats.render.length}`,
        `  per-frame cell paint: median ${fmt(q(stats.paint, 0.5))} ms, p95 ${fmt(q(stats.paint, 0.95))} ms, max ${fmt(Math.max(...stats.paint))} ms (last ${stats.paint.length} frames)`,
        `  sample frames taken by the page: ${Math.round(frames / seconds)}/s (the 50 streams shown only)`,
        `  long tasks (> 50 ms) in ${fmt(seconds)} s live: ${stats.longTasks.length}${stats.longTasks.length ? `, longest ${fmt(Math.max(...stats.longTasks))} ms` : ''}`,
        `  JS heap used ${fmt(metric('JSHeapUsedSize') / 2 ** 20)} MiB of ${fmt(metric('JSHeapTotalSize') / 2 ** 20)} MiB, DOM ${stats.nodes} elements`,
        `  e.g. s0000/primary/r1: "${cellText}"`,
      ].join('\n'),
    );
    expect(frames / seconds).toBeGreaterThan(100);
    expect(cellText).toMatch(/^✖DOWN timeout/);
    await page.screenshot({ path: join(ARTIFACTS, 'scale-2-all-streams.png') });

    await page.getByTestId('search').fill('s0999');
    await expect.poll(() => page.locator('table.grid tbody').count()).toBe(1);
    expect(await page.locator('table.grid tbody').getAttribute('data-stream')).toBe('s0999');
    expect(errors).toEqual([]);
  }, 90_000);
});
