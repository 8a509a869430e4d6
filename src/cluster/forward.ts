import { codeForStatus, ERROR_STATUS, HttpError, type ErrorCode } from '../http/http-error.ts';

/**
 * A command handed to the hub that owns its stream, on that hub's REST twin
 * (`POST <url>/api/v1/commands/:type`), with the caller's own Authorization (every hub of a
 * cluster runs one config, so one token works on each). The owner checks, acts and audits; its
 * answer comes back as it was: the result, or its error code and message.
 */

/** Names the hub that forwarded a command: its receiver acts on it only if it owns the stream, never forwards it again. */
export const FORWARDED_BY_HEADER = 'x-streamguard-forwarded-by';
/** The transport the caller used (`ws`, `api`): the owner audits the command as it came in. */
export const FORWARDED_VIA_HEADER = 'x-streamguard-forwarded-via';

const FORWARD_TIMEOUT_MS = 10_000;

export interface ForwardedCommand {
  /** The owner hub and where it answers. */
  to: { hub: string; url: string };
  /** This hub's id. */
  from: string;
  type: string;
  /** The command's fields without `type` (and without the WebSocket's `id`). */
  body: Record<string, unknown>;
  /** The caller's Authorization header, if it sent one. */
  authorization: string | undefined;
  via: 'ws' | 'api';
  /** Default 10 s: the owner's answer or a 503. */
  timeoutMs?: number;
}

/** Runs `cmd` on its owner; resolves its result, or throws the owner's refusal (or a 503 when the owner did not answer) as an HttpError. */
export async function forwardCommand(cmd: ForwardedCommand): Promise<unknown> {
  const target = `${cmd.to.url.replace(/\/+$/, '')}/api/v1/commands/${encodeURIComponent(cmd.type)}`;
  const where = `hub "${cmd.to.hub}" (${cmd.to.url})`;
  let res: Response;
  try {
    res = await fetch(target, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [FORWARDED_BY_HEADER]: cmd.from,
        [FORWARDED_VIA_HEADER]: cmd.via,
        ...(cmd.authorization !== undefined && { authorization: cmd.authorization }),
      },
      body: JSON.stringify(cmd.body),
      signal: AbortSignal.timeout(cmd.timeoutMs ?? FORWARD_TIMEOUT_MS),
    });
  } catch (err) {
    throw new HttpError('unavailable', `${where}, the owner of this stream, did not answer (${causeOf(err)}): retry in a moment`);
  }
  const answer = await res.json().catch(() => undefined);
  if (res.ok && isObject(answer) && answer.ok === true) return answer.result;
  const error = isObject(answer) && isObject(answer.error) ? answer.error : undefined;
  if (error && typeof error.message === 'string') throw new HttpError(codeOf(error.code, res.status), error.message);
  throw new HttpError('unavailable', `${where}, the owner of this stream, answered HTTP ${res.status} without a streamguard answer: retry in a moment`);
}

/** The owner's error code when it is one of ours, else the code of its status. */
function codeOf(code: unknown, status: number): ErrorCode {
  return typeof code === 'string' && code in ERROR_STATUS ? (code as ErrorCode) : codeForStatus(status);
}

function causeOf(err: unknown): string {
  if (err instanceof Error && err.name === 'TimeoutError') return 'timed out';
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : undefined;
  return cause ?? (err instanceof Error ? err.message : String(err));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
