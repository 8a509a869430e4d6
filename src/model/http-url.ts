import { z } from 'zod';

/**
 * An outbound http(s) endpoint written in the config file (a webhook, a desk). It must not carry
 * credentials (`https://user:password@host/…`): the file holds no secrets, and fetch refuses such a
 * URL outright, so it would fail at every delivery instead of once at load. `instead` says where
 * the credentials go for this kind of endpoint.
 */
export function httpUrlSchema(instead: string) {
  return z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).refine((u) => !carriesCredentials(u), {
    message: `must not carry credentials (user:password@): the config file holds no secrets; ${instead}`,
  });
}

function carriesCredentials(url: string): boolean {
  const u = URL.canParse(url) ? new URL(url) : undefined;
  return u !== undefined && (u.username !== '' || u.password !== '');
}

/**
 * A URL that came from a secret (an environment variable) may carry `user:password@`, as curl
 * accepts: fetch does not, so they move to an `Authorization: Basic` header.
 */
export function credentialsAsHeader(url: string): { url: string; authorization?: string } {
  if (!carriesCredentials(url)) return { url };
  const u = new URL(url);
  const userinfo = `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`;
  u.username = '';
  u.password = '';
  return { url: u.toString(), authorization: `Basic ${Buffer.from(userinfo).toString('base64')}` };
}
