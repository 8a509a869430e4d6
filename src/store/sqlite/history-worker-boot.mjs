// Entry of the history worker thread: a worker does not inherit tsx's loader hooks, so register
// them here (as bin/streamguard.js does for the main thread), then load the TypeScript module.
import { register } from 'tsx/esm/api';

register();
await import('./history-worker.ts');
