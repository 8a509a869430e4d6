import type { Lab, LineName, PlayProtocol, TruthRecord } from '../../src/lab/index.ts';
import type { ScriptedFault } from './soak-score.ts';

export interface FaultTargets {
  /** Streams in config order; kills and blackholes alternate between the first and the last. */
  streams: string[];
  /** A line that is decoded (frozen-picture checks): the only kind of line a freeze can be seen on. */
  decoded: { stream: string; line: LineName };
  /** The protocols the regions play: blackholing a line = blackholing its proxy for each of them. */
  protocols: PlayProtocol[];
}

interface Step {
  kind: 'kill' | 'blackhole' | 'freeze';
  stream: string;
  line: LineName;
}

interface Injected {
  step: Step;
  label: string;
  truthIds: number[];
}

/**
 * The real faults of the soak's scenario (d), in rotation: kill a publisher (restarted after the
 * hold), blackhole a whole line on every region's path (the proxies end it after the hold), freeze a
 * decoded line's picture (for the hold). Each is applied through the lab's fault API; its start and
 * end are read back from the lab's truth log, not from the bench's clock.
 */
export class FaultScript {
  private readonly injected: Injected[] = [];
  private readonly restarts = new Map<string, NodeJS.Timeout>();
  private readonly steps: Step[];

  constructor(
    private readonly lab: Lab,
    private readonly targets: FaultTargets,
    private readonly holdMs: number,
  ) {
    const first = targets.streams[0]!;
    const last = targets.streams.at(-1)!;
    this.steps = [
      { kind: 'kill', stream: first, line: 'primary' },
      { kind: 'blackhole', stream: last, line: 'primary' },
      { kind: 'freeze', ...targets.decoded },
      { kind: 'blackhole', stream: first, line: 'backup' },
      { kind: 'kill', stream: last, line: 'primary' },
    ];
  }

  /** The line the n-th fault of the rotation hits. */
  target(n: number): { stream: string; line: LineName } {
    const { stream, line } = this.steps[n % this.steps.length]!;
    return { stream, line };
  }

  /** Injects the n-th fault of the rotation (0-based); resolves with its label once it took effect. */
  async inject(n: number): Promise<string> {
    const step = this.steps[n % this.steps.length]!;
    const { stream, line } = step;
    const target = `${stream}/${line}`;
    let records: TruthRecord[];
    let label: string;
    switch (step.kind) {
      case 'kill': {
        records = [await this.lab.applyFault({ stream, line, kind: 'kill' })];
        label = `kill ${target} (restart after ${this.holdMs / 1000} s)`;
        this.restarts.set(target, setTimeout(() => void this.restart(stream, line), this.holdMs));
        break;
      }
      case 'blackhole': {
        const proxied = this.targets.protocols.filter((p): p is Exclude<PlayProtocol, 'rtsp'> => p !== 'rtsp');
        records = await Promise.all(proxied.map((protocol) => this.lab.applyFault({ stream, line, kind: 'proxy', protocol, mode: 'blackhole', durationMs: this.holdMs })));
        label = `blackhole ${target} on ${proxied.join(', ')} for ${this.holdMs / 1000} s`;
        break;
      }
      case 'freeze': {
        records = [await this.lab.applyFault({ stream, line, kind: 'freeze', ms: this.holdMs })];
        label = `freeze ${target} for ${this.holdMs / 1000} s`;
        break;
      }
    }
    this.injected.push({ step, label, truthIds: records.map((r) => r.id) });
    return label;
  }

  /** The injected faults with their times from the truth log: the earliest start and the latest end of their records. */
  faults(): ScriptedFault[] {
    const truth = new Map(this.lab.truth().map((r) => [r.id, r]));
    return this.injected.map(({ step, label, truthIds }) => {
      const records = truthIds.map((id) => truth.get(id)!);
      const ends = records.map((r) => r.endedAt);
      return {
        label,
        kind: step.kind,
        detectedAs: step.kind === 'freeze' ? 'degraded' : 'down',
        stream: step.stream,
        line: step.line,
        startedAt: Math.min(...records.map((r) => r.startedAt)),
        ...(ends.every((e) => e !== undefined) && { endedAt: Math.max(...(ends as number[])) }),
      };
    });
  }

  /** Restarts the publishers still killed (the run ended within a hold). */
  async stop(): Promise<void> {
    const pending = [...this.restarts.keys()];
    for (const timer of this.restarts.values()) clearTimeout(timer);
    this.restarts.clear();
    await Promise.all(pending.map((target) => {
      const [stream, line] = target.split('/') as [string, LineName];
      return this.restart(stream, line);
    }));
  }

  private async restart(stream: string, line: LineName): Promise<void> {
    this.restarts.delete(`${stream}/${line}`);
    await this.lab.applyFault({ stream, line, kind: 'start' }).catch((err: Error) => process.stderr.write(`fault script: restarting ${stream}/${line} failed: ${err.message}\n`));
  }
}
