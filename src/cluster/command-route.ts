import { HttpError } from '../http/http-error.ts';
import { redactUrls } from '../model/redact-url.ts';
import type { StreamOwner, StreamOwners } from './directory.ts';

/** Where a command for a stream runs: here, on its owner hub, or nowhere now (the error says why and to retry). */
export type CommandRoute = { to: 'here' } | { to: 'owner'; hub: string; url: string } | { to: 'nobody'; error: HttpError };

export interface RouteInput {
  /** The stream the command acts on (`probe:<id>` for a probe's incident). */
  stream: string;
  /** This hub owns it (Ownership.owns). */
  owns: boolean;
  /** The hub that forwarded the command here, if one did. */
  forwardedBy: string | undefined;
  /** Undefined on a hub that knows no other hubs. */
  owners: StreamOwners | undefined;
}

const RETRY = 'retry in a moment';

/**
 * A command runs on the hub that owns its stream, and on it alone: this hub when it owns the
 * stream; else the stream's owner, if it has a live one with a URL. A command another hub
 * forwarded here is never forwarded again: a hub that does not own the stream (its lease just
 * changed hands) refuses it, so a stale view of the owners can cost a retry but never a loop.
 */
export async function routeCommand(input: RouteInput): Promise<CommandRoute> {
  const { stream, owners } = input;
  if (input.owns) return { to: 'here' };
  const nobody = (message: string): CommandRoute => ({ to: 'nobody', error: new HttpError('unavailable', `${message}: ${RETRY}`) });
  if (input.forwardedBy !== undefined) return nobody(`hub "${input.forwardedBy}" forwarded a command for stream "${stream}" here, but this hub does not own it (its shard is changing hands)`);
  if (!owners) return nobody(`this hub does not own stream "${stream}" and knows no other hub`);
  let owner: StreamOwner | undefined;
  try {
    owner = await owners.ownerOf(stream);
  } catch (err) {
    return nobody(`the owner of stream "${stream}" cannot be read from the store (${redactUrls((err as Error).message)})`);
  }
  if (!owner) return nobody(`stream "${stream}" has no owner hub right now (its shard is changing hands)`);
  if (owner.hub === owners.self) return nobody(`this hub is taking stream "${stream}" over (its shard is changing hands)`);
  if (owner.url === undefined) return nobody(`hub "${owner.hub}" owns stream "${stream}" but has not advertised its URL yet (it is starting)`);
  return { to: 'owner', hub: owner.hub, url: owner.url };
}
