import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Incident } from '../../src/model/incident.ts';
import { seriesValue as value } from '../helpers/metrics-text.ts';
import { until, type HubProcess } from '../helpers/processes.ts';
import { regionProbe, startRemoteProbeHub, writeRemoteProbeHubConfig, type ProbeRegion } from '../helpers/remote-probe-hub.ts';
import type { SyntheticProbe, SyntheticProbeOptions } from '../helpers/synthetic-probe.ts';

/**
 * A real hub process (`streamguard run`: SQLite, uplink, controller, tickets) fed over its real
 * uplink WebSocket by synthetic remote probes, and a webhook vendor (a local HTTP server that
 * counts every request) that takes every stream incident from P3 up.
 *
 * 1. A probe reporting a dead line in windows it marks impaired: no stream incident (so no
 *    switch, no ticket), its own P3 probe/<id>/impaired, the gauge on /metrics.
 * 2. A lone probe seeing every line of three streams fail at once (not marked): that probe's fault,
 *    probe/<id>/blind, and nothing on the way there (no stream incident, switch or ticket).
 * 3. The hub stopped (SIGSTOP) for 1.5 s, three times, with no fault anywhere: no stream incident,
 *    no switch, no vendor request, no probe/<id>/blind. The detector's heartbeat (500 ms: silent
 *    after 1.5 s) is no longer than the stop, so the stop's own silence would make the probes
 *    blind; hubStallMs 250 sees every such stop (one right after a tick makes the next 0.5 s late),
 *    and what it leaves unexcused (≤ the 1 s period + the probes' 250 ms pings) stays below 1.5 s.
 */

const STREAMS = ['s1', 's2'];
const targets = (streams: readonly string[]) => streams.flatMap((stream) => ['primary', 'backup'].map((line) => ({ stream, line })));
const TARGETS = targets(STREAMS);
const dir = mkdtempSync(join(tmpdir(), 'sg-impaired-hub-'));

let vendor: { url: string; requests: string[]; close(): Promise<void> };
const hubs: HubProcess[] = [];
const probes: SyntheticProbe[] = [];

beforeAll(async () => {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ref":"T-1"}'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  vendor = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    requests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
});
afterEach(async () => {
  for (const p of probes.splice(0)) p.stop();
  for (const h of hubs.splice(0)) await stopHub(h);
});
afterAll(async () => {
  await vendor?.close();
});

async function stopHub(h: HubProcess): Promise<void> {
  try {
    process.kill(h.child.pid!, 'SIGCONT');
    process.kill(h.child.pid!, 'SIGTERM');
  } catch {
    // already gone
  }
  const code = await Promise.race([h.exited, until('the hub to exit', () => h.child.exitCode !== null || h.child.signalCode !== null, 15_000).catch(() => 'stuck')]);
  if (code === 'stuck') await h.kill9();
}

async function startHub(name: string, streams = STREAMS): Promise<{ hub: HubProcess; url: string; ws: string }> {
  const extra = [
    'detector: { heartbeatMs: 500, hubStallMs: 250 }',
    'vendors:',
    `  - { name: cdn-hook, type: webhook, use: both, url: ${JSON.stringify(vendor.url)}, minSeverity: P3 }`,
    'escalation:',
    '  chain:',
    '    - { name: cdn on-call, channel: cdn-hook }',
  ];
  const started = await startRemoteProbeHub(writeRemoteProbeHubConfig({ dir, name, streams, extra }));
  hubs.push(started.hub);
  return started;
}

function probe(ws: string, region: ProbeRegion, window?: SyntheticProbeOptions['window'], streams = STREAMS): SyntheticProbe {
  const p = regionProbe(ws, region, { targets: targets(streams), ...(window && { window }) });
  probes.push(p);
  return p;
}

async function incidents(url: string): Promise<Incident[]> {
  const res = await fetch(`${url}/api/v1/incidents?status=all`);
  return ((await res.json()) as { incidents: Incident[] }).incidents;
}

async function metrics(url: string): Promise<string> {
  return (await fetch(`${url}/metrics`)).text();
}

/** Samples the hub has taken from both regions. */
async function taken(url: string): Promise<number> {
  const text = await metrics(url);
  return value(text, 'streamguard_samples_total{region="eu"}') + value(text, 'streamguard_samples_total{region="us"}');
}

/** Waits until the hub has taken `windows` more windows from both probes. */
async function windowsTaken(url: string, windows: number, what: string): Promise<void> {
  const from = await taken(url);
  await until(what, async () => (await taken(url)) >= from + windows * 2 * TARGETS.length, 15_000);
}

/** Every line of every stream seen ok by both regions (the probes' views exist and are healthy). */
async function allLinesOk(url: string): Promise<boolean> {
  const text = await metrics(url);
  return TARGETS.every(({ stream, line }) => ['eu', 'us'].every((region) => text.includes(`streamguard_line_health{stream="${stream}",line="${line}",region="${region}"} 0`)));
}

