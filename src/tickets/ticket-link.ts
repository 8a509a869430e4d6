import type { VendorConfig } from './config-schema.ts';

/**
 * Where a person opens a vendor's ticket, when the vendor has a page for it: a desk's agent view
 * (`{url}/agent/tickets/{id}`, Zendesk's). Only for a desk whose `url` is in the config: one from
 * `urlEnv` may carry a secret and is never shown. PagerDuty's dedup key, a webhook's or a chat's
 * reference have no page of their own.
 */
export function ticketLink(vendor: VendorConfig | undefined, ref: string): string | undefined {
  if (vendor?.type !== 'desk' || vendor.url === undefined) return undefined;
  return `${vendor.url.replace(/\/+$/, '')}/agent/tickets/${encodeURIComponent(ref)}`;
}
