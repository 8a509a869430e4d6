import { scrub } from './secrets.ts';
import { DeliveryError } from './types.ts';

/**
 * What WeCom and DingTalk group bots answer: HTTP 200 even when they refuse a message, with
 * `{errcode, errmsg}` in the body saying so (errcode 0: accepted).
 */

/** errcode answers worth retrying: system busy, rate limits. */
const RETRYABLE_ERRCODES = new Set([-1, 45009, 130101, 660026]);

/** Throws the refusal a bot's answer carries, if any (its errmsg may quote the bot's key back: scrubbed). */
export function checkErrcode(vendor: string, json: unknown, status: number, secrets: readonly string[]): void {
  const j = json as { errcode?: number; errmsg?: string } | undefined;
  if (j?.errcode !== undefined && j.errcode !== 0) throw new DeliveryError(`${vendor}: errcode ${j.errcode} ${scrub(j.errmsg ?? '', secrets)}`, RETRYABLE_ERRCODES.has(j.errcode), status);
}
