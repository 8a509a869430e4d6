import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CommandActuator, substitute } from '../../src/actuators/command.ts';
import { action } from './helpers.ts';

describe('command actuator (real processes, no shell)', () => {
  it('/bin/true → ok', async () => {
    expect(await new CommandActuator({ name: 'c', argv: ['/bin/true'] }).execute(action())).toMatchObject({ actuator: 'c', ok: true, attempts: 1, exitCode: 0 });
  });

  it('/bin/false → failed with its exit code, retried when asked', async () => {
    expect(await new CommandActuator({ name: 'c', argv: ['/bin/false'] }).execute(action())).toMatchObject({ ok: false, attempts: 1, exitCode: 1, error: 'exit code 1' });
    const r = await new CommandActuator({ name: 'c', argv: ['/bin/false'], retries: 2, backoffMs: 10 }).execute(action());
    expect(r).toMatchObject({ ok: false, attempts: 3, exitCode: 1 });
    expect(r.error).toMatch(/gave up after 3 attempts/);
  });

  it('sleep past the timeout → killed and reported', async () => {
    const started = Date.now();
    const r = await new CommandActuator({ name: 'c', argv: ['sleep', '10'], timeoutMs: 300 }).execute(action());
    expect(r).toMatchObject({ ok: false, exitCode: null, error: 'timed out after 300 ms (killed)' });
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('a missing program is reported', async () => {
    expect(await new CommandActuator({ name: 'c', argv: ['/nonexistent/switch-line'] }).execute(action())).toMatchObject({ ok: false, error: 'program not found: /nonexistent/switch-line' });
  });

  it('arguments with spaces and shell metacharacters are passed literally; placeholders substituted; action in the environment', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-cmd-'));
    const out = join(dir, 'args.json');
    const nasty = `a b; rm -rf / && echo $(whoami) \`id\` | cat > /tmp/x "q" 'q' *`;
    const script = `require('fs').writeFileSync(process.argv[1], JSON.stringify({ args: process.argv.slice(2), action: JSON.parse(process.env.STREAMGUARD_ACTION) }))`;
    const r = await new CommandActuator({ name: 'c', argv: [process.execPath, '-e', script, out, nasty, '{stream}:{from}->{to}', '{feature}', '{nope}'] }).execute(action());
    expect(r).toMatchObject({ ok: true });
    const got = JSON.parse(readFileSync(out, 'utf8')) as { args: string[]; action: { id: string } };
    expect(got.args).toEqual([nasty, 's1:primary->backup', '', '{nope}']);
    expect(got.action.id).toBe(action().id);
  });

  it('substitute', () => {
    expect(substitute('{type} {enabled} {feature}', action({ type: 'feature', feature: 'co-hosting', enabled: false }))).toBe('feature false co-hosting');
  });
});
