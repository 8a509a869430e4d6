import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { HttpError, refuseUpgrade, type Listening, type UpgradeHandler } from '../http/index.ts';
import type { OriginPolicy } from '../auth/origin.ts';
import type { Logger } from '../common/log.ts';

/** WebSocket endpoints by path; a path ending in `/` takes every path under it. */
export type UpgradeRoutes = Record<string, UpgradeHandler>;

/**
 * The one place WebSocket upgrades of the hub's server are dispatched: by path to the module that
 * answers it (`/ws`, `/probes`, `/preview/…`). A foreign Host or Origin (a cross-site page, DNS
 * rebinding: src/auth/origin.ts) is refused with 403 before any handler sees it; an unknown path, or a handler's HttpError, is refused
 * with its status and `{error: {code, message}}` before any socket opens; a handler's bug is a 500.
 */
export function dispatchUpgrades(server: Listening['server'], routes: UpgradeRoutes, opts: { origins: OriginPolicy; logger?: Logger }): void {
  const { origins, logger } = opts;
  const exact = new Map(Object.entries(routes).filter(([path]) => !path.endsWith('/')));
  const prefixes = Object.entries(routes).filter(([path]) => path.endsWith('/'));
  const endpoints = Object.keys(routes)
    .map((p) => (p.endsWith('/') ? `${p}…` : p))
    .join(', ');
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // A client that resets mid-handshake must not take the hub down.
    socket.on('error', () => socket.destroy());
    const path = (req.url ?? '/').split('?')[0]!;
    const handle = exact.get(path) ?? prefixes.find(([prefix]) => path.startsWith(prefix))?.[1];
    try {
      const refused = origins.refusal(req);
      if (refused) throw new HttpError('forbidden', refused);
      if (!handle) throw new HttpError('not_found', `no WebSocket endpoint at ${path} (endpoints: ${endpoints})`);
      handle(req, socket, head);
    } catch (err) {
      if (!(err instanceof HttpError)) logger?.error({ err, path }, 'WebSocket upgrade failed');
      refuseUpgrade(socket, err instanceof HttpError ? err : new HttpError('internal', 'internal error'));
    }
  });
}
