/** The store could not be opened safely (a file, a data dir or a database server); the message says which and what to do. */
export class StoreOpenError extends Error {
  override name = 'StoreOpenError';
}
