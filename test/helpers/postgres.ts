import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { freePort } from '../../src/lab/ports.ts';
import { until } from './until.ts';

/**
 * A throwaway PostgreSQL cluster for one test file: initdb into a temp dir, started with pg_ctl on
 * a free port of 127.0.0.1 (its unix socket in the temp dir, never the system's), tuned for speed
 * (no fsync: the tests crash nothing but processes), stopped by the postmaster's PID and removed.
 *
 * initdb and postgres refuse to run as root: as root the cluster runs as `nobody`, owning its dir.
 * initdb and pg_ctl are taken from PATH, else from the newest /usr/lib/postgresql/N/bin (where
 * Debian's package puts them; scripts/install-postgres.sh installs it in CI). Without them
 * `postgresMissing` says why and the PostgreSQL tests skip.
 */

/** The directory of initdb and pg_ctl, if any. */
const BIN = binDir();

/** Why PostgreSQL tests cannot run here, or undefined when they can. */
export const postgresMissing: string | undefined = BIN ? undefined : 'initdb/pg_ctl not found on PATH nor in /usr/lib/postgresql/*/bin (scripts/install-postgres.sh installs PostgreSQL): PostgreSQL tests skipped';

export interface ThrowawayPostgres {
  /** `postgres://postgres@127.0.0.1:PORT/postgres` (trust auth: no password). */
  readonly url: string;
  readonly port: number;
  /** A new empty database on the cluster; its URL. */
  createDatabase(): Promise<string>;
  /** Stops the postmaster (by PID) and removes the cluster's dir. Idempotent. */
  stop(): Promise<void>;
}

const SUPERUSER = 'postgres';

export async function startPostgres(): Promise<ThrowawayPostgres> {
  if (postgresMissing) throw new Error(postgresMissing);
  const dir = mkdtempSync(join(tmpdir(), 'sg-pg-'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) chownSync(dir, uid('nobody'), gid('nobody'));
  const run = (name: string, args: string[]) => {
    const cmd = join(BIN!, name);
    return asRoot ? execFileSync('runuser', ['-u', 'nobody', '--', cmd, ...args], { stdio: 'pipe' }) : execFileSync(cmd, args, { stdio: 'pipe' });
  };
  const data = join(dir, 'data');
  let pid: number | undefined;
  const stop = async () => {
    if (pid !== undefined) {
      // SIGQUIT: immediate shutdown (nothing here needs to survive), then wait for it to be gone.
      signal(pid, 'SIGQUIT');
      const gone = pid;
      await until(`postgres PID ${gone} to exit`, () => !alive(gone), 10_000, 20);
      pid = undefined;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    run('initdb', ['-D', data, '-U', SUPERUSER, '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
    const port = await freePort();
    const settings = ['-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'shared_buffers=16MB', '-c', 'max_connections=40'];
    run('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-w', '-t', '30', '-o', settings.join(' '), 'start']);
    pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    const url = `postgres://${SUPERUSER}@127.0.0.1:${port}/postgres`;
    let databases = 0;
    return {
      url,
      port,
      createDatabase: async () => {
        const name = `sg_${process.pid}_${++databases}`;
        const admin = new pg.Client({ connectionString: url });
        await admin.connect();
        try {
          await admin.query(`CREATE DATABASE ${name}`);
        } finally {
          await admin.end();
        }
        return `postgres://${SUPERUSER}@127.0.0.1:${port}/${name}`;
      },
      stop,
    };
  } catch (err) {
    const log = readOr(join(dir, 'log'));
    await stop();
    throw new Error(`starting a throwaway PostgreSQL failed: ${(err as Error).message}${log ? `\n${log}` : ''}`);
  }
}

function binDir(): string | undefined {
  const found = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  const onPath = found.status === 0 ? dirname(found.stdout.trim()) : undefined;
  const root = '/usr/lib/postgresql';
  const debian = existsSync(root)
    ? readdirSync(root)
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
        .map((v) => join(root, v, 'bin'))
    : [];
  return [onPath, ...debian].find((dir) => dir !== undefined && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')));
}

function uid(user: string): number {
  return Number(execFileSync('id', ['-u', user]).toString().trim());
}

function gid(user: string): number {
  return Number(execFileSync('id', ['-g', user]).toString().trim());
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function readOr(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/**
 * A throwaway server for the tests of one file: started before them, stopped after them (after
 * the file's own afterAll hooks, which may still need it). Call it at the top level; the getter
 * answers the server inside tests and later hooks. Skip the tests with `postgresMissing`.
 */
export function usePostgres(): () => ThrowawayPostgres {
  let server: ThrowawayPostgres | undefined;
  beforeAll(async () => {
    if (!postgresMissing) server = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });
  return () => {
    if (!server) throw new Error(postgresMissing ?? 'the throwaway PostgreSQL did not start');
    return server;
  };
}
