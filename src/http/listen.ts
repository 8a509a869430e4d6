import http from 'node:http';
import https from 'node:https';

export interface Listening {
  /** The server, for what is not a request: WebSocket upgrades. */
  readonly server: http.Server | https.Server;
  readonly port: number;
  /** The bound address, `HOST:PORT` (IPv6 in brackets), with the real port when 0 was asked. */
  readonly address: string;
  close(): Promise<void>;
}

export interface ListenOptions {
  /** Serve HTTPS: PEM certificate and key. */
  tls?: { cert: string | Buffer; key: string | Buffer };
}

/**
 * Serves an express app (or any request listener) on host:port; port 0 takes a free one.
 * close() also ends open keep-alive connections, so it returns at once instead of waiting
 * for every client's idle timeout.
 */
export async function listen(app: http.RequestListener, port: number, host: string, opts: ListenOptions = {}): Promise<Listening> {
  const server = opts.tls ? https.createServer({ cert: opts.tls.cert, key: opts.tls.key }, app) : http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const bound = typeof address === 'object' && address ? address : undefined;
  return {
    server,
    port: bound?.port ?? port,
    address: bound ? `${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}` : `${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
