import http from 'node:http';

export interface Listening {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Serves an express app (or any request listener) on host:port; port 0 takes a free one.
 * close() also ends open keep-alive connections, so it returns at once instead of waiting
 * for every client's idle timeout.
 */
export async function listen(app: http.RequestListener, port: number, host: string): Promise<Listening> {
  const server = http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
