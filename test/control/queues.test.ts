import { describe, expect, it } from 'vitest';
import { SerialQueues } from '../../src/control/queues.ts';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('serial queues', () => {
  it('runs the tasks of a key one after another, in order; other keys do not wait', async () => {
    const errors: unknown[] = [];
    const q = new SerialQueues((err) => errors.push(err));
    const log: string[] = [];
    const gate = deferred();
    q.run('s1', async () => {
      log.push('s1 first: start');
      await gate.promise;
      log.push('s1 first: end');
    });
    q.run('s1', async () => void log.push('s1 second'));
    q.run('s2', async () => void log.push('s2'));
    await new Promise<void>((r) => setImmediate(r));
    expect(log).toEqual(['s1 first: start', 's2']);
    gate.resolve();
    await q.idle();
    expect(log).toEqual(['s1 first: start', 's2', 's1 first: end', 's1 second']);
    expect(errors).toEqual([]);
  });

  it('a failing task is reported with its key and does not hold up the next', async () => {
    const errors: [string, string][] = [];
    const q = new SerialQueues((err, key) => errors.push([key, (err as Error).message]));
    const log: string[] = [];
    q.run('s1', async () => {
      throw new Error('actuator blew up');
    });
    q.run('s1', async () => void log.push('after'));
    await q.idle();
    expect(errors).toEqual([['s1', 'actuator blew up']]);
    expect(log).toEqual(['after']);
  });

  it('idle() also waits for tasks queued while it waits', async () => {
    const q = new SerialQueues(() => {});
    const log: string[] = [];
    q.run('s1', async () => {
      q.run('s2', async () => {
        await new Promise<void>((r) => setImmediate(r));
        log.push('queued meanwhile');
      });
    });
    await q.idle();
    expect(log).toEqual(['queued meanwhile']);
    await new SerialQueues(() => {}).idle(); // nothing queued: resolves
  });
});
