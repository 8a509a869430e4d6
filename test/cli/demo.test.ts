import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { CLI } from '../helpers/cli.ts';

/**
 * What `npm start` runs, as a real process: lab, hub, probes in three regions; then Ctrl-C. It runs
 * from a directory that is not the package, as an installed streamguard does: its default config
 * and the lab's media servers (node + tsx) come from the package.
 */
it('streamguard demo serves the hub with samples from every region and stops cleanly on SIGINT', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sg-demo-'));
  const cwd = mkdtempSync(join(tmpdir(), 'sg-demo-cwd-'));
  const child = spawn(process.execPath, [CLI, 'demo', '--no-scenario', '--data-dir', dataDir], { cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.resume();
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const deadline = performance.now() + 30_000;
    let regions = new Set<string>();
    while (performance.now() < deadline && regions.size < 3) {
      await new Promise((r) => setTimeout(r, 1000));
      const res = await fetch('http://127.0.0.1:8080/api/v1/streams/show1/samples?from=0').catch(() => undefined);
      if (!res?.ok) continue;
      const body = (await res.json()) as { samples: { region: string; connected: boolean }[] };
      regions = new Set(body.samples.filter((s) => s.connected).map((s) => s.region));
    }
    expect([...regions].sort()).toEqual(['cn-east', 'cn-south', 'sg']);
    expect(stdout).toMatch(/streamguard demo: hub http:\/\/127\.0\.0\.1:8080/);
    const lab = (await (await fetch('http://127.0.0.1:8090/lab')).json()) as { streams: { id: string }[] };
    expect(lab.streams.map((s) => s.id)).toEqual(['show1', 'call1']);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    // Publishers (they push to 127.0.0.1:19350) and probes (they pull from 194xx) are gone.
    const left = spawnSync('pgrep', ['-af', '127\\.0\\.0\\.1:(19350|194[0-9][0-9])'], { encoding: 'utf8' }).stdout.trim();
    expect(left).toBe('');
  } finally {
    if (child.exitCode === null) process.kill(-child.pid!, 'SIGKILL');
  }
}, 60_000);
