/**
 * End to end: real publishers and servers (the lab), real probes in three regions,
 * a real hub (detector, incidents, SQLite store). Each region pulls every line over its own
 * protocol, and the lab puts a separate fault proxy in front of every (stream, line, protocol),
 * so the three regions' network paths are independent:
 *
 *   region a ── http-flv ─┐
 *   region b ── rtmp ─────┼─ lab proxies ─ node-media-server / HLS server ─ ffmpeg publishers
 *   region c ── hls ──────┘
 *
 * Faults are injected through the lab, whose ground truth (when the fault took effect, wall ms)
 * is the reference for detection delays; the hub clock is the same wall clock.
 *
 * The tests run in order and share the lab and the hub (starting them is most of the cost).
 * CPU: 2 lab streams × 2 publishers, 12 packet readers, one decoder (s1/primary in region a).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProber, type ProbeHandle } from '../../probes/index.ts';
import { ConfigSchema } from '../../src/config/schema.ts';
import { lineUrl } from '../../src/model/stream.ts';
import type { HubEvents } from '../../src/model/topics.ts';
import { startHub, type HubHandle } from '../../src/app/start.ts';
import type { Incident } from '../../src/model/incident.ts';
import { startLab, type Lab, type PlayProtocol, type TruthRecord } from '../../src/lab/index.ts';
import type { Sample } from '../../src/model/sample.ts';
import { until } from '../helpers/until.ts';

const REGIONS: { region: string; protocol: PlayProtocol }[] = [
  { region: 'a', protocol: 'http-flv' },
  { region: 'b', protocol: 'rtmp' },
  { region: 'c', protocol: 'hls' },
];
const STREAMS = ['s1', 's2'] as const;
/** Windows of every view watched for incidents after a clean start. */
const CLEAN_START_WINDOWS = 12;
const LINES = ['primary', 'backup'] as const;

type IncidentTopic = 'incident.opened' | 'incident.reopened' | 'incident.raised' | 'incident.lowered' | 'incident.updated' | 'incident.resolved';
const TOPICS: IncidentTopic[] = ['incident.opened', 'incident.reopened', 'incident.raised', 'incident.lowered', 'incident.updated', 'incident.resolved'];

interface Seen {
  topic: IncidentTopic;
  incident: Incident;
  detectionDelayMs?: number;
  /** Regions in the detector's current evidence (incident.regions keeps every region ever seen, across reopenings). */
  now: string[];
  /** Rules behind the current evidence, by region. */
  rules: Record<string, string[]>;
  at: number;
}

let lab: Lab;
let hub: HubHandle;
const probes: ProbeHandle[] = [];
const dataDir = mkdtempSync(join(tmpdir(), 'sg-e2e-'));
/** Incident changes, but for probes' impairment (a loaded machine starving our own probes: true, and P3, not what is tested here). */
const changes: Seen[] = [];
/** The probes' impairment incidents, counted apart. */
let impairmentChanges = 0;
const samples: (Sample & { at: number })[] = [];
/** Measured figures, printed at the end (and quoted in the report). */
const measured: Record<string, number> = {};

/** The open incidents but the probes' impairment. */
const openIncidents = () => hub.hub.incidents.open().filter((i) => i.kind !== 'impaired');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The first incident change from index `from` on matching `pred`, waiting up to `timeoutMs`. */
async function next(pred: (c: Seen) => boolean, timeoutMs: number, from = 0): Promise<Seen> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const hit = changes.slice(from).find(pred);
    if (hit) return hit;
    if (performance.now() > deadline) {
      const trail = changes.slice(from).map((c) => `${c.topic} ${c.incident.key} ${c.incident.severity} ${c.incident.scope}`);
      throw new Error(`no matching incident change within ${timeoutMs} ms; since then: ${JSON.stringify(trail)}`);
    }
    await sleep(50);
  }
}

/** The fault's ground-truth record as the lab's truth log has it. */
function truth(rec: TruthRecord): TruthRecord {
  const t = lab.truth().find((r) => r.id === rec.id);
  if (!t) throw new Error(`fault ${rec.id} missing from lab.truth()`);
  return t;
}

const regionsOf = (inc: Incident) => Object.keys(inc.regions).sort();

/** Every (region, stream, line) has a connected sample received after `since`. */
function allUpSince(since: number): boolean {
  return REGIONS.every(({ region }) =>
    STREAMS.every((stream) => LINES.every((line) => samples.some((s) => s.at >= since && s.region === region && s.stream === stream && s.line === line && s.connected))),
  );
}

