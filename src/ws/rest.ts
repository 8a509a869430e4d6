import express, { type Router } from 'express';
import { principalOf } from '../auth/require-role.ts';
import { allowMethods, HttpError, jsonBody } from '../http/index.ts';
import { FORWARDED_BY_HEADER, FORWARDED_VIA_HEADER } from '../cluster/forward.ts';
import { describeIssues, execute, RequestSchema, type CommandContext } from './commands.ts';

/**
 * REST twins of the WebSocket requests (docs/api.md), same roles and audit (the hub's token check
 * in front of them gives queries to a viewer, commands to an operator; neededRole says which):
 *
 *   POST /api/v1/commands/:type   body = the WS message without `type` (e.g. {stream, line, reason, ttlMs}), application/json
 *   GET  /api/v1/state            the state snapshot
 *
 * Answers `{ok: true, result}`; a refusal is the hub's `{error: {code, message}}` with its status.
 * A command for a stream another hub owns is answered by that hub (src/cluster/forward.ts), which
 * also receives it here: FORWARDED_BY_HEADER marks it, so it is never forwarded again.
 */

const MAX_BODY_BYTES = 64 * 1024;

export function commandRoutes(ctx: CommandContext): Router {
  const router = express.Router();
  router
    .route('/api/v1/commands/:type')
    .post(...jsonBody(MAX_BODY_BYTES), async (req, res) => {
      const type = req.params.type;
      const body: unknown = req.body ?? {};
      if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError('bad_request', 'the body must be a JSON object');
      const { type: _ignored, ...fields } = body as Record<string, unknown>;
      const parsed = RequestSchema.safeParse({ ...fields, type });
      if (!parsed.success) {
        const known = RequestSchema.options.some((o) => o.shape.type.value === type);
        throw known ? new HttpError('bad_request', describeIssues(parsed.error)) : new HttpError('not_found', `unknown command "${type}"`);
      }
      // A command another hub forwarded here is audited as its caller sent it (`ws.pin` stays `ws.pin`).
      const forwardedBy = req.get(FORWARDED_BY_HEADER);
      const via = forwardedBy !== undefined && req.get(FORWARDED_VIA_HEADER) === 'ws' ? 'ws' : 'api';
      res.json({ ok: true, result: await execute(ctx, principalOf(res), parsed.data, via, { authorization: req.get('authorization'), forwardedBy }) });
    })
    .all(allowMethods('POST'));
  router
    .route('/api/v1/state')
    .get(async (_req, res) => {
      res.json({ ok: true, result: await execute(ctx, principalOf(res), { type: 'state' }, 'api') });
    })
    .all(allowMethods('GET', 'HEAD'));
  return router;
}
