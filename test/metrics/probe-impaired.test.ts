import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../src/config/schema.ts';
import { startHub, type HubHandle } from '../../src/app/start.ts';
import type { Sample } from '../../src/model/sample.ts';

/**
 * streamguard_probe_impaired{probe,region,reason} (the detector's impairment episode) and
 * streamguard_probe_impaired_samples_total: labels only from the config (uplink probes, the
 * embedded hub-<region> probes, their regions; reasons from the schema's closed list).
 */

let handle: HubHandle | undefined;
afterEach(async () => {
  await handle?.stop();
  handle = undefined;
});

const T0 = 1_700_000_000_000;
let now = T0;
let seq = 0;
function sample(over: Partial<Sample>): Sample {
  return { probe: 'probe-eu', region: 'eu', stream: 's1', line: 'primary', seq: ++seq, t: now, windowMs: 1000, connected: true, fps: 25, bitrateBps: 1e6, maxGapMs: 40, stallMs: 0, freezeMs: 0, ...over };
}

async function scrape(h: HubHandle): Promise<string[]> {
  const res = await fetch(`${h.url}/metrics`);
  return (await res.text()).split('\n').filter((l) => l.startsWith('streamguard_probe_impaired') || l.startsWith('streamguard_hub_stall'));
}

describe('probe impairment metrics', () => {
  it('the reason of an impaired probe is 1, the others 0; impaired samples counted by reason; unknown probes not exported', async () => {
    const config = ConfigSchema.parse({
      hub: { listen: '127.0.0.1:0', dataDir: mkdtempSync(join(tmpdir(), 'sg-metrics-')) },
      regions: ['eu', 'us'],
      probe: { regions: ['us'] },
      uplink: { probes: [{ id: 'probe-eu', region: 'eu', tokenEnv: 'SG_UNUSED_TOKEN' }] },
      streams: [{ id: 's1', lines: { primary: { url: 'rtmp://127.0.0.1:1/live/s1' } } }],
    });
    handle = await startHub(config, { probes: false, tickMs: 0, clock: () => now });
    for (let i = 0; i < 3; i++) {
      now += 1000;
      handle.ingest(sample({ impaired: 'cpu-pressure', connected: false, fps: 0, bitrateBps: 0, error: 'timeout' }));
      handle.ingest(sample({ probe: 'hub-us', region: 'us', seq: seq }));
      handle.ingest(sample({ probe: 'stranger', impaired: 'event-loop' }));
    }
    handle.ingest(sample({ impaired: 'timer-late' }));
    const lines = await scrape(handle);
    expect(lines).toContain('streamguard_probe_impaired{probe="probe-eu",region="eu",reason="timer-late"} 1');
    expect(lines).toContain('streamguard_probe_impaired{probe="probe-eu",region="eu",reason="cpu-pressure"} 0');
    expect(lines).toContain('streamguard_probe_impaired{probe="hub-us",region="us",reason="cpu-pressure"} 0');
    expect(lines.filter((l) => l.startsWith('streamguard_probe_impaired{'))).toHaveLength(12); // 2 known probes × 6 reasons
    expect(lines).toContain('streamguard_probe_impaired_samples_total{probe="probe-eu",region="eu",reason="cpu-pressure"} 3');
    expect(lines).toContain('streamguard_probe_impaired_samples_total{probe="probe-eu",region="eu",reason="timer-late"} 1');
    expect(lines.join('\n')).not.toContain('stranger');
    expect(lines).toContain('streamguard_hub_stalls_total 0');
    // the probes' incidents, not the stream's
    expect(handle.hub.incidents.open().map((i) => `${i.key} ${i.severity}`).sort()).toEqual(['probe/probe-eu/impaired P3', 'probe/stranger/impaired P3']);
  });
});
