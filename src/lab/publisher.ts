import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { ffmpegPath } from '../common/binaries.ts';
import { log } from '../common/log.ts';
import { hasExited, killAndWait, track, waitExit } from '../common/children.ts';
import { publisherArgs, type Encoding, type PublisherOutput, type Scene } from './publisher-args.ts';
import { StreamClock } from './stream-clock.ts';

const COMMAND_TIMEOUT_MS = 3000;
const COMMAND_REPLY = /^Command reply for stream \d+: ret:(-?\d+)/;
const VIDEO_PACING_RESET = /^\[realtime@v @ [^\]]+\] time discontinuity detected: (-?\d+) us/;
const PROGRESS_TIME = /^out_time_ms=(\d+)$/;

interface PendingCommand {
  resolve: (appliedAtMs: number) => void;
  reject: (error: Error) => void;
}

/**
 * One running ffmpeg publisher for one line. Owns the process, its stdin command channel,
 * and the stream clock fed by its progress reports. Not restartable: the line makes a new one.
 */
export class Publisher {
  readonly startedAtMs = Date.now();
  readonly clock = new StreamClock();
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly pending: PendingCommand[] = [];
  private commandChain: Promise<unknown> = Promise.resolve();
  private readonly logger;
  private readonly firstProgress: Promise<void>;

  constructor(
    readonly name: string,
    readonly encoding: Encoding,
    scene: Scene,
    outputs: readonly PublisherOutput[],
  ) {
    // stdin must stay a pipe: it is ffmpeg's runtime command channel.
    this.child = spawn(ffmpegPath, publisherArgs(encoding, scene, outputs), { stdio: ['pipe', 'pipe', 'pipe'] });
    track(this.child, { killOnSignal: true });
    this.logger = log.child({ component: 'lab-publisher', line: name, pid: this.child.pid });
    this.child.stdin.on('error', () => {
      // EPIPE after the process died; the exit handler already failed pending commands.
    });
    const stdout = createInterface({ input: this.child.stdout });
    this.firstProgress = new Promise((resolve, reject) => {
      stdout.once('line', () => resolve());
      this.child.once('exit', () => reject(new Error(`publisher ${name} exited before publishing`)));
    });
    this.firstProgress.catch(() => undefined); // a publisher killed early is not an error by itself
    stdout.on('line', (line) => {
      const progress = PROGRESS_TIME.exec(line);
      if (progress?.[1]) this.clock.observe(Date.now(), Number(progress[1]) / 1000);
    });
    createInterface({ input: this.child.stderr }).on('line', (line) => this.onStderr(line));
    this.child.once('exit', (code, signal) => {
      this.logger.info({ code, signal }, 'publisher exited');
      for (const p of this.pending.splice(0)) p.reject(new Error(`publisher ${name} exited`));
    });
  }

  /** Resolves once ffmpeg reports output progress: its outputs are open and media flows. */
  ready(): Promise<void> {
    return this.firstProgress;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return !hasExited(this.child);
  }

  /**
   * Sends a runtime filter command and resolves with the wall time ffmpeg confirmed it.
   * Commands are serialised because replies carry no id.
   */
  command(text: string): Promise<number> {
    // Before its first output ffmpeg has no configured graph and silently drops commands.
    const run = () => this.firstProgress.then(() => this.send(text));
    const result = this.commandChain.then(run, run);
    this.commandChain = result.catch(() => undefined);
    return result;
  }

  private send(text: string): Promise<number> {
    return new Promise<number>((resolve, reject) => {
        if (!this.running) return reject(new Error(`publisher ${this.name} is not running`));
        const timer = setTimeout(() => {
          const i = this.pending.indexOf(entry);
          if (i >= 0) this.pending.splice(i, 1);
          reject(new Error(`publisher ${this.name}: no reply to command ${text.trim()}`));
        }, COMMAND_TIMEOUT_MS);
        const entry: PendingCommand = {
          resolve: (at) => (clearTimeout(timer), resolve(at)),
          reject: (error) => (clearTimeout(timer), reject(error)),
        };
        this.pending.push(entry);
        this.child.stdin.write(text);
      });
  }

  /** SIGSTOP: the process (and so the stream) stalls without closing any connection. */
  pause(): void {
    this.signal('SIGSTOP');
  }

  resume(): void {
    this.signal('SIGCONT');
  }

  kill(): Promise<void> {
    return killAndWait(this.child);
  }

  exited(): Promise<void> {
    return waitExit(this.child);
  }

  private signal(signal: NodeJS.Signals): void {
    if (this.child.pid !== undefined && this.running) process.kill(this.child.pid, signal);
  }

  private onStderr(line: string): void {
    const reply = COMMAND_REPLY.exec(line);
    if (reply) {
      const pending = this.pending.shift();
      const ret = Number(reply[1]);
      if (ret === 0) pending?.resolve(Date.now());
      else pending?.reject(new Error(`publisher ${this.name}: command failed, ret ${ret}`));
      return;
    }
    const reset = VIDEO_PACING_RESET.exec(line);
    if (reset?.[1]) {
      this.clock.discontinuity(Date.now(), Number(reset[1]));
      return;
    }
    if (line.startsWith('Enter command') || line.trim() === '') return;
    this.logger.debug({ ffmpeg: line }, 'ffmpeg');
  }
}
