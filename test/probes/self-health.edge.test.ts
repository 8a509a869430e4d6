import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProbeHealthThresholds } from '../../src/model/probe-health.ts';
import { SampleSchema, type Sample } from '../../src/model/sample.ts';
import { descendants } from '../helpers/descendants.ts';
import { gone } from '../helpers/gone.ts';
import { placed, type Placement } from '../helpers/placement.ts';
import { until } from '../helpers/until.ts';
import { publish, startMediaServer, stopProcess, type MediaServer } from './helpers/media.ts';

/**
 * A probe process watching a real stream (node-media-server, an ffmpeg publisher) is stopped, then
 * starved, and must say so in its samples instead of reporting the stream late. The host's CPU
 * pressure (PSI) is left out of these runs: on a shared test machine it may be saturated by other
 * work all along, and what is tested here is what the probe sees of itself.
 */

const SCRIPT = fileURLToPath(new URL('./helpers/probe-process.ts', import.meta.url));
const WITHOUT_PSI: Partial<ProbeHealthThresholds> = { cpuPressurePct: false };
/** Longer than the default time jump (1 s) and than the RTMP watchdog (1 s). */
const STOP_MS = 1500;
/** The burners end by themselves after this even if the test is killed. */
const BURN_MS = 25_000;

interface ProbeProcess {
  proc: ChildProcess;
  samples: Sample[];
  until(what: string, pred: (s: Sample) => boolean, timeoutMs: number): Promise<Sample>;
  stop(): Promise<void>;
}

function startProbe(url: string, health: Partial<ProbeHealthThresholds>, placement: Placement = {}): ProbeProcess {
  const { command, args } = placed(placement, process.execPath, ['--import', 'tsx', SCRIPT, url, JSON.stringify(health)]);
  const proc = spawn(command, args, { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, STREAMGUARD_LOG_LEVEL: 'warn' } });
  const samples: Sample[] = [];
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    const parsed = SampleSchema.safeParse(JSON.parse(line));
    if (parsed.success) samples.push(parsed.data);
  });
  const closed = new Promise<void>((resolve) => proc.once('close', () => resolve()));
  return {
    proc,
    samples,
    until: (what, pred, timeoutMs) => until(what, () => samples.find(pred), timeoutMs),
    async stop() {
      const children = descendants(proc.pid!);
      proc.kill('SIGCONT');
      proc.kill('SIGTERM');
      const escalate = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await closed;
      clearTimeout(escalate);
      for (const pid of children) {
        if (!gone(pid)) process.kill(pid, 'SIGKILL');
      }
      await until('the probe process children to be gone', () => children.every(gone), 5000);
    },
  };
}

describe('a probe knows when it cannot see', () => {
  let nms: MediaServer;
  let publisher: ChildProcess;
  let url: string;

  beforeAll(async () => {
    nms = await startMediaServer();
    url = `rtmp://127.0.0.1:${nms.rtmpPort}/live/watched`;
    publisher = publish(url);
  });
  afterAll(async () => {
    await stopProcess(publisher);
    await nms?.stop();
  });

  it('stopped for 1.5 s (SIGSTOP): the window across the stop is a time jump, later windows are clean, the line is never called down', async () => {
    const probe = startProbe(url, WITHOUT_PSI);
    try {
      await probe.until('a connected, clean window', (s) => s.connected && s.impaired === undefined, 30_000);
      process.kill(probe.proc.pid!, 'SIGSTOP');
      // The stimulus: how long the probe stays stopped (not a wait for a condition).
      await new Promise((r) => setTimeout(r, STOP_MS));
      const resumedAt = Date.now();
      process.kill(probe.proc.pid!, 'SIGCONT');

      const across = await probe.until('the window across the stop', (s) => s.t >= resumedAt, 10_000);
      expect(across.impaired).toBe('time-jump');
      expect(across.windowMs).toBeGreaterThanOrEqual(STOP_MS);
      const clean = await probe.until('a clean window after the stop', (s) => s.t > resumedAt + across.windowMs && s.impaired === undefined, 15_000);
      await probe.until('two more windows', (s) => s.seq >= clean.seq + 2, 10_000);

      const after = probe.samples.filter((s) => s.t >= resumedAt);
      // Only the window across the stop, and the next one when it read media that waited through it.
      const jumps = after.filter((s) => s.impaired === 'time-jump');
      expect(jumps.length).toBeLessThanOrEqual(2);
      for (const s of jumps) expect(s.seq).toBeLessThanOrEqual(across.seq + 1);
      // The stream never stopped: a probe that was not watching must not report it down.
      expect(after.filter((s) => !s.connected)).toEqual([]);
    } finally {
      await probe.stop();
    }
  });

  it('starved by CPU burners: its samples carry an impairment; once they are gone, clean again', async () => {
    // The probe and the burners share one CPU, and the probe yields to them (nice 10): it is starved
    // whatever else the host runs. At equal priority the kernel's scheduler favours a mostly
    // sleeping probe over busy loops, and it measured fine (no impairment to see, none reported).
    const probe = startProbe(url, WITHOUT_PSI, { cpus: '0', nice: 10 });
    const burners: ChildProcess[] = [];
    try {
      await probe.until('a connected window', (s) => s.connected, 30_000);
      const startedAt = Date.now();
      const burn = placed({ cpus: '0' }, process.execPath, ['-e', `const end = Date.now() + ${BURN_MS}; for (;;) if (Date.now() > end) break;`]);
      for (let i = 0; i < 4; i++) burners.push(spawn(burn.command, burn.args, { stdio: 'ignore' }));
      const starved = await probe.until('an impaired window under the burners', (s) => s.t > startedAt && s.impaired !== undefined, BURN_MS - 5000);
      expect(['child-late', 'event-loop', 'timer-late', 'time-jump']).toContain(starved.impaired);

      await Promise.all(burners.map(stopProcess));
      const stoppedAt = Date.now();
      await probe.until('a clean window once the burners are gone', (s) => s.t > stoppedAt && s.impaired === undefined, 20_000);
    } finally {
      await Promise.all(burners.map(stopProcess));
      await probe.stop();
    }
  });
});
