import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ConfigSchema } from '../../src/config/schema.ts';
import { startHub, type HubHandle } from '../../src/app/start.ts';
import type { Sample } from '../../src/model/sample.ts';
import { dashboardExprs, loadDashboard, substitute } from './dashboard.ts';
import { freePort, missingPrometheus, PROM_DIR, waitFor } from './helpers.ts';

/**
 * A real Prometheus (Debian's package) scraping a real hub every second with the shipped
 * config/prometheus/ files: only the scrape target, the intervals (1 s) and the rule file path
 * are changed in a temp copy, and Alertmanager is left out. The P0/P1 rules are the shipped
 * ones (for: 0s).
 */
const missing = missingPrometheus();
const REGIONS = ['eu', 'us'];

interface PromAlert { labels: Record<string, string>; state: 'pending' | 'firing' | 'inactive'; activeAt?: string }
interface PromRule { name: string; type: string; health: string; lastError?: string; query: string }

describe.skipIf(missing !== undefined)(`real Prometheus scraping the hub${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let tmp: string;
  let hub: HubHandle | undefined;
  let prom: ChildProcess | undefined;
  let promUrl: string;
  let promLog = '';
  let seq = 0;

  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${promUrl}${path}`);
    const body = (await res.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`${path}: ${body.error}`);
    return body.data;
  };
  const query = (q: string) => api<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(`/api/v1/query?query=${encodeURIComponent(q)}`).then((d) => d.result);
  const alerts = () => api<{ alerts: PromAlert[] }>('/api/v1/alerts').then((d) => d.alerts);

  const ingest = (stream: string, line: string, region: string, up: boolean) => {
    seq++;
    const s: Sample = { probe: `p-${region}`, region, stream, line, seq, t: Date.now() + seq, windowMs: 1000, connected: up, fps: up ? 25 : 0, bitrateBps: up ? 1e6 : 0, maxGapMs: up ? 40 : 1000, stallMs: up ? 0 : 1000, freezeMs: 0, ...(up && { latencyMs: 1500, avSyncMs: 20 }) };
    hub!.ingest(s, { trusted: true });
  };

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'sg-prom-'));
    const config = ConfigSchema.parse({
      hub: { listen: '127.0.0.1:0', dataDir: join(tmp, 'hub') },
      regions: REGIONS,
      detector: { startupGraceWindows: 0 },
      streams: ['a', 'b'].map((id) => ({ id, lines: { primary: { url: `rtmp://127.0.0.1/live/${id}` }, backup: { url: `http://127.0.0.1:8000/live/${id}.flv` } } })),
    });
    hub = await startHub(config, { probes: false, listen: '127.0.0.1:0', tickMs: 0 });
    // Every line healthy to begin with: the series exist, nothing is open.
    for (const r of REGIONS) for (const s of ['a', 'b']) for (const l of ['primary', 'backup']) ingest(s, l, r, true);
    hub.hub.tick();

    const shipped = parse(readFileSync(join(PROM_DIR, 'prometheus.yml'), 'utf8')) as Record<string, any>;
    const job = (shipped.scrape_configs as Record<string, any>[]).find((j) => j.job_name === 'streamguard');
    expect(job, 'shipped prometheus.yml has a streamguard job').toBeDefined();
    job!.static_configs = [{ targets: [new URL(hub.url!).host] }];
    job!.scrape_interval = '1s';
    job!.scrape_timeout = '1s';
    shipped.global = { ...shipped.global, scrape_interval: '1s', evaluation_interval: '1s', scrape_timeout: '1s' };
    shipped.rule_files = (shipped.rule_files as string[]).map((f) => join(PROM_DIR, f));
    delete shipped.alerting;
    writeFileSync(join(tmp, 'prometheus.yml'), stringify(shipped));

    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    prom = spawn('prometheus', [`--config.file=${join(tmp, 'prometheus.yml')}`, `--web.listen-address=127.0.0.1:${port}`, `--storage.tsdb.path=${join(tmp, 'tsdb')}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    prom.stdout!.on('data', (d) => (promLog += d));
    prom.stderr!.on('data', (d) => (promLog += d));
    const exited = new Promise<never>((_, reject) => prom!.once('exit', (code) => reject(new Error(`prometheus exited ${code}:\n${promLog.slice(-2000)}`))));
    await Promise.race([exited, waitFor('prometheus /-/ready', async () => ((await fetch(`${promUrl}/-/ready`)).ok ? true : undefined), 20_000)]);
  });

  afterAll(async () => {
    const p = prom;
    if (p?.pid !== undefined && p.exitCode === null) {
      const gone = new Promise((r) => p.once('exit', r));
      process.kill(p.pid, 'SIGTERM');
      const t = setTimeout(() => p.pid !== undefined && p.exitCode === null && process.kill(p.pid, 'SIGKILL'), 5_000);
      await gone;
      clearTimeout(t);
    }
    await hub?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('scrapes the hub: up == 1 and the streamguard series are there with their labels', async () => {
    const up = await waitFor('up{job="streamguard"} == 1', async () => {
      const r = await query('up{job="streamguard"}');
      return r[0]?.value[1] === '1' ? r[0] : undefined;
    });
    expect(up.metric.instance).toBe(new URL(hub!.url!).host);
    const names = await waitFor('streamguard_* series', async () => {
      const r = await query('count by (__name__) ({__name__=~"streamguard_.+"})');
      const n = new Set(r.map((x) => x.metric.__name__));
      return n.has('streamguard_probe_up') && n.has('streamguard_incidents_open') ? n : undefined;
    });
    for (const m of ['probe_up', 'fps', 'bitrate_bps', 'stall_ratio', 'latency_seconds', 'av_sync_seconds', 'line_health', 'incidents_open', 'samples_total', 'active_line', 'detection_delay_seconds_count', 'action_delay_seconds_count']) {
      expect(names, `streamguard_${m} scraped`).toContain(`streamguard_${m}`);
    }
    const probeUp = await query('streamguard_probe_up{job="streamguard"}');
    expect(probeUp).toHaveLength(2 * 2 * REGIONS.length);
    expect(probeUp.every((s) => s.value[1] === '1')).toBe(true);
    expect(Object.keys(probeUp[0]!.metric).sort()).toEqual(['__name__', 'instance', 'job', 'line', 'region', 'stream']);
    const open = await query('sum(streamguard_incidents_open)');
    expect(open[0]?.value[1]).toBe('0');
  });

  it('loads the shipped alert rules, and they evaluate without errors', async () => {
    const rules = await waitFor('rules evaluated', async () => {
      const d = await api<{ groups: { name: string; rules: PromRule[] }[] }>('/api/v1/rules');
      const all = d.groups.flatMap((g) => g.rules);
      return all.length > 0 && all.every((r) => r.health === 'ok') ? { groups: d.groups.map((g) => g.name), all } : undefined;
    });
    expect(rules.groups).toEqual(expect.arrayContaining(['streamguard-incidents', 'streamguard-probes', 'streamguard-hub']));
    const names = rules.all.map((r) => r.name);
    expect(names).toEqual(expect.arrayContaining(['StreamguardP0IncidentOpen', 'StreamguardP1IncidentOpen', 'StreamguardProbeDown', 'StreamguardLineDown', 'StreamguardHubDown']));
    expect(rules.all.every((r) => r.type === 'alerting')).toBe(true);
    // Nothing is wrong yet (StreamguardHubMetricsAbsent may be pending from an evaluation before the first scrape: wait it out).
    await waitFor('no alerts while every line is healthy', async () => ((await alerts()).length === 0 ? true : undefined), 10_000);
  });

  it('a P0 and a P1 opened by synthetic samples fire the P0/P1 alerts; probe/line down go pending', async () => {
    // Stream a: both lines down everywhere → P0 (+ P1 on the other line). Stream b: primary down, backup fine → P1.
    for (const r of REGIONS) {
      ingest('a', 'primary', r, false);
      ingest('a', 'backup', r, false);
      ingest('b', 'primary', r, false);
      ingest('b', 'backup', r, true);
    }
    hub!.hub.tick();
    const opened = Date.now();
    const firing = await waitFor('P0 and P1 alerts firing', async () => {
      const a = await alerts();
      const by = (n: string) => a.find((x) => x.labels.alertname === n && x.state === 'firing');
      const p0 = by('StreamguardP0IncidentOpen');
      const p1 = by('StreamguardP1IncidentOpen');
      return p0 && p1 ? { p0, p1, all: a } : undefined;
    });
    console.log(`P0/P1 alerts firing ${Date.now() - opened} ms after the incidents opened (scrape and evaluation every 1 s)`);
    expect(firing.p0.labels).toMatchObject({ severity: 'P0', job: 'streamguard' });
    expect(firing.p1.labels).toMatchObject({ severity: 'P1', job: 'streamguard' });
    const p0 = await query('streamguard_incidents_open{severity="P0"}');
    expect(p0[0]?.value[1]).toBe('1');
    // The 30 s rules are pending (not firing) on the down probes and lines.
    const pending = await waitFor('probe/line down pending', async () => {
      const a = await alerts();
      const pd = a.filter((x) => x.labels.alertname === 'StreamguardProbeDown');
      const ld = a.filter((x) => x.labels.alertname === 'StreamguardLineDown');
      return pd.length === 3 * REGIONS.length && ld.length === 3 * REGIONS.length ? [...pd, ...ld] : undefined;
    });
    expect(pending.every((x) => x.state === 'pending')).toBe(true);
    expect(pending.find((x) => x.labels.alertname === 'StreamguardProbeDown' && x.labels.stream === 'b' && x.labels.line === 'backup')).toBeUndefined();
  });

  it('every query of the Grafana dashboard runs on this Prometheus; the health grid shows the down lines', async () => {
    const exprs = dashboardExprs(loadDashboard());
    expect(exprs.length).toBeGreaterThan(20);
    for (const { title, expr } of exprs) {
      await expect(query(substitute(expr)), `${title}: ${expr}`).resolves.toBeInstanceOf(Array);
    }
    const grid = exprs.find((e) => e.title === 'Line health')!;
    const cells = await query(substitute(grid.expr));
    expect(cells).toHaveLength(2 * 2 * REGIONS.length);
    const down = cells.filter((c) => c.value[1] === '2').map((c) => `${c.metric.stream}/${c.metric.line}/${c.metric.region}`).sort();
    expect(down).toEqual(['a/backup/eu', 'a/backup/us', 'a/primary/eu', 'a/primary/us', 'b/primary/eu', 'b/primary/us']);
  });

  it('the hub stopped: up == 0 and StreamguardHubDown goes pending', async () => {
    await hub!.stop();
    hub = undefined;
    const down = await waitFor('StreamguardHubDown pending', async () => {
      const a = await alerts();
      return a.find((x) => x.labels.alertname === 'StreamguardHubDown');
    });
    expect(down.state).toBe('pending');
    expect((await query('up{job="streamguard"}'))[0]?.value[1]).toBe('0');
  });
});
