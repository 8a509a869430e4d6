import express, { type RequestHandler } from 'express';
import { HttpError } from './http-error.ts';

/**
 * A JSON body parser with a size limit that refuses every other content type (415) instead of
 * guessing: a `text/plain` POST is what a cross-site form sends without a preflight.
 */
export function jsonBody(limitBytes = 64 * 1024): RequestHandler[] {
  const requireJson: RequestHandler = (req, _res, next) => {
    const hasBody = req.headers['content-length'] !== undefined ? req.headers['content-length'] !== '0' : req.headers['transfer-encoding'] !== undefined;
    if (hasBody && !req.is('application/json')) return next(new HttpError('unsupported_media_type', `body must be application/json, got "${req.headers['content-type'] ?? 'none'}"`));
    next();
  };
  return [requireJson, express.json({ limit: limitBytes, strict: false })];
}
