import { execFile, spawn } from 'node:child_process';
import net from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveChildPids, startControlServer, startLab, type ControlServer, type Lab, type PlayProtocol } from '../../src/lab/index.ts';
import { ffprobePath } from '../../src/common/binaries.ts';

const run = promisify(execFile);
let lab: Lab;
let control: ControlServer;

beforeAll(async () => {
  lab = await startLab({ streams: [{ id: 'it' }] });
  control = await startControlServer(lab);
});

afterAll(async () => {
  await control?.close();
  await lab?.stop();
});

async function probeStreams(url: string): Promise<string> {
  const { stdout } = await run(
    ffprobePath,
    ['-v', 'error', '-show_entries', 'stream=codec_name,width,height', '-of', 'compact', url],
    { timeout: 15_000 },
  );
  return stdout;
}

/** Counts packets an ffprobe reader receives; the caller kills it. */
function packetCounter(url: string) {
  const child = spawn(ffprobePath, ['-v', 'error', '-fflags', 'nobuffer', '-show_packets', '-show_entries', 'packet=codec_type', '-of', 'csv', url]);
  const counter = { packets: 0, stop: () => child.kill('SIGKILL') };
  child.stdout.on('data', (chunk: Buffer) => (counter.packets += chunk.toString().split('\n').length - 1));
  return counter;
}

