import { sampleColumnDefs } from '../sample-row.ts';

/** A raw sample row's column definitions in SQLite (src/store/sample-row.ts), for the inbox, the history and their upgrades. */
export const SAMPLE_COLUMN_DEFS = sampleColumnDefs({ text: 'TEXT', integer: 'INTEGER', real: 'REAL' });
