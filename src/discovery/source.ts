import type { z } from 'zod';
import type { PublishedStream } from './published.ts';

/**
 * A media server's list of published streams, one adapter per server (node-media-server.ts,
 * srs.ts, mediamtx.ts). `list` throws ListError when the server cannot be read: the poller then
 * changes nothing (an unreachable server is not the end of its streams).
 */
export interface StreamListSource {
  list(): Promise<PublishedStream[]>;
}

export class ListError extends Error {
  override name = 'ListError';
}

export const TIMEOUT_MS = 5000;

/** Why a request got no answer, in a few words (`ECONNREFUSED`, `no answer in 5000 ms`). */
export function whyNoAnswer(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  return e.name === 'TimeoutError' ? `no answer in ${TIMEOUT_MS} ms` : (e.cause?.code ?? e.cause?.message ?? e.message);
}

/** GET `url` as JSON; ListError naming the URL and what went wrong. `headers` carry the credentials. */
export async function getJson(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown }> {
  let res: Response;
  try {
    res = await fetch(url, { headers: { accept: 'application/json', ...headers }, signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (err) {
    throw new ListError(`GET ${url}: ${whyNoAnswer(err)}`);
  }
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) };
  } catch {
    throw new ListError(`GET ${url}: HTTP ${res.status}, not JSON: ${text.slice(0, 200)}`);
  }
}

/** The body of a 200 answer, or ListError with the status. */
export async function getOk(url: string, headers: Record<string, string> = {}): Promise<unknown> {
  const r = await getJson(url, headers);
  if (r.status !== 200) throw new ListError(`GET ${url}: HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
  return r.body;
}

/** HTTP Basic credentials as a header, when both are given. */
export function basicAuth(credentials: { username: string; password: string } | undefined): Record<string, string> {
  return credentials ? { authorization: `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}` } : {};
}

/** `body` read by `schema` (the server's documented answer), or ListError naming the URL and the first field that differs. */
export function parseAnswer<T>(schema: z.ZodType<T>, body: unknown, url: string): T {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  throw new ListError(`GET ${url}: unexpected answer (${issue.path.map(String).join('.') || '(body)'}: ${issue.message})`);
}
