import { describe, expect, it } from 'vitest';
import type { Incident, TimelineEntry } from '../../src/model/incident.ts';
import { VendorsSchema } from '../../src/tickets/config-schema.ts';
import { incidentCard } from '../../src/ws/incident-card.ts';
import { incidentNarrative } from '../../src/ws/incident-narrative.ts';

const ID = 's1/primary/down@1000';
const incident: Incident = {
  id: ID,
  key: 's1/primary/down',
  kind: 'down',
  stream: 's1',
  line: 'primary',
  status: 'acknowledged',
  severity: 'P1',
  peakSeverity: 'P1',
  scope: 'line',
  onset: 900,
  openedAt: 1000,
  reopenedAt: 5000,
  detectionDelayMs: 100,
  updatedAt: 6000,
  reopenCount: 1,
  regions: { eu: { probe: 'p-eu', firstSeen: 900, firstSeenAt: 1000, level: 'down', reasons: [{ rule: 'disconnected', metric: 'disconnected', value: 1, threshold: 0.5, yields: 'down', since: 900 }] } },
};
const sample = { probe: 'p-eu', region: 'eu', stream: 's1', line: 'primary', seq: 1, t: 900, windowMs: 1000, connected: false, fps: 0, bitrateBps: 0, maxGapMs: 1000, stallMs: 1000, freezeMs: 0, error: 'timeout' };
const entry = (t: number, type: string, data: Record<string, unknown>): TimelineEntry => ({ incidentId: ID, t, type, data });
const timeline = [
  entry(1000, 'opened', { severity: 'P1', scope: 'line', onset: 900, detectionDelayMs: 100 }),
  entry(1000, 'region-seen', { region: 'eu', probe: 'p-eu', firstSeen: 900, level: 'down', reasons: incident.regions.eu!.reasons, sample }),
  entry(1200, 'action', { by: 'policy:failover', action: 'switch', from: 'primary', to: 'backup', why: 'line "primary" unusable' }),
  entry(1500, 'action', { by: 'tickets', action: 'ticket-opened', vendor: 'cdn-desk', ref: '17', attempts: 1, delayMs: 30 }),
  entry(1600, 'action', { by: 'tickets', action: 'ticket-opened', vendor: 'cdn-pd', ref: 'dedup-1', attempts: 1, delayMs: 30 }),
  entry(2000, 'resolved', { cause: 'cleared', durationMs: 1000 }),
  entry(5000, 'reopened', { severity: 'P1', onset: 4900, afterMs: 3000, reopenCount: 1 }),
  entry(6000, 'acknowledged', { by: 'alice', note: 'looking' }),
  entry(6500, 'action', { by: 'sla', action: 'vendor-acknowledged', vendor: 'cdn-desk', ackBy: 'bob', timeToAckMs: 5000 }),
];
const vendors = VendorsSchema.parse([
  { name: 'cdn-desk', type: 'desk', url: 'https://cdn.example.com/' },
  { name: 'cdn-pd', type: 'pagerduty', routingKeyEnv: 'PD_KEY' },
]);
const vendor = (name: string) => vendors.find((v) => v.name === name);

describe('incident card and narrative (the console reads the vendor tickets words)', () => {
  it('card: reach, cause per region, what was done, each vendor ticket with a link where the vendor has a page, ack, since the reopen', () => {
    const card = incidentCard(incident, timeline, vendor);
    expect(card).toMatchObject({
      reach: 'every region sees it (eu)',
      regions: [{ region: 'eu', probe: 'p-eu', level: 'down', firstSeen: 900, cause: 'not connected — timed out' }],
      since: 5000,
      openedAt: 1000,
      reopenCount: 1,
      acknowledged: { by: 'alice', at: 6000, note: 'looking' },
      ticketHeld: false,
    });
    expect(card.did).toEqual([
      { t: 1200, by: 'policy:failover', what: 'switched to line backup (from primary): line "primary" unusable' },
      { t: 6000, by: 'alice', what: 'acknowledged the incident' },
    ]);
    expect(card.tickets).toEqual([
      { vendor: 'cdn-desk', ref: '17', url: 'https://cdn.example.com/agent/tickets/17', state: 'open', at: 1500, ackBy: 'bob' },
      { vendor: 'cdn-pd', ref: 'dedup-1', state: 'open', at: 1600 },
    ]);
  });

  it('narrative: one row per entry in words, with who acted and the samples it is about', () => {
    const rows = incidentNarrative(timeline);
    expect(rows.map((r) => `${r.t} ${r.by}: ${r.what}`)).toEqual([
      '1000 detector: opened P1, line (100 ms after the first bad sample)',
      '1000 detector: eu (probe p-eu) sees it down: not connected — timed out',
      '1200 policy:failover: switched to line backup (from primary): line "primary" unusable',
      '1500 tickets: opened ticket 17 at cdn-desk',
      '1600 tickets: opened ticket dedup-1 at cdn-pd',
      '2000 detector: resolved after 1 s: the line is healthy again',
      '5000 detector: reopened as P1: the fault came back 3 s after it resolved (reopen 1)',
      '6000 alice: acknowledged: looking',
      '6500 sla: cdn-desk acknowledged (bob)',
    ]);
    expect(rows[1]!.samples).toEqual([sample]);
  });
});
