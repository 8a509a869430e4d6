import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UplinkBuffer } from '../../probes/uplink/buffer.ts';
import { UplinkClient } from '../../probes/uplink/client.ts';
import { startHub, type HubHandle } from '../../src/app/start.ts';
import { ConfigSchema } from '../../src/config/schema.ts';
import type { Assignment } from '../../src/model/probe-protocol.ts';
import { CLI, runCli, spawnCli } from '../helpers/cli.ts';
import { until } from '../helpers/until.ts';

const dir = mkdtempSync(join(tmpdir(), 'sg-uplink-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('streamguard probe --hub: usage', () => {
  it('names what is missing or wrong, exit 2', async () => {
    const noRegion = await runCli(['probe', '--hub', 'ws://127.0.0.1:1/probes'], { env: { STREAMGUARD_PROBE_TOKEN: 't' } });
    expect(noRegion.code).toBe(2);
    expect(noRegion.stderr).toMatch(/--hub needs --region R/);
    const noToken = await runCli(['probe', '--hub', 'ws://127.0.0.1:1/probes', '--region', 'eu'], { env: { STREAMGUARD_PROBE_TOKEN: '' } });
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toMatch(/no probe token: set STREAMGUARD_PROBE_TOKEN \(or --token-file FILE, --token-env NAME\)/);
    const otherEnv = await runCli(['probe', '--hub', 'ws://127.0.0.1:1/probes', '--region', 'eu', '--token-env', 'MY_TOKEN'], { env: { MY_TOKEN: '' } });
    expect(otherEnv.stderr).toMatch(/set MY_TOKEN/);
    const badUrl = await runCli(['probe', '--hub', 'http://hub/probes', '--region', 'eu'], { env: { STREAMGUARD_PROBE_TOKEN: 't' } });
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toMatch(/--hub must be a ws:\/\/ or wss:\/\/ URL/);
    const badInList = await runCli(['probe', '--hub', 'ws://a/probes,http://b/probes', '--region', 'eu'], { env: { STREAMGUARD_PROBE_TOKEN: 't' } });
    expect([badInList.code, badInList.stderr]).toEqual([2, expect.stringContaining('--hub must be a ws:// or wss:// URL, got "http://b/probes"')]);
    const both = await runCli(['probe', '--hub', 'ws://h/probes', '--url', 'rtmp://h/live/a', '--region', 'eu']);
    expect(both.stderr).toMatch(/do not go together/);
  });
});

