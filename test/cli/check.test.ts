import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'sg-check-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('streamguard check', () => {
  it('exits 0 on the shipped demo and example configs', async () => {
    for (const config of ['config/demo.yaml', 'config/example.yaml']) {
      const r = await runCli(['check', '--config', config]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/ok \(\d+ streams/);
    }
  });

  it('exits 1 listing every error with its YAML path', async () => {
    const path = file(
      'bad.yaml',
      ['streams:', '  - id: a', '    lines: { primary: { url: rtmp://h/a } }', '  - id: b', '    lines: {}', '  - id: c', '    lines:', '      backup: { url: "htp://h/c" }', ''].join('\n'),
    );
    const r = await runCli(['check', '--config', path]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${path}:8:22 streams[2].lines.backup.url: unsupported scheme "htp"`);
    expect(r.stderr).toMatch(/streams\[1\]\.lines: a stream needs at least one line/);
    expect(r.stderr).toContain('2 error(s)');
  });

  it('exits 1 naming a missing file, 2 on a bad option', async () => {
    const missing = await runCli(['check', '--config', join(dir, 'nope.yaml')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nope\.yaml: cannot read/);
    const bad = await runCli(['check', '--conf', 'x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/Unknown option '--conf'/);
  });
});
