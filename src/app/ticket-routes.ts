import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';

/**
 * The tickets service's node:http handler (ticketRoutes, src/tickets/http.ts) inside the express
 * app, until it is a Router of its own: it answers its paths itself (webhooks authenticate
 * themselves; its errors are still `{error: "<message>"}`) and hands every other request on.
 * It reads its bodies itself, so no body parser may run before it.
 */
export function ticketRoutesAdapter(handle: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>): RequestHandler {
  return async (req, res, next) => {
    if (!(await handle(req, res))) next();
  };
}