function rawHttpGet(port: number, path: string, windowMs: number): Promise<{ bytes: Buffer; closed: boolean; error?: string }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let closed = false;
    const socket = net.connect(port, '127.0.0.1', () => socket.write(`GET ${path} HTTP/1.1\r\nHost: lab\r\n\r\n`));
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('close', () => (closed = true));
    socket.on('error', (error: NodeJS.ErrnoException) => resolve({ bytes: Buffer.alloc(0), closed: true, error: error.code ?? 'error' }));
    setTimeout(() => {
      socket.destroy();
      resolve({ bytes: Buffer.concat(chunks), closed });
    }, windowMs);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('lab with real streams', () => {
  it('plays H.264 640x360 + AAC over every protocol', async () => {
    const protocols: PlayProtocol[] = ['rtmp', 'http-flv', 'hls', 'rtsp'];
    const outputs = await Promise.all(protocols.map((p) => probeStreams(lab.url('it', 'primary', p))));
    for (const output of outputs) {
      expect(output).toContain('codec_name=h264|width=640|height=360');
      expect(output).toContain('codec_name=aac');
    }
  });

  it('knows the HLS latency truth and the delay fault raises it', async () => {
    const live = lab.hlsLatencyTruthMs('it', 'primary');
    expect(live).toBeGreaterThan(0);
    expect(live).toBeLessThan(2000);
    await lab.applyFault({ stream: 'it', line: 'primary', kind: 'hlsDelay', ms: 3000 });
    // Nothing is served until the lab has 3 s of playlist history.
    let delayed = lab.hlsLatencyTruthMs('it', 'primary');
    for (let i = 0; delayed === undefined && i < 40; i++) {
      await sleep(100);
      delayed = lab.hlsLatencyTruthMs('it', 'primary');
    }
    expect(delayed).toBeGreaterThan(2900);
    await lab.applyFault({ stream: 'it', line: 'primary', kind: 'hlsDelay', ms: 0 });
    expect(lab.hlsLatencyTruthMs('it', 'primary')).toBeLessThan(2000);
  });

  it('kill stops the packets, start brings them back, and truth records both', async () => {
    const reader = packetCounter(lab.url('it', 'backup', 'http-flv'));
    await sleep(2000);
    expect(reader.packets).toBeGreaterThan(20);
    const kill = await lab.applyFault({ stream: 'it', line: 'backup', kind: 'kill' });
    await sleep(300);
    const afterKill = reader.packets;
    await sleep(1500);
    expect(reader.packets).toBe(afterKill);
    reader.stop();
    const start = await lab.applyFault({ stream: 'it', line: 'backup', kind: 'start' });
    const record = lab.truth().find((r) => r.id === kill.id);
    expect(record?.endedAt).toBe(start.startedAt);
    expect(await probeStreams(lab.url('it', 'backup', 'rtmp'))).toContain('codec_name=h264');
  });

  it('proxy refuse gives ECONNREFUSED, clear reopens the same URL', async () => {
    const url = new URL(lab.url('it', 'primary', 'rtmp'));
    await lab.applyFault({ stream: 'it', line: 'primary', kind: 'proxy', protocol: 'rtmp', mode: 'refuse' });
    const refused = await rawHttpGet(Number(url.port), '/', 200);
    expect(refused.error).toBe('ECONNREFUSED');
    await lab.applyFault({ stream: 'it', line: 'primary', kind: 'proxy', protocol: 'rtmp', mode: 'clear' });
    expect(await probeStreams(url.toString())).toContain('codec_name=h264');
  });

  it('proxy garbage answers bytes that are not FLV; blackhole answers nothing and stays open', async () => {
    const url = new URL(lab.url('it', 'primary', 'http-flv'));
    const healthy = await rawHttpGet(Number(url.port), url.pathname, 1000);
    expect(healthy.bytes.toString('latin1')).toContain('FLV');

    await lab.applyFault({ stream: 'it', line: 'primary', kind: 'proxy', protocol: 'http-flv', mode: 'garbage' });
    const garbage = await rawHttpGet(Number(url.port), url.pathname, 500);
    expect(garbage.bytes.length).toBeGreaterThan(1000);
    expect(garbage.bytes.subarray(0, 4).toString('latin1')).not.toBe('HTTP');
    expect(garbage.bytes.indexOf('FLV')).not.toBe(0);

    await lab.applyFault({ stream: 'it', line: 'primary', kind: 'proxy', protocol: 'http-flv', mode: 'blackhole' });
    const hole = await rawHttpGet(Number(url.port), url.pathname, 1000);
    expect(hole.bytes.length).toBe(0);
    expect(hole.closed).toBe(false);
    await lab.applyFault({ stream: 'it', line: 'primary', kind: 'proxy', protocol: 'http-flv', mode: 'clear' });
  });

  it('control server: errors are {error: {code, message}} (400 names the bad field), a good fault returns its truth record', async () => {
    const post = (body: unknown) =>
      fetch(`${control.url}/lab/faults`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    const bad = await post({ stream: 'it', line: 'primary', kind: 'freeze', ms: 'long' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'bad_request', message: expect.stringMatching(/^ms:/) });
    const unknown = await post({ stream: 'nope', line: 'primary', kind: 'freeze', ms: 500 });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: { code: 'not_found', message: 'unknown stream nope' } });
    const form = await fetch(`${control.url}/lab/faults`, { method: 'POST', body: 'stream=it' });
    expect(form.status).toBe(415);
    expect(((await (await fetch(`${control.url}/lab/faults`, { method: 'PUT' })).json()) as { error: { code: string } }).error.code).toBe('method_not_allowed');

    const ok = await post({ stream: 'it', line: 'primary', kind: 'freeze', ms: 500 });
    expect(ok.status).toBe(200);
    const record = (await ok.json()) as { kind: string; startedAt: number };
    expect(record.kind).toBe('freeze');
    const state = (await (await fetch(`${control.url}/lab`)).json()) as { activeFaults: { kind: string }[] };
    expect(state.activeFaults.map((f) => f.kind)).toContain('freeze');
    const cleared = await fetch(`${control.url}/lab/faults`, { method: 'DELETE' });
    expect(((await cleared.json()) as { activeFaults: unknown[] }).activeFaults).toEqual([]);
  });

  it('stop leaves no child process behind and is safe to call twice', async () => {
    const pids = [...liveChildPids()];
    expect(pids.length).toBe(3); // media servers + one publisher per line
    await lab.stop();
    await lab.stop();
    expect(liveChildPids()).toEqual([]);
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
  });
});
