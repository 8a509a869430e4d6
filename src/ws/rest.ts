import type { IncomingMessage, ServerResponse } from 'node:http';
import { allows, Authenticator } from '../auth/auth.ts';
import type { RawRoute } from '../app/api.ts';
import { ApiError, describeIssues, execute, HTTP_STATUS, neededRole, RequestSchema, type CommandContext } from './commands.ts';

/**
 * REST twins of the WebSocket requests (docs/api.md), same auth, roles and audit:
 *
 *   POST /api/v1/commands/:type   body = the WS message without `type` (e.g. {stream, line, reason, ttlMs})
 *   GET  /api/v1/state            the state snapshot
 *   GET  /readyz                  200 when the store answers and a probe was heard recently, else 503
 *
 * Answers `{ok: true, result}` or `{ok: false, error: {code, message}}` with the matching status.
 */

const MAX_BODY = 64 * 1024;

export function commandRawRoutes(ctx: CommandContext, auth: Authenticator, opts: { probeFreshMs?: number } = {}): RawRoute[] {
  const send = (res: ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
    res.end(text);
  };
  const fail = (res: ServerResponse, err: ApiError) => send(res, HTTP_STATUS[err.code], { ok: false, error: { code: err.code, message: err.message } });

  async function run(req: IncomingMessage, res: ServerResponse, message: unknown): Promise<void> {
    const who = auth.check(Authenticator.bearer(req));
    if (!who) return fail(res, new ApiError('unauthorized', auth.refusal()));
    const parsed = RequestSchema.safeParse(message);
    if (!parsed.success) {
      const type = (message as { type?: unknown }).type;
      const known = typeof type === 'string' && RequestSchema.options.some((o) => o.shape.type.value === type);
      return fail(res, known ? new ApiError('bad_request', describeIssues(parsed.error)) : new ApiError('not_found', `unknown command "${String(type)}"`));
    }
    if (!allows(who.role, neededRole(parsed.data.type))) return fail(res, new ApiError('forbidden', `"${parsed.data.type}" needs the operator role; token "${who.name}" is a ${who.role}`));
    try {
      send(res, 200, { ok: true, result: await execute(ctx, who, parsed.data, 'api') });
    } catch (err) {
      if (err instanceof ApiError) return fail(res, err);
      throw err;
    }
  }

  return [
    {
      pattern: /^\/api\/v1\/commands\/([a-z]+)$/,
      handle: async (req, res, _url, [type]) => {
        if (req.method !== 'POST') {
          res.setHeader('allow', 'POST');
          return send(res, 405, { ok: false, error: { code: 'bad_request', message: `method ${req.method} not allowed: POST a JSON body` } });
        }
        let size = 0;
        const chunks: Buffer[] = [];
        for await (const chunk of req as AsyncIterable<Buffer>) {
          size += chunk.length;
          if (size > MAX_BODY) return fail(res, new ApiError('too_large', `body over ${MAX_BODY} bytes`));
          chunks.push(chunk);
        }
        let body: unknown = {};
        const text = Buffer.concat(chunks).toString('utf8');
        if (text.trim() !== '') {
          try {
            body = JSON.parse(text);
          } catch {
            return fail(res, new ApiError('bad_request', 'malformed JSON body'));
          }
        }
        if (!body || typeof body !== 'object' || Array.isArray(body)) return fail(res, new ApiError('bad_request', 'the body must be a JSON object'));
        const { type: _ignored, ...rest } = body as Record<string, unknown>;
        await run(req, res, { ...rest, type });
      },
    },
    {
      pattern: /^\/api\/v1\/state$/,
      handle: (req, res) => (req.method === 'GET' || req.method === 'HEAD' ? run(req, res, { type: 'state' }) : send(res, 405, { ok: false, error: { code: 'bad_request', message: 'GET only' } })),
    },
    {
      pattern: /^\/readyz$/,
      handle: async (_req, res) => {
        const { hub, store } = ctx;
        const checks: Record<string, { ok: boolean; detail?: string }> = {};
        try {
          await store.audit.recent(1);
          checks.store = { ok: true };
        } catch (err) {
          checks.store = { ok: false, detail: (err as Error).message };
        }
        const now = hub.clock();
        const fresh = opts.probeFreshMs ?? 10_000;
        const probes = hub.probeStatus().filter((p) => now - p.lastSeenAt <= fresh && !p.blind);
        checks.probes = probes.length > 0 ? { ok: true, detail: `${probes.length} probe(s) heard within ${fresh} ms` } : { ok: false, detail: `no probe heard within ${fresh} ms` };
        const ok = Object.values(checks).every((c) => c.ok);
        send(res, ok ? 200 : 503, { ok, checks });
      },
    },
  ];
}
