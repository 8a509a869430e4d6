// Types of grid-model.js for the TypeScript tests (the browser loads the .js as it is).
export type CellLevel = 'ok' | 'degraded' | 'down' | 'unknown';
export interface Series {
  latencyMs: number[];
  stallMs: number[];
  avSyncMs: number[];
  connected: boolean;
}
export interface GridModel {
  at: number;
  streams: { id: string; lines: string[]; active: string; health: Record<string, Record<string, { level: string; since: number }>>; [k: string]: unknown }[];
  incidents: { id: string; stream?: string; line?: string; status: string; severity: string; scope: string; regions?: Record<string, unknown>; openedAt: number }[];
  series: Record<string, Series>;
}
export const SPARK_POINTS: number;
export const SPARK_FIELDS: readonly ('latencyMs' | 'stallMs' | 'avSyncMs')[];
export function emptyModel(): GridModel;
export function applyState(model: GridModel, state: unknown): GridModel;
export function applyIncidentEvent(model: GridModel, data: unknown): GridModel;
export function applySample(model: GridModel, sample: unknown): GridModel;
export function seriesKey(stream: string, line: string, region: string): string;
export function regionsOf(model: GridModel): string[];
export function cellLevel(model: GridModel, stream: string, line: string, region: string): CellLevel;
export function featureFlags(served: Record<string, boolean> | undefined, knownNames: readonly string[]): [string, boolean][];
export function sparkPoints(values: readonly number[], w: number, h: number): string;
