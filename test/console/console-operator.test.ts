/**
 * The web console's sign-in and operator buttons in real headless Chromium against a real hub in
 * token mode and the real lab: the token prompt, a wrong token refused on screen, a viewer who sees
 * everything but may do nothing (the hub refuses its commands over /ws too), an operator who acks a
 * real incident (a killed publisher) and forces a feature module off and back to auto.
 * Screenshots in test-artifacts/console/.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type HubHandle } from '../../src/app/start.ts';
import type { Incident } from '../../src/model/incident.ts';
import { startLab, type Lab } from '../../src/lab/index.ts';
import { gone } from '../helpers/gone.ts';
import { until } from '../helpers/until.ts';
import { ARTIFACTS, consoleHubConfig, haveChromium, launchChromium } from './chromium.ts';

const OPERATOR = { name: 'alice', token: randomBytes(12).toString('hex') };
const VIEWER = { name: 'victor', token: randomBytes(12).toString('hex') };
/** A feature module the policy knows but nothing in this lab triggers: only the operator moves it. */
const FEATURE = 'gifts';

let lab: Lab;
let hub: HubHandle;
let browser: BrowserContext;
let operator: Page;
let viewer: Page;
/** Processes that were already below this one before the test started anything. */
let before: Set<number>;

/** Every process below this one (Chromium and its renderers, lab publishers, probe readers). */
function descendants(): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // exited meanwhile
    }
  }
  const out: number[] = [];
  for (let todo = [process.pid]; todo.length > 0; ) {
    const next = children.get(todo.pop()!) ?? [];
    out.push(...next);
    todo.push(...next);
  }
  return out;
}

/** Every alert/prompt a page raised: the console reports command failures that way. */
const dialogs: string[] = [];
const pageErrors: string[] = [];

async function openConsole(): Promise<Page> {
  const page = await browser.newPage();
  // A hung click fails its test with the reason, well inside the test's time.
  page.setDefaultTimeout(10_000);
  page.on('dialog', (d) => {
    dialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss();
  });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(`${hub.url}/?view=all`);
  return page;
}

async function signIn(page: Page, token: string): Promise<void> {
  await page.fill('#token', token);
  await page.click('#login button');
}

