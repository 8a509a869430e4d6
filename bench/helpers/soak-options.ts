import { parseArgs } from 'node:util';
import { durationSchema } from '../../src/model/duration.ts';
import type { Scenario } from './soak-report.ts';

export const SOAK_USAGE = `usage: npx tsx bench/soak-trust.ts [--scenario a|b|c|d] [--minutes N] [--json] [options]

Runs the demo's setup (config/demo.yaml: 2 streams × 2 lines × 3 regions, one remote probe process
per region, the lab's real streams and vendor desk) for N measured minutes and scores the hub's
incidents, switches and tickets against what the scenario did:
  a  nothing
  b  CPU contention: burner processes take --burn-cores of the machine for the first half of every --burn-period
  c  network jitter on one region's path: every line's proxy for --jitter-region holds each chunk --delay-ms ± --jitter-ms
  d  a real fault every --fault-every (kill a publisher, blackhole a line, freeze a picture), each for --fault-hold

options:
  --scenario a|b|c|d     (default a)
  --minutes N            measured minutes, after every view is healthy (default 30)
  --json                 one JSON object on stdout instead of the table (progress stays on stderr)
  --tolerance D          after a fault's end, its incidents, switches and failback still count as its own (default 30s)
  --burn-cores N         (b) cores the burners take (default 1.5)
  --burn-period D        (b) burn the first half of every period (default the run's length, at most 10m)
  --jitter-region R      (c) the region whose path jitters (default the demo's first region)
  --delay-ms N           (c) the mean delay per chunk (default 300)
  --jitter-ms N          (c) ± uniform jitter per chunk, ≤ --delay-ms (default 300)
  --fault-every D        (d) time between scripted faults (default 3m; a fault waits up to 20 s for its line to have no open incident)
  --fault-hold D         (d) how long each fault lasts (default a third of --fault-every, at most 30s)
  -h, --help             this text
Durations: "90s", "3m", or milliseconds. Exit 0 when the scenario's goal is met, 1 when not, 2 on bad usage, 3 when the run failed.`;

export interface SoakOptions {
  scenario: Scenario;
  minutes: number;
  json: boolean;
  toleranceMs: number;
  burnCores: number;
  burnPeriodMs: number;
  jitterRegion?: string;
  delayMs: number;
  jitterMs: number;
  faultEveryMs: number;
  faultHoldMs: number;
}

/** A mistake on the command line: printed with the usage hint, exit 2. */
export class SoakUsageError extends Error {}

function duration(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = durationSchema.safeParse(/^\d+$/.test(value) ? Number(value) : value);
  if (!parsed.success || parsed.data <= 0) throw new SoakUsageError(`--${name}: expected a duration like "90s" or "3m" (or milliseconds), got "${value}"`);
  return parsed.data;
}

function number(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) throw new SoakUsageError(`--${name}: expected a number from ${min} to ${max}, got "${value}"`);
  return n;
}

/** Parses the bench's arguments; undefined when --help was asked (the usage is printed by the caller). */
export function parseSoakOptions(argv: string[], cores: number): SoakOptions | undefined {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        scenario: { type: 'string', default: 'a' },
        minutes: { type: 'string' },
        json: { type: 'boolean', default: false },
        tolerance: { type: 'string' },
        'burn-cores': { type: 'string' },
        'burn-period': { type: 'string' },
        'jitter-region': { type: 'string' },
        'delay-ms': { type: 'string' },
        'jitter-ms': { type: 'string' },
        'fault-every': { type: 'string' },
        'fault-hold': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    throw new SoakUsageError((err as Error).message);
  }
  if (values.help) return undefined;
  if (!['a', 'b', 'c', 'd'].includes(values.scenario)) throw new SoakUsageError(`--scenario: expected a, b, c or d, got "${values.scenario}"`);
  const minutes = number('minutes', values.minutes, 30, 0.5, 24 * 60);
  const runMs = minutes * 60_000;
  const delayMs = number('delay-ms', values['delay-ms'], 300, 1, 600_000);
  const jitterMs = number('jitter-ms', values['jitter-ms'], 300, 0, 600_000);
  if (jitterMs > delayMs) throw new SoakUsageError(`--jitter-ms (${jitterMs}) must not exceed --delay-ms (${delayMs}): a chunk cannot be held for a negative time`);
  const faultEveryMs = duration('fault-every', values['fault-every'], 180_000);
  const burnCores = number('burn-cores', values['burn-cores'], 1.5, 0.1, cores);
  return {
    scenario: values.scenario as Scenario,
    minutes,
    json: values.json,
    toleranceMs: duration('tolerance', values.tolerance, 30_000),
    burnCores,
    burnPeriodMs: duration('burn-period', values['burn-period'], Math.min(600_000, runMs)),
    ...(values['jitter-region'] !== undefined && { jitterRegion: values['jitter-region'] }),
    delayMs,
    jitterMs,
    faultEveryMs,
    faultHoldMs: duration('fault-hold', values['fault-hold'], Math.min(30_000, Math.round(faultEveryMs / 3))),
  };
}
