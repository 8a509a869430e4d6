// Types of action-words.js for the TypeScript tests (the browser loads the .js as it is).
export interface TimelineEntryLike { t: number; type: string; data?: Record<string, unknown> }
export interface AuditRowLike { t: number; actor: string; action: string; target: string; reason: string; data?: unknown; stream?: string }
export function timelineActionWords(entry: TimelineEntryLike): string;
export function auditWords(row: AuditRowLike): string;
export function isSwitch(row: AuditRowLike): boolean;
