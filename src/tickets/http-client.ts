import { credentialsAsHeader } from '../model/http-url.ts';
import { scrub, secret, shownUrl } from './secrets.ts';
import { DeliveryError } from './types.ts';

export interface HttpReply {
  status: number;
  text: string;
  json: unknown;
}

/**
 * One HTTP request with a timeout. Network errors, timeouts, 408, 429 and 5xx are retryable
 * DeliveryErrors; other non-2xx are permanent (sending the same again cannot help). `secrets`
 * (the vendor's: secrets.ts) never appear in an error, whatever the vendor answered.
 */
export async function request(method: string, target: string, body: unknown, headers: Record<string, string>, timeoutMs: number, secrets: readonly string[]): Promise<HttpReply> {
  const { url, authorization } = credentialsAsHeader(target);
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: { 'content-type': 'application/json', 'user-agent': 'streamguard-tickets', ...(authorization && { authorization }), ...headers },
      body: body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    const why = e.name === 'TimeoutError' ? `timeout after ${timeoutMs} ms` : (e.cause?.code ?? e.message);
    throw new DeliveryError(`${method} ${shownUrl(url, secrets)}: ${scrub(why, secrets)}`, true);
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
    throw new DeliveryError(`${method} ${shownUrl(url, secrets)}: HTTP ${res.status} ${scrub(text, secrets)}`, retryable, res.status);
  }
  return { status: res.status, text, json };
}

/** The vendor's endpoint: `url` from the config, or the URL in the `urlEnv` variable (a secret itself). */
export function endpoint(env: NodeJS.ProcessEnv, v: { name: string; url?: string | undefined; urlEnv?: string | undefined }): string {
  if (v.url !== undefined) return v.url;
  const u = secret(env, v.urlEnv, `vendor ${v.name}`);
  if (u === undefined) throw new DeliveryError(`vendor ${v.name}: no url`, false);
  return u;
}
