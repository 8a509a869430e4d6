// Types of grid-model.js for the TypeScript tests (the browser loads the .js as it is).
export type CellLevel = 'ok' | 'degraded' | 'down' | 'unknown';
export interface GridStream {
  id: string;
  name?: string;
  lines: string[];
  active: string;
  health: Record<string, Record<string, { level: string; since: number }>>;
  pin?: { value: string; until: number; reason: string; by: string; at: number };
  [k: string]: unknown;
}
export interface GridIncident {
  id: string;
  stream?: string;
  line?: string;
  probe?: string;
  kind?: string;
  status: string;
  severity: string;
  scope: string;
  regions?: Record<string, unknown>;
  openedAt: number;
}
export interface GridModel {
  at: number;
  skewMs: number;
  streams: GridStream[];
  byId: Map<string, GridStream>;
  regions: string[];
  incidents: GridIncident[];
  byLine: Map<string, GridIncident[]>;
  latest: Map<string, Record<string, unknown>>;
}
export function emptyModel(): GridModel;
export function applyState(model: GridModel, state: unknown, receivedAt?: number): GridModel;
export function applyIncidentEvent(model: GridModel, data: unknown): GridModel;
export function applySample(model: GridModel, sample: unknown): string;
export function cellKey(stream: string, line: string, region: string): string;
export function regionsOf(model: GridModel): string[];
export function cellLevel(model: GridModel, stream: string, line: string, region: string): CellLevel;
export function cellSince(model: GridModel, stream: string, line: string, region: string): number | undefined;
export function worse(a: CellLevel, b: CellLevel): CellLevel;
export function featureFlags(served: Record<string, boolean> | undefined, knownNames: readonly string[]): [string, boolean][];
