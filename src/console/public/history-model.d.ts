// Types of history-model.js for the TypeScript tests (the browser loads the .js as it is).
import type { AuditRowLike, TimelineEntryLike } from './action-words.js';
export interface IncidentRecordLike {
  incident: { id: string; kind: string; stream?: string; line?: string; probe?: string; scope: string; peakScope?: string; status: string; peakSeverity: string; onset: number; openedAt: number; resolvedAt?: number; regions?: Record<string, unknown> };
  actions: TimelineEntryLike[];
  resolution?: TimelineEntryLike;
}
export interface HistoryRow {
  id: string;
  severity: string;
  kind: string;
  stream?: string;
  line?: string;
  probe?: string;
  scope: string;
  regions: string[];
  status: string;
  onset: number;
  openedAt: number;
  resolvedAt?: number;
  durationMs: number;
  resolution?: string;
  did: { t: number; words: string }[];
}
export interface HistoryFilter { stream?: string; severity?: string; text?: string }
export const RANGES: Readonly<Record<'1h' | '6h' | '24h', number>>;
export function historyRow(record: IncidentRecordLike, now: number): HistoryRow;
export function resolutionWords(entry: TimelineEntryLike | undefined): string | undefined;
export function filterRows(rows: readonly HistoryRow[], filter: HistoryFilter): HistoryRow[];
export function filterActions<A extends AuditRowLike>(actions: readonly A[], filter: HistoryFilter): A[];
export function groupRows(rows: readonly HistoryRow[]): { title: string; rows: HistoryRow[] }[];
export function rowStreams(rows: readonly HistoryRow[]): string[];
