import type { TimelineEntry } from '../model/incident.ts';
import { actionWords } from './action-words.ts';
import { TICKET_ACTORS } from './evidence.ts';
import { reachWords } from './scope-words.ts';

/** What an incident change means for the vendor, one line each (ticket machinery and notes left out). */
export function changeLines(entries: readonly TimelineEntry[]): string[] {
  const out: string[] = [];
  for (const e of entries) {
    const d = e.data;
    const by = typeof d.by === 'string' ? d.by : undefined;
    if (by !== undefined && TICKET_ACTORS.has(by)) continue;
    switch (e.type) {
      case 'severity-raised':
      case 'severity-lowered':
        out.push(`severity ${String(d.from)} → ${String(d.to)}`);
        break;
      case 'scope-changed':
        out.push(`scope ${String(d.from)} → ${String(d.to)}: ${reachWords(String(d.to), Array.isArray(d.regions) ? d.regions.map(String) : [])}`);
        break;
      case 'region-seen':
        out.push(`region ${String(d.region)} now affected (${String(d.level)})`);
        break;
      case 'action': {
        const { by: _by, action, ...detail } = d;
        out.push(actionWords({ t: new Date(e.t).toISOString(), by: by ?? 'controller', action: String(action), detail }));
        break;
      }
      case 'mitigating':
        out.push(`mitigating${by ? ` (${by})` : ''}${d.action !== undefined ? `: ${String(d.action)}` : ''}`);
        break;
      case 'acknowledged':
        out.push(`acknowledged by ${by ?? 'operator'}`);
        break;
      case 'escalated':
        out.push(`escalated by ${by ?? 'controller'} (${String(d.reason)}): at least ${String(d.severity)}${d.why !== undefined ? ` — ${String(d.why)}` : ''}`);
        break;
      default:
        break;
    }
  }
  return out;
}
