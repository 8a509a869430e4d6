import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StoreOpenError } from '../../src/store/open-error.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';

/** Opening the SQLite file; what the stores do once open is the ports' contract (sqlite-contract.test.ts). */
const dir = mkdtempSync(join(tmpdir(), 'sg-store-'));

describe('SqliteStore: opening the file', () => {
  it('refuses a corrupt file with a clear error and leaves it untouched', () => {
    const file = join(dir, 'corrupt.sqlite');
    writeFileSync(file, Buffer.alloc(8192, 0x41));
    expect(() => new SqliteStore(file)).toThrowError(StoreOpenError);
    expect(() => new SqliteStore(file)).toThrowError(/corrupt\.sqlite: not a valid streamguard database/);
  });

  it('refuses a database held by another running hub process', async () => {
    const file = join(dir, 'locked.sqlite');
    const holder = spawn(
      process.execPath,
      ['--import', 'tsx', '-e', `import { SqliteStore } from ${JSON.stringify(new URL('../../src/store/sqlite/store.ts', import.meta.url).pathname)}; new SqliteStore(${JSON.stringify(file)}); console.log('held'); setInterval(() => {}, 1000);`],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
      expect(() => new SqliteStore(file)).toThrowError(/locked by another process/);
    } finally {
      holder.kill('SIGKILL');
    }
  });
});
