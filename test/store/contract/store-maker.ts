import { afterEach } from 'vitest';
import type { AuditEntry, Store } from '../../../src/store/ports.ts';

/**
 * How a storage engine's contract tests get their stores. Every engine (SQLite files, a
 * PostgreSQL database) provides one and runs the same suites (./index.ts) against it.
 */
export interface StoreMaker {
  /**
   * The engine's own storage refuses a document that is not JSON (PostgreSQL's JSONB), so such
   * damage cannot happen: corruptIncident with one rejects. Otherwise (SQLite's TEXT) the store
   * must refuse it when reading.
   */
  readonly refusesMalformedJson: boolean;
  /** A new store on empty storage. */
  open(): Promise<Store>;
  /** Closes `store` and opens the same storage again (a hub restart). */
  reopen(store: Store): Promise<Store>;
  /**
   * Replaces the stored document of incident `id` with `document`, bypassing the store (as damage
   * or a foreign writer would), and returns a store to read it with (`store`, or the storage
   * reopened when the engine must close it first).
   */
  corruptIncident(store: Store, id: string, document: string): Promise<Store>;
  /**
   * Writes `entry` into the audit log bypassing the store, as a hub from before URL masking did,
   * and returns a store to read it with (as corruptIncident).
   */
  writeRawAudit(store: Store, entry: AuditEntry): Promise<Store>;
}

/** The maker's stores for the tests of one describe block; whatever is still open after a test is closed. */
export function storesOf(maker: StoreMaker): StoreMaker {
  let open: Store[] = [];
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
  });
  const keep = (s: Store) => (open.push(s), s);
  const drop = (s: Store) => (open = open.filter((x) => x !== s));
  return {
    refusesMalformedJson: maker.refusesMalformedJson,
    open: async () => keep(await maker.open()),
    reopen: async (s) => (drop(s), keep(await maker.reopen(s))),
    corruptIncident: async (s, id, document) => (drop(s), keep(await maker.corruptIncident(s, id, document))),
    writeRawAudit: async (s, entry) => (drop(s), keep(await maker.writeRawAudit(s, entry))),
  };
}
