import pg from 'pg';
import { describe, it } from 'vitest';
import type { Store } from '../../src/store/ports.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { postgresMissing, usePostgres } from '../helpers/postgres.ts';
import { describeStoreContract, type StoreMaker } from './contract/index.ts';

/** The storage ports' contract on PostgreSQL: a throwaway cluster for this file, a fresh database per store. */
const server = usePostgres();
const urls = new Map<Store, string>();

async function openUrl(url: string): Promise<Store> {
  const store = await PostgresStore.open(url);
  urls.set(store, url);
  return store;
}

function urlOf(store: Store): string {
  const url = urls.get(store);
  if (url === undefined) throw new Error('not a store of this maker');
  return url;
}

/** Runs one statement on the store's database on a connection of its own, bypassing the store. */
async function raw(store: Store, text: string, values: unknown[]): Promise<void> {
  const client = new pg.Client({ connectionString: urlOf(store) });
  await client.connect();
  try {
    await client.query(text, values);
  } finally {
    await client.end();
  }
}

const postgresDatabases: StoreMaker = {
  refusesMalformedJson: true,
  open: async () => openUrl(await server().createDatabase()),
  reopen: async (store) => {
    await store.close();
    return openUrl(urlOf(store));
  },
  // A server takes writes from other sessions while the store is open: no need to close it.
  corruptIncident: async (store, id, document) => {
    await raw(store, 'UPDATE incidents SET data = $1::jsonb WHERE id = $2', [document, id]);
    return store;
  },
  writeRawAudit: async (store, e) => {
    await raw(store, 'INSERT INTO audit (t, actor, action, target, reason, data) VALUES ($1, $2, $3, $4, $5, $6::jsonb)', [e.t, e.actor, e.action, e.target, e.reason, e.data === undefined ? null : JSON.stringify(e.data)]);
    return store;
  },
};

if (postgresMissing) {
  describe.skip(`PostgreSQL store contract: ${postgresMissing}`, () => it('skipped'));
} else {
  describeStoreContract('PostgreSQL', postgresDatabases);
}
