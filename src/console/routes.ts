import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RawRoute } from '../app/api.ts';

/** The console's static files (no build step): served as they are from src/console/public. */
const PUBLIC_DIR = fileURLToPath(new URL('./public', import.meta.url));
const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };
/** The preview's JSMpeg client, served as npm ships it (its ES module build sits next to `main`). */
const JSMPEG = join(dirname(createRequire(import.meta.url).resolve('@cycjimmy/jsmpeg-player')), 'jsmpeg-player.esm.js');
/** Exactly the files the page loads: no path from the URL ever reaches the file system. */
const FILES = new Map([...['index.html', 'console.js', 'grid-model.js', 'console.css', 'preview.js'].map((f) => [f, join(PUBLIC_DIR, f)] as const), ['jsmpeg-player.esm.js', JSMPEG]]);

/**
 * `GET /` (the console page) and `GET /console/<file>`. Public like /metrics: the page holds no
 * data; everything it shows comes over /ws, which checks the token.
 */
export function consoleRawRoutes(): RawRoute[] {
  return [{ pattern: /^\/(?:console\/([\w.-]+))?$/, handle: (req, res, _url, [file]) => serve(req.method, res, file ?? 'index.html') }];
}

async function serve(method: string | undefined, res: Parameters<RawRoute['handle']>[1], file: string): Promise<void> {
  if (method !== 'GET' && method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify({ error: `method ${method} not allowed` }));
    return;
  }
  const path = FILES.get(file);
  if (!path) {
    res.writeHead(404, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify({ error: `no console file ${file}` }));
    return;
  }
  const body = await readFile(path);
  res.writeHead(200, { 'content-type': TYPES[extname(file)]!, 'cache-control': 'no-cache' });
  res.end(method === 'HEAD' ? undefined : body);
}
