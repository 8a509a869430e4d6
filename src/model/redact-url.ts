/**
 * Stream and pull URLs carry credentials: `rtmp://user:pass@host/…`, and signed CDN URLs
 * (`?auth_key=…`, `?txSecret=…`, `?X-Amz-Signature=…`, `?token=…`). Everything that logs,
 * audits, shows or sends a URL to someone other than the player or probe that needs it passes it
 * (or a text that contains URLs, like an ffprobe error line) through redactUrls.
 */

/** Every `scheme://…` in a text, up to whitespace or a quote. */
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi;
/** Query parameter names that hold a secret: token, key, secret, sign(ature), sig, auth, pass(word), pwd, credential… */
const SECRET_PARAM = /token|secret|sig|pass|pwd|auth|key|credential/i;
const MASK = '***';

/** The text with every URL's userinfo password and secret-looking query values replaced by `***`; the rest as written. */
export function redactUrls(text: string): string {
  return text.replace(URL_IN_TEXT, redactUrl);
}

function redactUrl(url: string): string {
  const start = url.indexOf('://') + 3;
  const authorityEnd = url.slice(start).search(/[/?#]/);
  const end = authorityEnd < 0 ? url.length : start + authorityEnd;
  let authority = url.slice(start, end);
  const at = authority.lastIndexOf('@');
  const colon = authority.indexOf(':');
  if (at >= 0 && colon >= 0 && colon < at) authority = `${authority.slice(0, colon + 1)}${MASK}${authority.slice(at)}`;
  let rest = url.slice(end);
  const q = rest.indexOf('?');
  if (q >= 0) {
    const hash = rest.indexOf('#', q);
    const query = rest.slice(q + 1, hash < 0 ? undefined : hash);
    const masked = query
      .split('&')
      .map((pair) => {
        const eq = pair.indexOf('=');
        return eq > 0 && SECRET_PARAM.test(pair.slice(0, eq)) ? `${pair.slice(0, eq + 1)}${MASK}` : pair;
      })
      .join('&');
    rest = `${rest.slice(0, q + 1)}${masked}${hash < 0 ? '' : rest.slice(hash)}`;
  }
  return `${url.slice(0, start)}${authority}${rest}`;
}

/** `value` with redactUrls applied to every string in it, however deep (a JSON document: objects, arrays, strings). */
export function redactUrlsIn(value: unknown): unknown {
  if (typeof value === 'string') return redactUrls(value);
  if (Array.isArray(value)) return value.map(redactUrlsIn);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactUrlsIn(v)]));
  return value;
}