describe('streamguard probe --hub: the token from a file, not the command line', () => {
  let hub: HubHandle | undefined;
  afterAll(async () => {
    await hub?.stop();
    delete process.env.SG_FILE_TOKEN;
  });

  /** Runs a probe worker against the hub until it connected (then SIGTERM) or exited; its exit code and stderr. */
  async function probe(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; connected: boolean; stderr: string }> {
    const child = spawnCli(['probe', '--hub', `${hub!.url!.replace('http', 'ws')}/probes`, '--region', 'eu', ...args], { env: { STREAMGUARD_PROBE_TOKEN: '', ...env } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.resume();
    let code: number | null | undefined;
    const exited = new Promise<number | null>((resolve) => child.on('close', (c) => resolve((code = c))));
    const connected = () => hub!.uplink!.status().probes.some((p) => p.connected);
    await until('the probe connected or exited', () => connected() || code !== undefined, 20_000);
    const was = connected();
    child.kill('SIGTERM');
    await exited;
    await until('the probe gone', () => !connected(), 5_000);
    return { code: code ?? null, connected: was, stderr };
  }

  it('--token-file reads the token; --token still works but warns; a wrong or unreadable file is refused', async () => {
    const config = ConfigSchema.parse({
      hub: { listen: '127.0.0.1:0', dataDir: mkdtempSync(join(dir, 'token-file-')) },
      regions: ['eu'],
      probe: { embedded: false },
      uplink: { probes: [{ id: 'probe-eu', region: 'eu', tokenEnv: 'SG_FILE_TOKEN' }] },
      streams: [{ id: 'a', lines: { primary: { url: 'rtmp://127.0.0.1:1/live/a' } } }],
    });
    // The uplink reads probe tokens from the hub's process environment.
    process.env.SG_FILE_TOKEN = 'file-token-0123456789';
    hub = await startHub(config, { probes: false, tickMs: 0 });
    const file = join(dir, 'probe.token');
    writeFileSync(file, 'file-token-0123456789\n', { mode: 0o600 });
    const fromFile = await probe(['--token-file', file]);
    expect([fromFile.connected, fromFile.stderr]).toEqual([true, expect.not.stringMatching(/deprecated/)]);

    const flag = await probe(['--token', 'file-token-0123456789']);
    expect(flag.connected).toBe(true);
    expect(flag.stderr).toMatch(/--token is deprecated: the token shows in `ps`; use --token-file FILE or --token-env NAME/);

    const wrong = join(dir, 'wrong.token');
    writeFileSync(wrong, 'not-the-token\n');
    expect(await probe(['--token-file', wrong])).toMatchObject({ code: 3, connected: false });
    const missing = await runCli(['probe', '--hub', 'ws://127.0.0.1:1/probes', '--region', 'eu', '--token-file', join(dir, 'nonexistent')]);
    expect([missing.code, missing.stderr]).toEqual([2, expect.stringMatching(/--token-file: cannot read .*nonexistent: ENOENT/)]);
    const empty = join(dir, 'empty.token');
    writeFileSync(empty, '\n');
    const blank = await runCli(['probe', '--hub', 'ws://127.0.0.1:1/probes', '--region', 'eu', '--token-file', empty]);
    expect([blank.code, blank.stderr]).toEqual([2, expect.stringMatching(/--token-file: .*empty.token is empty/)]);
  }, 60_000);
});

describe('streamguard run: TLS files', () => {
  it('names an unreadable certificate and exits 1', async () => {
    const file = join(dir, 'tls.yaml');
    writeFileSync(file, `hub: { listen: "127.0.0.1:0", dataDir: ${JSON.stringify(join(dir, 'tls-data'))}, tls: { certFile: /nonexistent/cert.pem, keyFile: /nonexistent/key.pem } }\nprobe: { embedded: false }\nstreams:\n  - { id: a, lines: { primary: { url: "rtmp://127.0.0.1:1/live/a" } } }\n`);
    const r = await runCli(['run', '--config', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/streamguard run: hub\.tls\.certFile: cannot read \/nonexistent\/cert\.pem: ENOENT/);
  });
});

describe('streamguard run: SIGHUP reloads remote probe assignments', () => {
  it('pushes the new assignment to a connected probe; an invalid config is reported and the running one kept', async () => {
    const file = join(dir, 'hub.yaml');
    const write = (streams: string[], extra = '') =>
      writeFileSync(
        file,
        [
          `hub: { listen: "127.0.0.1:0", dataDir: ${JSON.stringify(join(dir, 'data'))} }`,
          'probe: { embedded: false }',
          'regions: [eu]',
          'uplink: { probes: [{ id: probe-eu, region: eu, tokenEnv: SG_CLI_TOKEN }] }',
          'streams:',
          ...streams.map((s) => `  - { id: ${s}, lines: { primary: { url: "rtmp://127.0.0.1:1/live/${s}" } } }`),
          extra,
        ].join('\n'),
      );
    write(['a']);
    const hub = spawn(process.execPath, [CLI, 'run', '--config', file], { env: { ...process.env, SG_CLI_TOKEN: 'cli-token-0123456789', STREAMGUARD_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    hub.stdout.on('data', (d: Buffer) => (out += d.toString()));
    hub.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((r) => hub.on('close', r));
    const assigned: Assignment[] = [];
    let client: UplinkClient | undefined;
    const wait = async (what: string, cond: () => boolean) => {
      const deadline = performance.now() + 20_000;
      while (!cond()) {
        if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}; hub stdout: ${out} stderr: ${err}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    try {
      await wait('the hub', () => /listening on http:\/\/\S+/.test(out));
      const url = /listening on (http:\/\/\S+)/.exec(out)![1]!;
      expect(out).toContain(`remote probes ${url.replace('http', 'ws')}/probes (1 token(s))`);
      client = new UplinkClient({ url: `${url.replace('http', 'ws')}/probes`, token: 'cli-token-0123456789', region: 'eu', buffer: new UplinkBuffer(), onAssign: (a) => assigned.push(a) }).start();
      await wait('the first assignment', () => assigned.length === 1);
      expect(assigned[0]!.targets.map((t) => t.stream)).toEqual(['a']);

      write(['a', 'b']);
      hub.kill('SIGHUP');
      await wait('the reassignment', () => assigned.length === 2);
      expect(assigned[1]!.targets.map((t) => t.stream)).toEqual(['a', 'b']);
      expect(out).toMatch(/SIGHUP: reloaded/);

      write(['a'], 'bogus: 1');
      hub.kill('SIGHUP');
      await wait('the refusal', () => /SIGHUP: .* is invalid; keeping the running config/.test(err));
      expect(err).toMatch(/unknown key\(s\) "bogus"/);
      await new Promise((r) => setTimeout(r, 300));
      expect(assigned).toHaveLength(2);
      expect(client.connected).toBe(true);
    } finally {
      client?.stop();
      hub.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  }, 60_000);
});