beforeAll(async () => {
  lab = await startLab({ streams: STREAMS.map((id) => ({ id, protocols: ['rtmp', 'hls'] })) });
  // The config names every region's own path (regionUrls); `url` is the default path (region a's).
  const config = ConfigSchema.parse({
    hub: { listen: '127.0.0.1:0', dataDir },
    regions: REGIONS.map((r) => r.region),
    probe: { regions: REGIONS.map((r) => r.region) },
    streams: STREAMS.map((id) => ({
      id,
      // s2 is a call, as config/demo.yaml's call1: a 600 ms startup budget (its HLS path needs a latency budget of its own).
      ...(id === 's2' && { kind: 'call', latencyBudgetMs: 3000 }),
      lines: Object.fromEntries(
        LINES.map((line) => [
          line,
          {
            url: lab.url(id, line, 'http-flv'),
            regionUrls: Object.fromEntries(REGIONS.map(({ region, protocol }) => [region, lab.url(id, line, protocol)])),
            ...(id === 's1' && line === 'primary' && { decode: true }),
          },
        ]),
      ),
    })),
  });
  hub = await startHub(config, { dataDir, listen: false, probes: false });
  for (const topic of TOPICS) {
    hub.bus.on(topic, (c: HubEvents[IncidentTopic]) => {
      if (c.incident.kind === 'impaired') return void impairmentChanges++;
      changes.push({ topic, incident: c.incident, now: (c.event?.regions ?? []).map((r) => r.region).sort(), rules: Object.fromEntries((c.event?.regions ?? []).map((r) => [r.region, r.reasons.map((x) => x.rule)])), at: Date.now(), ...(c.detectionDelayMs !== undefined && { detectionDelayMs: c.detectionDelayMs }) });
    });
  }
  hub.bus.on('sample', (s) => void samples.push({ ...s, at: Date.now() }));
  const started = Date.now();
  for (const { region } of REGIONS) {
    probes.push(
      startProber({
        probe: `probe-${region}`,
        region,
        // Decoding (freeze, sync markers) for the decode line (s1/primary) in region a only: ~10 % of a core.
        targets: config.streams.flatMap((stream) =>
          Object.entries(stream.lines).map(([line, l]) => ({ stream: stream.id, line, url: lineUrl(l, region), decode: region === 'a' && l.decode === true })),
        ),
        onSample: (s) => {
          const r = hub.ingest(s, { trusted: true });
          if (!r.ok) throw new Error(`sample refused: ${JSON.stringify(r)}`);
        },
      }),
    );
  }
  await until('every region to see every line up', () => allUpSince(started), 20_000);
  measured['all 12 views up after (ms)'] = Date.now() - started;
}, 60_000);

afterAll(async () => {
  await Promise.all(probes.map((p) => p.stop()));
  await hub?.stop();
  await lab?.stop();
  rmSync(dataDir, { recursive: true, force: true });
  if (process.env.E2E_TRAIL) {
    const t0 = changes[0]?.at ?? 0;
    console.log(changes.map((c) => `${c.at - t0} ${c.topic} ${c.incident.key} ${c.incident.severity} ${c.incident.scope} ${JSON.stringify(Object.fromEntries(Object.entries(c.incident.regions).map(([r, e]) => [r, e.reasons.map((x) => `${x.rule}=${x.value}`)])))}`).join('\n'));
    writeFileSync(process.env.E2E_TRAIL, JSON.stringify({ t0, samples, truth: lab.truth() }));
    console.log(lab.truth().map((r) => `${r.startedAt - t0} ${r.kind} ${r.stream}/${r.line} ${r.protocol ?? ''} ${JSON.stringify(r.params)} ended ${r.endedAt === undefined ? '-' : r.endedAt - t0}`).join('\n'));
  }
  measured['probe impairment incident changes (load on the machine)'] = impairmentChanges;
  console.log(`e2e measurements:\n${Object.entries(measured).map(([k, v]) => `  ${k}: ${v}`).join('\n')}`);
});

