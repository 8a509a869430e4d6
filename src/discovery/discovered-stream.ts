import type { DiscoverySource } from './config-schema.ts';
import type { PublishedStream } from './published.ts';
import { expandTemplate } from './template.ts';

/** The stream id a source gives a published stream (its `id` template). */
export function discoveredId(source: DiscoverySource, p: PublishedStream): string {
  return expandTemplate(source.id, p);
}

/** The definition a source gives a published stream, lines from its templates; checked by the stream schema where it is added. */
export function discoveredStream(source: DiscoverySource, p: PublishedStream): Record<string, unknown> {
  return {
    id: discoveredId(source, p),
    name: p.app ? `${p.app}/${p.name}` : p.name,
    ...(source.kind !== undefined && { kind: source.kind }),
    lines: Object.fromEntries(Object.entries(source.lines).map(([line, template]) => [line, { url: expandTemplate(template, p) }])),
  };
}

/** Whether the source watches the application `app` (its `app` filter). */
export function watchesApp(source: DiscoverySource, app: string): boolean {
  return source.app === undefined || source.app === app;
}
