import type { Request, RequestHandler, Response } from 'express';
import { HttpError } from '../http/index.ts';
import { allows, Authenticator, type Principal, type Role } from './auth.ts';

/**
 * The token check of an HTTP route: `Authorization: Bearer` names a principal of at least `role`
 * (a function of the request when the role depends on it, e.g. the command in the path), else 401
 * (no or unknown token, or a locked hub) or 403 (a viewer where an operator is needed). The
 * caller it let in is `principalOf(res)`.
 */
export function requireRole(auth: Authenticator, role: Role | ((req: Request) => Role)): RequestHandler {
  return (req, res, next) => {
    const who = auth.check(Authenticator.bearer(req));
    if (!who) throw new HttpError('unauthorized', auth.refusal());
    const need = typeof role === 'function' ? role(req) : role;
    if (!allows(who.role, need)) throw new HttpError('forbidden', `${req.method} ${req.path} needs the ${need} role; token "${who.name}" is a ${who.role}`);
    res.locals.principal = who;
    next();
  };
}

/** Who may call a route: anyone (`public`), or a token of at least this role. */
export type Access = 'public' | Role;

/**
 * The one token check in front of every route: `access` says what a request needs (from its
 * method and path), a public one passes untouched, any other goes through requireRole.
 */
export function authGate(auth: Authenticator, access: (req: Request) => Access): RequestHandler {
  const check = requireRole(auth, (req) => access(req) as Role);
  return (req, res, next) => (access(req) === 'public' ? next() : check(req, res, next));
}

/** The principal requireRole let in on this request. */
export function principalOf(res: Response): Principal {
  const who = res.locals.principal as Principal | undefined;
  if (!who) throw new Error('principalOf: the route has no requireRole before it');
  return who;
}
