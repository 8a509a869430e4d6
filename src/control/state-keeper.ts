import type { Ownership } from '../cluster/ownership.ts';
import type { Logger } from '../common/log.ts';
import type { ControlStateRepository } from '../store/ports.ts';
import { fencedWrite } from './fenced-write.ts';

/**
 * Writes a stream's control state when it changed, behind the controller (which stays
 * synchronous): a document equal to the last one written is not written again, and a stream's
 * writes go one after another, so the stored one is always the newest. A failed write is logged
 * and the next change writes the whole document again. Only while this hub acts on the stream,
 * each write under its shard's fence (fenced-write.ts): a former owner overwrites nothing.
 */
export class ControlStateKeeper {
  private readonly written = new Map<string, string>();
  private readonly writing = new Map<string, Promise<void>>();

  constructor(
    private readonly repository: Pick<ControlStateRepository, 'save' | 'remove'>,
    private readonly ownership: Ownership,
    private readonly log: Logger | undefined,
  ) {}

  /** The document as restored from the store: equal ones are not written again. */
  known(stream: string, data: unknown): void {
    this.written.set(stream, JSON.stringify(data));
  }

  changed(stream: string, data: unknown, at: number): void {
    const text = JSON.stringify(data);
    if (this.written.get(stream) === text) return;
    this.written.set(stream, text);
    const unwritten = () => {
      if (this.written.get(stream) === text) this.written.delete(stream);
    };
    this.then(stream, () =>
      fencedWrite(this.ownership, stream, 'saving the stream state', this.log, (fence) => this.repository.save(stream, data, at, fence)).then(
        (outcome) => {
          if (outcome !== 'written') unwritten();
        },
        (err: unknown) => {
          unwritten();
          this.log?.error({ err, stream }, 'control: saving the stream state failed; the next change saves it whole');
        },
      ),
    );
  }

  /** The stream left the config: its state goes too (by the hub acting on it: another one's is not this one's to drop). */
  forget(stream: string): void {
    this.written.delete(stream);
    if (!this.ownership.actingOn(stream)) return;
    this.then(stream, () => this.repository.remove(stream).catch((err: unknown) => this.log?.error({ err, stream }, 'control: removing the state of a removed stream failed')));
  }

  /** Another hub acts on the stream now: what was written is no longer known here (its state stays stored). */
  release(stream: string): void {
    this.written.delete(stream);
  }

  /** Resolves when every write called so far has finished. */
  async settled(): Promise<void> {
    await Promise.all([...this.writing.values()]);
  }

  private then(stream: string, write: () => Promise<void>): void {
    const next = (this.writing.get(stream) ?? Promise.resolve()).then(write);
    this.writing.set(stream, next);
    void next.then(() => {
      if (this.writing.get(stream) === next) this.writing.delete(stream);
    });
  }
}
