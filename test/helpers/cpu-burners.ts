import { spawnChild, type Child } from '../../src/common/children.ts';
import { procCpuMs } from './cpu-time.ts';
import { placed, type Placement } from './placement.ts';

/** A busy loop for a whole core, until the deadline (ms since the epoch) in `end`. */
const SPIN = 'while (Date.now() < end) {}';
/** A busy loop for a share of a core: spin for share × 100 ms, sleep the rest (Atomics.wait sleeps without a timer). */
const spinShare = (share: number) =>
  `const cell = new Int32Array(new SharedArrayBuffer(4)); while (Date.now() < end) { const t = Date.now(); while (Date.now() - t < ${share * 100}) {} Atomics.wait(cell, 0, 0, ${(1 - share) * 100}); }`;

export interface CpuBurnersOptions extends Placement {
  /** Each burner ends by itself this long after it started, even if its parent is killed before stop(). */
  endAfterMs?: number;
}

/** One period of burning: when, how many cores asked, how many the burners got (their CPU time ÷ wall time). */
export interface BurnWindow {
  from: number;
  to: number;
  cores: number;
  usedCores: number;
}

/**
 * CPU contention: child processes (plain `node -e` busy loops) that ask for `cores` cores, e.g.
 * 1.5 = one spinning process and one spinning half of every 100 ms; with a placement, only on those
 * CPUs (they share them) and at that nice value (else the starter's). Started through the
 * child-process registry with killOnSignal, so a SIGINT or an exit of their parent kills them;
 * stop() stops them by PID and measures what they used.
 */
export class CpuBurners {
  private running: { children: Child[]; from: number } | undefined;
  readonly windows: BurnWindow[] = [];

  constructor(
    private readonly cores: number,
    private readonly opts: CpuBurnersOptions = {},
  ) {
    if (!(cores > 0)) throw new Error(`CpuBurners: cores must be > 0, got ${cores}`);
  }

  get burning(): boolean {
    return this.running !== undefined;
  }

  start(): void {
    if (this.running) return;
    const whole = Math.floor(this.cores);
    const share = this.cores - whole;
    const end = this.opts.endAfterMs === undefined ? 'Infinity' : `Date.now() + ${this.opts.endAfterMs}`;
    const scripts = [...Array<string>(whole).fill(SPIN), ...(share > 0.01 ? [spinShare(share)] : [])].map((loop) => `const end = ${end}; ${loop}`);
    const children = scripts.map((script) => {
      const { command, args } = placed(this.opts, process.execPath, ['-e', script]);
      return spawnChild(command, args, { stdio: 'ignore', killOnSignal: true });
    });
    this.running = { children, from: Date.now() };
  }

  async stop(): Promise<void> {
    const running = this.running;
    if (!running) return;
    this.running = undefined;
    const to = Date.now();
    const cpuMs = running.children.reduce((sum, c) => sum + (c.pid === undefined ? 0 : cpuMsOrZero(c.pid)), 0);
    await Promise.all(running.children.map((c) => c.stop()));
    this.windows.push({ from: running.from, to, cores: this.cores, usedCores: Math.round((cpuMs / Math.max(1, to - running.from)) * 100) / 100 });
  }
}

function cpuMsOrZero(pid: number): number {
  try {
    return procCpuMs(pid);
  } catch {
    return 0; // already gone: its time is lost, the window shows less than it got
  }
}
