import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Store } from '../../src/store/ports.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import { describeStoreContract, type StoreMaker } from './contract/index.ts';

/** The storage ports' contract on SQLite files (a fresh file per store, the history worker running). */
const dir = mkdtempSync(join(tmpdir(), 'sg-contract-'));
let n = 0;
const files = new Map<Store, string>();

function openFile(file: string): Store {
  const store = new SqliteStore(file, { mergeEveryMs: 20 });
  files.set(store, file);
  return store;
}

function fileOf(store: Store): string {
  const file = files.get(store);
  if (file === undefined) throw new Error('not a store of this maker');
  return file;
}

const sqliteFiles: StoreMaker = {
  refusesMalformedJson: false,
  open: async () => openFile(join(dir, `store-${n++}.db`)),
  reopen: async (store) => {
    store.close();
    return openFile(fileOf(store));
  },
  // The file is locked while a store has it open: write the row with the store closed.
  corruptIncident: async (store, id, document) => {
    store.close();
    const db = new Database(fileOf(store));
    db.prepare('UPDATE incidents SET data = ? WHERE id = ?').run(document, id);
    db.close();
    return openFile(fileOf(store));
  },
  writeRawAudit: async (store, e) => {
    store.close();
    const db = new Database(fileOf(store));
    db.prepare('INSERT INTO audit (t, actor, action, target, reason, data) VALUES (?, ?, ?, ?, ?, ?)').run(e.t, e.actor, e.action, e.target, e.reason, e.data === undefined ? null : JSON.stringify(e.data));
    db.close();
    return openFile(fileOf(store));
  },
};

describeStoreContract('SQLite', sqliteFiles);