describe('a probe that says it cannot trust its measurements (real hub, real uplink)', () => {
  it('its impaired windows of a dead line open no stream incident and no ticket; it gets a P3 and the gauge', async () => {
    const { url, ws } = await startHub('impaired');
    const dead = { connected: false, fps: 0, bitrateBps: 0, stallMs: 1000, maxGapMs: 1000, error: 'timeout' as const, impaired: 'cpu-pressure' as const };
    const eu = probe(ws, 'eu', (target) => (target.line === 'primary' ? dead : { impaired: 'cpu-pressure' }));
    const us = probe(ws, 'us');
    await Promise.all([eu.welcomed, us.welcomed]);

    const opened = await until('probe/probe-eu/impaired', async () => (await incidents(url)).find((i) => i.key === 'probe/probe-eu/impaired'), 20_000);
    expect(opened).toMatchObject({ kind: 'impaired', severity: 'P3', scope: 'probe', status: 'open', probe: 'probe-eu' });
    // three more windows of "dead" primaries taken by the hub
    await windowsTaken(url, 3, 'three more windows');
    const text = await metrics(url);
    expect(value(text, 'streamguard_probe_impaired_samples_total{probe="probe-eu",region="eu",reason="cpu-pressure"}')).toBe(value(text, 'streamguard_samples_total{region="eu"}'));
    expect(value(text, 'streamguard_probe_impaired{probe="probe-eu",region="eu",reason="cpu-pressure"}')).toBe(1);
    expect(value(text, 'streamguard_probe_impaired{probe="probe-us",region="us",reason="cpu-pressure"}')).toBe(0);
    expect(text).not.toMatch(/^streamguard_failovers_total\{/m);

    const all = await incidents(url);
    expect(all.filter((i) => i.stream !== undefined)).toEqual([]);
    expect(all.map((i) => i.key)).toEqual(['probe/probe-eu/impaired']);
    expect(vendor.requests).toEqual([]);
    expect(probes.flatMap((p) => p.errors)).toEqual([]);
  });
});

describe('a lone probe seeing every stream fail at once (real hub, real uplink)', () => {
  it('is blind; no stream incident, no switch, no ticket on the way', async () => {
    const streams = ['s1', 's2', 's3'];
    const { url, ws } = await startHub('lone', streams);
    let failing = false;
    const dead = { connected: false, fps: 0, bitrateBps: 0, stallMs: 1000, maxGapMs: 1000, error: 'unreachable' as const };
    const eu = probe(ws, 'eu', () => (failing ? dead : {}), streams);
    await eu.welcomed;
    await until('every line seen ok', async () => {
      const text = await metrics(url);
      return targets(streams).every(({ stream, line }) => text.includes(`streamguard_line_health{stream="${stream}",line="${line}",region="eu"} 0`));
    }, 20_000);
    failing = true;
    const blind = await until('probe/probe-eu/blind', async () => (await incidents(url)).find((i) => i.key === 'probe/probe-eu/blind'), 20_000);
    expect(blind).toMatchObject({ severity: 'P2', scope: 'probe', status: 'open' });
    const from = value(await metrics(url), 'streamguard_samples_total{region="eu"}');
    await until('three more windows', async () => value(await metrics(url), 'streamguard_samples_total{region="eu"}') >= from + 3 * 6, 15_000);

    expect((await incidents(url)).map((i) => i.key)).toEqual(['probe/probe-eu/blind']);
    expect(await metrics(url)).not.toMatch(/^streamguard_failovers_total\{/m);
    expect(vendor.requests).toEqual([]);
  });
});

describe('the hub stopped (SIGSTOP) 1.5 s, three times, no fault', () => {
  it('no stream incident, no switch, no vendor request, no blind probe', async () => {
    const { hub, url, ws } = await startHub('sigstop');
    const eu = probe(ws, 'eu');
    const us = probe(ws, 'us');
    await Promise.all([eu.welcomed, us.welcomed]);
    await until('every line seen ok from both regions', () => allLinesOk(url), 20_000);

    for (let stop = 1; stop <= 3; stop++) {
      process.kill(hub.child.pid!, 'SIGSTOP');
      await new Promise((r) => setTimeout(r, 1500)); // the stop itself: a deliberate pause
      process.kill(hub.child.pid!, 'SIGCONT');
      await until(`stop ${stop} seen by the hub`, async () => value(await metrics(url), 'streamguard_hub_stalls_total') >= stop, 10_000);
      await windowsTaken(url, 2, `two windows after stop ${stop}`);
    }
    // a blind probe, a P1 or its failover would show within 3 more windows
    await windowsTaken(url, 3, 'three windows after the last stop');
    const text = await metrics(url);
    expect(value(text, 'streamguard_hub_stalls_total')).toBe(3);
    expect(value(text, 'streamguard_hub_stalled_seconds_total')).toBeGreaterThanOrEqual(1.5); // each stop 0.5–1.5 s late
    expect(text).not.toMatch(/^streamguard_failovers_total\{/m);
    expect(await incidents(url)).toEqual([]);
    expect(await allLinesOk(url)).toBe(true);
    expect(vendor.requests).toEqual([]);
    expect(probes.flatMap((p) => p.errors)).toEqual([]);
  });
});
