import type { ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type RequestHandler, type Router } from 'express';
import { allowMethods } from '../http/index.ts';

/** The console's static files (no build step): served as they are from src/console/public. */
const PUBLIC_DIR = fileURLToPath(new URL('./public', import.meta.url));
/** The preview's JSMpeg client, served as npm ships it (its ES module build sits next to `main`). */
const JSMPEG = join(dirname(createRequire(import.meta.url).resolve('@cycjimmy/jsmpeg-player')), 'jsmpeg-player.esm.js');
/** The stream page's charts: uPlot's ES module build and its style, as npm ships them (next to `main`). */
const UPLOT_DIR = dirname(createRequire(import.meta.url).resolve('uplot'));
const UPLOT = { 'uPlot.esm.js': join(UPLOT_DIR, 'uPlot.esm.js'), 'uPlot.min.css': join(UPLOT_DIR, 'uPlot.min.css') };
/** Revalidated on every load (ETag): a hub upgrade reaches the page at its next reload. */
const CACHE = 'no-cache';
/** What the page loads: scripts, style, icon. Anything else in public/ (the .d.ts files of the view models, for the tests) is not served. */
const SERVED = /\.(?:html|js|css|svg)$/;
/** Leaves the console's routes (for the 404) on a file the page does not load. */
const onlyServed: RequestHandler = (req, _res, next) => (SERVED.test(req.path) ? next() : next('router'));
const STATIC = { index: false, redirect: false, cacheControl: false, setHeaders: (res: ServerResponse) => res.setHeader('cache-control', CACHE) };

/**
 * `GET /` (the console page) and `GET /console/<file>` (its pages, scripts, style and icon, the
 * JSMpeg client and uPlot). Public like /metrics: the pages hold no data; what they show comes over
 * /ws and the REST reads, which check the token. express.static serves only what is inside public/ (a `..` or
 * dotfile is refused), with the type of the file's extension.
 */
export function consoleRoutes(): Router {
  const router = express.Router();
  router
    .route('/')
    .get((_req, res, next) => res.set('cache-control', CACHE).sendFile('index.html', { root: PUBLIC_DIR, cacheControl: false }, (err) => err && next(err)))
    .all(allowMethods('GET', 'HEAD'));
  for (const [name, file] of Object.entries({ 'jsmpeg-player.esm.js': JSMPEG, ...UPLOT })) {
    router.get(`/console/${name}`, (_req, res, next) => res.set('cache-control', CACHE).sendFile(file, { cacheControl: false }, (err) => err && next(err)));
  }
  router.use('/console', allowMethods('GET', 'HEAD'), onlyServed, express.static(PUBLIC_DIR, STATIC));
  return router;
}
