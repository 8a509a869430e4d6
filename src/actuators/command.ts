import { execFile } from 'node:child_process';
import type { ActionType } from './config-schema.ts';
import { accepts, withRetries, type Actuator, type ActuatorResult, type ControlAction, type ExecuteOptions } from './types.ts';

/**
 * Command actuator: runs a program with an argument list — no shell, so nothing in an argument
 * is ever interpreted. Placeholders inside arguments are replaced by the action's values:
 * `{id} {type} {stream} {from} {to} {url} {feature} {enabled} {reason} {incident} {severity}`
 * (missing values become ""). The whole action is in the environment as `STREAMGUARD_ACTION`
 * (JSON). Exit code 0 = done; anything else, a signal or the timeout (SIGKILL) = failed, retried
 * `retries` times with backoff.
 */

export interface CommandOptions {
  name: string;
  argv: readonly string[];
  timeoutMs?: number;
  retries?: number;
  backoffMs?: number;
  maxBackoffMs?: number;
  actions?: readonly ActionType[];
  streams?: readonly string[];
  env?: NodeJS.ProcessEnv;
}

export function substitute(arg: string, action: ControlAction): string {
  const values: Record<string, string | undefined> = {
    id: action.id,
    type: action.type,
    stream: action.stream,
    from: action.from,
    to: action.to,
    url: action.url,
    feature: action.feature,
    enabled: action.enabled === undefined ? undefined : String(action.enabled),
    reason: action.reason,
    incident: action.incidentId,
    severity: action.severity,
  };
  return arg.replace(/\{([a-z]+)\}/g, (m, key: string) => (key in values ? (values[key] ?? '') : m));
}

interface RunOutcome {
  exitCode: number | null;
  error?: string;
}

export class CommandActuator implements Actuator {
  readonly kind = 'command';
  readonly name: string;
  private readonly o: Required<Pick<CommandOptions, 'timeoutMs' | 'retries' | 'backoffMs' | 'maxBackoffMs'>> & CommandOptions;

  constructor(opts: CommandOptions) {
    if (opts.argv.length === 0 || !opts.argv[0]) throw new Error(`command actuator "${opts.name}": argv needs at least the program`);
    this.name = opts.name;
    this.o = { timeoutMs: 5000, retries: 0, backoffMs: 500, maxBackoffMs: 10_000, ...opts };
  }

  accepts(action: ControlAction): boolean {
    return accepts({ ...(this.o.actions && { actions: this.o.actions }), ...(this.o.streams && { streams: this.o.streams }) }, action);
  }

  execute(action: ControlAction, opts: ExecuteOptions = {}): Promise<ActuatorResult> {
    const [program, ...rest] = this.o.argv.map((a) => substitute(a, action));
    return withRetries(this.name, this.o, opts.signal, async () => {
      const out = await this.run(program!, rest, action, opts.signal);
      return { ...(out.error !== undefined && { error: out.error }), retryable: true, detail: { exitCode: out.exitCode } };
    });
  }

  private run(program: string, args: string[], action: ControlAction, signal?: AbortSignal): Promise<RunOutcome> {
    return new Promise((resolve) => {
      const child = execFile(
        program,
        args,
        {
          shell: false,
          timeout: this.o.timeoutMs,
          killSignal: 'SIGKILL',
          maxBuffer: 1024 * 1024,
          env: { ...(this.o.env ?? process.env), STREAMGUARD_ACTION: JSON.stringify(action), STREAMGUARD_ACTION_ID: action.id },
          ...(signal && { signal }),
        },
        (err, _stdout, stderr) => {
          if (!err) return resolve({ exitCode: 0 });
          const e = err as NodeJS.ErrnoException & { killed?: boolean; signal?: string | null; code?: number | string };
          const tail = String(stderr ?? '').trim().split('\n').slice(-3).join(' | ').slice(0, 300);
          if (typeof e.code === 'string') return resolve({ exitCode: null, error: `${e.code === 'ENOENT' ? 'program not found' : e.code}: ${program}` });
          if (e.killed && e.signal === 'SIGKILL' && !signal?.aborted) return resolve({ exitCode: null, error: `timed out after ${this.o.timeoutMs} ms (killed)` });
          if (typeof e.code === 'number') return resolve({ exitCode: e.code, error: `exit code ${e.code}${tail ? `: ${tail}` : ''}` });
          return resolve({ exitCode: null, error: `killed by ${e.signal ?? 'signal'}` });
        },
      );
      child.stdin?.end();
    });
  }
}
