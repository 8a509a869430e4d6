import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/lab/ports.ts';
import { gone } from './gone.ts';
import { until } from './until.ts';

/**
 * A throwaway NATS server with JetStream for one test: `nats-server -js -sd <tempdir> -a 127.0.0.1
 * -p <free port>`, stopped by its PID. `kill()` and `restart()` keep the port and the store dir, so
 * a test can take NATS away and bring it back with its streams and consumers as they were.
 * Without the binary `natsMissing` says why and the NATS tests skip.
 */

const BINARY = ['/usr/sbin/nats-server', '/usr/local/bin/nats-server', '/usr/bin/nats-server'].find((p) => existsSync(p));

/** Why NATS tests cannot run here, or undefined when they can. */
export const natsMissing: string | undefined = BINARY ? undefined : 'nats-server not found (/usr/sbin, /usr/local/bin, /usr/bin): NATS tests skipped';

export interface ThrowawayNats {
  readonly url: string;
  /** SIGKILL, waits until the process is gone: NATS unreachable, its store kept. */
  kill(): Promise<void>;
  /** Starts it again on the same port and store dir; resolves once it is ready. */
  restart(): Promise<void>;
  /** Kills it and removes the store dir. Idempotent. */
  stop(): Promise<void>;
}

export async function startNats(): Promise<ThrowawayNats> {
  if (natsMissing) throw new Error(natsMissing);
  const dir = mkdtempSync(join(tmpdir(), 'sg-nats-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  const launch = async () => {
    let output = '';
    const c = spawn(BINARY!, ['-js', '-sd', dir, '-a', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
    c.stderr!.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
    child = c;
    // "Server is ready" is logged once JetStream has recovered its streams and the port listens.
    await until(`nats-server on 127.0.0.1:${port} to be ready`, () => {
      if (c.exitCode !== null) throw new Error(`nats-server exited ${c.exitCode}: ${output}`);
      return output.includes('Server is ready');
    }, 10_000, 20);
  };
  const kill = async () => {
    const c = child;
    child = undefined;
    if (!c?.pid) return;
    c.kill('SIGKILL');
    await until(`nats-server PID ${c.pid} to exit`, () => gone(c.pid!), 10_000, 20);
  };
  await launch();
  return {
    url: `nats://127.0.0.1:${port}`,
    kill,
    restart: launch,
    stop: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
