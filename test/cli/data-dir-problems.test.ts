/**
 * `streamguard run` on a data dir it cannot use: one clear line naming the path and the problem,
 * exit 1, no stack trace.
 */
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'sg-data-dir-'));
const config = join(dir, 'hub.yaml');
writeFileSync(config, ['hub: { listen: "127.0.0.1:0" }', 'probe: { embedded: false }', 'streams: [{ id: s1, lines: { p: { url: "rtmp://127.0.0.1:1/x" } } }]', ''].join('\n'));
const aFile = join(dir, 'a-file');
writeFileSync(aFile, 'not a dir');
// root bypasses file permissions: a read-only or unreadable dir is usable to it.
const isRoot = process.getuid?.() === 0;

async function refused(dataDir: string): Promise<string> {
  const r = await runCli(['run', '--config', config, '--data-dir', dataDir], { timeoutMs: 20_000 });
  expect(r.code).toBe(1);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stderr).not.toMatch(/cannot listen/);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

describe('streamguard run: an unusable data dir', () => {
  it('the data dir is a file', async () => {
    expect(await refused(aFile)).toBe(`streamguard run: data dir ${aFile} is a file, not a directory`);
  });

  it('the data dir is under a file', async () => {
    expect(await refused(join(aFile, 'data'))).toBe(`streamguard run: data dir ${join(aFile, 'data')} cannot be created: ${aFile} is a file, not a directory`);
  });

  it.skipIf(isRoot)('the data dir is read-only (skipped as root: root writes to a 0555 dir)', async () => {
    const ro = join(dir, 'read-only');
    mkdirSync(ro);
    chmodSync(ro, 0o555);
    expect(await refused(ro)).toBe(`streamguard run: data dir ${ro} is not writable (permission denied)`);
  });

  it.skipIf(isRoot)('the data dir cannot be created for lack of permission (skipped as root: permissions do not apply)', async () => {
    const closed = join(dir, 'closed');
    mkdirSync(closed);
    chmodSync(closed, 0o000);
    expect(await refused(join(closed, 'data'))).toBe(`streamguard run: data dir ${join(closed, 'data')} cannot be created: permission denied`);
  });
});
