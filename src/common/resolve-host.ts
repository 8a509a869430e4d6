import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/**
 * The static ffmpeg/ffprobe builds from npm segfault (exit 139) on ANY hostname lookup, even
 * `localhost` (static glibc without NSS). So names are resolved here and the binaries get an
 * IP URL; for HTTP the original Host header is passed along so virtual hosts/CDNs still work.
 */
export interface ResolvedUrl {
  url: string;
  /** Value for ffmpeg `-headers "Host: …"` (HTTP only). */
  hostHeader?: string;
}

export class UnresolvableHostError extends Error {
  constructor(
    readonly host: string,
    readonly code: string,
  ) {
    super(`cannot resolve ${host}: ${code}`);
  }
}

/** Pure: rewrite `url` to use `ip`. */
export function withAddress(url: string, ip: string): ResolvedUrl {
  const u = new URL(url);
  const host = u.host;
  u.hostname = isIP(ip) === 6 ? `[${ip}]` : ip;
  const http = u.protocol === 'http:' || u.protocol === 'https:';
  return { url: u.toString(), ...(http && { hostHeader: host }) };
}

export async function resolveUrl(url: string): Promise<ResolvedUrl> {
  const u = new URL(url);
  const hostname = u.hostname.replace(/^\[|\]$/g, '');
  if (isIP(hostname)) return { url };
  try {
    const { address } = await lookup(hostname);
    return withAddress(url, address);
  } catch (err) {
    throw new UnresolvableHostError(hostname, (err as NodeJS.ErrnoException).code ?? 'unknown');
  }
}
