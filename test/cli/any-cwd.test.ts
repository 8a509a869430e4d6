import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import type { LabDescription } from '../../src/lab/index.ts';
import { runCli, spawnCli } from '../helpers/cli.ts';
import { descendants } from '../helpers/descendants.ts';
import { gone } from '../helpers/gone.ts';
import { until } from '../helpers/until.ts';

/** An installed streamguard, or `npx --prefix CHECKOUT`, runs with some other working directory. */
const elsewhere = mkdtempSync(join(tmpdir(), 'sg-cwd-'));

it('--help and check work from a directory that is not the package', async () => {
  const help = await runCli(['--help'], { cwd: elsewhere });
  expect(help.code).toBe(0);
  expect(help.stdout).toMatch(/^usage: streamguard/);
  const config = fileURLToPath(new URL('../../config/demo.yaml', import.meta.url));
  const check = await runCli(['check', '--config', config], { cwd: elsewhere });
  expect(check.stderr).toBe('');
  expect(check.code).toBe(0);
  expect(check.stdout).toContain(`${config}: ok (2 streams`);
});

it("lab starts from another directory, takes the README's avShift fault with a negative --ms, and leaves no process behind", async () => {
  const lab = spawnCli(['lab', '--streams', 'call1', '--protocols', 'rtmp', '--control-port', '0'], { cwd: elsewhere });
  let stdout = '';
  let stderr = '';
  lab.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  lab.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => lab.on('exit', (code) => resolve(code)));
  try {
    const control = await until(
      'the lab to print its control URL',
      () => {
        if (lab.exitCode !== null) throw new Error(`streamguard lab exited with ${lab.exitCode}: ${stderr}`);
        return /^control: (http:\/\/127\.0\.0\.1:\d+)\/lab/m.exec(stdout)?.[1];
      },
      45_000,
    );
    const described = (await (await fetch(`${control}/lab`)).json()) as LabDescription;
    expect(described.streams.map((s) => s.id)).toEqual(['call1']);
    expect(described.streams[0]!.lines.primary.running).toBe(true);

    const fault = await runCli(['fault', '--lab', control, '--stream', 'call1', '--line', 'primary', '--kind', 'avShift', '--ms', '-300'], { cwd: elsewhere });
    expect(fault.stderr).toBe('');
    expect(fault.code).toBe(0);
    const active = ((await (await fetch(`${control}/lab`)).json()) as LabDescription).activeFaults;
    expect(active).toMatchObject([{ kind: 'avShift', stream: 'call1', line: 'primary', params: { ms: -300 } }]);

    // The media servers (node + tsx) and one publisher (ffmpeg) per line run below the lab.
    const children = descendants(lab.pid!);
    expect(children.length).toBeGreaterThanOrEqual(3);
    process.kill(lab.pid!, 'SIGTERM');
    expect(await exited).toBe(0);
    await until('every process the lab started to be gone', () => children.every(gone), 15_000);
  } finally {
    if (lab.exitCode === null && lab.signalCode === null) process.kill(lab.pid!, 'SIGKILL');
  }
});
