import Database from 'better-sqlite3';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Logger } from '../../src/common/log.ts';
import { DataDirLock, LOCK_FILE } from '../../src/store/lock-file.ts';
import { StoreOpenError } from '../../src/store/open-error.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';

// The holding process never reads the lock file itself (closing a descriptor of it would drop its
// own lock): what a lock holds is seen from other processes, as a second hub sees it.

const cleanup: (() => void)[] = [];
afterEach(() => cleanup.splice(0).forEach((f) => f()));

const lockModule = JSON.stringify(new URL('../../src/store/lock-file.ts', import.meta.url).pathname);

function dataDir(): string {
  return mkdtempSync(join(tmpdir(), 'sg-lock-'));
}

/** A logger that keeps its warnings. */
function warnings(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { lines, logger: { warn: (_o: unknown, msg: string) => lines.push(msg) } as unknown as Logger };
}

interface Taker {
  child: ChildProcess;
  /** Started (and spinning, when given a `go` file). */
  ready: Promise<void>;
  /** `got` (plus the warning logged, if any) or `held by PID|starting`. */
  answer: Promise<string>;
}

/**
 * Another process that tries to take the lock (once `go` exists, if given), answers, and holds
 * what it got until killed.
 */
function taker(dir: string, go?: string): Taker {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '-e',
      `import { DataDirLock } from ${lockModule}; import { existsSync } from 'node:fs';
       console.log('ready');
       const go = ${JSON.stringify(go ?? null)};
       while (go && !existsSync(go));
       const warned = [];
       const r = DataDirLock.acquire(${JSON.stringify(dir)}, { warn: (_o, msg) => warned.push(msg) });
       globalThis.lock = r;
       console.log(r instanceof DataDirLock ? ['got', ...warned].join(' ') : 'held by ' + (r.pid ?? 'starting'));
       setInterval(() => {}, 1000);`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  cleanup.push(() => child.kill('SIGKILL'));
  let out = '';
  let onReady: () => void = () => undefined;
  let onAnswer: (line: string) => void = () => undefined;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  const answer = new Promise<string>((resolve) => (onAnswer = resolve));
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.includes('ready')) onReady();
    const line = out.split('\n').find((l) => l.startsWith('got') || l.startsWith('held by'));
    if (line) onAnswer(line);
  });
  return { child, ready, answer };
}

async function kill9(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

function take(dir: string, logger?: Logger): DataDirLock {
  const lock = DataDirLock.acquire(dir, logger);
  if (!(lock instanceof DataDirLock)) throw new Error(`expected to take the lock, held by PID ${lock.pid}`);
  cleanup.push(() => lock.release());
  return lock;
}

describe('data dir lock file', () => {
  it('while taken, another process is refused with this PID, and this process too; released cleanly, the next taker logs nothing', async () => {
    const dir = dataDir();
    const lock = take(dir);
    expect(lock.file).toBe(join(dir, LOCK_FILE));
    expect(await taker(dir).answer).toBe(`held by ${process.pid}`);
    expect(DataDirLock.acquire(dir)).toEqual({ file: lock.file, pid: process.pid, byThisProcess: true });
    lock.release();
    expect(await taker(dir).answer).toBe('got');
  });

  it('the same dir through a symlink is the same lock (and refusing it leaves the lock held)', async () => {
    const dir = dataDir();
    const link = `${dir}-link`;
    symlinkSync(dir, link);
    const lock = take(dir);
    expect(DataDirLock.acquire(link)).toEqual({ file: lock.file, pid: process.pid, byThisProcess: true });
    expect(await taker(dir).answer).toBe(`held by ${process.pid}`);
  });

  it('held by a running process: refused, naming it', async () => {
    const dir = dataDir();
    const holder = taker(dir);
    expect(await holder.answer).toBe('got');
    expect(DataDirLock.acquire(dir)).toEqual({ file: join(dir, LOCK_FILE), pid: holder.child.pid, byThisProcess: false });
  });

  it('left by a process killed with -9: taken over, with a log line naming it', async () => {
    const dir = dataDir();
    const holder = taker(dir);
    expect(await holder.answer).toBe('got');
    await kill9(holder.child);
    const { logger, lines } = warnings();
    take(dir, logger);
    expect(lines).toEqual([`taking over a stale data dir lock ${join(dir, LOCK_FILE)}: hub PID ${holder.child.pid} did not release it (it crashed or was killed)`]);
    expect(readdirSync(dir)).toEqual([LOCK_FILE]); // no journal or other file beside it
  });

  it('left with this process’s own PID (a container restarted: the hub is PID 1 again): taken over, not mistaken for a running hub', () => {
    const dir = dataDir();
    const previous = new Database(join(dir, LOCK_FILE));
    previous.pragma(`user_version = ${process.pid}`);
    previous.close();
    const { logger, lines } = warnings();
    take(dir, logger);
    expect(lines).toEqual([expect.stringContaining(`hub PID ${process.pid} did not release it`)]);
  });

  it('several processes taking it at the same moment: exactly one gets it, the others name it', async () => {
    const dir = dataDir();
    const go = join(dir, 'go');
    // Each spins until `go` exists, so that all of them try at once.
    const takers = Array.from({ length: 6 }, () => taker(dir, go));
    await Promise.all(takers.map((t) => t.ready));
    writeFileSync(go, '');
    const answers = await Promise.all(takers.map((t) => t.answer));
    const winners = takers.filter((_, i) => answers[i] === 'got');
    expect(winners).toHaveLength(1);
    expect(answers.filter((a) => a !== 'got')).toEqual(Array(5).fill(`held by ${winners[0]!.child.pid}`));
  });

  it('SqliteStore: refused with StoreOpenError naming the data dir and the PID, before opening anything', async () => {
    const dir = dataDir();
    const holder = taker(dir);
    expect(await holder.answer).toBe('got');
    const open = () => new SqliteStore(join(dir, 'streamguard.db'));
    expect(open).toThrowError(StoreOpenError);
    expect(open).toThrowError(`${dir}: database is locked by another process (hub PID ${holder.child.pid} holds ${join(dir, LOCK_FILE)}); is another hub running on this data dir?`);
    expect(existsSync(join(dir, 'streamguard.db'))).toBe(false);
  });

  it('SqliteStore: holds the lock while open (a second store on the dir is refused), releases it on close', async () => {
    const dir = dataDir();
    const store = new SqliteStore(join(dir, 'streamguard.db'));
    try {
      expect(() => new SqliteStore(join(dir, 'other.db'))).toThrowError(/this process already has a store open on this data dir/);
      expect(await taker(dir).answer).toBe(`held by ${process.pid}`);
    } finally {
      store.close();
    }
    expect(await taker(dir).answer).toBe('got');
  });

  it('closing a store twice leaves the lock of a later store on the same dir alone', async () => {
    const dir = dataDir();
    const first = new SqliteStore(join(dir, 'streamguard.db'));
    first.close();
    const later = new SqliteStore(join(dir, 'streamguard.db'));
    try {
      first.close();
      expect(await taker(dir).answer).toBe(`held by ${process.pid}`);
    } finally {
      later.close();
    }
    expect(await taker(dir).answer).toBe('got');
  });

  it('a file that is not a lock file: refused, saying so', () => {
    const dir = dataDir();
    writeFileSync(join(dir, LOCK_FILE), 'x'.repeat(200));
    expect(() => new SqliteStore(join(dir, 'streamguard.db'))).toThrowError(`${dir}: cannot lock the data dir: ${join(dir, LOCK_FILE)}: not a data dir lock file (SQLITE_NOTADB); if no hub runs on ${dir}, remove it`);
  });
});
