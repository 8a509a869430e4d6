import { createServer } from 'node:net';

export const LOOPBACK = '127.0.0.1';

/**
 * Asks the kernel for a free loopback TCP port. Needed where a server cannot be told to
 * listen on port 0 and report back (node-media-server treats port 0 as "disabled").
 * There is a small race until the caller binds it; acceptable for a local lab.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
