/**
 * URL and id templates of a discovery source: `{name}` is the stream's name on the media server,
 * `{app}` its application (`rtmp://edge/live/{name}`, `http://edge/{app}/{name}.flv`). Values are
 * put in as they are: the media server's names are the publishers' own path segments.
 */
export const TEMPLATE_VARIABLES = ['name', 'app'] as const;
export type TemplateValues = Record<(typeof TEMPLATE_VARIABLES)[number], string>;

const PLACEHOLDER = /\{([^{}]*)\}/g;

export function expandTemplate(template: string, values: TemplateValues): string {
  return template.replace(PLACEHOLDER, (_whole, key: string) => values[key as keyof TemplateValues]);
}

/** The placeholders of `template` that are not variables (a typo such as `{nmae}`). */
export function unknownPlaceholders(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1]!).filter((k) => !(TEMPLATE_VARIABLES as readonly string[]).includes(k));
}
