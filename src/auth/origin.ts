import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { RequestHandler } from 'express';
import { HttpError } from '../http/index.ts';
import { isLoopback } from './auth.ts';

/**
 * Which web pages may drive the hub. Open mode trusts every caller that reaches a loopback
 * listen, and a browser is such a caller for any page its user visits: a cross-site page can POST
 * a command or open /ws, and a DNS-rebound name (evil.example → 127.0.0.1) can even read answers.
 * So:
 *
 *   Host     on a loopback listen, only a loopback name (localhost, 127.x, [::1]), the listen
 *            host, or the host of an allowed origin: a rebound name is refused
 *   Origin   on upgrades and on requests that may change something: absent (curl, probes,
 *            tools), or one of the hub's own origins (the listen host, localhost, 127.0.0.1,
 *            [::1], with the port and scheme the request came in on), the origin the request
 *            addressed (same-origin: Origin = scheme://Host), or one of `hub.allowedOrigins`;
 *            anything else (`null` too) is refused
 *
 * Both refusals are 403 `forbidden` naming what was refused.
 */
export class OriginPolicy {
  private readonly allowed: Set<string>;
  private readonly loopback: boolean;
  private readonly ownHosts: Set<string>;
  private readonly allowedHosts: Set<string>;

  constructor(opts: { listen: string; allowedOrigins: readonly string[] }) {
    this.allowed = new Set(opts.allowedOrigins);
    this.loopback = isLoopback(opts.listen);
    const listenHost = opts.listen.slice(0, opts.listen.lastIndexOf(':')).toLowerCase();
    const bracketed = listenHost.includes(':') && !listenHost.startsWith('[') ? `[${listenHost}]` : listenHost;
    this.ownHosts = new Set(['localhost', '127.0.0.1', '[::1]', bracketed]);
    this.allowedHosts = new Set([...this.ownHosts, ...opts.allowedOrigins.map((o) => new URL(o).hostname)]);
  }

  /** Why this upgrade, or request that may change something, is refused (its Host or its Origin), or undefined when it may go on. */
  refusal(req: IncomingMessage): string | undefined {
    return this.hostRefusal(req) ?? this.originRefusal(req);
  }

  /** A Host that is not the hub's on a loopback listen: a DNS-rebound name. */
  hostRefusal(req: IncomingMessage): string | undefined {
    const host = req.headers.host;
    if (!this.loopback || host === undefined) return undefined;
    const hostname = hostnameOf(host);
    if (this.allowedHosts.has(hostname) || /^127\.\d+\.\d+\.\d+$/.test(hostname)) return undefined;
    return `host ${hostname} is not allowed: the hub listens on loopback and answers only to localhost, 127.0.0.1, [::1] or the hosts of hub.allowedOrigins`;
  }

  private originRefusal(req: IncomingMessage): string | undefined {
    const origin = req.headers.origin;
    if (origin === undefined || this.allowed.has(origin) || this.isOwn(origin, req)) return undefined;
    return `origin ${origin} is not allowed: only the hub's own origin and hub.allowedOrigins may send commands or open WebSockets`;
  }

  private isOwn(origin: string, req: IncomingMessage): boolean {
    const host = req.headers.host;
    let u: URL;
    try {
      u = new URL(origin);
    } catch {
      return false;
    }
    const scheme = (req.socket as TLSSocket).encrypted ? 'https:' : 'http:';
    if (u.protocol !== scheme || u.origin !== origin) return false;
    const port = u.port === '' ? (scheme === 'https:' ? 443 : 80) : Number(u.port);
    if (this.ownHosts.has(u.hostname) && port === req.socket.localPort) return true;
    return host !== undefined && u.host === host.toLowerCase();
  }

  /**
   * The express check: every request's Host, and the Origin of every request that may change
   * something. A read's Origin is not checked: without CORS headers the page cannot read the answer.
   */
  middleware(): RequestHandler {
    return (req, _res, next) => {
      const safe = req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS';
      const why = safe ? this.hostRefusal(req) : this.refusal(req);
      if (why) throw new HttpError('forbidden', why);
      next();
    };
  }
}

/** The host name of a Host header (`name[:port]`, IPv6 in brackets), lower case. */
function hostnameOf(host: string): string {
  const h = host.toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const colon = h.lastIndexOf(':');
  return colon < 0 ? h : h.slice(0, colon);
}
