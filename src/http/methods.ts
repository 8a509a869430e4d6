import type { RequestHandler } from 'express';
import { HttpError } from './http-error.ts';

/**
 * Refuses every method but `allowed` with a 405 and the `allow` header, and passes the others on.
 * Last in a route (`route.get(…).all(allowMethods('GET', 'HEAD'))`): a path that exists answers
 * 405 for a method it does not take, not 404.
 */
export function allowMethods(...allowed: string[]): RequestHandler {
  return (req, res, next) => {
    if (allowed.includes(req.method)) return next();
    res.set('allow', allowed.join(', '));
    throw new HttpError('method_not_allowed', `${req.method} ${req.path}: use ${allowed.join(' or ')}`);
  };
}
