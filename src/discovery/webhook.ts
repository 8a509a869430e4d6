import express, { type Router } from 'express';
import { z } from 'zod';
import { allowMethods, HttpError } from '../http/index.ts';
import type { Discovery, PublishEvent } from './discovery.ts';

/**
 * Media servers' publish callbacks, per discovery source:
 *
 *   POST /api/v1/discovery/:source/hooks?token=<the source's hookTokenEnv secret>
 *
 * node-media-server (`notify.url`: `{action: postPublish|donePublish, app, name}`, sent as
 * text/plain) and SRS (`http_hooks` on_publish / on_unpublish: `{action: on_publish|on_unpublish,
 * app, stream}`). Other actions (plays, recordings) are answered and ignored. Answers
 * `{"code": 0}` (SRS's "allowed") once the stream was added or retired; both servers refuse a
 * publish whose callback answers anything but 200, so a wrong token shows at once.
 */

const MAX_BODY_BYTES = 16 * 1024;

const Callback = z.looseObject({ action: z.string(), app: z.string().default(''), name: z.string().optional(), stream: z.string().optional() });

const PUBLISHED: Record<string, boolean> = { postPublish: true, donePublish: false, on_publish: true, on_unpublish: false };

/** The event a callback body says, or undefined for an action that is not about publishing. */
export function publishEventOf(body: unknown): PublishEvent | undefined {
  const r = Callback.safeParse(body);
  if (!r.success) throw new HttpError('bad_request', `not a publish callback: ${r.error.issues[0]!.path.join('.') || '(body)'}: ${r.error.issues[0]!.message}`);
  const published = PUBLISHED[r.data.action];
  if (published === undefined) return undefined;
  const name = r.data.name ?? r.data.stream;
  if (!name) throw new HttpError('bad_request', `a ${r.data.action} callback needs the stream's name ("name" or "stream")`);
  return { published, stream: { app: r.data.app, name } };
}

export function discoveryHookRoutes(discovery: Pick<Discovery, 'callback'>): Router {
  const router = express.Router();
  router
    .route('/api/v1/discovery/:source/hooks')
    // Any content type: node-media-server posts its JSON as text/plain.
    .post(express.text({ type: () => true, limit: MAX_BODY_BYTES }), async (req, res) => {
      let body: unknown;
      try {
        body = JSON.parse(typeof req.body === 'string' ? req.body : '');
      } catch {
        throw new HttpError('bad_request', 'the callback body must be JSON');
      }
      const token = typeof req.query['token'] === 'string' ? req.query['token'] : undefined;
      await discovery.callback(req.params.source, token, publishEventOf(body));
      res.json({ code: 0 });
    })
    .all(allowMethods('POST'));
  return router;
}
