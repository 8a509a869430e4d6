import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Logger } from '../../src/shared/log.ts';
import { DataDirLock, LOCK_FILE } from '../../src/store/lock-file.ts';
import { SqliteStore, StoreOpenError } from '../../src/store/sqlite.ts';
import { until } from '../helpers/until.ts';

const cleanup: (() => void)[] = [];
afterEach(() => cleanup.splice(0).forEach((f) => f()));

function dataDir(): string {
  return mkdtempSync(join(tmpdir(), 'sg-lock-'));
}

function take(dir: string, logger?: Logger): DataDirLock {
  const lock = DataDirLock.acquire(dir, logger);
  if (!(lock instanceof DataDirLock)) throw new Error(`expected to take the lock, held by PID ${lock.pid}`);
  cleanup.push(() => lock.release());
  return lock;
}

/** A logger that keeps its warnings. */
function warnings(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { lines, logger: { warn: (_o: unknown, msg: string) => lines.push(msg) } as unknown as Logger };
}

/** A process that runs until killed. */
async function liveProcess(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'console.log("up"); setInterval(() => {}, 1000)'], { stdio: ['ignore', 'pipe', 'inherit'] });
  cleanup.push(() => child.kill('SIGKILL'));
  await new Promise((resolve) => child.stdout.once('data', resolve));
  return child.pid!;
}

/** The PID of a process that has exited (and been reaped). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

describe('data dir lock file', () => {
  it('holds the PID while taken; a second taker in this process is refused; released, it is gone', () => {
    const dir = dataDir();
    const lock = take(dir);
    expect(lock.file).toBe(join(dir, LOCK_FILE));
    expect(readFileSync(lock.file, 'utf8')).toBe(`${process.pid}\n`);
    expect(DataDirLock.acquire(dir)).toEqual({ file: lock.file, pid: process.pid });
    lock.release();
    expect(existsSync(lock.file)).toBe(false);
    take(dir).release();
  });

  it('a lock whose PID runs is not taken and not touched', async () => {
    const dir = dataDir();
    const pid = await liveProcess();
    writeFileSync(join(dir, LOCK_FILE), `${pid}\n`);
    expect(DataDirLock.acquire(dir)).toEqual({ file: join(dir, LOCK_FILE), pid });
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toBe(`${pid}\n`);
  });

  it('a stale lock (its PID not running, empty, or this PID from a previous run) is taken over with a log line', async () => {
    const pid = await deadPid();
    for (const [content, said] of [
      [`${pid}\n`, `PID ${pid} is not running`],
      ['', 'it holds no PID'],
      [`${process.pid}\n`, `this process's PID ${process.pid} from a previous run`],
    ] as const) {
      const dir = dataDir();
      writeFileSync(join(dir, LOCK_FILE), content);
      const { logger, lines } = warnings();
      const lock = take(dir, logger);
      expect(readFileSync(lock.file, 'utf8')).toBe(`${process.pid}\n`);
      expect(lines).toEqual([expect.stringContaining(said)]);
      expect(readdirSync(dir)).toEqual([LOCK_FILE]); // nothing left aside
    }
  });

  it('several processes taking over one stale lock at the same moment: exactly one gets it', async () => {
    const dir = dataDir();
    writeFileSync(join(dir, LOCK_FILE), `${await deadPid()}\n`);
    const go = join(dir, 'go');
    const lockModule = JSON.stringify(new URL('../../src/store/lock-file.ts', import.meta.url).pathname);
    // Each child spins until `go` exists, so that all of them try at once, then says what it got
    // and keeps what it got until killed.
    const children = Array.from({ length: 6 }, () => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', '-e', `import { DataDirLock } from ${lockModule}; import { existsSync } from 'node:fs';
          console.log('ready');
          while (!existsSync(${JSON.stringify(go)}));
          const r = DataDirLock.acquire(${JSON.stringify(dir)});
          console.log(r instanceof DataDirLock ? 'got' : 'held by ' + r.pid);
          setInterval(() => {}, 1000);`],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      cleanup.push(() => child.kill('SIGKILL'));
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      return { child, out: () => out };
    });
    await until('every child ready', () => children.every((c) => c.out().includes('ready')), 30_000);
    writeFileSync(go, '');
    await until('every child to answer', () => children.every((c) => /got|held by/.test(c.out())), 30_000);
    const winners = children.filter((c) => c.out().includes('got'));
    expect(winners).toHaveLength(1);
    const winner = winners[0]!.child.pid;
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toBe(`${winner}\n`);
    // The others were refused, naming the winner or, while it was taking the stale lock over, a taker.
    for (const c of children) if (c.child.pid !== winner) expect(c.out()).toMatch(/held by \d+/);
  });

  it('release leaves a lock that is no longer this process’s', () => {
    const dir = dataDir();
    const lock = take(dir);
    writeFileSync(lock.file, '424242\n');
    lock.release();
    expect(readFileSync(lock.file, 'utf8')).toBe('424242\n');
  });

  it('SqliteStore: refused with StoreOpenError naming the data dir and the PID while another process holds it', async () => {
    const dir = dataDir();
    const pid = await liveProcess();
    writeFileSync(join(dir, LOCK_FILE), `${pid}\n`);
    const open = () => new SqliteStore(join(dir, 'streamguard.db'));
    expect(open).toThrowError(StoreOpenError);
    expect(open).toThrowError(`${dir}: database is locked by another process (hub PID ${pid} holds ${join(dir, LOCK_FILE)}); is another hub running on this data dir?`);
    expect(existsSync(join(dir, 'streamguard.db'))).toBe(false); // refused before opening anything
  });

  it('SqliteStore: takes the lock on open, releases it on close; a second store on the same dir is refused meanwhile', () => {
    const dir = dataDir();
    const store = new SqliteStore(join(dir, 'streamguard.db'));
    try {
      expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toBe(`${process.pid}\n`);
      expect(() => new SqliteStore(join(dir, 'other.db'))).toThrowError(/this process already has a store open on this data dir/);
    } finally {
      store.close();
    }
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    new SqliteStore(join(dir, 'streamguard.db')).close();
  });
});
