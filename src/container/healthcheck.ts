/**
 * The image's HEALTHCHECK: `healthcheck.ts [COMMAND …]`, where COMMAND is the container's command
 * (read from PID 1 when not given). A hub (`run --config FILE [--listen HOST:PORT]`) is healthy when
 * GET /healthz answers 2xx on the listen address of the config it runs with (a wildcard listen,
 * 0.0.0.0, is asked on 127.0.0.1). Any other command (a remote probe has no port) is healthy while
 * its process runs. Exit 0 healthy, 1 not, with the reason on stderr.
 */
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { loadConfig } from '../config/load.ts';
import { containerCommandOf, hubCommand } from './command.ts';

const TIMEOUT_MS = 2000;

/** The /healthz URL of the hub that `words` run. */
function healthzUrl(words: readonly string[]): string | undefined {
  const hub = hubCommand(words);
  if (!hub) return undefined;
  const config = loadConfig(hub.config);
  const [host, port] = (hub.listen ?? config.hub.listen).split(':') as [string, string];
  return `${config.hub.tls ? 'https' : 'http'}://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}/healthz`;
}

function status(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    // The hub's certificate names its public host, not the loopback address asked here.
    const req = (url.startsWith('https:') ? httpsGet(url, { rejectUnauthorized: false }) : httpGet(url)).on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', (err) => reject(new Error(`${url}: ${err.message}`)));
    req.setTimeout(TIMEOUT_MS, () => req.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
  });
}

async function check(): Promise<number> {
  const args = process.argv.slice(2);
  const url = healthzUrl(args.length > 0 ? args : containerCommandOf(1));
  if (!url) return 0;
  const code = await status(url);
  if (code >= 200 && code < 300) {
    process.stdout.write(`healthy: ${url} ${code}\n`);
    return 0;
  }
  process.stderr.write(`unhealthy: ${url} answered ${code}\n`);
  return 1;
}

check().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    process.stderr.write(`unhealthy: ${(err as Error).message}\n`);
    process.exitCode = 1;
  },
);