/** The hub's view of an incident over REST, as an operator. */
async function restIncident(id: string): Promise<Incident> {
  const res = await fetch(`${hub.url}/api/v1/incidents/${encodeURIComponent(id)}`, { headers: { authorization: `Bearer ${OPERATOR.token}` } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { incident: Incident }).incident;
}

/** The served feature flags players and edges read (the built-in actuator's state). */
async function servedFeatures(): Promise<Record<string, boolean>> {
  return ((await (await fetch(`${hub.url}/api/v1/streams/s1/features`)).json()) as { features: Record<string, boolean> }).features;
}

describe.skipIf(!haveChromium)('web console sign-in and operator buttons in headless Chromium', () => {
  beforeAll(async () => {
    before = new Set(descendants());
    lab = await startLab({ streams: [{ id: 's1', protocols: ['rtmp'] }] });
    hub = await startHub(
      consoleHubConfig(lab, {
        control: { features: { 'av-sync-lag': [FEATURE] } },
        auth: {
          tokens: [
            { name: OPERATOR.name, role: 'operator', tokenEnv: 'SG_CONSOLE_OPERATOR' },
            { name: VIEWER.name, role: 'viewer', tokenEnv: 'SG_CONSOLE_VIEWER' },
          ],
        },
      }),
      { tickets: false, env: { SG_CONSOLE_OPERATOR: OPERATOR.token, SG_CONSOLE_VIEWER: VIEWER.token } },
    );
    browser = await launchChromium();
  }, 40_000);

  afterAll(async () => {
    const started = descendants().filter((pid) => !before.has(pid));
    await browser?.close();
    await hub?.stop();
    await lab?.stop();
    const stopped = Date.now();
    // A timeout is not thrown: the check below names the processes left.
    await until('every process the test started to be gone', () => started.every(gone), 10_000, 100).catch(() => undefined);
    const left = started.filter((pid) => !gone(pid));
    for (const pid of left) process.kill(pid, 'SIGKILL');
    console.log(`console: ${started.length} processes started (browser, publishers, probes), all gone ${Date.now() - stopped} ms after the stop`);
    expect(left, 'processes still running after the stop (killed now)').toEqual([]);
  });

  it('asks for a token, shows a wrong one refused, signs an operator in with the command buttons', async () => {
    operator = await openConsole();
    await expect.poll(() => operator.locator('#login').isVisible()).toBe(true);
    expect(await operator.locator('#grid table').count()).toBe(0);

    const tried = Date.now();
    await signIn(operator, 'not-a-token');
    await expect.poll(() => operator.locator('#login-error').textContent(), { timeout: 5000 }).toMatch(/refused.*invalid token/);
    console.log(`console: wrong token refused on screen ${Date.now() - tried} ms after sign in`);
    expect(await operator.locator('#login').isVisible()).toBe(true);
    await operator.screenshot({ path: join(ARTIFACTS, 'op-1-wrong-token.png') });

    const signedIn = Date.now();
    await signIn(operator, OPERATOR.token);
    await expect.poll(() => operator.locator('#who').textContent(), { timeout: 5000 }).toBe('alice (operator)');
    console.log(`console: operator signed in ${Date.now() - signedIn} ms after sign in`);
    expect(await operator.locator('#login').isVisible()).toBe(false);
    await expect.poll(() => operator.getByTestId('cell-s1-primary-a').getAttribute('class'), { timeout: 15_000 }).toContain('ok');
    for (const id of ['switch-s1-backup', 'failback-s1', `feature-s1-${FEATURE}`, `feature-auto-s1-${FEATURE}`]) {
      expect(await operator.getByTestId(id).isEnabled(), id).toBe(true);
      expect(await operator.getByTestId(id).isVisible(), id).toBe(true);
    }
    expect(await operator.locator('#reason').isVisible()).toBe(true);
  }, 30_000);

  let incidentId: string;

  it('a viewer sees the grid and the incident of a killed publisher but no command buttons; the hub refuses its commands', async () => {
    await lab.applyFault({ stream: 's1', line: 'primary', kind: 'kill' });
    incidentId = (await until('an open incident on s1/primary', () => hub.hub.incidents.open().find((i) => i.stream === 's1' && i.line === 'primary' && i.status === 'open'), 10_000)).id;

    viewer = await openConsole();
    await signIn(viewer, VIEWER.token);
    await expect.poll(() => viewer.locator('#who').textContent(), { timeout: 5000 }).toBe('victor (viewer)');
    await expect.poll(() => viewer.getByTestId('cell-s1-primary-a').getAttribute('class'), { timeout: 5000 }).toContain('down');
    await expect.poll(() => viewer.getByTestId(`incident-${incidentId}`).isVisible()).toBe(true);
    await expect.poll(() => viewer.getByTestId('active-s1').textContent(), { timeout: 5000 }).toBe('active: backup');
    expect(await viewer.getByTestId(`feature-state-s1-${FEATURE}`).textContent()).toContain(`${FEATURE}: on`);
    for (const id of [`ack-${incidentId}`, `silence-${incidentId}`, `silence-minutes-${incidentId}`, 'switch-s1-primary', 'failback-s1', `feature-s1-${FEATURE}`, `feature-auto-s1-${FEATURE}`]) {
      expect(await viewer.getByTestId(id).isVisible(), id).toBe(false);
    }
    // The card itself, with its words and its timeline, is for every role.
    expect(await viewer.getByTestId(`card-cause-${incidentId}`).textContent()).toContain('not connected');
    expect(await viewer.getByTestId(`timeline-${incidentId}`).isVisible()).toBe(true);
    expect(await viewer.locator(`[data-testid="incident-${incidentId}"] button.operator-only:visible, [data-testid="incident-${incidentId}"] select:visible`).count()).toBe(0);
    expect(await viewer.locator('#reason').isVisible()).toBe(false);
    await viewer.screenshot({ path: join(ARTIFACTS, 'op-2-viewer.png') });

    // Sent anyway, from the viewer's page over its own /ws: refused, nothing done, nothing audited.
    const commands = [
      { type: 'ack', incident: incidentId, reason: 'viewer tries' },
      { type: 'switch', stream: 's1', line: 'primary', reason: 'viewer tries' },
      { type: 'feature', stream: 's1', feature: FEATURE, enabled: false, reason: 'viewer tries' },
    ];
    const replies = await viewer.evaluate(
      async ({ token, commands }) => {
        const ws = new WebSocket(`ws://${location.host}/ws`);
        const queue: { ok: boolean; error?: { code: string } }[] = [];
        let wake = () => {};
        ws.onmessage = (m) => {
          const msg = JSON.parse(m.data as string);
          if (msg.type === 'hello') return;
          queue.push(msg);
          wake();
        };
        await new Promise((r) => (ws.onopen = r));
        const ask = async (msg: object) => {
          ws.send(JSON.stringify({ id: 1, ...msg }));
          while (queue.length === 0) await new Promise<void>((r) => (wake = r));
          return queue.shift()!;
        };
        const out = [await ask({ type: 'auth', token })];
        for (const c of commands) out.push(await ask(c));
        ws.close();
        return out;
      },
      { token: VIEWER.token, commands },
    );
    expect(replies[0]).toMatchObject({ ok: true, result: { name: VIEWER.name, role: 'viewer' } });
    for (const r of replies.slice(1)) expect(r).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect((await restIncident(incidentId)).status).toBe('open');
    expect(hub.controller!.served('s1')!.active).toBe('backup');
    expect(hub.controller!.served('s1')!.features[FEATURE]).toBeUndefined();
    expect((await hub.store.audit.recent(100)).filter((a) => a.actor === VIEWER.name)).toEqual([]);
  }, 30_000);

  it('the operator clicks ack: acknowledged in both consoles and in the hub, audited with the operator', async () => {
    // Each page is a tab: a background one gets no animation frames, which Playwright's clicks wait for.
    await operator.bringToFront();
    const reason = 'console test: looking at the primary publisher';
    await operator.fill('#reason', reason);
    await expect.poll(() => operator.getByTestId(`ack-${incidentId}`).isVisible()).toBe(true);
    const clicked = Date.now();
    await operator.getByTestId(`ack-${incidentId}`).click();
    await expect.poll(() => operator.getByTestId(`incident-${incidentId}`).textContent(), { timeout: 5000 }).toContain('acknowledged');
    console.log(`console: incident shown acknowledged ${Date.now() - clicked} ms after the click`);
    expect(await operator.getByTestId(`ack-${incidentId}`).count()).toBe(0);
    await expect.poll(() => viewer.getByTestId(`incident-${incidentId}`).textContent(), { timeout: 5000 }).toContain('acknowledged');
    await operator.screenshot({ path: join(ARTIFACTS, 'op-3-acked.png') });

    const inc = await restIncident(incidentId);
    expect(inc.status).toBe('acknowledged');
    expect(inc.acknowledgedAt).toBeGreaterThanOrEqual(clicked - 1000);
    const acks = (await hub.store.audit.recent(100)).filter((a) => a.action === 'ws.ack');
    expect(acks).toEqual([expect.objectContaining({ actor: OPERATOR.name, target: incidentId, reason, data: expect.objectContaining({ role: 'operator', outcome: 'ok' }) })]);
  }, 30_000);

  it('the operator turns a feature module off and back to auto: the served flags follow, and both consoles show it', async () => {
    await operator.fill('#reason', 'console test: gifts off during the incident');
    const clicked = Date.now();
    await operator.getByTestId(`feature-s1-${FEATURE}`).click();
    await expect.poll(servedFeatures, { timeout: 5000 }).toEqual({ [FEATURE]: false });
    console.log(`console: ${FEATURE} off at /features ${Date.now() - clicked} ms after the click`);
    expect(hub.controller!.state('s1')!.features[FEATURE]).toMatchObject({ enabled: false, by: 'operator', pin: { value: false, by: OPERATOR.name } });
    await expect.poll(() => operator.getByTestId(`feature-state-s1-${FEATURE}`).textContent(), { timeout: 5000 }).toContain(`${FEATURE}: off`);
    await expect.poll(() => viewer.getByTestId(`feature-state-s1-${FEATURE}`).textContent(), { timeout: 5000 }).toContain(`${FEATURE}: off`);
    expect(await operator.getByTestId(`feature-s1-${FEATURE}`).textContent()).toBe('turn on');
    await operator.screenshot({ path: join(ARTIFACTS, 'op-4-feature-off.png') });

    await operator.fill('#reason', 'console test: back to the policy');
    const auto = Date.now();
    await operator.getByTestId(`feature-auto-s1-${FEATURE}`).click();
    // Nothing triggers it, so the policy re-enables it at its next evaluation.
    await expect.poll(servedFeatures, { timeout: 5000 }).toEqual({ [FEATURE]: true });
    console.log(`console: ${FEATURE} back on at /features ${Date.now() - auto} ms after auto`);
    await expect.poll(() => operator.getByTestId(`feature-state-s1-${FEATURE}`).textContent(), { timeout: 5000 }).toContain(`${FEATURE}: on`);
    const features = (await hub.store.audit.recent(100)).filter((a) => a.action === 'ws.feature');
    expect(features.map((a) => [a.actor, a.target, (a.data as { enabled: unknown }).enabled])).toEqual([
      [OPERATOR.name, 's1', 'auto'],
      [OPERATOR.name, 's1', false],
    ]);
    expect(dialogs).toEqual([]);
    expect(pageErrors).toEqual([]);
  }, 30_000);
});