describe('detector end to end against the lab (3 regions × http-flv / rtmp / hls)', () => {
  it('a clean start opens no incident of any severity (no false P0 for lines still connecting, no start-up P2 or blip)', async () => {
    // Every view past its grace (5 windows) and the longest `for` of a quality rule (bitrate-collapse,
    // 5 s), with margin. The demo opened a P2 slow-startup on its call within the first seconds
    // (HLS startups of 607–684 ms against a call's 600 ms budget, measured while its 12 readers
    // connected at once) that cleared 15 s later.
    const views = REGIONS.flatMap(({ region }) => STREAMS.flatMap((stream) => LINES.map((line) => `${region}/${stream}/${line}`)));
    const counted = () => {
      const n = new Map<string, number>();
      for (const s of samples) n.set(`${s.region}/${s.stream}/${s.line}`, (n.get(`${s.region}/${s.stream}/${s.line}`) ?? 0) + 1);
      return n;
    };
    await until(`${CLEAN_START_WINDOWS} samples of every view`, () => views.every((v) => (counted().get(v) ?? 0) >= CLEAN_START_WINDOWS), 60_000, 200);
    expect(changes.map((c) => `${c.topic} ${c.incident.key} ${c.incident.severity}`)).toEqual([]);
  });

  it('kill the primary publisher of s1 → P1 s1/primary/down within 2 s, one incident with evidence from all three regions', async () => {
    const from = changes.length;
    const kill = truth(await lab.applyFault({ stream: 's1', line: 'primary', kind: 'kill' }));
    const opened = await next((c) => c.topic === 'incident.opened' && c.incident.key === 's1/primary/down', 5000, from);
    const delay = opened.incident.openedAt - kill.startedAt;
    measured['kill primary → P1 opened, from lab truth (ms)'] = delay;
    measured['kill primary → recorded detectionDelayMs (ms)'] = opened.detectionDelayMs!;
    expect(opened.incident.severity).toBe('P1');
    expect(delay).toBeGreaterThanOrEqual(0);
    expect(delay).toBeLessThanOrEqual(2000);
    // Recorded delay = openedAt − onset, onset = when the probe last saw media (t − stallMs of
    // the first bad window; probe clock = the same wall clock here): it matches the lab's truth.
    expect(opened.detectionDelayMs).toBe(opened.incident.detectionDelayMs);
    expect(Math.abs(opened.detectionDelayMs! - delay)).toBeLessThanOrEqual(300);

    // The slower HLS region joins the same incident: evidence per region, still one incident.
    const all = await next((c) => c.incident.key === 's1/primary/down' && regionsOf(c.incident).length === 3, 10_000, from);
    measured['kill primary → all 3 regions on the incident (ms)'] = all.at - kill.startedAt;
    expect(all.incident.id).toBe(opened.incident.id);
    expect(all.incident.scope).toBe('line');
    expect(all.incident.severity).toBe('P1');
    const open = openIncidents();
    expect(open.map((i) => i.key)).toEqual(['s1/primary/down']);
  });

  it('kill the backup too → the incident is raised to P0; start both → resolved after the clear time', async () => {
    const from = changes.length;
    const kill = truth(await lab.applyFault({ stream: 's1', line: 'backup', kind: 'kill' }));
    const raised = await next((c) => c.topic === 'incident.raised' && c.incident.severity === 'P0', 10_000, from);
    measured['kill backup → P0 raised, from lab truth (ms)'] = raised.at - kill.startedAt;
    expect(raised.incident.key).toBe('s1/primary/down');
    expect(raised.incident.scope).toBe('stream');
    expect(raised.incident.related).toEqual(['s1/backup/down']);
    const backup = changes.slice(from).find((c) => c.topic === 'incident.opened' && c.incident.key === 's1/backup/down');
    expect(backup?.incident.severity).toBe('P1');
    measured['kill backup → s1/backup/down opened, from lab truth (ms)'] = backup!.incident.openedAt - kill.startedAt;
    expect(backup!.incident.openedAt - kill.startedAt).toBeLessThanOrEqual(2000);

    const fromStart = changes.length;
    const starts = (await Promise.all(LINES.map((line) => lab.applyFault({ stream: 's1', line, kind: 'start' })))).map(truth);
    const restoredAt = Math.max(...starts.map((s) => s.startedAt));
    const resolved = await Promise.all(
      LINES.map((line) => next((c) => c.topic === 'incident.resolved' && c.incident.key === `s1/${line}/down`, 30_000, fromStart)),
    );
    const primary = resolved[0]!.incident;
    measured['start both → s1/primary/down resolved, from lab truth (ms)'] = primary.resolvedAt! - restoredAt;
    // "disconnected" clears after 2 s of connected windows in every region.
    expect(primary.resolvedAt! - restoredAt).toBeGreaterThanOrEqual(2000);
    expect(primary.peakSeverity).toBe('P0');
    // However the regions recovered, one by one, it reports how far it reached: the whole stream.
    expect(primary.peakScope).toBe('stream');
    // A restart's transients open nothing: the startup that ends the outage measured the outage
    // (the reconnect waited for the publisher), and region c (HLS) takes the restarted publisher's
    // first frames, whose timestamps restart just below the newest ones seen, for a replay: the
    // line stays down through them, then is judged after its grace (src/detect/README.md).
    const artefacts = changes.slice(fromStart).filter((c) => c.topic === 'incident.opened' || c.topic === 'incident.reopened');
    expect(artefacts.map((c) => `${c.topic} ${c.incident.key} ${JSON.stringify(c.rules)}`)).toEqual([]);
    // Let every incident clear so the next fault starts from a clean slate, and record how long that took.
    const since = Date.now();
    await until('no open incident and every view up', () => openIncidents().length === 0 && allUpSince(since), 40_000);
    measured['start both → every incident resolved, from lab truth (ms)'] = Date.now() - restoredAt;
  });

  it('freeze the picture of s1/primary → P2 s1/primary/degraded (region a decodes it)', async () => {
    // The decoder restarted with the line: wait for its first sync-marker reading.
    const since = Date.now();
    await until('decoded samples for s1/primary in region a', () => samples.some((s) => s.at >= since && s.region === 'a' && s.stream === 's1' && s.line === 'primary' && s.avSyncMs !== undefined), 15_000);
    const from = changes.length;
    const freeze = truth(await lab.applyFault({ stream: 's1', line: 'primary', kind: 'freeze', ms: 4000 }));
    const degraded = await next((c) => (c.topic === 'incident.opened' || c.topic === 'incident.reopened') && c.incident.key === 's1/primary/degraded', 10_000, from);
    measured['freeze → P2 opened, from lab truth (ms)'] = degraded.at - freeze.startedAt;
    expect(degraded.at - freeze.startedAt).toBeLessThanOrEqual(5000);
    expect(degraded.incident.severity).toBe('P2');
    expect(degraded.incident.kind).toBe('degraded');
    // Region a decodes: it sees the freeze. (A frozen picture also costs almost no bits, so a long
    // freeze can add bitrate-collapse evidence from the other regions after 5 s; 4 s stays below.)
    expect(degraded.now).toEqual(['a']);
    expect(degraded.rules['a']).toContain('freeze');
    const resolved = await next((c) => c.topic === 'incident.resolved' && c.incident.key === 's1/primary/degraded', 15_000, from);
    measured['freeze end → P2 resolved, from lab truth (ms)'] = resolved.incident.resolvedAt! - truth(freeze).endedAt!;
    // A freeze is not an outage: nothing went down.
    expect(changes.slice(from).filter((c) => c.incident.kind === 'down')).toEqual([]);
  });

  it("blackhole region b's path to s1/primary → a regional P1 naming only b; regions a and c stay ok", async () => {
    const from = changes.length;
    const hole = truth(await lab.applyFault({ stream: 's1', line: 'primary', kind: 'proxy', protocol: 'rtmp', mode: 'blackhole' }));
    // s1/primary/down resolved minutes ago (reopen window 10 min): the recurrence reopens it.
    const down = await next((c) => (c.topic === 'incident.opened' || c.topic === 'incident.reopened') && c.incident.key === 's1/primary/down', 10_000, from);
    measured['blackhole rtmp path → regional P1, from lab truth (ms)'] = down.at - hole.startedAt;
    if (down.detectionDelayMs !== undefined) measured['blackhole → recorded detection delay (ms)'] = down.detectionDelayMs;
    expect(down.incident.severity).toBe('P1');
    expect(down.incident.scope).toBe('regional');
    const atOpen = samples.length;
    await sleep(5000);
    // Still one region only, still P1 regional, no probe taken for blind, s2 untouched.
    const inc = hub.hub.incidents.byDedupKey('s1/primary/down')!;
    expect(inc.status).not.toBe('resolved');
    expect(inc.severity).toBe('P1');
    expect(inc.scope).toBe('regional');
    const current = openIncidents();
    expect(current.map((i) => i.key)).toEqual(['s1/primary/down']);
    const others = samples.slice(atOpen).filter((s) => s.stream === 's1' && s.line === 'primary' && s.region !== 'b');
    expect(new Set(others.map((s) => s.region))).toEqual(new Set(['a', 'c']));
    expect(others.filter((s) => !s.connected)).toEqual([]);
    const regionB = samples.slice(atOpen).filter((s) => s.stream === 's1' && s.line === 'primary' && s.region === 'b');
    expect(regionB.length).toBeGreaterThan(0);
    expect(regionB.every((s) => !s.connected)).toBe(true);
    // The detector's evidence since the reopening names region b only.
    expect(down.now).toEqual(['b']);
    // (A change without detector evidence, e.g. the failover's action on the timeline when the stream had failed back by now, names no region.)
    for (const c of changes.slice(from).filter((x) => x.incident.key === 's1/primary/down' && x.now.length > 0)) expect(c.now).toEqual(['b']);
    expect(changes.slice(from).filter((c) => c.incident.key !== 's1/primary/down')).toEqual([]);

    await lab.applyFault({ stream: 's1', line: 'primary', kind: 'proxy', protocol: 'rtmp', mode: 'clear' });
    await next((c) => c.topic === 'incident.resolved' && c.incident.key === 's1/primary/down', 20_000, from);
  });

  it('s2 never had an incident and no probe was ever taken for blind', () => {
    expect(changes.filter((c) => c.incident.stream === 's2' || c.incident.kind === 'blind')).toEqual([]);
  });
});
