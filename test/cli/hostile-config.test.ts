import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'sg-hostile-config-'));

/** Eight levels of aliases, each a list of nine of the previous: 9^8 nodes once expanded. */
function billionLaughs(): string {
  const levels = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
  const lines = [`a: &a [x, x, x, x, x, x, x, x, x]`];
  for (let i = 1; i < levels.length; i++) {
    const prev = `*${levels[i - 1]}`;
    lines.push(`${levels[i]}: &${levels[i]} [${Array(9).fill(prev).join(', ')}]`);
  }
  const path = join(dir, 'laughs.yaml');
  writeFileSync(path, `${lines.join('\n')}\nstreams: []\n`);
  return path;
}

describe('a config that expands aliases without bound', () => {
  const path = billionLaughs();
  for (const command of ['check', 'run']) {
    it(`${command} exits 1 with one clear message, no stack trace`, async () => {
      const r = await runCli([command, '--config', path], { timeoutMs: 20_000 });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`${path}:\\d+:\\d+ .*too many aliases`));
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stderr).not.toContain('ReferenceError');
    });
  }
});
