import WebSocket from 'ws';
import type { Incident } from '../../src/model/incident.ts';

/** One event as the operator WebSocket pushed it, with the time the bench received it. */
export type HubEvent =
  | { at: number; topic: 'incidents'; change: string; incident: Incident }
  | { at: number; topic: 'actions'; phase: string; action: { type: string; stream: string; from?: string; to?: string; why?: string; dryRun?: boolean } };

/**
 * The hub's live event stream as an operator console gets it: /ws subscribed to `incidents` and
 * `actions` (docs/ws-api.md). The soak prints from it while running and cross-checks its counts
 * against the REST reads at the end; a `dropped` frame (the hub shed events to a slow client) is counted.
 */
export class HubEvents {
  readonly events: HubEvent[] = [];
  dropped = 0;
  private ws: WebSocket | undefined;

  constructor(private readonly onEvent: (e: HubEvent) => void = () => undefined) {}

  async connect(hubUrl: string): Promise<void> {
    const ws = new WebSocket(`${hubUrl.replace(/^http/, 'ws')}/ws`);
    this.ws = ws;
    await new Promise<void>((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    ws.on('error', () => undefined); // a hub going away at the end is not the bench's failure
    ws.on('message', (raw) => {
      const at = Date.now();
      const m = JSON.parse(raw.toString()) as { type: string; topic?: string; count?: number; data?: Record<string, any> };
      if (m.type === 'dropped') this.dropped += m.count ?? 0;
      if (m.type !== 'event' || !m.data) return;
      const e: HubEvent | undefined =
        m.topic === 'incidents' ? { at, topic: 'incidents', change: m.data.change, incident: m.data.incident } : m.topic === 'actions' ? { at, topic: 'actions', phase: m.data.phase, action: m.data.action } : undefined;
      if (!e) return;
      this.events.push(e);
      this.onEvent(e);
    });
    const subscribed = new Promise<void>((resolve) => {
      const onReply = (raw: WebSocket.RawData) => {
        const m = JSON.parse(raw.toString()) as { id?: number };
        if (m.id !== 1) return;
        ws.off('message', onReply);
        resolve();
      };
      ws.on('message', onReply);
    });
    ws.send(JSON.stringify({ id: 1, type: 'subscribe', topics: ['incidents', 'actions'] }));
    await subscribed;
  }

  /** Incidents opened or reopened, and acted switches decided, between from and to (receipt time). */
  counts(from: number, to: number): { opens: number; switches: number } {
    const inWindow = this.events.filter((e) => e.at >= from && e.at <= to);
    return {
      opens: inWindow.filter((e) => e.topic === 'incidents' && (e.change === 'opened' || e.change === 'reopened')).length,
      switches: inWindow.filter((e) => e.topic === 'actions' && e.phase === 'decided' && e.action.type === 'switch' && !e.action.dryRun).length,
    };
  }

  close(): void {
    this.ws?.close();
  }
}
