/**
 * Failover delay on a content fault: how long after the primary's picture goes black (or its
 * sound silent) the controller decides to switch to the backup, through the real lab, the real hub
 * with its embedded probes in two regions and the controller (test/helpers/content-lab-hub.ts, the
 * setup of test/e2e/black-failover-lab.test.ts).
 *
 * Each fault: wait until the primary is served and clean, black the primary for --hold seconds,
 * then read the switch to the backup from the hub's audit log (REST) and the fault's start from the
 * lab's truth log (the wall time of the stream time the publisher turned black), and wait for the
 * failback before the next. Delay = switch decided − fault start. A fault with no switch within
 * --timeout seconds is a miss.
 *
 *   npx tsx bench/black-failover.ts --content light --faults 5 [--kind black|silence] [--hold 5] [--json]
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { log } from '../src/common/log.ts';
import { CONTENT_MODES, type ContentMode } from '../src/model/stream.ts';
import { STREAM, startContentLabHub } from '../test/helpers/content-lab-hub.ts';
import { until } from '../test/helpers/until.ts';
import { percentile } from './helpers/soak-score.ts';
import { onStopSignal } from './helpers/stop-signal.ts';

const KINDS = ['black', 'silence'] as const;
type Kind = (typeof KINDS)[number];

const { values } = parseArgs({
  options: {
    content: { type: 'string', default: 'light' },
    kind: { type: 'string', default: 'black' },
    faults: { type: 'string', default: '5' },
    hold: { type: 'string', default: '5' },
    timeout: { type: 'string', default: '15' },
    json: { type: 'boolean', default: false },
  },
  strict: true,
});
const content = CONTENT_MODES.find((m) => m === values.content);
if (!content || content === 'off') fail(`--content must be light or full, not "${values.content}"`);
const kind = KINDS.find((k) => k === values.kind);
if (!kind) fail(`--kind must be one of ${KINDS.join(', ')}, not "${values.kind}"`);
const faults = positive('--faults', values.faults);
const holdMs = positive('--hold', values.hold) * 1000;
const timeoutMs = positive('--timeout', values.timeout) * 1000;

function fail(message: string): never {
  process.stderr.write(`black-failover: ${message}\n`);
  process.exit(2);
}

function positive(name: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) fail(`${name} must be a positive integer, not "${raw}"`);
  return n;
}

interface Run {
  n: number;
  /** Switch decided − fault start, ms; undefined for a miss. */
  delayMs?: number;
  /** The most windows of the primary one region's probe marked impaired during the fault (a starved probe's window is not judged). */
  impaired: number;
  load1: number;
}

async function measure(mode: ContentMode, k: Kind): Promise<Run[]> {
  const env = await startContentLabHub(mode);
  onStopSignal('black-failover', () => env.stop());
  const runs: Run[] = [];
  try {
    await env.ready(30_000);
    for (let n = 1; n <= faults; n++) {
      await until('the primary served', async () => (await env.playing()) === 'primary', 30_000);
      await until('no incident on the primary', async () => (await env.rest.openOn(STREAM, 'primary')).length === 0, 30_000);
      const fault = await env.lab.applyFault({ stream: STREAM, line: 'primary', kind: k, durationMs: holdMs });
      const switched = await env.switchTo('backup', fault.startedAt, timeoutMs).catch(() => undefined);
      const ended = await env.ended(fault, holdMs + 10_000);
      const run: Run = {
        n,
        ...(switched && { delayMs: switched.t - fault.startedAt }),
        impaired: await env.impairedWindows('primary', fault.startedAt, ended.endedAt),
        load1: Math.round(os.loadavg()[0]! * 10) / 10,
      };
      runs.push(run);
      process.stderr.write(`${mode} ${k} #${n}: ${run.delayMs === undefined ? 'no switch (miss)' : `${run.delayMs} ms`}, ${run.impaired} impaired windows, load ${run.load1}\n`);
      if (switched) await env.switchTo('primary', ended.endedAt, 30_000);
    }
  } finally {
    await env.stop();
  }
  return runs;
}

// The lab's and hub's info lines would bury the progress lines; warnings stay.
log.level = process.env.STREAMGUARD_LOG_LEVEL ?? 'warn';
const runs = await measure(content, kind);
const delays = runs.flatMap((r) => (r.delayMs === undefined ? [] : [r.delayMs])).sort((a, b) => a - b);
const summary = { content, kind, faults, holdMs, misses: runs.length - delays.length, p50Ms: percentile(delays, 50), p95Ms: percentile(delays, 95), maxMs: delays.at(-1) ?? null, runs };
if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
else {
  process.stdout.write(`${kind} on the primary, content: ${content}: ${delays.length}/${runs.length} switched; delays ${runs.map((r) => r.delayMs ?? 'miss').join(', ')} ms\n`);
  process.stdout.write(`p50 ${summary.p50Ms} ms, p95 ${summary.p95Ms} ms, max ${summary.maxMs} ms\n`);
}
