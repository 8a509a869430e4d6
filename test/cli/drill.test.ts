import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { VendorDesk } from '../../src/lab/index.ts';
import { freePort } from '../probes/helpers/media.ts';
import { runCli } from '../helpers/cli.ts';

const desk = new VendorDesk();
let deskPort: number;
beforeAll(async () => {
  deskPort = await desk.start();
});
afterAll(() => desk.stop());

it('streamguard drill reaches every channel, says which answered, and fails if one did not', async () => {
  const closed = await freePort();
  const config = join(mkdtempSync(join(tmpdir(), 'sg-drill-')), 'c.yaml');
  writeFileSync(
    config,
    [
      'streams: [{ id: s1, lines: { primary: { url: "rtmp://127.0.0.1/live/s1" } } }]',
      'vendors:',
      `  - { name: desk, type: desk, url: "http://127.0.0.1:${deskPort}" }`,
      `  - { name: im, type: slack, url: "http://127.0.0.1:${closed}/hook", use: escalation }`,
      'escalation: { chain: [{ name: ops IM group, channel: im }] }',
      '',
    ].join('\n'),
  );
  const r = await runCli(['drill', '--config', config, '--by', 'tester']);
  expect(r.code).toBe(1);
  expect(r.stdout).toMatch(/SOME CHANNELS FAILED/);
  expect(r.stdout).toMatch(/ok +desk \(desk;/);
  expect(r.stdout).toMatch(/FAIL im \(slack;/);
  expect(desk.tickets).toHaveLength(1);
  expect(JSON.stringify(desk.tickets[0])).toMatch(/drill|test/i);

  const deskOnly = await runCli(['drill', '--config', config, '--only', 'desk']);
  expect(deskOnly.code).toBe(0);
  const unknown = await runCli(['drill', '--config', config, '--only', 'nope']);
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toMatch(/no vendor named "nope"/);
}, 30_000);
