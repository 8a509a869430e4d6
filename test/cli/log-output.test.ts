import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { closedPort, spawnHub, until, type HubProcess } from '../helpers/processes.ts';

/**
 * What `streamguard run` writes to stderr for a dead line: one "line down", then a summary per
 * 10 s instead of a line per reconnect attempt; JSON when stderr is not a terminal, human lines
 * with --log-format pretty.
 */

const dir = mkdtempSync(join(tmpdir(), 'sg-log-output-'));
const hubs: HubProcess[] = [];

afterEach(async () => {
  for (const h of hubs.splice(0)) await h.kill9();
});

/** A hub config with one stream whose one line is refused (nothing listens on its port). */
async function deadLineConfig(name: string): Promise<string> {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    [
      `hub: { listen: "127.0.0.1:0", dataDir: ${JSON.stringify(join(dir, name))} }`,
      'probe: { regions: [eu] }',
      'streams:',
      '  - id: s1',
      '    lines:',
      `      primary: { url: "rtmp://127.0.0.1:${await closedPort()}/live/s1" }`,
      '',
    ].join('\n'),
  );
  return file;
}

/** Starts the hub and stops it with SIGTERM (a clean stop) once `done` is seen on stderr. */
async function runUntil(args: string[], env: NodeJS.ProcessEnv, done: RegExp, timeoutMs: number): Promise<string> {
  const hub = spawnHub(args, { STREAMGUARD_LOG_LEVEL: 'info', ...env });
  hubs.push(hub);
  await until(`${done} on the hub's stderr`, () => done.test(hub.stderr()), timeoutMs);
  hub.child.kill('SIGTERM');
  expect(await hub.exited).toBe(0);
  return hub.stderr();
}

describe('streamguard run: logs of a dead line', () => {
  it('JSON when stderr is not a terminal; "line down" once, then one "still down" summary', async () => {
    const stderr = await runUntil(['--config', await deadLineConfig('json')], { STREAMGUARD_LOG_FORMAT: undefined }, /still down, \d+ retr/, 30_000);
    const lines = stderr.split('\n').filter((l) => l !== '');
    const records = lines.map((l) => JSON.parse(l) as { msg: string; component?: string; stream?: string });
    const lineStates = records.filter((r) => /^line (down|up)/.test(r.msg));
    expect(lineStates.length).toBeLessThanOrEqual(3);
    expect(lineStates[0]).toMatchObject({ msg: 'line down (refused)', component: 'probe', stream: 's1' });
    const summaries = records.filter((r) => r.msg.startsWith('still down'));
    expect(summaries).toHaveLength(1);
    expect(summaries[0]!.msg).toMatch(/^still down, \d+ retr(y|ies) in the last 1\d s \(refused\)$/);
    // A binding key is set once: no line carries two "component" keys.
    for (const l of lines) expect(l.split('"component":').length).toBeLessThanOrEqual(2);
  }, 40_000);

  it('--log-format pretty: human lines with a UTC time of day, no JSON', async () => {
    const stderr = await runUntil(['--config', await deadLineConfig('pretty'), '--log-format', 'pretty'], {}, /line down/, 20_000);
    expect(stderr).toMatch(/^\d\d:\d\d:\d\d WARN: probe eu s1\/primary \[rtmp\]: line down \(refused\)/m);
    expect(stderr).not.toContain('{"level"');
    const time = /^(\d\d:\d\d):\d\d WARN: probe/m.exec(stderr)![1]!;
    const utcNow = new Date().toISOString().slice(11, 16);
    expect([utcNow, new Date(Date.now() - 60_000).toISOString().slice(11, 16)]).toContain(time);
  }, 30_000);

  it('a --log-format that is not a format is a usage error naming the option', async () => {
    const hub = spawnHub(['--config', await deadLineConfig('bad'), '--log-format', 'yaml']);
    hubs.push(hub);
    expect(await hub.exited).toBe(2);
    expect(hub.stderr()).toContain('streamguard run: --log-format must be one of auto, pretty, json, got "yaml"');
  });
});
