import { SEVERITIES } from '../../src/model/severity.ts';
import type { SoakScore } from './soak-score.ts';

export type Scenario = 'a' | 'b' | 'c' | 'd';

/** What each scenario must show: the trust goal of the soak. */
export const GOALS: Record<Scenario, string> = {
  a: '0 false P0/P1 incidents, 0 false switches, 0 false tickets',
  b: '0 false P0/P1 incidents, 0 false switches, 0 false tickets',
  c: '0 false P0/P1 incidents, 0 false switches, 0 false tickets',
  d: 'every scripted fault detected, detection delay p95 ≤ 1500 ms',
};
export const DETECTION_P95_GOAL_MS = 1500;

/** The goal's verdict: what missed it, empty when met. */
export function goalFailures(scenario: Scenario, score: SoakScore): string[] {
  if (scenario === 'd') {
    const out: string[] = [];
    if (score.faults.length === 0) out.push('no scripted fault ran (the run is shorter than the first fault plus its hold)');
    if (score.missed.length > 0) out.push(`${score.missed.length} of ${score.faults.length} scripted faults missed`);
    if (score.masked.length > 0) out.push(`${score.masked.length} of ${score.faults.length} scripted faults not shown detected (an incident was already open on the line)`);
    const p95 = score.detection.p95Ms;
    if (p95 !== null && p95 > DETECTION_P95_GOAL_MS) out.push(`detection p95 ${p95} ms > ${DETECTION_P95_GOAL_MS} ms`);
    return out;
  }
  const out: string[] = [];
  const severe = score.falseIncidents.P0 + score.falseIncidents.P1;
  if (severe > 0) out.push(`${severe} false P0/P1 incident(s)`);
  if (score.falseSwitches.length > 0) out.push(`${score.falseSwitches.length} false switch(es)`);
  if (score.falseTickets.length > 0) out.push(`${score.falseTickets.length} false ticket(s)`);
  return out;
}

const iso = (t: number) => new Date(t).toISOString().slice(11, 19);
const ms = (v: number | null) => (v === null ? '-' : `${v} ms`);

/** The human table: the counts, then every false incident, switch and ticket and every fault, so a reader sees why. */
export function formatSoakTable(head: string[], score: SoakScore, failures: string[], goal: string): string {
  const fi = score.falseIncidents;
  const rows: [string, string][] = [
    ['false incidents P0 / P1 / P2 / P3', SEVERITIES.map((s) => fi[s]).join(' / ')],
    ['incidents explained by a scripted fault', String(score.trueEpisodes)],
    ['false switches (of all switches)', `${score.falseSwitches.length} (of ${score.switches})`],
    ['false tickets (of all desk tickets)', `${score.falseTickets.length} (of ${score.tickets})`],
    ['scripted faults / missed / masked', `${score.faults.length} / ${score.missed.length} / ${score.masked.length}`],
    ['detection delay p50 / p95 / max', `${ms(score.detection.p50Ms)} / ${ms(score.detection.p95Ms)} / ${ms(score.detection.maxMs)}`],
    ...Object.entries(score.detection.byKind).map(([kind, d]): [string, string] => [`  ${kind} (n=${d.n}) p50 / p95`, `${ms(d.p50Ms)} / ${ms(d.p95Ms)}`]),
  ];
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  const lines = [...head, '', ...rows.map(([k, v]) => `${k.padEnd(width)}${v}`), ''];
  if (score.falseEpisodes.length > 0) {
    lines.push('false incidents:');
    for (const e of score.falseEpisodes) {
      const lasted = e.endAt === undefined ? 'still open' : `${((e.endAt - e.startAt) / 1000).toFixed(1)} s`;
      lines.push(`  ${iso(e.startAt)} ${e.severity} ${e.key} (${e.scope}) ${lasted}; ${e.evidence === 'own' ? '' : 'first seen: '}regions ${e.regions.join(',') || '-'}; rules ${e.rules.join(',') || '-'}`);
    }
  }
  if (score.falseSwitches.length > 0) {
    lines.push('false switches:');
    for (const s of score.falseSwitches) lines.push(`  ${iso(s.t)} ${s.stream} ${s.from} → ${s.to} by ${s.actor}: ${s.why}${s.incidentId ? ` [${s.incidentId}]` : ''}`);
  }
  if (score.falseTickets.length > 0) {
    lines.push('false tickets:');
    for (const t of score.falseTickets) lines.push(`  ${iso(t.createdAt)} #${t.id} [${t.priority ?? '-'}] ${t.subject}`);
  }
  if (score.faults.length > 0) {
    lines.push('scripted faults:');
    for (const f of score.faults) lines.push(`  ${iso(f.startedAt)} ${f.label}: ${f.detected ? `${f.severity} ${f.incidentId} after ${f.delayMs} ms` : f.masked ? `MASKED: ${f.severity} ${f.incidentId} was already open` : 'MISSED'}`);
  }
  lines.push('', `goal: ${goal}: ${failures.length === 0 ? 'MET' : `NOT MET (${failures.join('; ')})`}`);
  return `${lines.join('\n')}\n`;
}
