import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * PagerDuty v3 webhooks: `X-PagerDuty-Signature: v1=<hex>[,v1=<hex>…]` (several while a secret
 * rotates), each HMAC-SHA256 of the raw body. True when any matches any of the secrets.
 */
export function verifyPagerDutySignature(body: Buffer, headerValue: string | undefined, secrets: readonly string[]): boolean {
  if (!headerValue) return false;
  const given = headerValue
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('v1='))
    .map((s) => s.slice(3));
  for (const secret of secrets) {
    const expected = createHmac('sha256', secret).update(body).digest('hex');
    if (given.some((g) => safeEqual(g, expected))) return true;
  }
  return false;
}

export function pagerDutySignature(body: Buffer | string, secret: string): string {
  return `v1=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Constant-time comparison of two secrets (tokens, signatures). */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
