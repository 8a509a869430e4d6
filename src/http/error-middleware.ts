import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from '../common/log.ts';
import { codeForStatus, HttpError } from './http-error.ts';

/** Unknown path: the same JSON error shape as every other failure. */
export const notFound: RequestHandler = (req, _res, next) => {
  next(new HttpError('not_found', `no route for ${req.method} ${req.path}`));
};

/**
 * The one error middleware: HttpError → its status; body-parser failures (bad JSON, too large)
 * → 400/413 with their reason; another client error (a status below 500, e.g. a path parameter
 * that is not valid percent-encoding) → its status and message; anything else → 500, logged, with
 * no internals in the answer.
 */
export function errorMiddleware(logger?: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) return next(err);
    let status: number;
    let code: string;
    let message: string;
    if (err instanceof HttpError) {
      ({ status, code, message } = err);
    } else if (isStatusError(err)) {
      status = err.status;
      code = codeForStatus(status);
      message = err.type === 'entity.parse.failed' ? 'body is not valid JSON' : err.type === 'entity.too.large' ? `body larger than ${err.limit} bytes` : err.expose || status < 500 ? err.message : 'request failed';
    } else {
      status = 500;
      code = 'internal';
      message = 'internal error';
      logger?.error({ err, method: req.method, path: req.path }, 'request failed');
    }
    res.status(status).json({ error: { code, message } });
  };
}

interface StatusError {
  status: number;
  type?: string;
  limit?: number;
  expose?: boolean;
  message: string;
}

function isStatusError(err: unknown): err is StatusError {
  return typeof err === 'object' && err !== null && typeof (err as { status?: unknown }).status === 'number' && (err as { status: number }).status >= 400;
}
