import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { missingPrometheus, PROM_DIR } from './helpers.ts';

const missing = missingPrometheus();

function promtool(...args: string[]): string {
  const r = spawnSync('promtool', args, { cwd: PROM_DIR, encoding: 'utf8', timeout: 30_000 });
  const out = `${r.stdout}${r.stderr}`;
  if (r.status !== 0) throw new Error(`promtool ${args.join(' ')} exited ${r.status}:\n${out}`);
  return out;
}

describe.skipIf(missing !== undefined)(`promtool on config/prometheus/${missing ? ` (skipped: ${missing})` : ''}`, () => {
  it('prometheus.yml is a valid config and finds its rule file', () => {
    const out = promtool('check', 'config', 'prometheus.yml');
    expect(out).toMatch(/SUCCESS: 1 rule files found/);
    expect(out).toMatch(/SUCCESS: prometheus\.yml is valid prometheus config file syntax/);
  });

  it('alerts.yml passes promtool check rules', () => {
    expect(promtool('check', 'rules', 'alerts.yml')).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('alerts.yml passes its unit tests (alerts.test.yml)', () => {
    expect(promtool('test', 'rules', 'alerts.test.yml')).toMatch(/SUCCESS/);
  });
});
