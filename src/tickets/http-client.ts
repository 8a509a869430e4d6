import { DeliveryError } from './types.ts';

export interface HttpReply {
  status: number;
  text: string;
  json: unknown;
}

/**
 * One HTTP request with a timeout. Network errors, timeouts, 408, 429 and 5xx are retryable
 * DeliveryErrors; other non-2xx are permanent (sending the same again cannot help).
 */
export async function request(method: string, url: string, body: unknown, headers: Record<string, string>, timeoutMs: number): Promise<HttpReply> {
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: { 'content-type': 'application/json', 'user-agent': 'streamguard-tickets', ...headers },
      body: body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    const why = e.name === 'TimeoutError' ? `timeout after ${timeoutMs} ms` : (e.cause?.code ?? e.message);
    throw new DeliveryError(`${method} ${redact(url)}: ${why}`, true);
  }
  const text = await res.text().catch(() => '');
  let json: unknown;
  try {
    json = text ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const retryable = res.status >= 500 || res.status === 408 || res.status === 429;
    throw new DeliveryError(`${method} ${redact(url)}: HTTP ${res.status} ${text.slice(0, 200)}`, retryable, res.status);
  }
  return { status: res.status, text, json };
}

/** URLs of IM bots carry their key in the query: never log it. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    return u.search ? `${u.origin}${u.pathname}?…` : `${u.origin}${u.pathname}`;
  } catch {
    return '(bad url)';
  }
}

/** Reads a secret from the environment by name; missing → a permanent delivery error naming the variable. */
export function secret(env: NodeJS.ProcessEnv, name: string | undefined, what: string): string | undefined {
  if (name === undefined) return undefined;
  const v = env[name];
  if (v === undefined || v === '') throw new DeliveryError(`${what}: environment variable ${name} is not set`, false);
  return v;
}

export function endpoint(env: NodeJS.ProcessEnv, v: { name: string; url?: string | undefined; urlEnv?: string | undefined }): string {
  if (v.url !== undefined) return v.url;
  const u = secret(env, v.urlEnv, `vendor ${v.name}`);
  if (u === undefined) throw new DeliveryError(`vendor ${v.name}: no url`, false);
  return u;
}
