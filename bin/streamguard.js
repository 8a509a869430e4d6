#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx: one source of truth, no stale build output.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
