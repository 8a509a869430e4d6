import { DeliveryError } from './types.ts';

/**
 * Vendor secrets (routing keys, tokens, passwords, bot URLs) live in environment variables the
 * config names (`…Env`). They go where the vendor reads them and nowhere else: no error, log line
 * or timeline entry carries one, not even one the vendor quoted back in its answer.
 */

/** Reads a secret by its variable's name; missing → a permanent delivery error naming the variable (never a value). */
export function secret(env: NodeJS.ProcessEnv, name: string | undefined, what: string): string | undefined {
  if (name === undefined) return undefined;
  const v = env[name];
  if (v === undefined || v === '') throw new DeliveryError(`${what}: environment variable ${name} is not set`, false);
  return v;
}

/**
 * The values of the secrets a vendor's config entry names (its `…Env` fields) that are set, and of
 * a secret URL also the parts a vendor may quote back alone (secretUrlParts).
 */
export function vendorSecrets(cfg: object, env: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  for (const [k, name] of Object.entries(cfg)) {
    const v = k.endsWith('Env') && typeof name === 'string' ? env[name] : undefined;
    if (v) out.push(v, ...secretUrlParts(v));
  }
  return out;
}

/** Shorter parts of a secret URL are no secret (`im`, `v2`) and would blot words out of messages. */
const MIN_SECRET_PART = 8;

/** Of a URL that is a secret (a bot URL): its path with the query, each long path segment and query value, its password. */
function secretUrlParts(value: string): string[] {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return [];
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return [];
  return [`${u.pathname}${u.search}`, ...u.pathname.split('/'), ...u.searchParams.values(), decodeURIComponent(u.password)].filter((p) => p.length >= MIN_SECRET_PART);
}

/** Text from or about a vendor, fit for an error: every secret (also URL-encoded) replaced by `<secret>`, then cut to `max`. */
export function scrub(text: string, secrets: readonly string[], max = 200): string {
  let out = text;
  // Longest first: a secret URL goes whole before its parts do.
  const forms = new Set(secrets.flatMap((s) => [s, encodeURIComponent(s)]));
  for (const form of [...forms].sort((x, y) => y.length - x.length)) out = out.split(form).join('<secret>');
  return out.slice(0, max);
}

/**
 * How an error names a vendor URL: its origin and path, never its query (bot keys live there);
 * only the origin when the URL carries a secret (a bot or webhook URL from the environment is its
 * own secret, key in the path).
 */
export function shownUrl(url: string, secrets: readonly string[]): string {
  try {
    const u = new URL(url);
    const secretPath = secrets.some((s) => url.includes(s) || url.includes(encodeURIComponent(s)));
    return secretPath ? `${u.origin}/…` : `${u.origin}${u.pathname}${u.search ? '?…' : ''}`;
  } catch {
    return '(bad url)';
  }
}
